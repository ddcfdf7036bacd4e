"""The deadline sweep's cost follows what is due, not what is stored (issue 7): the number of queries
does not grow with the open cases whose milestones were notified before, and only the cases with a
new milestone are notified, over every deadline a case can have around the reminder window."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bench.common import Statements
from dsr.extensions import db
from dsr.models import Case, DeadlineNotice
from dsr.services.deadlines import milestones_due, sweep_deadlines
from tests.helpers import audit_guard_lifted, submit

TODAY = dt.date(2026, 12, 1)  # a Tuesday
OFFSETS = [10, 5]


def _open_cases(app, client, school_id: int, due_dates: list[dt.date], *, notified: bool) -> list[int]:
    """One case per due date; with ``notified`` every milestone reached by TODAY is recorded already."""
    template = submit(client, school_id, requester_email="sweep.cost@example.nl")
    with app.app_context():
        source = db.session.get(Case, template)
        columns = {c.key: getattr(source, c.key) for c in Case.__table__.columns
                   if c.key not in ("id", "reference", "confirm_nonce")}
        ids = []
        for due_on in due_dates:
            case = Case(**dict(columns, due_on=due_on))
            db.session.add(case)
            db.session.flush()
            ids.append(case.id)
            if notified:
                for milestone in milestones_due(due_on, TODAY, OFFSETS):
                    db.session.add(DeadlineNotice(case_id=case.id, milestone=milestone, due_on=due_on))
        # The template's audit events keep it from being deleted (their case_id would be set NULL, an UPDATE the
        # append-only guard refuses); this test only needs it gone, so it lifts the guard as the cleanup does.
        with audit_guard_lifted(db.session.connection()):
            db.session.execute(sa.delete(Case).where(Case.id == template))
        db.session.commit()
    return ids


def _sweep_statements(app) -> tuple[int, int]:
    with app.app_context():
        with Statements(db.engine) as recorder:
            notified = sweep_deadlines(TODAY)
        db.session.remove()
    selects = [s for s, _ in recorder.seen if s.lstrip().upper().startswith("SELECT")]
    return notified, len(selects)


def _window(days: range) -> list[dt.date]:
    return [TODAY + dt.timedelta(days=d) for d in days]


def test_queries_do_not_grow_with_notified_open_cases(app, client, people):
    """One case newly overdue among 60, then among 300 open cases whose milestones so far were all
    notified: the same queries both times (before issue 7, one more per case in the window)."""
    overdue = [TODAY - dt.timedelta(days=1)]
    _open_cases(app, client, people.school_a, _window(range(-20, 40)), notified=True)
    _open_cases(app, client, people.school_a, overdue, notified=False)
    among_60 = _sweep_statements(app)
    _open_cases(app, client, people.school_a, _window(range(-20, 40)) * 4, notified=True)
    _open_cases(app, client, people.school_a, overdue, notified=False)
    among_300 = _sweep_statements(app)
    assert among_60[0] == among_300[0] == 1
    assert among_300[1] == among_60[1]


def test_exactly_the_cases_with_a_new_milestone_are_notified(app, client, people):
    """Every deadline from 40 days ago to 40 days ahead, without notices and with the earlier
    milestones recorded: the sweep notifies a case iff a reached milestone is not recorded yet."""
    dates = _window(range(-40, 41))
    fresh = _open_cases(app, client, people.school_a, dates, notified=False)
    expected_fresh = sum(1 for d in dates if milestones_due(d, TODAY, OFFSETS))
    notified, _ = _sweep_statements(app)
    assert notified == expected_fresh
    with app.app_context():
        recorded = {(case_id, m) for case_id, m in db.session.execute(
            sa.select(DeadlineNotice.case_id, DeadlineNotice.milestone).where(DeadlineNotice.case_id.in_(fresh)))}
    assert recorded == {(case_id, m) for case_id, d in zip(fresh, dates, strict=True)
                        for m in milestones_due(d, TODAY, OFFSETS)}
    assert _sweep_statements(app)[0] == 0  # a second sweep finds nothing new
