"""Issue 3 through HTTP: extension (R-DL-5), suspension (R-DL-6) and re-assessment (R-CH-1)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent
from dsr.workflows.deadlines import legal_deadline
from tests.helpers import case_version, local_today, signed_in, step, submit
from tests.integration.helpers import detached_case, set_case_columns


def _extend(client, app, case_id, **data):
    data.setdefault("version", case_version(app, case_id))
    return client.post(f"/zaken/{case_id}/verlengen", data=data)


def test_extension_in_time_moves_deadline_and_mails_a_link_to_the_reasons(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="verlenging@example.nl")
    staff = signed_in(app, people)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "Termijn verlengen" in page and "Verlengen met twee maanden kan tot en met" in page
    response = _extend(staff, app, case_id, reasons=["volume", "redaction"],
                       reason="Dossier staat in Magister, Somtoday en het archief.")
    assert response.status_code == 302
    case = detached_case(app, case_id)
    assert case.extended and case.due_on == legal_deadline(case.received_on, extended=True)
    run_jobs()
    [mail] = [m for m in smtp_server.messages if m["To"] == "verlenging@example.nl" and "Meer tijd" in m["Subject"]]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    # Issue 11 point 7: the mail carries the reference and a link; the reasons are in the portal and letter.
    assert "Magister, Somtoday en het archief" not in text and "meerdere systemen" not in text
    assert "Mijn verzoek" in text and f"{case.due_on.day} " in text
    # Only once.
    again = _extend(staff, app, case_id, reasons=["volume"], reason="Nog meer tijd.")
    assert again.status_code == 409 and "al verlengd" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "case.extended")).scalar() == 1


def test_extension_after_first_month_is_refused(app, client, people):
    case_id = submit(client, people.school_a)
    received = local_today() - dt.timedelta(days=45)
    set_case_columns(app, case_id, received_on=received, due_on=legal_deadline(received))
    staff = signed_in(app, people)
    response = _extend(staff, app, case_id, reasons=["volume"], reason="Veel gegevens.")
    assert response.status_code == 409
    assert "Verlengen kan niet meer" in response.get_data(as_text=True)
    assert not detached_case(app, case_id).extended
    assert "Termijn verlengen" not in staff.get(f"/zaken/{case_id}").get_data(as_text=True)


def test_extension_needs_reasons(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    assert _extend(staff, app, case_id, reason="Druk.").status_code == 422  # no reason ticked: at the field
    assert _extend(staff, app, case_id, reasons=["volume"], reason="").status_code == 422
    assert _extend(staff, app, case_id, reasons=["not-a-reason"], reason="x").status_code == 422
    assert not detached_case(app, case_id).extended
    other = signed_in(app, people, "staff_b")
    assert _extend(other, app, case_id, reasons=["volume"], reason="x").status_code == 404


def _suspend(app, client, people, asked_on, answered_on):
    case_id = submit(client, people.school_a)
    received = dt.date(2026, 3, 2)
    set_case_columns(app, case_id, received_on=received, due_on=legal_deadline(received))
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Graag even inloggen op het ouderportaal.").status_code == 302
    set_case_columns(app, case_id, info_requested_on=asked_on)
    response = step(staff, app, case_id, "information_received", received_on=answered_on.isoformat())
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return detached_case(app, case_id)


def test_suspension_asked_in_time_moves_deadline(app, client, people):
    """R-DL-6: r = Mon 2026-03-02, ID asked 03-04, answer 03-16 -> 12 days -> Tue 2026-04-14."""
    case = _suspend(app, client, people, dt.date(2026, 3, 4), dt.date(2026, 3, 16))
    assert case.suspended_days == 12 and case.due_on == dt.date(2026, 4, 14)
    assert case.state == "submitted"  # back where the question was asked


def test_suspension_asked_late_gives_no_credit(app, client, people):
    """R-DL-6: same case but ID asked 03-20 -> late -> deadline Thu 2026-04-02."""
    case = _suspend(app, client, people, dt.date(2026, 3, 20), dt.date(2026, 3, 25))
    assert case.suspended_days == 0 and case.due_on == dt.date(2026, 4, 2)


def test_information_received_before_it_was_asked_is_refused(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    step(staff, app, case_id, "request_information", kind="authority", reason="Uittreksel gezagsregister graag.")
    response = step(staff, app, case_id, "information_received",
                    received_on=(local_today() - dt.timedelta(days=3)).isoformat())
    assert response.status_code == 409 and "vóór de datum" in response.get_data(as_text=True)


def test_review_is_limited_by_the_assessment(app, client, people):
    """A parent of a 17-year-old cannot be granted the full file without the student's consent."""
    today = local_today()
    case_id = submit(client, people.school_a,
                     student_birth_date=dt.date(today.year - 17, 1, 1).isoformat())
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "learning_results" in page and "R-CH-3" in page
    refused = step(staff, app, case_id, "review", decision="grant", reason="Alles geven.")
    assert refused.status_code == 409 and "staat volledige toewijzing niet toe" in refused.get_data(as_text=True)
    assert step(staff, app, case_id, "review", decision="grant", student_consent="y",
                reason="Leerling gaf schriftelijk toestemming.").status_code == 302
    case = detached_case(app, case_id)
    assert case.student_consent and case.assessment_outcome == "allowed" and case.decision == "grant"


def test_student_turned_16_before_fulfilment_goes_back_to_review(app, client, people, smtp_server, run_jobs):
    today = local_today()
    birth = dt.date(today.year - 16, today.month, min(today.day, 28)) - dt.timedelta(days=5)
    case_id = submit(client, people.school_a, student_birth_date=birth.isoformat(),
                     requester_email="ouder16@example.nl")
    received = today - dt.timedelta(days=10)  # the child was 15 then
    set_case_columns(app, case_id, received_on=received, due_on=legal_deadline(received))
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    assert step(staff, app, case_id, "review", decision="grant", reason="Ouder met gezag, kind 15.").status_code == 302
    assert detached_case(app, case_id).assessment_scope == "full"
    response = step(staff, app, case_id, "fulfil", reason="Dossier verstuurd.")
    assert response.status_code == 302
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "Niet uitgevoerd" in page and "16 jaar" in page
    case = detached_case(app, case_id)
    assert case.state == "identity_checked" and case.decision is None and case.policy_reference_on == today
    run_jobs()
    assert any("opnieuw beoordeeld" in m["Subject"] for m in smtp_server.messages if m["To"] == "ouder16@example.nl")
    # The new review takes today's age: a full grant is no longer possible.
    assert step(staff, app, case_id, "review", decision="grant", reason="x").status_code == 409
    assert step(staff, app, case_id, "review", decision="partial", grounds=["student_16"],
                reason="Alleen leerresultaten.").status_code == 302
    assert detached_case(app, case_id).assessment_scope == "learning_results"
    with app.app_context():
        actions = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                     .order_by(AuditEvent.id)).scalars().all()
    assert "transition.reassess" in actions and "transition.fulfil" not in actions
