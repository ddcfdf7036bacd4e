"""Issue 15 point 6 in a real browser, in Dutch and in English, with axe-core on every page: the admin
creates an account (the newcomer chooses a password from the mail and sets up the authenticator), changes
it, resets its authenticator, deactivates it, and adds a school."""
from __future__ import annotations

import re

import pyotp
import pytest

from dsr.extensions import db
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.browser.helpers import (
    DESKTOP,
    LANGUAGES,
    PHONE,
    SCHOOL,
    TEXT,
    assert_fits_phone,
    browser_tests_skipped_reason,
    link_in_mail,
    need_language,
    switch_language,
)
from tests.helpers import PASSWORD, totp_code, totp_secret_for

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

ADMIN = ("beheer@asg.test", "Bram Beheer", "admin")
NEWCOMER = "nieuw.collega@asg.test"
NEW_PASSWORD = "een lang genoeg wachtwoord"

#: What the admin reads and clicks, per language (the templates' Dutch and the English catalogue's).
WORDS = {
    "nl": {"users_h1": "Gebruikers", "new_user": "Nieuwe gebruiker", "email": "E-mailadres", "name": "Naam",
           "role_staff": "Leerlingadministratie", "role_director": "Directeur", "create": "Account aanmaken",
           "error_summary": "Er ging iets mis met het formulier", "name_needed": "Vul de naam in.",
           "created": "krijgt een mail met een link", "save": "Opslaan", "saved": "zijn opgeslagen",
           "reset": "Authenticator wissen", "reset_done": "een nieuwe authenticator-app in",
           "not_set_up": "nog niet ingesteld", "deactivate": "Account uitzetten", "deactivated": "staat uit",
           "reactivate": "Account aanzetten", "mail_subject": "Uw account", "enrol_h1": "Tweestapsverificatie",
           "schools_nav": "Scholen", "add_school": "School toevoegen", "code": "Code",
           "school_name": "Naam van de school", "type_po": "Primair onderwijs", "phone": "Telefoonnummer van de school",
           "school_added": "is toegevoegd", "change_details": "Gegevens wijzigen"},
    "en": {"users_h1": "Users", "new_user": "New user", "email": "Email address", "name": "Name",
           "role_staff": "Student administration", "role_director": "Director", "create": "Create the account",
           "error_summary": "There is a problem with the form", "name_needed": "Enter the name.",
           "created": "gets a mail with a link", "save": "Save", "saved": "have been saved",
           "reset": "Remove the authenticator", "reset_done": "sets up a new authenticator app",
           "not_set_up": "not set up yet", "deactivate": "Deactivate the account", "deactivated": "is deactivated",
           "reactivate": "Reactivate the account", "mail_subject": "Your account",
           "enrol_h1": "two-step verification", "schools_nav": "Schools", "add_school": "Add a school",
           "code": "Code", "school_name": "Name of the school", "type_po": "Primary education",
           "phone": "School phone number", "school_added": "has been added", "change_details": "Change details"},
}


@pytest.fixture
def with_admin(live):
    """The live server with an admin (TOTP enrolled)."""
    with live.app.app_context():
        enrol_with_secret(create_user(ADMIN[0], ADMIN[1], ADMIN[2], PASSWORD, []), totp_secret_for(ADMIN[0]))
        db.session.commit()
        db.session.remove()
    return live


def _sign_in_admin(page, live, lang: str, axe) -> None:
    t = TEXT[lang]
    page.goto(live.url + "/medewerkers/inloggen")
    switch_language(page, lang)
    page.get_by_label(t["email"], exact=True).fill(ADMIN[0])
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["next"]).click()
    page.wait_for_url("**/medewerkers/tweede-stap")
    page.get_by_label(t["code"]).fill(totp_code(ADMIN[0]))
    page.get_by_role("button", name=t["sign_in"]).click()
    page.wait_for_url("**/beheer/gebruikers")
    axe.check(page, "admin: users")


