"""Staff sign in through a real OpenID provider (oidc-provider under node): accounts from the groups, the
provider's MFA instead of dsr's TOTP step, no access without a mapped group, a removed group."""
from __future__ import annotations

import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import User
from tests.sso.conftest import GROUP_UNMAPPED, csrf_token, query_of


def _user(site, email: str) -> User | None:
    with site.with_db():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar()
        if user is not None:
            _ = [s.id for s in user.schools]  # loaded before the session closes
        db.session.remove()
        return user


def _enrol_secret(page) -> str:
    """The key the enrolment page shows for typing into the authenticator app."""
    return re.search(r'<code class="reference">([A-Z2-7]+)</code>', page.text).group(1)


def test_start_sends_pkce_state_and_nonce(sso_site):
    browser = sso_site.browser()
    start = browser.get(f"{sso_site.url}/medewerkers/sso")
    assert start.status_code == 302
    query = query_of(start.headers["location"])
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["dsr-test"]
    assert query["redirect_uri"] == [f"{sso_site.url}/medewerkers/sso/terug"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()


def test_mapped_user_with_provider_mfa_is_signed_in_at_once(sso_site):
    browser = sso_site.browser()
    callback = sso_site.sign_in(browser, "anna")
    assert callback.status_code == 302, callback.text
    assert callback.headers["location"] == "/zaken/"  # straight to work: no TOTP step
    assert sso_site.signed_in(browser)
    user = _user(sso_site, "anna@asg.test")
    assert user is not None and user.role == "staff" and user.active
    assert [s.id for s in user.schools] == [sso_site.school_a]
    assert user.sso_subject == f"{sso_site.provider.issuer} anna"
    # The login page offers the school account first, the password form for the break-glass admin only.
    login = sso_site.browser().get(f"{sso_site.url}/medewerkers/inloggen")
    assert "Inloggen met uw schoolaccount" in login.text and "Alleen voor de noodbeheerder" in login.text


def test_without_provider_mfa_dsr_asks_its_totp_and_enrols_first(sso_site):
    browser = sso_site.browser()
    callback = sso_site.sign_in(browser, "bram")  # amr: pwd only
    assert callback.status_code == 302
    assert callback.headers["location"] == "/medewerkers/instellen"  # first time: enrol TOTP
    assert not sso_site.signed_in(browser)
    enrol = browser.get(f"{sso_site.url}/medewerkers/instellen")
    assert enrol.status_code == 200
    secret = _enrol_secret(enrol)
    done = sso_site.second_step(browser, enrol, secret)
    assert done.status_code == 302 and done.headers["location"] == "/medewerkers/herstelcodes"
    assert sso_site.signed_in(browser)
    user = _user(sso_site, "bram@asg.test")
    assert user.role == "director" and [s.id for s in user.schools] == [sso_site.school_b]

    # The next sign-in without MFA at the provider asks dsr's code (the second step, not enrolment).
    other = sso_site.browser()
    callback = sso_site.sign_in(other, "bram")
    assert callback.headers["location"] == "/medewerkers/tweede-stap"
    assert not sso_site.signed_in(other)


def test_unmapped_user_gets_the_no_access_page_and_no_account(sso_site):
    browser = sso_site.browser()
    callback = sso_site.sign_in(browser, "cor")
    assert callback.status_code == 403
    assert "Geen toegang" in callback.text and "Er is geen account voor u aangemaakt." in callback.text
    assert GROUP_UNMAPPED not in callback.text  # the user never learns the table
    assert _user(sso_site, "cor@asg.test") is None
    assert not sso_site.signed_in(browser)


def test_removed_group_refuses_the_next_sign_in_and_ends_earlier_sessions(sso_site):
    first = sso_site.browser()
    assert sso_site.sign_in(first, "anna").status_code == 302
    assert sso_site.signed_in(first)
    sso_site.provider.set_account("anna", email="anna@asg.test", name="Anna de Vries", groups=[GROUP_UNMAPPED],
                                  amr=["pwd", "mfa"])
    second = sso_site.browser()
    refused = sso_site.sign_in(second, "anna")
    assert refused.status_code == 403 and "Geen toegang" in refused.text
    assert not sso_site.signed_in(second)
    assert not sso_site.signed_in(first)  # the session from before the group was removed has ended
    user = _user(sso_site, "anna@asg.test")
    assert user is not None and not user.active


def test_sign_out_after_the_totp_step_still_ends_the_provider_session(sso_site):
    """The school-account mark survives dsr's own second step, so sign-out goes on to the provider."""
    browser = sso_site.browser()
    sso_site.sign_in(browser, "bram")
    enrol = browser.get(f"{sso_site.url}/medewerkers/instellen")
    secret = _enrol_secret(enrol)
    sso_site.second_step(browser, enrol, secret)
    queue = browser.get(f"{sso_site.url}/zaken/")
    out = browser.post(f"{sso_site.url}/medewerkers/uitloggen", data={"csrf_token": csrf_token(queue)})
    assert out.status_code == 302
    assert out.headers["location"].startswith(f"{sso_site.provider.issuer}/session/end")


def test_groups_only_at_the_userinfo_endpoint_are_read_from_there(sso_site):
    browser = sso_site.browser()
    callback = sso_site.sign_in(browser, "dirk")
    assert callback.status_code == 302 and callback.headers["location"] == "/zaken/"
    user = _user(sso_site, "dirk@asg.test")
    assert user.role == "staff" and [s.id for s in user.schools] == [sso_site.school_a]


def test_the_page_asked_for_before_sign_in_opens_after_it(sso_site):
    browser = sso_site.browser()
    login = browser.follow(browser.get(f"{sso_site.url}/instellingen/"))  # not signed in: to the sign-in page
    assert "/medewerkers/inloggen" in str(login.url)
    assert 'href="/medewerkers/sso?next=/instellingen/"' in login.text
    start = browser.get(f"{sso_site.url}/medewerkers/sso?next=%2Finstellingen%2F")
    back = sso_site.login_at_provider(browser, browser.follow(start), "anna")
    assert browser.get(back.headers["location"]).headers["location"] == "/instellingen/"
    # Another site is never a target (the same check as the password sign-in).
    other = sso_site.browser()
    start = other.get(f"{sso_site.url}/medewerkers/sso?next=//evil.test/")
    back = sso_site.login_at_provider(other, other.follow(start), "anna")
    assert other.get(back.headers["location"]).headers["location"] == "/zaken/"
