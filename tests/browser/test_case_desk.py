"""Assignment and internal notes on the case page (issue 15 point 3) in a real browser, in Dutch and English, on a
phone and a desktop: "Aan mij toewijzen" in one click, handing the case to the director, an empty note answered
at the field, a note added and listed with its author. axe-core finds nothing at each step."""
from __future__ import annotations

import pytest

from tests.browser.helpers import (
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    PHONE,
    STAFF,
    assert_fits_phone,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
)

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {"assigned_h": "Toegewezen aan", "nobody": "Nog niemand.", "take": "Aan mij toewijzen",
           "you": "(u)", "other": "Aan iemand anders toewijzen", "select": "Toegewezen aan",
           "save": "Toewijzing opslaan", "notes_h": "Interne notities", "note": "Nieuwe notitie",
           "add": "Notitie toevoegen", "empty": "Schrijf eerst de notitie.",
           "readers": "Alleen zichtbaar voor medewerkers van deze school"},
    "en": {"assigned_h": "Assigned to", "nobody": "Nobody yet.", "take": "Assign to me",
           "you": "(you)", "other": "Assign to someone else", "select": "Assigned to",
           "save": "Save assignment", "notes_h": "Internal notes", "note": "New note",
           "add": "Add note", "empty": "Write the note first.",
           "readers": "Only visible to the staff of this school"},
}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_assign_and_write_notes_on_the_case_page(lang, viewport, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    case_id, _reference = seed_case(live, lang)
    page = new_page(PHONE, mobile=True) if viewport == "phone" else new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    page.goto(f"{live.url}/zaken/{case_id}")
    panel = page.locator("#toewijzing")
    expect(panel.get_by_role("heading", name=t["assigned_h"])).to_be_visible()
    expect(panel).to_contain_text(t["nobody"])
    axe.check(page, f"case page, nobody assigned ({lang}, {viewport})")

    # One click: the case is the signed-in staff member's.
    panel.get_by_role("button", name=t["take"]).click()
    page.wait_for_url(f"**/zaken/{case_id}#toewijzing")
    panel = page.locator("#toewijzing")
    expect(panel).to_contain_text(f"{STAFF[1]} {t['you']}")
    expect(panel.get_by_role("button", name=t["take"])).to_have_count(0)

    # Handed to the director through the list.
    panel.get_by_text(t["other"]).click()
    panel.get_by_label(t["select"]).select_option(label=DIRECTOR[1])
    axe.check(page, f"case page, assignment form open ({lang}, {viewport})")
    panel.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(f"**/zaken/{case_id}#toewijzing")
    expect(page.locator("#toewijzing")).to_contain_text(DIRECTOR[1])

    # An empty note is answered at the field; then a note is added and listed with its author.
    notes = page.locator("#notities")
    expect(notes).to_contain_text(t["readers"])
    notes.get_by_role("button", name=t["add"]).click()
    field = page.locator("#notities").get_by_label(t["note"])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#note-body-error")).to_have_text(t["empty"])
    axe.check(page, f"case page, empty note refused ({lang}, {viewport})")
    field.fill("Vader belt vrijdag terug over het rapport.")
    page.locator("#notities").get_by_role("button", name=t["add"]).click()
    page.wait_for_url(f"**/zaken/{case_id}#notities")
    note = page.locator("#notities li[data-note]")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(STAFF[1])
    expect(note).to_contain_text("Vader belt vrijdag terug over het rapport.")
    axe.check(page, f"case page with a note ({lang}, {viewport})")
    if viewport == "phone":
        # The whole case page fits a phone: no card may push it sideways (the English deadline card did).
        assert_fits_phone(page, f"the case page ({lang})")
    axe.assert_clean()
