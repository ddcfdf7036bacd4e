"""What the sign-in through the provider refuses, each time with a calm page and no session: an ID token
signed with a key not in the provider's JWKS, an expired one, a nonce that is not the one dsr sent, a callback
used twice (its state is spent) or brought to another browser, and the provider being down (at the start or
halfway); the break-glass admin still signs in locally then."""
from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import pytest

from dsr.services import sso_client
from tests.sso.conftest import query_of


def _calm_refusal(response, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert "Inloggen met uw schoolaccount lukt nu niet" in response.text
    assert "Traceback" not in response.text
    assert 'href="/medewerkers/inloggen"' in response.text  # the break-glass admin's way in


def _refused_logged(caplog, secret_values: list[str]) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == "dsr.views.sso"]
    assert lines, "no log line for the refusal"
    for line in lines:
        for value in secret_values:
            assert value not in line  # no code, state or token in the log


def test_id_token_signed_with_a_key_not_in_the_jwks_is_refused(sso_site, caplog):
    caplog.set_level(logging.INFO)
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    sso_site.provider.next_token(wrong_key=True)
    answer = browser.get(back.headers["location"])
    _calm_refusal(answer)
    assert "konden niet worden gecontroleerd" in answer.text
    assert "sso sign-in refused: id token: bad_signature" in caplog.text
    assert not sso_site.signed_in(browser)
    _refused_logged(caplog, query_of(back.headers["location"])["code"] + query_of(back.headers["location"])["state"])
    # The next, rightly signed token is accepted: the refusal was about the signature.
    assert sso_site.sign_in(sso_site.browser(), "anna").headers["location"] == "/zaken/"


def test_unsigned_id_token_is_refused_even_when_the_discovery_document_lists_none(sso_site, caplog):
    """ASVS 6.8.2: an ID token with alg "none" never signs anyone in, whatever algorithms the provider's
    discovery document lists (its list is what the token check allows)."""
    caplog.set_level(logging.INFO)
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    with sso_site.with_db():  # the provider's document as dsr keeps it, now also listing "none" and HS256
        client = sso_site.app.extensions[sso_client.EXTENSION].create_client(sso_client.CLIENT_NAME)
        client.server_metadata["id_token_signing_alg_values_supported"] = ["none", "HS256", "RS256"]
    sso_site.provider.next_token(unsigned=True)
    answer = browser.get(back.headers["location"])
    _calm_refusal(answer)
    assert "sso sign-in refused: id token" in caplog.text
    assert not sso_site.signed_in(browser)


def test_expired_id_token_is_refused(sso_site, caplog):
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    sso_site.provider.next_token(clock_shift_seconds=-2 * 3600)  # made two hours ago: expired an hour ago
    _calm_refusal(browser.get(back.headers["location"]))
    assert "sso sign-in refused: id token: expired_token" in caplog.text
    assert not sso_site.signed_in(browser)


@pytest.mark.parametrize(("claims", "reason"), [
    ({"iss": "https://idp.elders.test"}, ("invalid_claim (iss)",)),
    # Authlib looks at azp first: with dsr not in aud, azp must name dsr (and is missing here).
    ({"aud": "another-client"}, ("invalid_claim (aud)", "missing_claim (azp)")),
    ({"aud": ["another-client", "dsr-test"], "azp": "another-client"}, ("invalid_claim (azp)",)),
    ({"nonce": "not-the-nonce"}, ("invalid_claim (nonce)",)),
])
def test_id_token_for_another_issuer_audience_or_nonce_is_refused(sso_site, caplog, claims, reason):
    """Rightly signed by the provider, but not for dsr or not this sign-in."""
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    sso_site.provider.next_token(claims=claims)
    _calm_refusal(browser.get(back.headers["location"]))
    assert any(f"sso sign-in refused: id token: {r}" in caplog.text for r in reason), caplog.text
    assert not sso_site.signed_in(browser)


