"""Deadline sweep: ``due`` open cases reach a milestone today, among a small and a large number of
open cases whose milestones so far were all notified (as after earlier hourly sweeps).

The two databases are swept alternately (the notices and mails of a sweep are removed before the
next round), so machine noise hits both sizes alike.
"""
from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa

from dsr.workflows import deadlines
from dsr.workflows import states as S
from dsr.workflows.roles import PRIVACY_OFFICER

from . import loader
from .common import Result, log, median, prepare_database, vacuum_analyze
from .run import Run

#: A fixed Wednesday outside the holidays, so the milestones of a case do not depend on the run date.
TODAY = dt.date(2026, 3, 11)
OFFSETS = (10, 5)
NOTICE_COLUMNS = ["id", "case_id", "milestone", "due_on", "created_at"]


def _schools(total: int) -> int:
    return max(2, min(200, total // 50))


def _due_groups() -> list[tuple[dt.date, list[str]]]:
    """(due date, milestones already notified) for cases that reach exactly one new milestone today."""
    return [
        (deadlines.subtract_working_days(TODAY, -OFFSETS[0]), []),                     # reminder_10 today
        (deadlines.subtract_working_days(TODAY, -OFFSETS[1]), [f"reminder_{OFFSETS[0]}"]),  # reminder_5 today
        (TODAY - dt.timedelta(days=1), [f"reminder_{n}" for n in OFFSETS]),          # overdue today
    ]


class _Data:
    """Cases 1..due reach a milestone today; the rest are open cases due between 20 days ago and 60
    days ahead with every milestone reached so far notified. Rows are generated, never held."""

    def __init__(self, total: int, due: int, schools: int):
        self.total, self.due, self.schools = total, due, schools
        self.groups, self.reached = _due_groups(), {}
        self.notices = 0

    def _case(self, n: int) -> tuple[dt.date, list[str]]:
        from dsr.services.deadlines import milestones_due

        if n <= self.due:
            return self.groups[n % len(self.groups)]
        due_on = TODAY + dt.timedelta(days=(n * 7919) % 81 - 20)
        if due_on not in self.reached:
            self.reached[due_on] = milestones_due(due_on, TODAY, list(OFFSETS))
        return due_on, self.reached[due_on]

    def cases(self):
        for n in range(1, self.total + 1):
            due_on, _ = self._case(n)
            yield loader.case_row(n, 1 + n % self.schools, S.OPEN_STATES[n % len(S.OPEN_STATES)],
                                  due_on - dt.timedelta(days=30), due_on)

    def notice_rows(self):
        created = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
        for n in range(1, self.total + 1):
            due_on, sent = self._case(n)
            for milestone in sent:
                self.notices += 1
                yield (self.notices, n, milestone, due_on, created)


def _setup(run: Run, name: str, total: int):
    from argon2 import PasswordHasher

    from dsr.extensions import db

    app = run.make_app(run.database_url(name), REMINDER_WORKING_DAYS=list(OFFSETS))
    prepare_database(app, fresh=run.fresh)
    schools = _schools(total)
    started = time.perf_counter()
    data = _Data(total, run.sizes.sweep_due, schools)
    with app.app_context():
        engine = db.engine
        loader.bulk_insert(engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(schools))
        users, links = loader.staff_rows(range(1, schools + 1), PasswordHasher().hash("not-used-here"), 1)
        users.append((len(users) + 1, "ibp@bench.test", "Privacy officer", PRIVACY_OFFICER, users[0][4],
                      "po-session-token", True, users[0][7], None, 0, "", 0))
        loader.bulk_insert(engine, "users", loader.USER_COLUMNS, users)
        loader.bulk_insert(engine, "user_schools", ["user_id", "school_id"], links)
        loader.bulk_insert(engine, "cases", loader.CASE_COLUMNS, data.cases(), rebuild_indexes=True)
        loader.bulk_insert(engine, "deadline_notices", NOTICE_COLUMNS, data.notice_rows(), rebuild_indexes=True)
        vacuum_analyze(engine, "cases", "deadline_notices", "users", "user_schools", "schools")
    log(f"sweep: {total:,} open cases and {data.notices:,} notices loaded in {time.perf_counter() - started:.1f}s")
    return app, data.notices


def _reset(app, notices: int, redis) -> None:
    """Undo a sweep: its notices, its mails and the send jobs it queued."""
    from dsr.extensions import db

    with app.app_context():
        db.session.execute(sa.text("DELETE FROM deadline_notices WHERE id > :n"), {"n": notices})
        db.session.execute(sa.text("DELETE FROM outbox"))
        db.session.commit()
        db.session.remove()
    redis.flushdb()


def run_sweep(run: Run) -> list[Result]:
    import redis as redis_lib

    from dsr.extensions import db
    from dsr.services.deadlines import sweep_deadlines

    sizes = run.sizes
    setups = {label: _setup(run, f"sweep_{label}", total)
              for label, total in (("small", sizes.sweep_small), ("large", sizes.sweep_large))}
    totals = {"small": sizes.sweep_small, "large": sizes.sweep_large}
    times = {label: [] for label in setups}
    wrong = []
    client = redis_lib.Redis.from_url(run.services.redis_url)
    try:
        for _ in range(sizes.sweep_repeats):
            for label, (app, notices) in setups.items():
                _reset(app, notices, client)
                with app.app_context():
                    started = time.perf_counter()
                    notified = sweep_deadlines(TODAY)
                    times[label].append(time.perf_counter() - started)
                    db.session.remove()
                if notified != sizes.sweep_due:
                    wrong.append(f"{label}: {notified} notified, expected {sizes.sweep_due}")
        with setups["large"][0].app_context():
            mails = db.session.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    finally:
        for app, notices in setups.values():
            _reset(app, notices, client)
            with app.app_context():
                db.engine.dispose()
        client.close()
    small, large = median(times["small"]), median(times["large"])
    ratio = large / small
    return [Result(
        name="Deadline sweep",
        figure=f"time at {totals['large']:,} / time at {totals['small']:,} open cases",
        value=ratio, goal="<= 2.0", met=ratio <= 2.0 and not wrong,
        detail=(f"{sizes.sweep_due:,} cases notified ({mails:,} mails) in {small:.2f} s vs {large:.2f} s "
                f"(median of {sizes.sweep_repeats}, alternating){'; ' + '; '.join(wrong) if wrong else ''}"),
    )]
