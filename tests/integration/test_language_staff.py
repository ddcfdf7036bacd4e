"""Dutch and English on the remaining staff pages: the processing register (public page and the privacy
officer's pages), the dashboard, the operations page, the admin pages, the rights engine's explanation on
the case page, and the flashes and errors that go with them. Dutch stays the default.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from dsr.extensions import db
from dsr.models import Case, RegisterCategory
from dsr.models import register as register_model
from dsr.services.register import seed_register
from dsr.workflows import policy, retention
from tests.helpers import PASSWORD, login, submit
from tests.integration.helpers import assert_dutch, assert_english, dutch_words, field_error, in_english


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_register()
        db.session.commit()


def _signed_in(app, people, who: str, *, english: bool = False):
    client = app.test_client()
    login(client, people.email[who])
    if english:  # the preference cookie, so the language survives signing out
        assert client.post("/taal", data={"lang": "en", "next": "/"}).status_code == 303
    return client


# --------------------------------------------------------------------------- the register

def test_register_public_page_in_dutch_and_english(client, seeded):
    page = assert_dutch(client.get("/verwerkingsregister/"), "register")
    assert "Welke gegevens van leerlingen gebruikt" in page and "Uw rechten" in page
    assert "Wij bewaren deze gegevens tot" in page
    in_english(client)
    page = assert_english(client.get("/verwerkingsregister/"), "register")
    assert "Which student data does" in page and "Your rights" in page and "Why this is allowed" in page
    assert "We keep this data until" in page, "the retention rule in English"
    assert "The law requires the school to process this data" in page
    assert "Welke gegevens" not in page and "Waarom dat mag" not in page
    assert 'lang="nl"' in page, "the entries, written in Dutch, are marked as Dutch"


def test_register_pages_of_the_privacy_officer_in_english(app, people, seeded):
    officer = _signed_in(app, people, "privacy")
    page = assert_dutch(officer.get("/verwerkingsregister/beheer"), "register management")
    assert "Verwerkingsregister bewerken" in page and "Wettelijke plicht (art. 6 lid 1 sub c AVG)" in page
    in_english(officer)
    page = assert_english(officer.get("/verwerkingsregister/beheer"), "register management")
    assert "Edit the processing register" in page and "Legal obligation (Art. 6(1)(c) GDPR)" in page
    assert "Government (DUO)" in page
    page = officer.get("/verwerkingsregister/beheer/categorie/nieuw").get_data(as_text=True)
    assert "Kind of retention period" in page and "Consent (Art. 6(1)(a) GDPR)" in page and "Save" in page
    assert not any(word in page for word in ("Grondslag", "Soort bewaartermijn", "Opslaan", "Ontvangers")), \
        "only the recipients' names, as the privacy officer wrote them, are Dutch"
    with app.app_context():
        category_id = db.session.execute(sa.select(RegisterCategory.id).limit(1)).scalar_one()
    page = officer.get(f"/verwerkingsregister/beheer/categorie/{category_id}").get_data(as_text=True)
    assert "Edit the register" in page and "Grondslag" not in page, "the entry itself stays as written"
    page = assert_english(officer.get("/verwerkingsregister/beheer/ontvanger/nieuw"), "recipient form")
    assert "Kind of recipient" in page and "Supplier (processor)" in page


@pytest.mark.parametrize("lang, name_error, months_error", [
    ("nl", "Vul een naam in.", "Vul de bewaartermijn in maanden in (bijvoorbeeld 24 voor 2 jaar)."),
    ("en", "Enter a name.", "Enter the retention period in months (for example 24 for 2 years)."),
])
def test_register_form_errors_follow_the_language(app, people, seeded, lang, name_error, months_error):
    officer = _signed_in(app, people, "privacy", english=lang == "en")
    response = officer.post("/verwerkingsregister/beheer/categorie/nieuw", data={
        "code": "proef", "name": "", "description": "x", "purpose": "x", "legal_basis": "6_1_e",
        "retention_kind": "after_leaving", "retention_months": "", "source": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "name") == name_error
    assert field_error(page, "retention_months") == months_error


def test_register_saved_flash_in_english(app, people, seeded):
    officer = _signed_in(app, people, "privacy", english=True)
    response = officer.post("/verwerkingsregister/beheer/ontvanger/nieuw", data={
        "code": "uitgever", "name": "Uitgever X", "kind": "supplier", "description": "Lesmateriaal.",
        "active": "y"}, follow_redirects=True)
    assert "Recipient &#39;Uitgever X&#39; has been saved." in response.get_data(as_text=True)


def test_register_labels_match_the_dutch_vocabularies(app):
    """The page labels are the same Dutch texts as workflows.retention's, which letters use."""
    with app.test_request_context("/"):
        assert dict(register_model.LEGAL_BASIS_LABELS) == retention.LEGAL_BASES
        assert dict(register_model.LEGAL_BASIS_PLAIN_LABELS) == retention.LEGAL_BASIS_PLAIN
        assert dict(register_model.RETENTION_KIND_LABELS) == retention.RETENTION_KINDS


