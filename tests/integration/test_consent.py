"""Student consent (R-CH-3/R-CH-4) through HTTP with the real worker and SMTP server: staff send the
request to the student's own address, the student answers through a magic link, the answer (scope and
date) feeds the legal assessment, and a withdrawal mid-case sends the case back to review."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ConsentRequest
from dsr.services import cases as case_service
from dsr.services.links import make_token
from tests.helpers import link_in, step, submit
from tests.integration.helpers import (
    PDF,
    STUDENT,
    body,
    mails_to,
    open_portal,
    path_of,
    send_consent_request,
    years_ago,
)


@pytest.fixture
def adult_case(client, people, staff, app, run_jobs):
    """A parent with gezag asks for the full file of a student of 19; identity already checked."""
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(19))
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    run_jobs()
    return case_id


def consent_link(smtp_server, run_jobs, address=STUDENT) -> str:
    run_jobs()
    mails = mails_to(smtp_server, address, "Uw toestemming gevraagd")
    assert mails, "the student got the consent request"
    return path_of(link_in(body(mails[-1])))


def open_consent(app, path):
    browser = app.test_client()
    response = browser.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/toestemming")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return browser


def assessment(app, case_id):
    with app.app_context():
        return case_service.assessment_for(db.session.get(Case, case_id))


def actions(app, case_id):
    with app.app_context():
        return [(e.action, e.actor_kind) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).scalars()]


# ---------------------------------------------------------------------------------------- given

def test_consent_given_allows_full_access_for_a_parent_of_an_18_year_old(app, adult_case, staff, people,
                                                                         smtp_server, run_jobs):
    assert assessment(app, adult_case).outcome == "refused", "R-CH-4: no consent, no access"
    refused = step(staff, app, adult_case, "review", decision="grant", reason="Alles geven.")
    assert refused.status_code == 409

    page = staff.get(f"/zaken/{adult_case}").get_data(as_text=True)
    assert "Toestemming van de leerling" in page and "Toestemmingsverzoek sturen" in page
    assert send_consent_request(staff, adult_case).status_code == 302
    path = consent_link(smtp_server, run_jobs)
    mail = mails_to(smtp_server, STUDENT, "Uw toestemming gevraagd")[0]
    assert "Alex Jansen" not in body(mail) and "Sam Jansen" not in body(mail), "the mail says nothing about the case"
    with app.app_context():
        request = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert request.student_email == STUDENT and request.status == "pending"
        assert db.session.get(Case, adult_case).requester_email == "ouder@example.nl"

    student = open_consent(app, path)
    page = student.get("/toestemming")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Alex Jansen" in text and "18 jaar of ouder" in text and "alleen mijn leerresultaten" in text
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 302
    text = student.get("/toestemming").get_data(as_text=True)
    assert "toestemming voor <strong>alles waar om gevraagd is</strong>" in text and "Antwoord veranderen" in text

    with app.app_context():
        request = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert request.status == "given" and request.scope == "full" and request.answered_at is not None
        assert db.session.get(Case, adult_case).student_consent is True
    found = assessment(app, adult_case)
    assert (found.outcome, found.scope) == ("allowed", "full")
    assert ("consent.requested", "staff") in actions(app, adult_case)
    assert ("consent.given", "student") in actions(app, adult_case)
    run_jobs()
    assert len(mails_to(smtp_server, people.email["staff_a"], "Toestemming leerling gegeven")) == 1
    assert step(staff, app, adult_case, "review", decision="grant", reason="Met toestemming.").status_code == 302
    page = staff.get(f"/zaken/{adult_case}").get_data(as_text=True)
    assert "Toestemming gegeven" in page and "alles waar om gevraagd is" in page


def test_consent_for_learning_results_only_narrows_the_assessment(app, adult_case, staff, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    student = open_consent(app, consent_link(smtp_server, run_jobs))
    assert student.post("/toestemming", data={"answer": "learning_results"}).status_code == 302
    found = assessment(app, adult_case)
    assert (found.outcome, found.scope) == ("partial", "learning_results")
    assert "alleen de leerresultaten" in found.explanation
    assert step(staff, app, adult_case, "review", decision="grant", reason="Alles.").status_code == 409
    assert step(staff, app, adult_case, "review", decision="partial", grounds=["student_18"],
                reason="Alleen leerresultaten, zoals de leerling toestond.").status_code == 302


def test_a_16_year_old_can_only_consent_to_everything(app, client, people, staff, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(16))
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    assert (assessment(app, case_id).outcome, assessment(app, case_id).scope) == ("partial", "learning_results")
    send_consent_request(staff, case_id)
    student = open_consent(app, consent_link(smtp_server, run_jobs))
    text = student.get("/toestemming").get_data(as_text=True)
    assert "16 of 17 jaar" in text and 'value="learning_results"' not in text
    assert student.post("/toestemming", data={"answer": "learning_results"}).status_code == 422
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 302
    assert (assessment(app, case_id).outcome, assessment(app, case_id).scope) == ("allowed", "full")


# ---------------------------------------------------------------------------------------- declined

def test_consent_declined(app, adult_case, staff, people, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    path = consent_link(smtp_server, run_jobs)
    student = open_consent(app, path)
    assert student.post("/toestemming", data={}).status_code == 422
    assert student.post("/toestemming", data={"answer": "everything-please"}).status_code == 422
    assert student.post("/toestemming", data={"answer": "declined"}).status_code == 302
    text = student.get("/toestemming").get_data(as_text=True)
    assert "<strong>geen</strong> toestemming" in text and "Antwoord versturen" not in text
    assert "Antwoord veranderen" in text, "until the package is released the student can change the answer"
    with app.app_context():
        request = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert request.status == "declined" and request.scope is None and request.answered_at
        assert db.session.get(Case, adult_case).student_consent is False
    assert assessment(app, adult_case).outcome == "refused"
    assert ("consent.declined", "student") in actions(app, adult_case)
    run_jobs()
    assert len(mails_to(smtp_server, people.email["staff_a"], "Toestemming leerling geweigerd")) == 1


# ---------------------------------------------------------------------------------------- withdrawn

def test_consent_withdrawn_mid_case_sends_the_case_back_to_review(app, adult_case, staff, people, smtp_server,
                                                                   run_jobs):
    send_consent_request(staff, adult_case)
    path = consent_link(smtp_server, run_jobs)
    student = open_consent(app, path)
    student.post("/toestemming", data={"answer": "full"})
    assert step(staff, app, adult_case, "review", decision="grant", reason="Met toestemming.").status_code == 302
    with app.app_context():
        assert db.session.get(Case, adult_case).state == "legal_basis_reviewed"
    smtp_server.clear()

    # Weeks later, the student opens the same link in another browser and withdraws.
    later = open_consent(app, path)
    assert later.post("/toestemming/intrekken", data={}).status_code == 422
    assert later.post("/toestemming/intrekken", data={"confirm": "y"}).status_code == 302
    assert later.get("/toestemming").status_code == 400, "withdrawing ended the consent session"
    assert "trok die in op" in open_consent(app, path).get("/toestemming").get_data(as_text=True), \
        "the link from the mail opens the request again, to read what was recorded"
    run_jobs()
    with app.app_context():
        case = db.session.get(Case, adult_case)
        assert case.state == "identity_checked" and case.student_consent is False and case.decision is None
        request = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert request.status == "withdrawn" and request.withdrawn_at and request.scope == "full"
        reassess = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "transition.reassess")).scalar_one()
        assert reassess.actor_kind == "system" and "toestemming ingetrokken" in reassess.reason
    assert ("consent.withdrawn", "student") in actions(app, adult_case)
    assert assessment(app, adult_case).outcome == "refused"
    assert step(staff, app, adult_case, "review", decision="grant", reason="Toch alles?").status_code == 409
    reassessed = mails_to(smtp_server, "ouder@example.nl", "opnieuw beoordeeld")
    assert len(reassessed) == 1 and "toestemming" not in body(reassessed[0]).lower(), \
        "the parent is told there is news, not what the student did"
    assert len(mails_to(smtp_server, people.email["staff_a"], "Toestemming leerling ingetrokken")) == 1
    # There is nothing left to withdraw (the student can still give consent again: test_consent_change.py).
    again = open_consent(app, path).post("/toestemming/intrekken", data={"confirm": "y"})
    assert again.status_code == 409


def test_withdrawal_before_review_only_records_it(app, adult_case, staff, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    student = open_consent(app, consent_link(smtp_server, run_jobs))
    student.post("/toestemming", data={"answer": "full"})
    student.post("/toestemming/intrekken", data={"confirm": "y"})
    with app.app_context():
        case = db.session.get(Case, adult_case)
        assert case.state == "identity_checked" and case.student_consent is False
    assert "transition.reassess" not in [a for a, _ in actions(app, adult_case)]


# ---------------------------------------------------------------------------------------- bad input

def test_consent_links_tampered_foreign_replaced_or_expired(app, adult_case, staff, smtp_server, run_jobs,
                                                             monkeypatch):
    send_consent_request(staff, adult_case)
    path = consent_link(smtp_server, run_jobs)
    token = path.rsplit("/", 1)[1]
    browser = app.test_client()
    with app.test_request_context():
        portal_token = make_token("portal", {"n": "x"})
        wrong_id = make_token("consent", {"c": 999, "n": "x"})
    for bad in (token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), portal_token, wrong_id, "x"):
        response = browser.get(f"/toestemming/{bad}")
        assert response.status_code == 400 and "Deze link werkt niet" in response.get_data(as_text=True)
    # A consent token is no portal token, and the other way round.
    response = browser.get(f"/mijn-verzoek/link/{token}")
    assert response.status_code == 400
    assert browser.get("/mijn-verzoek/overzicht").status_code == 302
    assert browser.get("/toestemming").status_code == 400, "no consent session from any of these"

    monkeypatch.setitem(app.config, "CONSENT_LINK_MAX_AGE_DAYS", -1)
    response = browser.get(path)
    assert response.status_code == 400 and "verlopen" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "CONSENT_LINK_MAX_AGE_DAYS", 90)

    # Staff send a new request (e.g. to a corrected address): the old link stops working.
    assert send_consent_request(staff, adult_case, "sam.nieuw@school.example.nl").status_code == 302
    assert app.test_client().get(path).status_code == 400
    new_path = consent_link(smtp_server, run_jobs, "sam.nieuw@school.example.nl")
    open_consent(app, new_path)
    with app.app_context():
        statuses = db.session.execute(sa.select(ConsentRequest.status).order_by(ConsentRequest.id)).scalars().all()
        assert statuses == ["cancelled", "pending"]


def test_a_portal_session_does_not_open_the_consent_page(app, adult_case, staff, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    parent = app.test_client()
    open_portal(parent, app, adult_case, smtp_server, run_jobs)
    assert parent.get("/toestemming").status_code == 400
    assert parent.post("/toestemming", data={"answer": "full"}).status_code == 400
    with app.app_context():
        assert db.session.execute(sa.select(ConsentRequest.status)).scalar_one() == "pending"


@pytest.mark.parametrize("address,message", [
    ("", "Vul een e-mailadres in"),
    ("geen-adres", "geldig e-mailadres"),
    ("sam@school.nl\r\nBcc: iedereen@example.nl", "één regel"),
    ("OUDER@example.nl", "adres van de aanvrager"),
    ("a" * 250 + "@x.nl", "maximaal 254"),
])
def test_consent_request_refused_at_the_field(app, adult_case, staff, smtp_server, run_jobs, address, message):
    response = send_consent_request(staff, adult_case, address)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and message in text
    run_jobs()
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ConsentRequest.id))).scalar_one() == 0
    assert not [m for m in smtp_server.messages if "toestemming" in m["Subject"].lower()]


def test_no_consent_request_for_a_young_student_or_a_closed_case(app, client, people, staff):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(12))
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "jonger dan 16" in page and "Toestemmingsverzoek sturen" not in page
    response = send_consent_request(staff, case_id)
    assert response.status_code == 422 and "jonger dan 16" in response.get_data(as_text=True)
    adult = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(19))
    step(staff, app, adult, "withdraw", reason="Telefonisch ingetrokken.")
    assert send_consent_request(staff, adult).status_code == 422
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ConsentRequest.id))).scalar_one() == 0


def test_consent_forms_need_csrf(app, csrf_app, adult_case, staff, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    path = consent_link(smtp_server, run_jobs)
    student = csrf_app.test_client()
    assert student.get(path).status_code == 302
    page = student.get("/toestemming").get_data(as_text=True)
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert student.post("/toestemming", data={"answer": "full", "csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(ConsentRequest.status)).scalar_one() == "given"


def test_no_answer_once_the_case_is_closed(app, adult_case, staff, smtp_server, run_jobs):
    send_consent_request(staff, adult_case)
    student = open_consent(app, consent_link(smtp_server, run_jobs))
    step(staff, app, adult_case, "withdraw", reason="De ouder trok het verzoek telefonisch in.")
    response = student.post("/toestemming", data={"answer": "full"})
    assert response.status_code == 409 and "niet meer nodig" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(ConsentRequest.status)).scalar_one() == "pending"
        assert db.session.get(Case, adult_case).student_consent is False


def test_retention_removes_portal_data_and_the_students_address(app, adult_case, staff, smtp_server, run_jobs):
    """R-AC-4: anonymising a case file also removes its messages, uploads and links; the consent
    record keeps scope and dates, not the address."""
    from io import BytesIO
    from pathlib import Path

    from dsr.models import CaseMessage, CaseUpload, PortalLink
    from dsr.services import retention

    send_consent_request(staff, adult_case)
    open_consent(app, consent_link(smtp_server, run_jobs)).post("/toestemming", data={"answer": "full"})
    parent = app.test_client()
    open_portal(parent, app, adult_case, smtp_server, run_jobs)
    parent.post("/mijn-verzoek/bericht", data={"body": "Een vraag"})
    parent.post("/mijn-verzoek/bestand", data={"file": (BytesIO(PDF), "a.pdf")},
                content_type="multipart/form-data")
    with app.app_context():
        key = db.session.execute(sa.select(CaseUpload.storage_key)).scalar_one()
        stored = Path(app.config.get("FILE_STORAGE") or Path(app.instance_path) / "files") / key[:2] / key
        assert stored.exists()
        retention.anonymise(db.session.get(Case, adult_case))
        db.session.commit()
        for model in (CaseMessage, CaseUpload, PortalLink):
            assert db.session.execute(sa.select(sa.func.count(model.id))).scalar_one() == 0
        consent = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert consent.student_email == retention.REMOVED and consent.scope == "full" and consent.answered_at
    assert not stored.exists()
    assert parent.get("/mijn-verzoek/overzicht").status_code == 302, "the portal closes for an anonymised case"
