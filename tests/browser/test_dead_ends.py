"""Issue 14 point 3 in the browser (phone, nl and en, axe on every page): a reused confirmation link, and an
expired package link that leads, through the form on its own page, to a new link that works."""
from __future__ import annotations

import secrets

import pytest

from dsr.extensions import db
from dsr.models import AccessPackage, Case
from dsr.models._types import utcnow
from tests.browser.helpers import (
    LANGUAGES,
    PARENT_EMAIL,
    expired_package_link,
    link_in_mail,
    need_language,
    seed_case,
    visitor,
)

TEXT = {
    "nl": {"receipt": "Bevestig uw e-mailadres", "confirmed_h1": "Uw e-mailadres is bevestigd",
           "already_h1": "Uw e-mailadres is al bevestigd", "to_portal": "Naar Mijn verzoek",
           "portal_h1": "Mijn verzoek", "expired_h1": "Deze link is verlopen", "reference": "Uw kenmerk",
           "email": "Het e-mailadres waarmee u het verzoek deed", "send": "Stuur mij een nieuwe link",
           "sent_h1": "Kijk in uw e-mail", "portal_mail": "Uw link naar Mijn verzoek"},
    "en": {"receipt": "Confirm your email address", "confirmed_h1": "Your email address has been confirmed",
           "already_h1": "Your email address is already confirmed", "to_portal": "Go to My request",
           "portal_h1": "My request", "expired_h1": "This link has expired", "reference": "Your reference",
           "email": "The email address you made the request with", "send": "Send me a new link",
           "sent_h1": "Check your email", "portal_mail": "Your link to My request"},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_reused_confirm_link_says_so_and_leads_to_mijn_verzoek(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    seed_case(live, lang)
    live.run_jobs()
    link = link_in_mail(live, t["receipt"], "/bevestigen/")

    first = visitor(new_page, live, lang)
    first.goto(link)
    expect(first.get_by_role("heading", level=1)).to_have_text(t["confirmed_h1"])

    # The mail opened again later, on another browser: no "invalid link", but what is true and what next.
    page = visitor(new_page, live, lang)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["already_h1"])
    assert page.locator("html").get_attribute("lang") == lang
    axe.check(page, "confirm link used again")
    page.get_by_role("main").get_by_role("link", name=t["to_portal"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["portal_h1"])
    assert page.locator("html").get_attribute("lang") == lang
    axe.check(page, "Mijn verzoek (ask for a link)")
    axe.assert_clean()


def _delivered_package_link(live, case_id: int) -> str:
    """A delivered package of the (confirmed) case and its download link signed eight days ago."""
    with live.app.app_context():
        case = db.session.get(Case, case_id)
        case.email_confirmed_at = utcnow()
        db.session.add(AccessPackage(case_id=case_id, released_at=utcnow(), delivered_at=utcnow(),
                                     link_nonce=secrets.token_urlsafe(24)))
        db.session.commit()
        db.session.remove()
    return live.url + expired_package_link(live, case_id)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_expired_package_link_leads_to_a_new_link_that_works(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    case_id, reference = seed_case(live, lang)
    link = _delivered_package_link(live, case_id)

    page = visitor(new_page, live, lang)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["expired_h1"])
    assert page.locator("html").get_attribute("lang") == lang
    axe.check(page, "expired package link")
    # The genuine expired link names its request: the parent only types the address.
    expect(page.get_by_label(t["reference"], exact=True)).to_have_value(reference)
    page.get_by_label(t["email"], exact=True).fill(PARENT_EMAIL)
    page.get_by_role("button", name=t["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["sent_h1"])
    axe.check(page, "new link sent")

    live.run_jobs()
    page.goto(link_in_mail(live, t["portal_mail"], "/mijn-verzoek/link/"))
    page.wait_for_url("**/mijn-verzoek/overzicht")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert page.locator("html").get_attribute("lang") == lang
    axe.check(page, "Mijn verzoek (status) from the new link")
    axe.assert_clean()