# --------------------------------------------------------------------------- dashboard, operations, admin

def test_dashboard_in_english_and_dutch(app, people, client):
    submit(client, people.school_a)
    officer = _signed_in(app, people, "privacy")
    page = assert_dutch(officer.get("/dashboard/"), "dashboard")
    assert "Kerncijfers" in page and "Staafdiagram." in page and " t/m " in page
    in_english(officer)
    page = assert_english(officer.get("/dashboard/"), "dashboard")
    assert "Key figures" in page and "Answered on time" in page and "Bar chart." in page
    assert "Received → identity checked" in page and " to " in page
    assert "Kerncijfers" not in page and "Staafdiagram" not in page
    page = assert_english(officer.get("/dashboard/?van=morgen"), "dashboard with a bad date")
    assert "A date is not valid" in page
    csv = officer.get("/dashboard/cijfers.csv").get_data(as_text=True)
    assert csv.startswith("\ufeffsection;description;value;unit;note") and "Key figures" in csv


def test_operations_page_in_english_and_dutch(app, people):
    admin = _signed_in(app, people, "admin")
    page = assert_dutch(admin.get("/beheer/systeem/"), "operations page")
    assert "Uitgaande mail" in page
    in_english(admin)
    page = assert_english(admin.get("/beheer/systeem/"), "operations page")
    assert "Outgoing mail" in page and "Scheduler" in page and "Deadline monitoring" in page
    assert "Uitgaande mail" not in page and "Planner" not in page
    page = admin.post("/beheer/systeem/taken/bestaat-niet/opnieuw", follow_redirects=True).get_data(as_text=True)
    assert "This job is not (or no longer) among the failed jobs" in page


def test_admin_users_page_in_english(app, people):
    admin = _signed_in(app, people, "admin")
    page = admin.get("/beheer/gebruikers").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Gebruikers" in page
    in_english(admin)
    page = assert_english(admin.get("/beheer/gebruikers"), "users page")
    assert "Users" in page and "Gebruikers" not in page


# --------------------------------------------------------------------------- sign-in messages

def test_sign_in_errors_and_flashes_in_english(app, people, client):
    in_english(client)
    page = client.post("/medewerkers/inloggen", data={"email": people.email["staff_a"], "password": "wrong" * 3}) \
        .get_data(as_text=True)
    assert "Signing in did not work." in page and "Inloggen is niet gelukt" not in page
    staff = _signed_in(app, people, "staff_a", english=True)
    page = staff.post("/medewerkers/uitloggen", follow_redirects=True).get_data(as_text=True)
    assert "You have signed out." in page
    assert PASSWORD  # the right password is not what this test is about


# --------------------------------------------------------------------------- the rights engine's explanation

def test_policy_explanation_follows_the_reader(app):
    result = policy.assess(right="access", requester="parent", birth_date=dt.date(2009, 5, 1), on=dt.date(2026, 3, 2))
    dutch = result.explanation
    assert dutch.startswith("Verzoek om inzage door een ouder met gezag; de leerling is 16 jaar op 02-03-2026.")
    assert "alleen de leerresultaten (cijfers" in dutch
    with app.test_request_context("/"), force_locale("en"):
        english = result.explanation
    assert english.startswith("Request for access by a parent with parental authority; the student is 16 years "
                              "old on 2 March 2026.")
    assert "only the learning results (grades" in english and "R-CH-3" in english and "R-CH-7" in english
    assert dutch_words(f"<p>{english}</p>") == []


def test_case_page_explanation_in_english_without_a_dutch_wrapper(app, people, client):
    case_id = submit(client, people.school_a)
    staff = _signed_in(app, people, "staff_a")
    assert "de leerling is" in staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    in_english(staff)
    page = assert_english(staff.get(f"/zaken/{case_id}"), "case page")
    assert "Request for access by a parent with parental authority; the student is" in page
    assert "<p>Request for access" in page, "the explanation is no longer marked as Dutch"


def test_extension_reason_is_in_the_case_language_when_staff_work_in_english(app, people, client):
    from tests.helpers import case_version

    case_id = submit(client, people.school_a)  # a Dutch requester
    staff = _signed_in(app, people, "staff_a", english=True)
    response = staff.post(f"/zaken/{case_id}/verlengen", data={
        "version": case_version(app, case_id), "reasons": ["complexity"], "reason": "Veel systemen."},
        follow_redirects=True)
    assert "The deadline has been extended to" in response.get_data(as_text=True)
    with app.app_context():
        reason = db.session.get(Case, case_id).extension_reason
    assert reason.startswith("Juridisch of feitelijk complex verzoek"), reason
