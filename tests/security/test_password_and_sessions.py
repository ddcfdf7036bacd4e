"""ASVS 5.0 rows of the map in docs/security.md that no other test showed: the password rules (6.2.1, 6.2.5,
6.2.8, 6.2.9) and the end of sessions when an account is disabled (7.4.2) or its password reset (7.4.3)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import User
from dsr.services.people import UserError, create_user, validate_password
from tests.helpers import link_in, login

LOGIN, SECOND = "/medewerkers/inloggen", "/medewerkers/tweede-stap"


@pytest.mark.parametrize("password, allowed", [
    ("a" * 11, False), ("a" * 12, True), ("alleen kleine letters", True), ("é" * 64, True), ("x" * 128, True),
    ("x" * 129, False),
])
def test_passwords_of_12_to_128_characters_of_any_kind(password, allowed):
    if allowed:
        validate_password(password)
    else:
        with pytest.raises(UserError):
            validate_password(password)


def test_the_password_is_checked_exactly_as_typed(app, people):
    typed = "  Spaties Voor En Achter  "
    with app.app_context():
        create_user("exact@asg.test", "Exact", "staff", typed, ["AAA"])
        db.session.commit()
    for variant in (typed.strip(), typed.lower(), typed[:-1]):
        assert app.test_client().post(LOGIN, data={"email": "exact@asg.test", "password": variant}).status_code == 200
    # The right password (not enrolled in TOTP yet) goes on to the enrolment step.
    assert app.test_client().post(LOGIN, data={"email": "exact@asg.test", "password": typed}).status_code == 302


def test_disabling_an_account_ends_its_sessions(app, client, people):
    login(client, people.email["staff_a"])
    assert client.get("/zaken/").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == people.email["staff_a"]).values(active=False))
        db.session.commit()
    response = client.get("/zaken/")
    assert response.status_code == 302 and LOGIN in response.headers["Location"]


def test_a_password_reset_ends_every_session_of_the_account(app, client, people, smtp_server, run_jobs):
    email = people.email["staff_a"]
    login(client, email)
    assert client.get("/zaken/").status_code == 200
    other = app.test_client()
    other.post("/medewerkers/wachtwoord-vergeten", data={"email": email})
    run_jobs()
    [mail] = smtp_server.messages
    path = link_in(mail.get_body(preferencelist=("plain",)).get_content()).replace("http://dsr.test", "")
    new = "een heel ander wachtwoord"
    assert other.post(path, data={"password": new, "confirm": new}).status_code == 302
    response = client.get("/zaken/")
    assert response.status_code == 302 and LOGIN in response.headers["Location"]
