"""Dutch and English through HTTP: the language switch, whole pages in English, form messages at the
field, and the requester's language kept on the case for every mail sent to them.

Dutch is the default. A visitor switches with the button in the page header (``POST /taal``, CSRF
like every POST); the choice lives in the session. A page "in English" is checked by what a reader
meets: the visible text and the ``alt``/``aria-label``/``title`` attributes may not contain Dutch
marker words. Text that is Dutch on purpose is marked ``lang="nl"`` and left out of that check (the
name of the other language in the switch, and what staff or the privacy officer typed, such as the
register's entries).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from dsr.extensions import db
from dsr.models import Case
from tests.helpers import PASSWORD, intake_data, link_in, login, step, submit
from tests.integration.helpers import (
    assert_dutch,
    assert_english,
    body,
    field_error,
    in_english,
    mails_to,
    path_of,
    staff_digests,
)

#: Words that only a Dutch page contains (matched as whole words, case-sensitive).
# --------------------------------------------------------------------------- the switch

@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def switch_token(page: str) -> str:
    form = re.search(r'<form method="post" action="/taal".*?</form>', page, re.S).group(0)
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)


def test_every_page_offers_the_other_language_in_its_own_language(client, people):
    page = client.get("/").get_data(as_text=True)
    assert '<button type="submit" name="lang" value="en" lang="en" class="link-button">English</button>' in page
    assert 'name="next" value="/"' in page
    in_english(client)
    page = client.get("/medewerkers/inloggen").get_data(as_text=True)
    assert '<button type="submit" name="lang" value="nl" lang="nl" class="link-button">Nederlands</button>' in page
    assert 'name="next" value="/medewerkers/inloggen"' in page


def test_switch_with_csrf_keeps_the_language_and_goes_back(csrf_client, people):
    page = csrf_client.get("/medewerkers/inloggen?x=1").get_data(as_text=True)
    assert 'name="next" value="/medewerkers/inloggen?x=1"' in page
    response = csrf_client.post("/taal", data={"csrf_token": switch_token(page), "lang": "en",
                                               "next": "/medewerkers/inloggen?x=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/medewerkers/inloggen?x=1"
    assert_english(csrf_client.get("/medewerkers/inloggen"), "sign-in page")
    assert_english(csrf_client.get("/"), "request form")  # the choice stays for the whole visit
    page = csrf_client.get("/").get_data(as_text=True)
    response = csrf_client.post("/taal", data={"csrf_token": switch_token(page), "lang": "nl", "next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert_dutch(csrf_client.get("/"), "request form")


def test_switch_without_csrf_token_is_refused(csrf_client, people):
    response = csrf_client.post("/taal", data={"lang": "en", "next": "/"})
    assert response.status_code == 400
    with csrf_client.session_transaction() as session:
        assert "lang" not in session
    assert_dutch(csrf_client.get("/"), "request form")


@pytest.mark.parametrize("lang", ["de", "", "EN", "en-GB", "../en", "nl\x00"])
def test_switch_refuses_unknown_languages(client, people, lang):
    assert client.post("/taal", data={"lang": lang, "next": "/"}).status_code == 400
    with client.session_transaction() as session:
        assert "lang" not in session


@pytest.mark.parametrize("target", [
    "https://evil.test/", "http://evil.test", "//evil.test/x", "///evil.test", "/\\evil.test", "\\\\evil.test",
    "/\t/evil.test", "/\n/evil.test", " //evil.test", "javascript:alert(1)", "http:evil.test", "evil.test",
    "https:/evil.test", "/%0a/evil.test\r\nLocation: https://evil.test", "", None, "/" + "a" * 3000,
])
def test_switch_never_redirects_off_site(client, people, target):
    data = {"lang": "en"} if target is None else {"lang": "en", "next": target}
    response = client.post("/taal", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/", "anything but a plain path on this site: the start page"


@pytest.mark.parametrize("target", ["/medewerkers/inloggen", "/zaken/?status=submitted&te_laat=1",
                                    "/verzoek/ontvangen"])
def test_switch_goes_back_to_a_path_on_this_site(client, people, target):
    response = client.post("/taal", data={"lang": "en", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == target


def test_a_single_use_link_page_does_not_send_the_switch_back_to_the_link(app, client, people, smtp_server, run_jobs):
    submit(client, people.school_a)
    run_jobs()
    confirm_url = link_in(body(mails_to(smtp_server, "alex.jansen@example.nl")[0]))
    page = client.get(urlsplit(confirm_url).path).get_data(as_text=True)
    assert 'name="next" value="/"' in page and urlsplit(confirm_url).path not in page.split('name="next"')[1][:200]


# --------------------------------------------------------------------------- whole pages

def test_public_pages_in_english_and_dutch(app, client, people, smtp_server, run_jobs):
    assert_dutch(client.get("/"), "request form")
    in_english(client)
    page = assert_english(client.get("/"), "request form")
    assert "Continue to check" in page and "(required)" in page and "Access" in page
    case_id = submit(client, people.school_a)
    page = assert_english(client.get("/verzoek/ontvangen"), "confirmation page")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.language == "en"
        assert case.reference in page and "One month after" in page
    run_jobs()
    confirm_path = urlsplit(link_in(body(mails_to(smtp_server, "alex.jansen@example.nl")[0]))).path
    assert_english(client.get(confirm_path), "e-mail confirmed page")
    assert_english(client.get(confirm_path), "invalid link page")  # single use: now invalid


def test_sign_in_pages_in_english_and_the_choice_survives_signing_in(app, client, people):
    """Signing in starts a fresh session (no fixation); the preference cookie keeps the language."""
    assert client.post("/taal", data={"lang": "en", "next": "/medewerkers/inloggen"}).status_code == 303
    assert_english(client.get("/medewerkers/inloggen"), "sign-in page")
    assert_english(client.get("/medewerkers/wachtwoord-vergeten"), "forgotten password page")
    response = client.post("/medewerkers/inloggen", data={"email": people.email["staff_a"], "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "lang" not in session, "a fresh session"
    assert_english(client.get(response.headers["Location"]), "second step page")
    login(client, people.email["staff_a"], fresh=True)
    assert_english(client.get("/zaken/"), "queue after signing in")
    client.post("/medewerkers/uitloggen")
    assert_english(client.get("/"), "request form after signing out")


def test_the_preference_cookie_is_only_a_language_code(client, people):
    response = client.post("/taal", data={"lang": "en", "next": "/"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("dsr_lang="))
    assert cookie.startswith("dsr_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.set_cookie("dsr_lang", "<script>")  # a forged value is ignored: Dutch
    with client.session_transaction() as session:
        session.pop("lang", None)
    assert_dutch(client.get("/"), "request form")


def test_staff_queue_case_and_approvals_in_english(app, client, people):
    case_id = submit(client, people.school_a, details="Graag alles.")  # a Dutch parent's request
    login(client, people.email["staff_a"])
    assert_dutch(client.get("/zaken/"), "queue")
    in_english(client)
    page = assert_english(client.get("/zaken/"), "queue")
    assert "Deadline" in page and "Received" in page and "working days left" in page
    page = assert_english(client.get(f"/zaken/{case_id}"), "case page")
    assert "What can you do now?" in page and "Explanation" in page and "History" in page
    assert "Graag alles." in page, "what the requester wrote is shown as written"
    director = app.test_client()
    login(director, people.email["director_a"])
    in_english(director)
    assert_english(director.get("/zaken/goedkeuren"), "approvals page")


@pytest.mark.parametrize("path, code", [("/bestaat-niet", 404), ("/medewerkers/uitloggen", 405)])
def test_error_pages_in_english(client, path, code):
    in_english(client)
    response = client.get(path)
    assert response.status_code == code
    assert_english(response, f"{code} page")
    assert_dutch(client.application.test_client().get(path), f"{code} page")


def test_csrf_error_page_in_english(csrf_client):
    in_english(csrf_client)
    response = csrf_client.post("/", data={"right": "access"})
    assert response.status_code == 400
    page = assert_english(response, "400 page")
    assert "security code is missing" in page


# --------------------------------------------------------------------------- form messages at the field

def test_intake_messages_at_the_field_follow_the_language(client, people):
    bad = intake_data(people.school_a, right="", student_name="", requester_email="not-an-address",
                      student_birth_date="31-02-2012", requester_role="parent", parental_authority="")
    page = client.post("/", data=bad).get_data(as_text=True)
    assert field_error(page, "student_name") == "Vul de naam van de leerling in."
    assert field_error(page, "parental_authority") == "Geef aan of u het ouderlijk gezag heeft."
    in_english(client)
    response = client.post("/", data=bad)
    assert response.status_code == 200
    page = assert_english(response, "request form with errors")
    assert "Choose what you would like to ask." in page
    assert field_error(page, "student_name") == "Enter the student's name."
    assert field_error(page, "requester_email").startswith("Enter a valid email address")
    assert field_error(page, "student_birth_date").startswith("Enter a real date")
    assert field_error(page, "parental_authority") == "Tell us whether you have parental authority."
    assert "There is a problem with the form" in page


def test_wtforms_own_messages_follow_the_language(app):
    """Messages WTForms writes itself (no message given) come from its catalogue (WTF_I18N_ENABLED)."""
    from dsr.forms.staff import CodeForm

    def errors(lang: str | None) -> list[str]:
        with app.test_request_context("/", method="POST", data={"code": "1" * 30}):
            from flask import session

            if lang:
                session["lang"] = lang
            form = CodeForm(meta={"csrf": False})
            assert not form.validate()
            return form.code.errors

    assert errors("en") == ["Field cannot be longer than 20 characters."]
    dutch = errors(None)
    assert dutch != errors("en") and "20" in dutch[0]


def test_step_errors_on_the_case_page_follow_the_language(app, client, people):
    case_id = submit(client, people.school_a)
    login(client, people.email["staff_a"])
    in_english(client)
    response = step(client, app, case_id, "verify_identity", method="", authority="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a method." in page


# --------------------------------------------------------------------------- mails in the requester's language

def test_english_requester_gets_english_mails_whatever_staff_use(app, client, people, smtp_server, run_jobs):
    in_english(client)
    case_id = submit(client, people.school_a, requester_email="parent.en@example.nl")
    run_jobs()
    receipt, = mails_to(smtp_server, "parent.en@example.nl")
    assert receipt["Subject"].startswith("Confirm your email address for request AVG-")
    assert body(receipt).startswith("Dear Sir or Madam,") and "Kind regards" in body(receipt)
    assert client.get(path_of(link_in(body(receipt)))).status_code == 200
    run_jobs()  # the acknowledgement follows the confirmation, in English too
    ack, = mails_to(smtp_server, "parent.en@example.nl", "Acknowledgement of your request AVG-")
    assert body(ack).startswith("Dear Alex Jansen,") and "Kind regards" in body(ack)
    staff_digests(app, run_jobs)  # issue 16: the new request reaches staff in their digest
    staff_mail, = mails_to(smtp_server, people.email["staff_a"])
    assert staff_mail["Subject"].startswith("Nieuw AVG-verzoek"), "staff mails stay Dutch"

    staff = app.test_client()
    login(staff, people.email["staff_a"])  # a Dutch-speaking member of staff
    smtp_server.clear()
    response = step(staff, app, case_id, "request_information", kind="clarification",
                    reason="Welke gegevens bedoelt u precies?")
    assert response.status_code == 302
    run_jobs()
    asked, = mails_to(smtp_server, "parent.en@example.nl")
    assert asked["Subject"].startswith("We need more information for your request")
    # Issue 11 point 7: the mail carries the reference and a link; staff's words are in the portal and letter.
    assert "Welke gegevens bedoelt u precies?" not in body(asked), "no staff text in a requester mail"


def test_dutch_requester_gets_dutch_mails_when_staff_work_in_english(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder.nl@example.nl")
    run_jobs()
    assert mails_to(smtp_server, "ouder.nl@example.nl")[0]["Subject"].startswith("Bevestig uw e-mailadres")
    with app.app_context():
        assert db.session.get(Case, case_id).language == "nl"
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    in_english(staff)
    smtp_server.clear()
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Wij kennen uw e-mailadres niet.").status_code == 302
    run_jobs()
    asked, = mails_to(smtp_server, "ouder.nl@example.nl")
    assert asked["Subject"].startswith("Wij hebben meer informatie nodig")
    assert "Beste Alex Jansen" in body(asked) and "Identity" not in body(asked)
