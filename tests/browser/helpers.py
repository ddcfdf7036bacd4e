"""What the browser tests share: viewports, the live server's school and staff, the texts a person reads
per language, and the steps several journeys take (choose a language, sign in, a seeded case). Fixtures
live in conftest.py."""
from __future__ import annotations

import datetime as dt
import os
import re
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dsr.extensions import db
from dsr.models import AccessPackage, Letter, RegisterCategory, School
from dsr.services import cases, storage
from dsr.services.register import seed_register
from tests.helpers import PASSWORD, login, plain_pdf, step, totp_code
from tests.integration.helpers import check, documents_of, release, upload

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Every locator and navigation on a local server is quick; a missing element fails within this.
TIMEOUT_MS = 10_000

#: The live server's school and staff (tests/browser/conftest.py ``live``).
SCHOOL = ("RGB", "Basisschool De Regenboog")
STAFF = ("medewerker@asg.test", "Mila de Vries", "staff")
DIRECTOR = ("directeur@asg.test", "Daan Bakker", "director")


def browser_tests_skipped_reason() -> str | None:
    """The browser tests run in the SQLite pass only (the issue allows one database)."""
    url = os.environ.get("DSR_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return ("browser tests run in the SQLite pass only (issue 6: 'browser tests may run on one of them'); "
                "this pass uses PostgreSQL (DSR_TEST_DATABASE_URL)")
    return None


LANGUAGES = ["nl", "en"]

#: What a person reads and clicks, per language: the Dutch texts are the templates' and forms' own, the
#: English ones those of the English catalogue (translations/en) and mails (templates/mail/en).
TEXT = {
    "nl": {
        "switch": None,
        # the request form
        "right_access": "Inzage", "school": "School", "student_name": "Naam van de leerling",
        "birth_date": "Geboortedatum van de leerling", "role_parent": "Ouder", "authority_yes": "Ja",
        "requester_name": "Uw naam", "requester_email": "Uw e-mailadres", "send": "Verzoek versturen",
        "check": "Verder naar controleren", "check_h1": "Controleer uw verzoek", "what_you_get": "Dit krijgt u",
        "whole_file": "U krijgt het hele dossier",
        "error_summary": "Er ging iets mis met het formulier",
        "submitted_h1": "Uw verzoek is ontvangen", "confirmed_h1": "Uw e-mailadres is bevestigd",
        "portal_link": "Mijn verzoek", "portal_state": "Stand van zaken", "received": "Ontvangen",
        "receipt_subject": "Bevestig uw e-mailadres",
        # staff
        "email": "E-mailadres", "password": "Wachtwoord", "next": "Volgende",
        "code": "Code uit uw authenticator-app", "sign_in": "Inloggen", "queue_h1": "Verzoeken",
        "approvals_nav": "Goedkeuren", "approvals_h1": "Weigeringen ter goedkeuring",
        "method_desk": "Persoonlijk aan de balie van de school", "authority_ok": "Heeft gezag / machtiging",
        "decision_refuse": "Weigeren", "ground_excessive": "Art. 12 lid 5 AVG", "reason": "Toelichting",
        "note": "Notitie voor wie goedkeurt",
        "explanation": "Uitleg voor de aanvrager",
        "state_checked": "Identiteit gecontroleerd", "state_reviewed": "Juridisch beoordeeld",
        "state_director": "Wacht op directeur", "state_refused": "Geweigerd",
    },
    "en": {
        "switch": "English",
        "right_access": "Access", "school": "School", "student_name": "Student's name",
        "birth_date": "Student's date of birth", "role_parent": "Parent", "authority_yes": "Yes",
        "requester_name": "Your name", "requester_email": "Your email address", "send": "Send request",
        "check": "Continue to check", "check_h1": "Check your request", "what_you_get": "What you will get",
        "whole_file": "You will get the whole file",
        "error_summary": "There is a problem with the form",
        "submitted_h1": "Your request has been received", "confirmed_h1": "Your email address has been confirmed",
        "portal_link": "My request", "portal_state": "Status", "received": "Received",
        "receipt_subject": "Confirm your email address",
        "email": "Email address", "password": "Password", "next": "Next",
        "code": "Code from your authenticator app", "sign_in": "Sign in", "queue_h1": "Requests",
        "approvals_nav": "Approvals", "approvals_h1": "Refusals awaiting approval",
        "method_desk": "In person at the school desk", "authority_ok": "Has parental authority / a mandate",
        "decision_refuse": "Refuse", "ground_excessive": "Art. 12(5) GDPR", "reason": "Explanation",
        "note": "Note for the approver",
        "explanation": "Explanation for the requester",
        "state_checked": "Identity checked", "state_reviewed": "Legally reviewed",
        "state_director": "Waiting for director", "state_refused": "Refused",
    },
}

PARENT_EMAIL = "ouder.jansen@example.nl"


def need_language(live, lang: str) -> None:
    """The English variants wait for the language switch (POST /taal)."""
    if lang != "nl" and not live.has_route("/taal", "POST"):
        pytest.xfail("language switch not yet built (no POST /taal)")


