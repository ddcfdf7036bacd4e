"""Issue 14 point 8: the student's consent page, in plain words with "je": the choice between everything,
the learning results only and no, with what the parent will see for each choice; the student can change
the answer with the same link until the package is released, and the release respects the answer."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ConsentRequest
from tests.helpers import link_in, step, submit
from tests.integration.helpers import (
    STUDENT,
    body,
    check,
    documents_of,
    mails_to,
    path_of,
    release,
    send_consent_request,
    upload,
    years_ago,
)


@pytest.fixture
def adult_case(client, people, staff, app, run_jobs, categories):
    """A parent with gezag asks for the full file of a student of 19; identity checked; register seeded."""
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(19))
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    run_jobs()
    return case_id


def _student(app, staff, case_id, smtp_server, run_jobs):
    assert send_consent_request(staff, case_id).status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, STUDENT, "toestemming")[-1])))
    browser = app.test_client()
    assert browser.get(path).status_code == 302
    return browser, path


def _sees(page: str, choice: str) -> list[str]:
    """What the page says the parent sees for one choice (the list under that radio button)."""
    match = re.search(rf'<div class="sees" id="sees-{choice}">(.*?)</div>', page, re.S)
    assert match, choice
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return items or [re.sub(r"<[^>]+>", "", match.group(1)).strip()]


def _case(app, case_id) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def test_the_page_addresses_the_student_and_lists_what_the_parent_sees_per_choice(app, adult_case, staff,
                                                                                  smtp_server, run_jobs):
    student, _ = _student(app, staff, adult_case, smtp_server, run_jobs)
    page = student.get("/toestemming").get_data(as_text=True)
    assert "Mag je ouder jouw gegevens zien?" in page and "Je bent 18 jaar of ouder" in page
    assert " uw " not in page.lower() and "U bent" not in page, "the student is addressed with 'je'"
    for value in ("full", "learning_results", "declined"):
        assert f'value="{value}"' in page
    learning = _sees(page, "learning_results")
    assert "Cijfers, rapporten, overgang en studieadvies" in learning and "Diploma en cijferlijst" in learning
    assert "Zorg en ondersteuning" not in learning and "Aanwezigheid en verzuim" not in learning
    everything = _sees(page, "full")
    assert "Zorg en ondersteuning" in everything and set(learning) < set(everything)
    assert _sees(page, "declined") == ["Je ouder krijgt dan niets van jouw gegevens."]


def test_a_16_year_old_sees_that_no_still_gives_the_learning_results(app, client, people, staff, categories,
                                                                    smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(16))
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    student, _ = _student(app, staff, case_id, smtp_server, run_jobs)
    page = student.get("/toestemming").get_data(as_text=True)
    assert "Je bent 16 of 17 jaar" in page and 'value="learning_results"' not in page
    assert "Cijfers, rapporten, overgang en studieadvies" in _sees(page, "declined")
    assert "Zorg en ondersteuning" not in _sees(page, "declined")


def test_the_student_changes_the_answer_and_the_release_follows_it(app, adult_case, staff, categories,
                                                                   smtp_server, run_jobs):
    student, path = _student(app, staff, adult_case, smtp_server, run_jobs)
    assert student.post("/toestemming", data={"answer": "declined"}).status_code == 302
    # Later, from the same link: yes after all, to everything.
    student = app.test_client()
    assert student.get(path).status_code == 302
    page = student.get("/toestemming").get_data(as_text=True)
    assert "Wil je je antwoord veranderen?" in page
    assert re.search(r'<input[^>]* checked[^>]*value="declined"', page), "the answer recorded now is preselected"
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 302
    assert step(staff, app, adult_case, "review", decision="grant", reason="Met toestemming.").status_code == 302
    assert upload(staff, adult_case, categories["cijfers"], title="Rapport 5 vwo").status_code == 302
    assert upload(staff, adult_case, categories["zorg"], title="Verslag zorgoverleg").status_code == 302

    # The page now lists the package's documents, per choice.
    page = student.get("/toestemming").get_data(as_text=True)
    assert _sees(page, "full") == ["Rapport 5 vwo", "Verslag zorgoverleg"]
    assert _sees(page, "learning_results") == ["Rapport 5 vwo"]

    # The student narrows the consent: the review rested on "everything", so the case goes back.
    assert student.post("/toestemming", data={"answer": "learning_results"}).status_code == 302
    case = _case(app, adult_case)
    assert case.state == "identity_checked" and case.student_consent is True
    with app.app_context():
        consent = db.session.execute(sa.select(ConsentRequest)).scalar_one()
        assert (consent.status, consent.scope) == ("given", "learning_results")
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "consent.given")
                                   .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert '"previous": "full"' in event.details and event.actor_kind == "student"
    assert step(staff, app, adult_case, "review", decision="grant", reason="Alles.").status_code == 409
    assert step(staff, app, adult_case, "review", decision="partial", grounds=["student_18"],
                reason="Alleen de leerresultaten.").status_code == 302
    for document in documents_of(app, adult_case):
        check(staff, adult_case, document.id)
    refused = release(staff, app, adult_case)
    assert refused.status_code == 409 and "Verslag zorgoverleg" in refused.get_data(as_text=True)
    care = next(d for d in documents_of(app, adult_case) if d.title == "Verslag zorgoverleg")
    staff.post(f"/zaken/{adult_case}/pakket/document/{care.id}/verwijderen")
    assert release(staff, app, adult_case).status_code == 302

    # Released: the answer can no longer change, and the page says why.
    page = student.get("/toestemming").get_data(as_text=True)
    assert "kun je je antwoord niet meer veranderen" in page and "Antwoord veranderen" not in page
    refused = student.post("/toestemming", data={"answer": "full"})
    assert refused.status_code == 409 and "niet meer veranderen" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(ConsentRequest.scope)).scalar_one() == "learning_results"


def test_the_same_answer_again_changes_nothing(app, adult_case, staff, smtp_server, run_jobs):
    student, _ = _student(app, staff, adult_case, smtp_server, run_jobs)
    student.post("/toestemming", data={"answer": "full"})
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 302
    with app.app_context():
        given = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "consent.given")).scalars().all()
        assert len(given) == 1
