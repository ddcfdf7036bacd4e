"""R-AC-4: case files are anonymised 5 years after closing; a dry run lists without changing."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case
from dsr.services.audit_verify import verify_chain
from dsr.services.retention import purge_expired
from tests.helpers import submit

TODAY = dt.date(2031, 6, 1)


def _close(app, case_id, closed_on: dt.date, state="fulfilled"):
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(
            state=state, closed_at=dt.datetime.combine(closed_on, dt.time(12), tzinfo=dt.UTC)))
        db.session.commit()


def test_anonymises_only_cases_closed_more_than_five_years_ago(app, client, people):
    old = submit(client, people.school_a, student_name="Oud Dossier", details="Geheim detail")
    recent = submit(client, people.school_a, student_name="Recent Dossier")
    still_open = submit(client, people.school_a, student_name="Open Dossier")
    _close(app, old, dt.date(2026, 5, 31))
    _close(app, recent, dt.date(2026, 6, 2), state="withdrawn")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["dsr", "purge-expired", "--dry-run", "--today", TODAY.isoformat()])
    assert dry.exit_code == 0 and "1 case(s) would be anonymised" in dry.output
    with app.app_context():
        assert db.session.get(Case, old).student_name == "Oud Dossier"
        reference = db.session.get(Case, old).reference
    assert reference in dry.output
    result = runner.invoke(args=["dsr", "purge-expired", "--today", TODAY.isoformat()])
    assert result.exit_code == 0 and "1 case(s) anonymised" in result.output
    with app.app_context():
        case = db.session.get(Case, old)
        assert case.student_name == "[verwijderd]" and case.details == "" and case.anonymised_at
        assert "alex" not in case.requester_email and case.requester_phone is None
        assert case.right == "access" and case.state == "fulfilled" and case.reference == reference
        assert db.session.get(Case, recent).student_name == "Recent Dossier"
        assert db.session.get(Case, still_open).student_name == "Open Dossier"
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "case.anonymised")).scalars().all()
        assert [e.case_id for e in events] == [old] and events[0].actor_kind == "system"
        assert verify_chain().ok
        assert purge_expired(TODAY) == []  # nothing left to do
