"""Keyboard shortcuts for staff (dsr/static/shortcuts.js) in a real browser, in Dutch and English.

A caseworker presses ``?`` for the help dialog (axe-clean, Escape closes it and gives focus back),
``j`` and Enter to open a case from the queue, ``1`` to open the first workflow step with focus in it,
``h`` for the history, ``g`` ``q`` back to the queue and ``/`` for the filters. Keys typed into a field
stay in the field. WCAG 2.1.4: the switch in the dialog turns the single-key shortcuts off, and the
choice survives a reload; the header button still opens the dialog to turn them on again.
"""
from __future__ import annotations

import pytest

from tests.browser.helpers import (
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    STAFF,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
)

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {"button": "Sneltoetsen (?)", "dialog": "Sneltoetsen", "toggle": "Sneltoetsen aan", "close": "Sluiten",
           "queue_h1": "Verzoeken", "history": "Geschiedenis", "reason": "Toelichting",
           "approvals_h1": "Weigeringen ter goedkeuring"},
    "en": {"button": "Keyboard shortcuts (?)", "dialog": "Keyboard shortcuts", "toggle": "Keyboard shortcuts on",
           "close": "Close", "queue_h1": "Requests", "history": "History", "reason": "Explanation",
           "approvals_h1": "Refusals awaiting approval"},
}

_FOCUS_IN_DIALOG = "() => document.getElementById('shortcuts-help').contains(document.activeElement)"


def _focus_nowhere(page) -> None:
    """Focus back on the page itself, as after a click on plain text."""
    page.evaluate("() => { if (document.activeElement) { document.activeElement.blur(); } }")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_keyboard_shortcuts(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    _case_id, reference = seed_case(live, lang)
    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    assert page.locator("script[src$='/static/shortcuts.js']").count() == 1

    # "?" opens the help: a modal dialog with focus inside, axe-clean; Escape closes it.
    button = page.get_by_role("button", name=t["button"])
    expect(button).to_be_visible()
    dialog = page.get_by_role("dialog", name=t["dialog"])
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    assert page.evaluate(_FOCUS_IN_DIALOG), "opening the dialog moves focus into it"
    expect(dialog.get_by_label(t["toggle"])).to_be_checked()
    axe.check(page, "queue, shortcuts help open")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The header button opens it too and gives focus back to itself on close.
    button.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=t["close"]).click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()

    # "/" goes to the search field of the filters; a "j" there is typed into it, not a shortcut.
    _focus_nowhere(page)
    page.keyboard.press("/")
    search_field = page.locator("input[name=q]")
    expect(search_field).to_be_focused()
    page.keyboard.press("j")
    expect(search_field).to_be_focused()
    expect(search_field).to_have_value("j")

    # "j" focuses the first case link, Enter opens the case.
    _focus_nowhere(page)
    page.keyboard.press("j")
    case_link = page.get_by_role("link", name=reference)
    expect(case_link).to_be_focused()
    page.keyboard.press("k")  # already the first: stays
    expect(case_link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    # "1" opens the first step form with focus on its first field.
    steps = page.locator("[data-shortcut-steps] details.action")
    assert steps.count() >= 2, "a submitted case offers more than one step"
    first = steps.first
    expect(first).not_to_have_attribute("open", "")
    _focus_nowhere(page)
    page.keyboard.press("1")
    expect(first).to_have_attribute("open", "")
    assert first.evaluate("(el) => el.querySelector('form').contains(document.activeElement)"), \
        "the first step's form has focus"
    axe.check(page, "case, first step opened by key")

    # Typing in a text field types: no step opens, no focus moves.
    reason = first.get_by_label(t["reason"])
    reason.click()
    page.keyboard.type("jh2?")
    expect(reason).to_have_value("jh2?")
    expect(reason).to_be_focused()
    expect(steps.nth(1)).not_to_have_attribute("open", "")
    expect(dialog).to_be_hidden()

    # "h" goes to the history.
    _focus_nowhere(page)
    page.keyboard.press("h")
    expect(page.get_by_role("heading", name=t["history"])).to_be_focused()

    # "g" then "q" back to the queue.
    with page.expect_navigation():
        page.keyboard.press("g")
        page.keyboard.press("q")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])

    # Turned off in the dialog: "j" does nothing, also after a reload; "?" no longer opens the help.
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    dialog.get_by_label(t["toggle"]).uncheck()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    _focus_nowhere(page)
    page.keyboard.press("j")
    expect(case_link).not_to_be_focused()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    page.keyboard.press("j")
    page.keyboard.press("?")
    expect(case_link).not_to_be_focused()
    expect(dialog).to_be_hidden()

    # The header button still opens the help, where they are turned on again.
    button.click()
    toggle = dialog.get_by_label(t["toggle"])
    expect(toggle).not_to_be_checked()
    toggle.check()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()  # focus back where it was
    _focus_nowhere(page)
    page.keyboard.press("j")
    expect(case_link).to_be_focused()
    axe.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_director_goes_to_approvals_and_back(lang, live, new_page, axe):
    """``g`` ``a`` opens the approvals (directors only, and listed in their help), ``g`` ``q`` the queue."""
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    page = new_page(DESKTOP)
    sign_in(page, live, lang, DIRECTOR[0], axe)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name=t["dialog"])
    expect(dialog.locator("kbd", has_text="a")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    with page.expect_navigation():
        page.keyboard.press("g")
        page.keyboard.press("a")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["approvals_h1"])
    axe.check(page, "director: approvals reached by g a")
    with page.expect_navigation():
        page.keyboard.press("g")
        page.keyboard.press("q")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    axe.assert_clean()
