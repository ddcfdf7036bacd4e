"""The request form's live "Dit krijgt u" in a real browser (issue 11, point 10), in Dutch and English.

A visitor fills in role, gezag and the student's birth date; without leaving the page the form says
what this requester will get, for four combinations: a parent with gezag of a 12-year-old (the whole
file), of a 17-year-old (learning results only), of a 20-year-old (nothing without the student's
consent), and a parent without gezag of a 12-year-old (information under BW 1:377c); then a carer
without gezag. The words come from the server (static/intake.js asks /verzoek/wat-krijgt-u), under the
strict CSP: a CSP violation is a console error, which fails the test. Every state is checked with
axe-core. The check step then shows the same text.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.helpers import LANGUAGES, PHONE, SCHOOL, browser_tests_skipped_reason, need_language, switch_language

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {
        "role_parent": "Ouder", "role_carer": "Verzorger (stiefouder, pleegouder)", "yes": "Ja", "no": "Nee",
        "birth_date": "Geboortedatum van de leerling", "right_access": "Inzage", "school": "School",
        "student_name": "Naam van de leerling", "requester_name": "Uw naam", "requester_email": "Uw e-mailadres",
        "check": "Verder naar controleren", "check_h1": "Controleer uw verzoek",
        "incomplete": "Kies wie het verzoek doet",
        "full": "U krijgt het hele dossier", "learning_results": "U krijgt alleen de leerresultaten",
        "consent_needed": "U krijgt niets zonder schriftelijke toestemming van de leerling",
        "info_377c": "artikel 1:377c Burgerlijk Wetboek",
        "no_rights": "Als verzorger zonder gezag heeft u geen recht op de gegevens van de leerling",
    },
    "en": {
        "role_parent": "Parent", "role_carer": "Carer (step-parent, foster parent)", "yes": "Yes", "no": "No",
        "birth_date": "Student's date of birth", "right_access": "Access", "school": "School",
        "student_name": "Student's name", "requester_name": "Your name", "requester_email": "Your email address",
        "check": "Continue to check", "check_h1": "Check your request",
        "incomplete": "Choose who is making the request",
        "full": "You will get the whole file", "learning_results": "You will get only the learning results",
        "consent_needed": "You will get nothing without the student's written consent",
        "info_377c": "article 1:377c of the Dutch Civil Code",
        "no_rights": "As a carer without parental authority you have no right to the student's data",
    },
}


def _born(years: int) -> str:
    """A birth date making the student ``years`` old today (a month past the birthday)."""
    today = dt.date.today()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return (day - dt.timedelta(days=31)).isoformat()


#: (role, gezag, age) -> the kind and the words the form must show.
COMBINATIONS = [
    ("role_parent", "yes", 12, "full"),              # R-CH-2
    ("role_parent", "yes", 17, "learning_results"),  # R-CH-3, R-CH-7
    ("role_parent", "yes", 20, "consent_needed"),    # R-CH-4
    ("role_parent", "no", 12, "info_377c"),          # R-CH-5
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_live_what_you_get_for_four_combinations(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    page = new_page(PHONE, mobile=True)
    posts = []
    page.on("request", lambda r: r.method == "POST" and r.url.rstrip("/") == live.url and posts.append(r.url))
    page.goto(live.url + "/")
    switch_language(page, lang)
    assert page.locator("script[src$='/static/intake.js']").count() == 1
    assert page.locator("script:not([src])").count() == 0, "no inline script under the strict CSP"
    box = page.locator("#what-you-get-text")
    expect(box).to_contain_text(t["incomplete"])
    axe.check(page, "intake form, nothing filled in")

    for role, gezag, age, kind in COMBINATIONS:
        page.get_by_label(t[role], exact=True).check()
        page.get_by_label(t[gezag], exact=True).check()
        page.get_by_label(t["birth_date"]).fill(_born(age))
        expect(box).to_have_attribute("data-kind", kind)
        expect(box).to_contain_text(t[kind])
        axe.check(page, f"intake form: {role}, gezag {gezag}, {age} -> {kind}")
        shoot(page, lang, f"intake-preview-{kind}")

    # A carer without gezag is told plainly that they have no rights over the student's data.
    page.get_by_label(t["role_carer"], exact=True).check()
    expect(box).to_have_attribute("data-kind", "no_rights")
    expect(box).to_contain_text(t["no_rights"])
    axe.check(page, "intake form: carer without gezag")
    assert not posts, "the live text never posts the form"

    # The check step (the same function on the server) says the same as the live text.
    page.get_by_label(t["role_parent"], exact=True).check()
    page.get_by_label(t["yes"], exact=True).check()
    page.get_by_label(t["birth_date"]).fill(_born(17))
    expect(box).to_have_attribute("data-kind", "learning_results")
    live_text = box.inner_text()
    page.get_by_role("radio", name=re.compile("^" + re.escape(t["right_access"]))).check()
    page.get_by_label(t["school"], exact=True).select_option(label=SCHOOL[1])
    page.get_by_label(t["student_name"]).fill("Sam Jansen")
    page.get_by_label(t["requester_name"], exact=True).fill("Alex Jansen")
    page.get_by_label(t["requester_email"], exact=True).fill("ouder@example.nl")
    page.get_by_role("button", name=t["check"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["check_h1"])
    expect(page.locator(".what-you-get")).to_have_attribute("data-kind", "learning_results")
    assert page.locator(".what-you-get").inner_text() == live_text
    axe.check(page, "check step")
    axe.assert_clean()
