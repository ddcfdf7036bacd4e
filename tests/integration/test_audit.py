"""The audit log: views are recorded, the privacy officer exports it, tampering is found."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent
from dsr.services.audit_verify import verify_chain
from tests.helpers import login, step, submit, tamper_audit


def test_case_views_are_audited_and_exported(app, client, people):
    case_id = submit(client, people.school_a, details="=HYPERLINK(\"http://evil\")")
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    staff.get(f"/zaken/{case_id}")
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes", reason="=1+1")
    assert staff.get("/zaken/audit.csv").status_code == 403
    officer = app.test_client()
    login(officer, people.email["privacy"])
    response = officer.get(f"/zaken/audit.csv?zaak={case_id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["case.submitted", "case.viewed", "transition.verify_identity"]
    assert rows[2]["reason"] == "'=1+1"  # no formula injection into spreadsheets
    with app.app_context():
        viewed = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "case.viewed")).scalar_one()
        assert viewed.actor_id == people.staff_a
        exported = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "audit.exported")).scalar_one()
        assert exported.actor_id == people.privacy
        assert verify_chain().ok


def test_a_changed_event_is_named_by_verify(app, client, people):
    for _ in range(3):
        submit(client, people.school_a)
    with app.app_context():
        ids = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
        target = ids[1]
    tamper_audit(app, "UPDATE audit_events SET reason = 'weggepoetst' WHERE id = :id", id=target)
    with app.app_context():
        result = verify_chain()
        assert not result.ok and result.first_broken_id == target


def test_a_formula_after_a_separator_in_an_audit_cell_is_neutralised(app, client, people):
    """Issue 13 point 7: a reason with a formula after a separator splits into a new cell when the file
    is opened with that separator; the export puts a quote before it too."""
    case_id = submit(client, people.school_a)
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes",
         reason="gecontroleerd;=HYPERLINK(\"http://evil.test\")")
    officer = app.test_client()
    login(officer, people.email["privacy"])
    rows = list(csv.DictReader(io.StringIO(officer.get(f"/zaken/audit.csv?zaak={case_id}").get_data(as_text=True))))
    [verified] = [r for r in rows if r["action"] == "transition.verify_identity"]
    assert verified["reason"] == "gecontroleerd;'=HYPERLINK(\"http://evil.test\")"
