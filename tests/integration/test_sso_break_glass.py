"""Issue 18 point 2: local sign-in next to the identity provider. With ``OIDC_ISSUER`` set only the break-glass
admin (``SSO_BREAK_GLASS_EMAIL``) signs in with password and TOTP or chooses a new password; every other account
gets the same answer as a wrong password. An account from the provider never signs in with a password. Without
a provider everything stays as before. The admin's pages say which accounts come from the school account."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import User
from dsr.services import signin
from dsr.services.people import _hasher
from tests.helpers import PASSWORD, login, signed_in, text_of
from tests.integration.helpers import mails_to
from tests.integration.test_signin_answers import normalised, post

ISS = "https://idp.school.test"
WRONG = "not the password at all"
NEW_PASSWORD = "een lang genoeg wachtwoord"


@pytest.fixture
def provider(app, people, monkeypatch):
    """An installation with a provider; the admin of the ``people`` fixture is the break-glass account."""
    monkeypatch.setitem(app.config, "OIDC_ISSUER", ISS)
    monkeypatch.setitem(app.config, "SSO_BREAK_GLASS_EMAIL", people.email["admin"].upper())
    return people


def _from_provider(app, user_id: int, *, password: str | None = None) -> None:
    """Make the account one the provider linked (optionally with a known password, to prove it is not used)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        user.sso_subject = f"{ISS} sub-{user_id}"
        if password is not None:
            user.password_hash = _hasher()[0].hash(password)
        db.session.commit()


def _password_hash(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).password_hash


@pytest.mark.parametrize("who", ["staff_a", "director_b", "privacy", "admin"])
def test_without_a_provider_every_local_account_signs_in_as_before(app, people, who):
    assert app.config["OIDC_ISSUER"] is None
    assert login(app.test_client(), people.email[who]).status_code == 302


def test_with_a_provider_the_break_glass_admin_signs_in_with_password_and_code(app, provider):
    client = app.test_client()
    response = login(client, provider.email["admin"])
    assert response.headers["Location"].endswith("/beheer/gebruikers")
    assert client.get("/beheer/gebruikers").status_code == 200


@pytest.mark.parametrize("who", ["staff_a", "director_a", "privacy"])
def test_with_a_provider_other_accounts_get_the_wrong_password_answer(app, provider, who):
    email = provider.email[who]
    refused = post(app.test_client(), email, PASSWORD, address="192.0.2.10")
    wrong = post(app.test_client(), email, WRONG, address="192.0.2.11")
    assert refused.status_code == wrong.status_code == 200
    assert "Inloggen is niet gelukt" in text_of(refused)
    assert normalised(refused, email) == normalised(wrong, email), "the page does not tell local accounts apart"
    with app.test_client() as client:  # and no second step was opened
        post(client, email, PASSWORD)
        assert client.get("/medewerkers/tweede-stap").status_code == 302


