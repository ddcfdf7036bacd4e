"""The history on the staff case page in a real browser, in Dutch and English (issue 15 point 5): the events as
sentences, the reads collapsed into one line that opens on a click (no JavaScript needed: <details>), rule ids
behind "Waarom?"; axe-core finds nothing on the page, closed and open."""
from __future__ import annotations

import pytest

from dsr.extensions import db
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.browser.helpers import (
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    SCHOOL,
    STAFF,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
)
from tests.helpers import PASSWORD, login, step, totp_secret_for

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {"submitted": "Verzoek ingediend door de aanvrager, recht: inzage",
           "verified": "Identiteit vastgesteld door Sam Smit, aan de balie",
           "reads": "Bekeken door 3 medewerkers, 3 keer", "read_by_director": "Bekeken door Daan Bakker",
           "why": "Waarom?"},
    "en": {"submitted": "Request submitted by the requester, right: access",
           "verified": "Identity established by Sam Smit, at the desk",
           "reads": "Viewed by 3 staff members, 3 times", "read_by_director": "Viewed by Daan Bakker",
           "why": "Why?"},
}


#: A colleague who works on the case with a test client (the browser signs in as STAFF: a TOTP code counts once).
COLLEAGUE = ("collega@asg.test", "Sam Smit", "staff")


def _staff_work(live, case_id: int) -> None:
    """A colleague verifies the identity at the desk and opens the case, the director opens it once (test
    clients, CSRF off while they work)."""
    app = live.app
    with app.app_context():
        user = create_user(COLLEAGUE[0], COLLEAGUE[1], COLLEAGUE[2], PASSWORD, [SCHOOL[0]])
        enrol_with_secret(user, totp_secret_for(COLLEAGUE[0]))
        db.session.commit()
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        staff = app.test_client()
        login(staff, COLLEAGUE[0])
        assert step(staff, app, case_id, "verify_identity", method="desk", authority="yes").status_code == 302
        assert staff.get(f"/zaken/{case_id}").status_code == 200
        director = app.test_client()
        login(director, DIRECTOR[0])
        assert director.get(f"/zaken/{case_id}").status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("lang", LANGUAGES)
def test_history_reads_as_sentences_and_reads_open_on_a_click(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    need_language(live, lang)
    case_id, _reference = seed_case(live, lang)
    _staff_work(live, case_id)
    t = TEXT[lang]

    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    page.goto(f"{live.url}/zaken/{case_id}")  # the third read
    history = page.locator("[data-history]")
    expect(history).to_contain_text(t["submitted"])
    expect(history).to_contain_text(t["verified"])
    expect(history).not_to_contain_text("transition.")
    expect(history).not_to_contain_text("case.viewed")

    reads = history.locator("details[data-history-reads]")
    expect(reads.locator("summary")).to_contain_text(t["reads"])
    director_line = reads.get_by_text(t["read_by_director"])
    expect(director_line).to_be_hidden()  # collapsed: one line, the list one click away
    axe.check(page, f"case page with its history ({lang})")
    shoot(page, lang, "case-history")
    reads.locator("summary").click()
    expect(director_line).to_be_visible()
    expect(reads.locator("li")).to_have_count(3)

    # A rule id is no text on the page; "Waarom?" shows it.
    why = page.locator("details.why").first
    expect(why.locator("summary")).to_have_text(t["why"])
    rule = why.locator("p")
    expect(rule).to_be_hidden()
    why.locator("summary").click()
    expect(rule).to_contain_text("R-")
    axe.check(page, f"case page with the reads and Waarom? open ({lang})")
    axe.assert_clean()
