"""Single logout with the provider: signing out of dsr goes on to the provider's end-session page
(RP-initiated logout), and signing out at the provider ends the user's dsr sessions (back-channel logout)."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey

from dsr.extensions import db
from dsr.models import AuditEvent
from tests.sso.conftest import csrf_token, query_of
from tests.sso.provider import CLIENT_ID

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def _confirm_at_provider(site, browser, page):
    """Press "Yes, sign me out" on the provider's end-session page."""
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
    return browser.post(f"{site.provider.issuer}/session/end/confirm", data={"xsrf": xsrf, "logout": "yes"})


def _audit_actions(site) -> list[str]:
    with site.with_db():
        actions = list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
        db.session.remove()
    return actions


def test_sign_out_goes_on_to_the_providers_end_session_and_back(sso_site):
    browser = sso_site.browser()
    assert sso_site.sign_in(browser, "anna").status_code == 302
    queue = browser.get(f"{sso_site.url}/zaken/")
    out = browser.post(f"{sso_site.url}/medewerkers/uitloggen", data={"csrf_token": csrf_token(queue)})
    assert out.status_code == 302
    location = out.headers["location"]
    assert location.startswith(f"{sso_site.provider.issuer}/session/end?")
    query = query_of(location)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == [f"{sso_site.url}/medewerkers/inloggen"]
    assert "id_token_hint" not in query  # dsr keeps no ID token in its cookie
    assert not sso_site.signed_in(browser)  # dsr's own sign-out happened first
    confirm = browser.get(location)
    assert confirm.status_code == 200
    back = _confirm_at_provider(sso_site, browser, confirm)
    assert back.status_code == 303 and back.headers["location"].startswith(f"{sso_site.url}/medewerkers/inloggen")
    login = browser.follow(back)
    assert "U bent uitgelogd." in login.text
    # The provider's session ended too: the next sign-in asks for the account again.
    again = browser.follow(browser.get(f"{sso_site.url}/medewerkers/sso"))
    assert "/interaction/" in str(again.url)


def test_password_sign_out_stays_at_dsr(sso_site):
    """The break-glass admin signed in with a password: sign-out does not send them to the provider."""
    browser = sso_site.break_glass_signs_in()
    page = browser.get(f"{sso_site.url}/beheer/gebruikers")
    out = browser.post(f"{sso_site.url}/medewerkers/uitloggen", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 302 and out.headers["location"] == "/medewerkers/inloggen"


def test_sign_out_at_the_provider_ends_the_dsr_sessions(sso_site):
    laptop, phone = sso_site.browser(), sso_site.browser()
    assert sso_site.sign_in(laptop, "anna").status_code == 302
    assert sso_site.sign_in(phone, "anna").status_code == 302
    assert sso_site.signed_in(laptop) and sso_site.signed_in(phone)
    # On the laptop the user signs out at the provider (not through dsr).
    confirm = laptop.get(f"{sso_site.provider.issuer}/session/end")
    assert confirm.status_code == 200
    assert _confirm_at_provider(sso_site, laptop, confirm).is_redirect
    assert sso_site.provider.backchannel_calls() == {"success": 1, "error": 0}
    assert not sso_site.signed_in(phone)
    assert not sso_site.signed_in(laptop)
    assert "sso.backchannel_logout" in _audit_actions(sso_site)


def _post_logout_token(site, browser, token: str | None):
    data = {} if token is None else {"logout_token": token}
    return browser.post(f"{site.url}/medewerkers/sso/backchannel-logout", data=data)


def test_backchannel_logout_refuses_tokens_that_fail_the_checks(sso_site):
    browser = sso_site.browser()
    assert sso_site.sign_in(browser, "anna").status_code == 302
    server = sso_site.browser()  # the provider's server-to-server call: no cookies, no CSRF token
    foreign = RSAKey.generate_key(2048, parameters={"kid": "dsr-test-key", "alg": "RS256", "use": "sig"})
    claims = {"iss": sso_site.provider.issuer, "aud": CLIENT_ID, "iat": int(time.time()), "jti": "x1",
              "sub": "anna", "events": {BACKCHANNEL_EVENT: {}}}
    forged = jwt.encode({"alg": "RS256", "kid": "dsr-test-key"}, claims, foreign)
    for token in (None, "", "not-a-jwt", forged):
        answer = _post_logout_token(sso_site, server, token)
        assert answer.status_code == 400, token
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json() == {"error": "invalid_request"}
    assert sso_site.signed_in(browser)  # nobody was signed out
    assert "sso.backchannel_logout" not in _audit_actions(sso_site)


def _logout_claims(site, **changes):
    claims = {"iss": site.provider.issuer, "aud": CLIENT_ID, "iat": int(time.time()), "jti": "j1", "sub": "anna",
              "events": {BACKCHANNEL_EVENT: {}}}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_backchannel_logout_checks_the_claims_of_a_rightly_signed_token(sso_site):
    browser = sso_site.browser()
    assert sso_site.sign_in(browser, "anna").status_code == 302
    server = sso_site.browser()
    refused = {
        "another issuer": {"iss": "https://idp.elders.test"},
        "another audience": {"aud": "another-client"},
        "no iat": {"iat": None},
        "expired": {"exp": int(time.time()) - 3600},
        "no event": {"events": None},
        "another event": {"events": {"http://schemas.openid.net/event/other": {}}},
        "a nonce (an ID token)": {"nonce": "n"},
        "no sub": {"sub": None},
        "no jti": {"jti": None},
        "issued too long ago": {"iat": int(time.time()) - 3600},
    }
    for name, changes in refused.items():
        answer = _post_logout_token(sso_site, server, sso_site.provider.sign(_logout_claims(sso_site, **changes)))
        assert answer.status_code == 400, name
    assert sso_site.signed_in(browser)
    # The same token with every check met ends the session.
    answer = _post_logout_token(sso_site, server, sso_site.provider.sign(_logout_claims(sso_site)))
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert not sso_site.signed_in(browser)
    # A subject dsr does not know: 200 as well (nothing to end), nothing audited for it.
    stranger = sso_site.provider.sign(_logout_claims(sso_site, sub="zoe", jti="j2"))
    unknown = _post_logout_token(sso_site, server, stranger)
    assert unknown.status_code == 200
    assert _audit_actions(sso_site).count("sso.backchannel_logout") == 1


def test_a_logout_token_is_taken_once(sso_site):
    """ASVS 10.5.5: a captured logout token, posted again, ends nothing (its jti is remembered)."""
    server = sso_site.browser()
    token = sso_site.provider.sign(_logout_claims(sso_site, jti="once"))
    first = sso_site.browser()
    assert sso_site.sign_in(first, "anna").status_code == 302
    assert _post_logout_token(sso_site, server, token).status_code == 200
    assert not sso_site.signed_in(first)
    again = sso_site.browser()
    assert sso_site.sign_in(again, "anna").status_code == 302
    assert _post_logout_token(sso_site, server, token).status_code == 400
    assert sso_site.signed_in(again)
    # Another token (another jti) still works.
    other = sso_site.provider.sign(_logout_claims(sso_site, jti="twice"))
    assert _post_logout_token(sso_site, server, other).status_code == 200
    assert not sso_site.signed_in(again)