def test_the_break_glass_address_must_name_an_admin(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_BREAK_GLASS_EMAIL", provider.email["privacy"])
    for who in ("privacy", "admin"):
        assert "Inloggen is niet gelukt" in text_of(post(app.test_client(), provider.email[who], PASSWORD))


def test_with_a_provider_and_no_break_glass_nobody_signs_in_with_a_password(app, provider, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_BREAK_GLASS_EMAIL", None)
    assert "Inloggen is niet gelukt" in text_of(post(app.test_client(), provider.email["admin"], PASSWORD))


@pytest.mark.parametrize("with_provider", [False, True])
def test_an_account_from_the_provider_never_signs_in_with_a_password(app, people, monkeypatch, with_provider):
    if with_provider:
        monkeypatch.setitem(app.config, "OIDC_ISSUER", ISS)
        monkeypatch.setitem(app.config, "SSO_BREAK_GLASS_EMAIL", people.email["admin"])
    _from_provider(app, people.admin, password=PASSWORD)  # even the break-glass address: it is no longer local
    assert "Inloggen is niet gelukt" in text_of(post(app.test_client(), people.email["admin"], PASSWORD))


def test_a_password_reset_with_a_provider_is_only_for_the_break_glass_admin(app, provider, smtp_server, run_jobs):
    for who in ("staff_a", "admin"):
        client = app.test_client()
        response = client.post("/medewerkers/wachtwoord-vergeten", data={"email": provider.email[who]})
        assert response.status_code == 302  # the same answer either way
    run_jobs()
    assert mails_to(smtp_server, provider.email["staff_a"]) == []
    assert len(mails_to(smtp_server, provider.email["admin"])) == 1


def test_a_reset_link_from_before_the_provider_no_longer_works(app, people, monkeypatch):
    with app.app_context():
        token = signin.password_token(db.session.get(User, people.staff_a))
        admin_token = signin.password_token(db.session.get(User, people.admin))
    monkeypatch.setitem(app.config, "OIDC_ISSUER", ISS)
    monkeypatch.setitem(app.config, "SSO_BREAK_GLASS_EMAIL", people.email["admin"])
    before = _password_hash(app, people.staff_a)
    client = app.test_client()
    response = client.post(f"/medewerkers/wachtwoord/{token}", data={"password": NEW_PASSWORD,
                                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and _password_hash(app, people.staff_a) == before
    ok = client.post(f"/medewerkers/wachtwoord/{admin_token}", data={"password": NEW_PASSWORD,
                                                                      "confirm": NEW_PASSWORD})
    assert ok.status_code == 302 and _password_hash(app, people.admin) != before


def test_a_reset_link_of_a_provider_account_never_sets_a_password(app, people):
    with app.app_context():
        token = signin.password_token(db.session.get(User, people.staff_a))
    _from_provider(app, people.staff_a)  # linked after the link was mailed: the hash changed, and the rule holds
    before = _password_hash(app, people.staff_a)
    response = app.test_client().post(f"/medewerkers/wachtwoord/{token}",
                                      data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and _password_hash(app, people.staff_a) == before


# --- the admin's pages ---------------------------------------------------------------------------------------

def _row_of(page: str, email: str) -> str:
    match = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(email)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert match, email
    return match.group(0)


def test_the_user_list_shows_which_accounts_come_from_the_school_account(app, people):
    _from_provider(app, people.staff_a)
    page = text_of(signed_in(app, people, "admin").get("/beheer/gebruikers"))
    assert "<td>schoolaccount</td>" in _row_of(page, people.email["staff_a"])
    assert "<td>wachtwoord</td>" in _row_of(page, people.email["staff_b"])


def test_the_admin_cannot_send_a_password_link_to_a_provider_account(app, people, smtp_server, run_jobs):
    _from_provider(app, people.staff_a)
    admin = signed_in(app, people, "admin")
    page = text_of(admin.get(f"/beheer/gebruikers/{people.staff_a}"))
    assert "met het schoolaccount" in page and "/wachtwoordlink" not in page
    with app.app_context():
        version = db.session.get(User, people.staff_a).version
    response = admin.post(f"/beheer/gebruikers/{people.staff_a}/wachtwoordlink", data={"version": str(version)})
    assert response.status_code == 422
    assert "Dit account logt in met het schoolaccount en heeft geen wachtwoord in dsr." in text_of(response)
    run_jobs()
    assert mails_to(smtp_server, people.email["staff_a"]) == []
    # A local account still gets its link (no provider configured).
    assert "/wachtwoordlink" in text_of(admin.get(f"/beheer/gebruikers/{people.staff_b}"))


def test_with_a_provider_the_new_user_page_says_so_and_sends_no_password_mail(app, provider, smtp_server, run_jobs):
    admin = signed_in(app, provider, "admin")
    page = text_of(admin.get("/beheer/gebruikers/nieuw"))
    assert "Er is een inlogdienst ingesteld" in page and "/beheer/schoolaccount-groepen/" in page
    response = admin.post("/beheer/gebruikers/nieuw", data={
        "email": "nieuw@asg.test", "name": "Nina Nieuw", "role": "staff", "schools": ["AAA"], "language": "nl"},
        follow_redirects=True)
    assert "logt in met het schoolaccount" in text_of(response)
    run_jobs()
    assert mails_to(smtp_server, "nieuw@asg.test") == []
    with app.app_context():
        assert db.session.execute(sa.select(User.sso_subject).where(User.email == "nieuw@asg.test")).scalar() is None
    listing = text_of(admin.get("/beheer/gebruikers"))
    assert "Alleen het noodaccount van de beheerder" in listing