def test_nonce_other_than_the_one_dsr_sent_is_refused(sso_site, caplog):
    """An attacker's authorization request with dsr's state but their own nonce: the ID token's nonce is
    not the one dsr keeps in the session for that state."""
    browser = sso_site.browser()
    start = browser.get(f"{sso_site.url}/medewerkers/sso")
    query = {key: values[0] for key, values in query_of(start.headers["location"]).items()}
    query["nonce"] = "a-nonce-dsr-never-sent"
    forged = f"{sso_site.provider.issuer}{urlsplit(start.headers['location']).path}?{urlencode(query)}"
    page = browser.follow(browser.get(forged))
    back = sso_site.login_at_provider(browser, page, "anna")
    _calm_refusal(browser.get(back.headers["location"]))
    assert "sso sign-in refused: id token: invalid_claim (nonce)" in caplog.text
    assert not sso_site.signed_in(browser)


def test_replayed_callback_is_refused(sso_site, caplog):
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    callback = back.headers["location"]
    assert browser.get(callback).status_code == 302
    assert sso_site.signed_in(browser)
    # The same return to dsr again: its state was spent (and the session started afresh).
    _calm_refusal(browser.get(callback))
    assert "sso sign-in refused: state unknown or used" in caplog.text
    # Brought to another browser (a leaked link): that browser never started this sign-in.
    other = sso_site.browser()
    _calm_refusal(other.get(callback))
    assert not sso_site.signed_in(other)


def test_callback_without_a_started_sign_in_or_with_the_providers_error_is_refused(sso_site):
    browser = sso_site.browser()
    _calm_refusal(browser.get(f"{sso_site.url}/medewerkers/sso/terug"))
    start = browser.get(f"{sso_site.url}/medewerkers/sso")
    state = query_of(start.headers["location"])["state"][0]
    _calm_refusal(browser.get(f"{sso_site.url}/medewerkers/sso/terug?error=access_denied&state={state}"))
    assert not sso_site.signed_in(browser)


def test_provider_down_gives_a_calm_page_and_break_glass_still_signs_in(sso_site):
    sso_site.provider.stop()
    browser = sso_site.browser()
    answer = browser.get(f"{sso_site.url}/medewerkers/sso")
    _calm_refusal(answer, 503)
    assert "niet bereikbaar" in answer.text
    sso_site.break_glass_signs_in()


def test_provider_down_halfway_gives_a_calm_page(sso_site):
    browser = sso_site.browser()
    back = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    sso_site.provider.stop()  # between the provider's redirect and dsr's call to its token endpoint
    answer = browser.get(back.headers["location"])
    _calm_refusal(answer, 503)
    assert not sso_site.signed_in(browser)


def test_only_the_latest_started_sign_in_counts_and_the_cookie_stays_small(sso_site):
    """Pressing the button again and again: each start forgets the one before (its return is refused), so
    the session cookie never grows past what a browser keeps."""
    browser = sso_site.browser()
    first = sso_site.login_at_provider(browser, sso_site.start_at_provider(browser), "anna")
    for _ in range(10):
        browser.get(f"{sso_site.url}/medewerkers/sso")
    cookie = [c.value for c in browser.http.cookies.jar if c.name == "session"]
    assert len(cookie) == 1 and 100 < len(cookie[0]) < 1500, cookie  # one pending sign-in, not eleven
    _calm_refusal(browser.get(first.headers["location"]))
    # Still signed in at the provider: the next start comes straight back, and that one counts.
    landed = browser.follow(browser.get(f"{sso_site.url}/medewerkers/sso"))
    assert landed.status_code == 200 and str(landed.url) == f"{sso_site.url}/zaken/"
    assert sso_site.signed_in(browser)


def test_a_return_dsr_did_not_start_is_refused_without_asking_the_provider(sso_site):
    """Junk or replayed returns cost the provider nothing: with the provider down they are still a 400
    (an answer that failed a check), not a 503 (which would mean dsr tried to reach it)."""
    sso_site.provider.stop()
    browser = sso_site.browser()
    _calm_refusal(browser.get(f"{sso_site.url}/medewerkers/sso/terug?code=stolen&state=made-up"))
