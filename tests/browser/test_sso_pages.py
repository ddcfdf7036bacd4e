"""The school-account sign-in's own pages in a real browser, in Dutch and in English, with axe-core: the
sign-in page with the school-account button above the break-glass form, and the calm page when the sign-in
cannot be finished. dsr is configured for a provider that is not there (no node needed here; the flow
itself is tested against a real provider in tests/sso)."""
from __future__ import annotations

import socket
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from dsr.extensions import db
from tests.browser.helpers import DESKTOP, PHONE, assert_fits_phone, browser_tests_skipped_reason, switch_language
from tests.helpers import make_test_app

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

WORDS = {
    "nl": {"button": "Inloggen met uw schoolaccount", "break_glass": "Alleen voor de noodbeheerder",
           "trouble_h1": "Inloggen met uw schoolaccount lukt nu niet", "regular": "de gewone inlogpagina",
           "again": "Opnieuw inloggen met uw schoolaccount"},
    "en": {"button": "Sign in with your school account", "break_glass": "For the emergency administrator only",
           "trouble_h1": "Signing in with your school account does not work right now",
           "regular": "the regular sign-in page", "again": "Sign in with your school account again"},
}


@pytest.fixture
def sso_live(tmp_path, redis_server, smtp_server):
    """dsr with CSRF on, a file SQLite database, and OIDC_ISSUER set to an address where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody = probe.getsockname()[1]  # closed again when the block ends: connections are refused
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = make_test_app("sqlite:///" + str(tmp_path / "sso.sqlite"), redis_server, smtp_server,
                        WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL=base_url, OIDC_ISSUER=f"http://127.0.0.1:{nobody}",
                        OIDC_CLIENT_ID="dsr", OIDC_CLIENT_SECRET="secret", SSO_BREAK_GLASS_EMAIL="nood@asg.test")
    with app.app_context():
        db.create_all()
        db.session.remove()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="dsr-sso-pages", daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_sign_in_page_and_calm_page(sso_live, new_page, axe, lang, viewport):
    words = WORDS[lang]
    page = new_page(viewport)
    page.goto(sso_live + "/medewerkers/inloggen")
    switch_language(page, lang)
    button = page.get_by_role("link", name=words["button"], exact=True)
    expect(button).to_be_visible()
    expect(page.get_by_role("heading", name=words["break_glass"])).to_be_visible()
    axe.check(page, f"{lang}: sign-in page with a provider")
    if viewport is PHONE:
        assert_fits_phone(page, "sign-in page")
    # A return to dsr that it did not start (a leaked or replayed link): the calm page, status 400.
    page.goto(sso_live + "/medewerkers/sso/terug?code=x&state=y")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["trouble_h1"])
    expect(page.get_by_role("link", name=words["again"])).to_be_visible()
    axe.check(page, f"{lang}: sign-in could not be finished")
    if viewport is PHONE:
        assert_fits_phone(page, "sign-in could not be finished")
    page.get_by_role("link", name=words["regular"]).click()
    expect(page).to_have_url(sso_live + "/medewerkers/inloggen")
    axe.assert_clean()