def switch_language(page, lang: str) -> None:
    """Choose the language through the page, as a visitor would (the switch in the page header)."""
    label = TEXT[lang]["switch"]
    if label is None:
        return
    from playwright.sync_api import expect

    with page.expect_navigation():
        page.get_by_role("button", name=label).or_(page.get_by_role("link", name=label)).first.click()
    expect(page.locator("html"), "the switch changes the page language").to_have_attribute("lang", lang)


def sign_in(page, live, lang: str, email: str, axe, shoot=None) -> None:
    """Password, then the current TOTP code from the authenticator (pyotp)."""
    t = TEXT[lang]
    page.goto(live.url + "/medewerkers/inloggen")
    switch_language(page, lang)
    axe.check(page, f"{email}: sign-in")
    if shoot:
        shoot(page, lang, "sign-in")
    page.get_by_label(t["email"], exact=True).fill(email)
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["next"]).click()
    page.wait_for_url("**/medewerkers/tweede-stap")
    assert page.locator("html").get_attribute("lang") == lang, "the password step lost the chosen language"
    code = page.get_by_label(t["code"])
    axe.check(page, f"{email}: second step")
    if shoot:
        shoot(page, lang, "second-step")
    code.fill(totp_code(email))
    page.get_by_role("button", name=t["sign_in"]).click()
    page.wait_for_url("**/zaken/")
    assert page.locator("html").get_attribute("lang") == lang, "signing in lost the chosen language"


def seed_case(live, lang: str) -> tuple[int, str]:
    """A parent's access request, as the form registers it (in the requester's language)."""
    with live.app.test_request_context():
        school = db.session.query(School).filter_by(code=SCHOOL[0]).one()
        case = cases.submit_request({
            "right": "access", "school_id": school.id, "student_name": "Noor Visser",
            "student_birth_date": dt.date.today().replace(day=1) - dt.timedelta(days=365 * 10),
            "student_number": "", "requester_role": "parent", "parental_authority": True,
            "requester_name": "Kim Visser", "requester_email": PARENT_EMAIL, "requester_phone": "",
            "details": "", "data_concerned": "", "correct_value": "",
        }, language=lang)
        result = case.id, case.reference
        db.session.remove()
    return result


def visitor(new_page, live, lang: str):
    """A phone whose visitor chose ``lang`` on the start page (a fresh browser: no session yet)."""
    page = new_page(PHONE, mobile=True)
    page.goto(live.url + "/")
    switch_language(page, lang)
    return page


def assert_fits_phone(page, label: str) -> None:
    """The page does not scroll sideways at phone width (390 px)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{label} scrolls sideways on a phone ({width}px)"


def link_in_mail(live, subject: str, part: str, address: str = PARENT_EMAIL) -> str:
    """The link containing ``part`` in the newest mail to ``address`` whose subject has ``subject``, on
    the live server (the path only, so it also works when the mail names another host)."""
    mails = [m for m in live.mails_to(address) if subject in m["Subject"]]
    assert mails, [m["Subject"] for m in live.smtp.messages]
    body = mails[-1].get_body(preferencelist=("plain",)).get_content()
    [link] = [found for found in re.findall(r"https?://\S+", body) if part in found]
    return live.url + urlsplit(link).path


#: The two documents staff put in the package (fulfil_as_staff), under the title they get.
GRADES = plain_pdf("Cijferlijst")
CSV = b"vak;cijfer\nNederlands;7,5\n"
PACKAGE_TITLE = "Cijferlijst 2025-2026"


def fulfil_as_staff(live, case_id: int) -> None:
    """Staff verify, review, build and release the package (GRADES and CSV) and fulfil the request
    (through the real forms, with a test client; CSRF is off only while they do); the mail goes out."""
    app = live.app
    with app.app_context():
        seed_register()
        db.session.commit()
        grades = db.session.execute(
            sa.select(RegisterCategory.id).where(RegisterCategory.code == "cijfers")).scalar_one()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        staff = app.test_client()
        login(staff, STAFF[0])
        assert staff.get(f"/zaken/{case_id}").status_code == 200  # staff open the case (and read what is new)
        assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
        assert step(staff, app, case_id, "review", decision="grant", reason="Beoordeeld.").status_code == 302
        assert upload(staff, case_id, grades, data=GRADES, title=PACKAGE_TITLE).status_code == 302
        assert upload(staff, case_id, grades, data=CSV, name="c.csv", title=PACKAGE_TITLE).status_code == 302
        for doc in documents_of(app, case_id):
            check(staff, case_id, doc.id)
        assert release(staff, app, case_id).status_code == 302
        assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    live.run_jobs()


def expired_package_link(live, case_id: int, days: int = 8) -> str:
    """The path of the case's package link as it was signed ``days`` ago (PACKAGE_LINK_DAYS is 7)."""

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - days * 86400

    with live.app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        token = URLSafeTimedSerializer(live.app.secret_key, salt="dsr-package", signer=Earlier).dumps(
            {"p": package.id, "n": package.link_nonce})
        db.session.remove()
    return f"/pakket/{token}"


def cover_letter_pdf(live, case_id: int) -> bytes:
    """The stored cover letter of the case's package."""
    with live.app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        data = storage.load(db.session.get_one(Letter, package.cover_letter_id).storage_key)
        db.session.remove()
    return data
