"""The privacy officer's pages in a real browser, in Dutch and in English, with axe-core on each:
the dashboard (charts with their tables), the operations page, the processing register as the
public reads it and as the privacy officer edits it. Screenshots as in test_journeys.py."""
from __future__ import annotations

import pytest

from dsr.extensions import db
from dsr.services.people import create_user
from dsr.services.register import seed_register
from dsr.services.signin import enrol_with_secret
from tests.browser.helpers import (
    DESKTOP,
    LANGUAGES,
    PHONE,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
    switch_language,
)
from tests.helpers import PASSWORD, totp_secret_for

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

PRIVACY_OFFICER = ("ibp@asg.test", "Iris Bos", "privacy_officer")

HEADINGS = {
    "nl": {"dashboard": "Dashboard privacyverzoeken", "operations": "Systeem: taken, mail en planner",
           "register_edit": "Verwerkingsregister bewerken",
           "register_public": "Welke gegevens van leerlingen gebruikt"},
    "en": {"dashboard": "Privacy requests dashboard", "operations": "System: jobs, mail and scheduler",
           "register_edit": "Edit the processing register",
           "register_public": "Which student data does"},
}


@pytest.fixture
def oversight(live):
    """The live server with a privacy officer (TOTP enrolled), ASG's default register and one case."""
    with live.app.app_context():
        user = create_user(PRIVACY_OFFICER[0], PRIVACY_OFFICER[1], PRIVACY_OFFICER[2], PASSWORD, [])
        enrol_with_secret(user, totp_secret_for(PRIVACY_OFFICER[0]))
        seed_register()
        db.session.commit()
        db.session.remove()
    return live


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_officer_pages(lang, oversight, new_page, axe, shoot):
    from playwright.sync_api import expect

    live = oversight
    need_language(live, lang)
    seed_case(live, lang)
    heading = HEADINGS[lang]

    page = new_page(DESKTOP)
    sign_in(page, live, lang, PRIVACY_OFFICER[0], axe)
    for path, key, name in (("/dashboard/", "dashboard", "dashboard"),
                            ("/beheer/systeem/", "operations", "operations"),
                            ("/verwerkingsregister/beheer", "register_edit", "register-edit")):
        page.goto(live.url + path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading[key])
        assert page.locator("html").get_attribute("lang") == lang
        axe.check(page, f"privacy officer: {name}")
        shoot(page, lang, name)
    # The dashboard's charts each have a table alternative a screen reader can reach.
    page.goto(live.url + "/dashboard/")
    assert page.locator("svg[role='img']").count() >= 1
    assert page.locator("table").count() >= page.locator("svg[role='img']").count()

    # The public register, as a parent on a phone reads it (no sign-in).
    parent = new_page(PHONE)
    parent.goto(live.url + "/verwerkingsregister/")
    switch_language(parent, lang)
    expect(parent.get_by_role("heading", level=1)).to_contain_text(heading["register_public"])
    axe.check(parent, "public: processing register")
    shoot(parent, lang, "register")
    axe.assert_clean()