def _newcomer_sets_up(new_page, live, lang: str, axe) -> None:
    """The newcomer follows the link in the mail, chooses a password, signs in and sets up the authenticator."""
    from playwright.sync_api import expect

    w = WORDS[lang]
    live.run_jobs()
    link = link_in_mail(live, w["mail_subject"], "/medewerkers/wachtwoord/", NEWCOMER)
    page = new_page(PHONE, mobile=True)
    page.goto(live.url + "/medewerkers/inloggen")
    switch_language(page, lang)
    page.goto(link)
    axe.check(page, "newcomer: choose a password")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/medewerkers/inloggen")
    page.get_by_label(TEXT[lang]["email"], exact=True).fill(NEWCOMER)
    page.get_by_label(TEXT[lang]["password"], exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=TEXT[lang]["next"]).click()
    page.wait_for_url("**/medewerkers/instellen")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(w["enrol_h1"], re.I))
    axe.check(page, "newcomer: set up the authenticator")
    assert_fits_phone(page, "the authenticator set-up")
    secret = page.locator("code.reference").inner_text()
    page.get_by_label(TEXT[lang]["code"]).fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/medewerkers/herstelcodes")
    axe.check(page, "newcomer: recovery codes")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_admin_manages_people_and_schools_in_the_browser(lang, with_admin, new_page, axe, shoot):
    from playwright.sync_api import expect

    live = with_admin
    need_language(live, lang)
    w = WORDS[lang]
    page = new_page(DESKTOP)
    _sign_in_admin(page, live, lang, axe)
    expect(page.get_by_role("heading", level=1)).to_have_text(w["users_h1"])
    shoot(page, lang, "admin-users")

    # A new account: a failed first try keeps what was typed and marks the field.
    page.get_by_role("link", name=w["new_user"]).click()
    page.wait_for_url("**/beheer/gebruikers/nieuw")
    axe.check(page, "admin: new user")
    page.get_by_label(w["email"], exact=True).fill(NEWCOMER)
    page.get_by_label(w["role_staff"], exact=True).check()
    page.get_by_label(SCHOOL[1], exact=True).check()
    page.get_by_label({"nl": "Nederlands", "en": "English"}[lang], exact=True).check()  # the language of their mails
    page.get_by_role("button", name=w["create"]).click()
    expect(page.locator(".error-summary")).to_contain_text(w["error_summary"])
    expect(page.locator("#name-error")).to_have_text(w["name_needed"])
    expect(page.get_by_label(w["email"], exact=True)).to_have_value(NEWCOMER)
    expect(page.get_by_label(SCHOOL[1], exact=True)).to_be_checked()
    axe.check(page, "admin: new user with an error")
    page.get_by_label(w["name"], exact=True).fill("Noa Nieuw")
    page.get_by_role("button", name=w["create"]).click()
    page.wait_for_url("**/beheer/gebruikers")
    expect(page.locator(".notice")).to_contain_text(w["created"])
    axe.check(page, "admin: users with the new account")

    _newcomer_sets_up(new_page, live, lang, axe)

    # Change the account.
    page.get_by_role("link", name="Noa Nieuw").click()
    page.wait_for_url(re.compile(r".*/beheer/gebruikers/\d+$"))
    axe.check(page, "admin: edit user")
    shoot(page, lang, "admin-user")
    page.get_by_label(w["name"], exact=True).fill("Noa de Nieuwe")
    page.get_by_label(w["role_director"], exact=True).check()
    page.get_by_role("button", name=w["save"], exact=True).click()
    page.wait_for_url("**/beheer/gebruikers")
    expect(page.locator(".notice")).to_contain_text(w["saved"])
    expect(page.get_by_role("link", name="Noa de Nieuwe")).to_be_visible()

    # Reset the lost authenticator, then deactivate and reactivate the account.
    page.get_by_role("link", name="Noa de Nieuwe").click()
    page.get_by_role("button", name=w["reset"]).click()
    expect(page.locator(".notice")).to_contain_text(w["reset_done"])
    expect(page.locator(".facts")).to_contain_text(w["not_set_up"])
    axe.check(page, "admin: after the authenticator reset")
    page.get_by_role("button", name=w["deactivate"]).click()
    expect(page.locator(".notice")).to_contain_text(w["deactivated"])
    axe.check(page, "admin: a deactivated account")
    page.get_by_role("button", name=w["reactivate"]).click()
    expect(page.get_by_role("button", name=w["deactivate"])).to_be_visible()

    # Add a school.
    page.get_by_role("navigation").get_by_role("link", name=w["schools_nav"]).click()
    page.wait_for_url("**/scholen/")
    axe.check(page, "admin: schools")
    page.get_by_role("link", name=w["add_school"]).click()
    page.wait_for_url("**/scholen/nieuw")
    axe.check(page, "admin: new school")
    page.get_by_label(w["code"], exact=True).fill("KLA")
    page.get_by_label(w["school_name"], exact=True).fill("De Klaproos")
    page.get_by_label(w["type_po"], exact=True).check()
    page.get_by_label(w["phone"], exact=True).fill("036 444 44 44")
    page.get_by_role("button", name=w["add_school"]).click()
    page.wait_for_url("**/scholen/")
    expect(page.locator(".notice")).to_contain_text(w["school_added"])
    expect(page.get_by_role("cell", name="De Klaproos", exact=True)).to_be_visible()
    page.get_by_role("link", name=re.compile(re.escape(w["change_details"]) + ".*De Klaproos")).click()
    page.wait_for_url(re.compile(r".*/scholen/\d+/gegevens$"))
    axe.check(page, "admin: a school's details")
    shoot(page, lang, "admin-school")
    axe.assert_clean()
