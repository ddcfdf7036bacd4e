"""Sign-in gives nothing away (issue 13 point 6): an unknown address, a wrong password and a locked
account get the same page, after the same password-hash work; the second step answers a locked account
as it answers a wrong code; locks grow 1, 2, 4, 8 minutes up to the cap and expire; one client address
spraying many accounts is stopped without locking those accounts."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from dsr.extensions import db
from dsr.models import AuditEvent, User
from dsr.models._types import utcnow
from dsr.security import limiter
from tests.helpers import PASSWORD, totp_code

LOGIN, SECOND = "/medewerkers/inloggen", "/medewerkers/tweede-stap"
WRONG = "not the password at all"
#: What differs between two renderings of the same page by design: the CSRF tokens (the form's and the
#: language switch's), and what the visitor typed (the address, the code).
CSRF = re.compile(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*"')
CODE = re.compile(r'(<input[^>]*name="code"[^>]*value=")[^"]*"')


def post(client, email: str, password: str, address: str = "192.0.2.1"):
    """Fill in the sign-in form as a browser does (CSRF token from the page) from client ``address``."""
    environ = {"REMOTE_ADDR": address}
    page = client.get(LOGIN, environ_base=environ).get_data(as_text=True)
    data = {"email": email, "password": password}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    if token:
        data["csrf_token"] = token.group(1)
    return client.post(LOGIN, data=data, environ_base=environ)


def normalised(response, email: str = "") -> str:
    text = CODE.sub(r'\1CODE"', CSRF.sub(r'\1TOKEN"', response.get_data(as_text=True)))
    return text.replace(html.escape(email), "EMAIL") if email else text


def user(app, user_id: int) -> User:
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


def expire_lock(app, user_id: int) -> None:
    """As if the lock's time had passed."""
    with app.app_context():
        db.session.get(User, user_id).locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()


def lock_seconds(app, user_id: int) -> float:
    locked_until = user(app, user_id).locked_until
    assert locked_until is not None
    return (locked_until - utcnow()).total_seconds()


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the real argon2 verifications (the real hasher runs; it is only counted)."""
    calls: list[int] = []
    real = PasswordHasher.verify

    def counted(self, hash_, password):
        calls.append(1)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def lock(app, email: str, address: str = "198.51.100.9") -> None:
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post(client, email, WRONG, address)


def test_unknown_wrong_and_locked_get_the_same_answer_after_the_same_work(app, csrf_app, people, hash_checks):
    locked, known = people.email["staff_b"], people.email["staff_a"]
    lock(csrf_app, locked)
    assert user(app, people.staff_b).locked_until is not None
    answers = {}
    for case, email, password in (("unknown", "niemand@asg.test", PASSWORD), ("wrong", known, WRONG),
                                  ("locked", locked, PASSWORD)):  # the right password, while locked
        hash_checks.clear()
        response = post(csrf_app.test_client(), email, password)
        answers[case] = (response.status_code, normalised(response, email))
        assert len(hash_checks) == 1, f"{case}: the password hash is verified once, whatever the case"
    assert answers["unknown"][0] == 200 and "TOKEN" in answers["unknown"][1]
    assert answers["unknown"] == answers["wrong"] == answers["locked"]


def test_the_second_step_answers_a_locked_account_as_a_wrong_code(app, people):
    email = people.email["staff_a"]
    client = app.test_client()
    assert post(client, email, PASSWORD).headers["Location"].endswith(SECOND)
    wrong = None
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = client.post(SECOND, data={"code": "000000"})
    assert user(app, people.staff_a).locked_until is not None
    right_but_locked = client.post(SECOND, data={"code": totp_code(email)})
    assert right_but_locked.status_code == wrong.status_code == 200
    assert normalised(right_but_locked) == normalised(wrong)
    assert client.get("/zaken/").status_code == 302, "not signed in"


def test_locks_grow_and_expire_and_success_resets_them(app, people):
    email, user_id = people.email["staff_b"], people.staff_b
    lock(app, email)
    assert 50 < lock_seconds(app, user_id) <= 60, "the first lock is a minute"
    before = user(app, user_id).locked_until
    answer = post(app.test_client(), email, WRONG, "198.51.100.10")
    assert answer.status_code == 200 and user(app, user_id).locked_until == before, \
        "a try while locked does not make the lock longer"
    assert post(app.test_client(), email, PASSWORD, "198.51.100.10").status_code == 200, \
        "the right password while locked gets the same answer as any failure"
    cap = app.config["LOGIN_LOCKOUT_SECONDS"]
    for address, expected in (("198.51.100.11", 120), ("198.51.100.12", 240), ("198.51.100.13", 480),
                              ("198.51.100.14", cap), ("198.51.100.15", cap)):
        expire_lock(app, user_id)
        post(app.test_client(), email, WRONG, address)
        assert expected - 10 < lock_seconds(app, user_id) <= expected, expected
    expire_lock(app, user_id)
    client = app.test_client()
    assert post(client, email, PASSWORD, "198.51.100.16").headers["Location"].endswith(SECOND)
    assert user(app, user_id).failed_logins > 0, "a password alone is not a sign-in"
    assert client.post(SECOND, data={"code": totp_code(email)}).status_code == 302
    found = user(app, user_id)
    assert found.failed_logins == 0 and found.locked_until is None, "a full sign-in starts over"
    with app.app_context():
        locks = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "auth.locked")).scalars().all()
        assert [event.actor_id for event in locks] == [user_id] * 6
        assert all(email not in event.details and email not in event.reason for event in locks)


def test_one_address_spraying_many_accounts_is_stopped(app, people):
    sprayer, colleague = "203.0.113.7", "203.0.113.8"
    limit = 4 * app.config["LOGIN_MAX_FAILURES"]
    client = app.test_client()
    for attempt in range(limit):
        if attempt % 9 == 0:
            limiter.reset()  # minutes pass: the per-minute limit is not what is tested here
        target = people.email["staff_b"] if attempt % 10 == 0 else f"gok{attempt}@asg.test"
        assert post(client, target, WRONG, sprayer).status_code == 200
    limiter.reset()
    refused = post(client, people.email["staff_a"], PASSWORD, sprayer)
    assert refused.status_code == 200, "from the spraying address even a right password gets the general answer"
    failures_before = user(app, people.staff_b).failed_logins
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post(client, people.email["staff_b"], WRONG, sprayer)
    assert user(app, people.staff_b).failed_logins == failures_before, \
        "a stopped address no longer counts against (and so cannot lock) real accounts"
    assert user(app, people.staff_b).locked_until is None
    limiter.reset()
    assert post(app.test_client(), people.email["staff_a"], PASSWORD, colleague).headers["Location"].endswith(SECOND), \
        "another address signs in as usual"
