"""The admin's API tokens in a real browser, in Dutch and in English, with axe-core on every page: the
navigation link, a form error at its field, the token shown once and working against the API, revoking
with a confirmation (and the token then refused)."""
from __future__ import annotations

import re

import httpx
import pytest

from dsr.extensions import db
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.browser.helpers import (
    DESKTOP,
    LANGUAGES,
    SCHOOL,
    TEXT,
    browser_tests_skipped_reason,
    need_language,
    switch_language,
)
from tests.helpers import PASSWORD, totp_code, totp_secret_for

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

ADMIN = ("tokens.beheer@asg.test", "Tess Tokens", "admin")

WORDS = {
    "nl": {"nav": "API-tokens", "new": "Nieuw API-token", "name": "Naam", "create": "Token aanmaken",
           "scope": "Cijfers van het dashboard lezen", "some": "Alleen de scholen hieronder",
           "scope_needed": "Kies minstens één toestemming.", "once": "Kopieer hem nu: hij wordt niet nog eens getoond.",
           "revoke": "Intrekken", "confirm": "Ja, trek dit token in.", "revoke_button": "Token intrekken",
           "revoked": "ingetrokken op"},
    "en": {"nav": "API tokens", "new": "New API token", "name": "Name", "create": "Create the token",
           "scope": "Read the dashboard's figures", "some": "Only the schools below",
           "scope_needed": "Choose at least one permission.", "once": "Copy it now: it will not be shown again.",
           "revoke": "Revoke", "confirm": "Yes, revoke this token.", "revoke_button": "Revoke the token",
           "revoked": "revoked on"},
}


@pytest.fixture
def with_admin(live):
    with live.app.app_context():
        enrol_with_secret(create_user(ADMIN[0], ADMIN[1], ADMIN[2], PASSWORD, []), totp_secret_for(ADMIN[0]))
        db.session.commit()
        db.session.remove()
    return live


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_admin_makes_and_revokes_a_token_in_the_browser(lang, with_admin, new_page, axe):
    from playwright.sync_api import expect

    live, w, t = with_admin, WORDS[lang], TEXT[lang]
    need_language(live, lang)
    page = new_page(DESKTOP)
    page.goto(live.url + "/medewerkers/inloggen")
    switch_language(page, lang)
    page.get_by_label(t["email"], exact=True).fill(ADMIN[0])
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["next"]).click()
    page.wait_for_url("**/medewerkers/tweede-stap")
    page.get_by_label(t["code"]).fill(totp_code(ADMIN[0]))
    page.get_by_role("button", name=t["sign_in"]).click()
    page.wait_for_url("**/beheer/gebruikers")

    page.get_by_role("navigation").get_by_role("link", name=w["nav"], exact=True).click()
    page.wait_for_url("**/beheer/api-tokens/")
    axe.check(page, "admin: API tokens (none yet)")
    page.get_by_role("link", name=w["new"]).click()
    page.wait_for_url("**/beheer/api-tokens/nieuw")
    axe.check(page, "admin: new API token")

    # No permission chosen: the message at its field, what was typed kept.
    page.locator("#name").fill("Rapportage bestuur")
    page.get_by_label(w["some"], exact=True).check()
    page.get_by_label(SCHOOL[1], exact=True).check()
    page.get_by_role("button", name=w["create"]).click()
    expect(page.locator("#scopes-error")).to_have_text(w["scope_needed"])
    expect(page.locator("#name")).to_have_value("Rapportage bestuur")
    axe.check(page, "admin: new API token with an error")

    page.get_by_label(w["scope"], exact=True).check()
    page.get_by_role("button", name=w["create"]).click()
    expect(page.get_by_text(w["once"])).to_be_visible()
    axe.check(page, "admin: API token shown once")
    plain = page.locator("[data-new-token]").input_value()
    assert re.fullmatch(r"dsr_[A-Za-z0-9_-]{40,}", plain)
    assert page.url.endswith("/beheer/api-tokens/nieuw")  # the POST's own answer, no token in any URL
    figures = httpx.get(live.url + "/api/v1/figures", headers={"Authorization": f"Bearer {plain}"})
    assert figures.status_code == 200 and figures.json()["schools"] == [SCHOOL[0]]

    page.goto(live.url + "/beheer/api-tokens/")
    assert plain not in page.content() and plain[:12] in page.content()
    page.get_by_role("link", name=re.compile(w["revoke"])).click()
    axe.check(page, "admin: revoke an API token")
    page.get_by_role("button", name=w["revoke_button"]).click()
    expect(page.locator("#confirm-error")).to_be_visible()
    page.get_by_label(re.compile(re.escape(w["confirm"]))).check()
    page.get_by_role("button", name=w["revoke_button"]).click()
    page.wait_for_url("**/beheer/api-tokens/")
    expect(page.locator("main")).to_contain_text(w["revoked"])
    axe.check(page, "admin: API tokens after revoking")
    refused = httpx.get(live.url + "/api/v1/figures", headers={"Authorization": f"Bearer {plain}"})
    assert refused.status_code == 401
    axe.assert_clean()
