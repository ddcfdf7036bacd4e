"""The ``flask dsr ...`` commands through Flask's CLI test runner, on the real database and services."""
from __future__ import annotations

import datetime as dt
import types

import pytest
import sqlalchemy as sa

import dsr.dev.demo
from dsr.dev.demo import DEMO_PASSWORD, DEMO_USERS, SCHOOLS
from dsr.extensions import db
from dsr.jobs import redis_connection
from dsr.models import AuditEvent, Case, OutboxMessage, School, User
from tests.helpers import login, step, submit

NEW_PASSWORD = "a-long-enough-passphrase"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _dsr(runner, *args, input=None):
    return runner.invoke(args=["dsr", *args], input=input)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _user(app, email):
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar()
        if user is not None:
            db.session.expunge(user)
        return user


# --- create-user -----------------------------------------------------------------------------------


def test_create_user_hashes_with_argon2id_and_never_shows_the_password(app, runner, people):
    result = _dsr(runner, "create-user", "nieuw@asg.test", "--role", "staff", "--school", "AAA",
                  input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created staff" in result.output
    assert NEW_PASSWORD not in result.output
    user = _user(app, "nieuw@asg.test")
    assert user is not None and user.role == "staff" and user.active
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in user.password_hash
    with app.app_context():
        assert [s.code for s in db.session.get(User, user.id).schools] == ["AAA"]
    # The new account can sign in with the password it was given.
    login(app.test_client(), "nieuw@asg.test", NEW_PASSWORD)


def test_create_user_with_several_schools_and_a_name(app, runner, people):
    result = _dsr(runner, "create-user", "Directie@ASG.test", "--role", "director", "--school", "AAA",
                  "--school", "BBB", "--name", "Dirk Directeur", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = _user(app, "directie@asg.test")  # stored lower-case
    assert user is not None and user.name == "Dirk Directeur" and user.role == "director"
    with app.app_context():
        assert sorted(s.code for s in db.session.get(User, user.id).schools) == ["AAA", "BBB"]


def test_create_user_mismatched_confirmation_is_refused(app, runner, people):
    before = _count(app, User)
    result = _dsr(runner, "create-user", "nieuw@asg.test", "--role", "staff", "--school", "AAA",
                  input=f"{NEW_PASSWORD}\nsomething-else-entirely\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert NEW_PASSWORD not in result.output
    assert _count(app, User) == before
    assert _user(app, "nieuw@asg.test") is None


@pytest.mark.parametrize(("args", "password", "message"), [
    (["--role", "superuser", "--school", "AAA"], NEW_PASSWORD, "superuser"),
    (["--role", "staff", "--school", "ZZZ"], NEW_PASSWORD, "unknown school code(s): ZZZ"),
    (["--role", "staff", "--school", "AAA"], "short-pw", "at least 12 characters"),
    (["--role", "staff"], NEW_PASSWORD, "need at least one --school"),
    (["--role", "director"], NEW_PASSWORD, "need at least one --school"),
], ids=["unknown-role", "unknown-school", "short-password", "staff-without-school", "director-without-school"])
def test_create_user_refuses_bad_input_without_creating_anyone(app, runner, people, args, password, message):
    before = _count(app, User)
    result = _dsr(runner, "create-user", "nieuw@asg.test", *args, input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert password not in result.output
    assert _count(app, User) == before
    assert _user(app, "nieuw@asg.test") is None


def test_create_user_duplicate_email_is_refused(app, runner, people):
    existing = _user(app, people.email["staff_a"])
    before = _count(app, User)
    # Same address in another case: e-mail addresses are compared case-insensitively.
    result = _dsr(runner, "create-user", people.email["staff_a"].upper(), "--role", "director", "--school", "BBB",
                  input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert _count(app, User) == before
    after = _user(app, people.email["staff_a"])
    assert (after.role, after.password_hash) == (existing.role, existing.password_hash)


# --- create-school -----------------------------------------------------------------------------------


def test_create_school_and_refuse_duplicate(app, runner):
    result = _dsr(runner, "create-school", "CCC", "Het Carillon")
    assert result.exit_code == 0, result.output
    assert "Created school CCC" in result.output
    with app.app_context():
        school = db.session.execute(sa.select(School).where(School.code == "CCC")).scalar_one()
        assert school.name == "Het Carillon" and school.active
    again = _dsr(runner, "create-school", "CCC", "Iets anders")
    assert again.exit_code != 0 and "CCC" in again.output and "exists" in again.output
    assert _count(app, School) == 1
    # The new school can be used straight away.
    made = _dsr(runner, "create-user", "c@asg.test", "--role", "staff", "--school", "CCC",
                input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert made.exit_code == 0, made.output


# --- seed-demo ---------------------------------------------------------------------------------------


def _snapshot(app) -> dict:
    return {model.__name__: _count(app, model) for model in (School, User, Case, AuditEvent, OutboxMessage)}


def test_seed_demo_creates_schools_users_and_cases_once(app, runner):
    result = _dsr(runner, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "Demo data created." in result.output
    assert DEMO_PASSWORD in result.output
    for email, _role, _school in DEMO_USERS:
        assert email in result.output

    with app.app_context():
        schools = db.session.execute(sa.select(School.code)).scalars().all()
        assert sorted(schools) == sorted(code for code, _ in SCHOOLS) and len(schools) == 2
        users = {u.email: u for u in db.session.execute(sa.select(User)).scalars()}
        assert set(users) == {email for email, _, _ in DEMO_USERS}
        for email, role, school in DEMO_USERS:
            assert users[email].role == role
            assert [s.code for s in users[email].schools] == ([school] if school else [])
            assert users[email].password_hash.startswith("$argon2id$")
        states = db.session.execute(sa.select(Case.state)).scalars().all()
        assert len(set(states)) >= 3, states
    # A demo login works with the printed password and the code `make totp` prints.
    demo = app.test_client()
    email = DEMO_USERS[0][0]
    response = demo.post("/medewerkers/inloggen", data={"email": email, "password": DEMO_PASSWORD})
    assert response.headers["Location"].endswith("/medewerkers/tweede-stap")
    code = runner.invoke(args=["dsr", "demo-totp", email]).output.strip()
    assert demo.post("/medewerkers/tweede-stap", data={"code": code}).status_code == 302
    assert demo.get("/zaken/").status_code == 200
    assert runner.invoke(args=["dsr", "demo-totp", "staff@elders.nl"]).exit_code != 0  # demo accounts only

    first = _snapshot(app)
    again = _dsr(runner, "seed-demo")
    assert again.exit_code == 0, again.output
    assert "Demo data created." not in again.output
    assert DEMO_USERS[0][0] in again.output  # the logins are printed again
    assert _snapshot(app) == first


class _LeapDay(dt.date):
    @classmethod
    def today(cls):
        return cls(2028, 2, 29)


def test_seed_demo_works_on_leap_day(app, runner, monkeypatch):
    """Birth dates 'N years ago' must not be built with date.replace(year=...) (no 29 Feb in 2011)."""
    monkeypatch.setattr(dsr.dev.demo, "dt", types.SimpleNamespace(date=_LeapDay, timedelta=dt.timedelta))
    result = _dsr(runner, "seed-demo")
    assert result.exit_code == 0, repr(result.exception)
    assert _count(app, School) == 2


# --- audit verify --------------------------------------------------------------------------------------


def _history(app, client, people) -> list[int]:
    """A few submissions and transitions through HTTP; returns the audit event ids in order."""
    first = submit(client, people.school_a)
    second = submit(client, people.school_b, right="erasure", data_concerned="Foto's op de website")
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    assert step(staff, app, first, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, first, "review", decision="grant", reason="Alles in orde.").status_code == 302
    other = app.test_client()
    login(other, people.email["staff_b"])
    assert step(other, app, second, "verify_identity", method="desk", authority="yes").status_code == 302
    with app.app_context():
        ids = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    assert len(ids) >= 5
    return ids


def test_audit_verify_ok_on_untampered_chain(app, client, people, runner):
    ids = _history(app, client, people)
    result = _dsr(runner, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"OK: {len(ids)} events verified." in result.output


# Tampering with the log, checkpoints and key rotation: tests/integration/test_audit_tamper.py.


# --- sweeps by hand -------------------------------------------------------------------------------------


def test_sweep_deadlines_by_hand_prints_the_count(app, client, people, runner, run_jobs):
    case_id = submit(client, people.school_a)
    run_jobs()
    with app.app_context():
        due_on = db.session.get(Case, case_id).due_on
    # Long before any milestone: nothing to do.
    quiet = _dsr(runner, "sweep-deadlines", "--today", (due_on - dt.timedelta(days=40)).isoformat())
    assert quiet.exit_code == 0, quiet.output
    assert "0 case(s) notified." in quiet.output
    late = (due_on + dt.timedelta(days=1)).isoformat()
    result = _dsr(runner, "sweep-deadlines", "--today", late)
    assert result.exit_code == 0, result.output
    assert "1 case(s) notified." in result.output
    again = _dsr(runner, "sweep-deadlines", "--today", late)
    assert again.exit_code == 0 and "0 case(s) notified." in again.output


def test_redrive_outbox_by_hand_prints_the_count(app, client, people, runner, run_jobs):
    submit(client, people.school_a)
    with app.app_context():
        pending = db.session.execute(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        ).scalar_one()
    assert pending == 1  # the receipt (staff hear of it from the worker: issue 16)
    waiting = _dsr(runner, "redrive-outbox")
    assert waiting.exit_code == 0 and "0 mail(s) enqueued." in waiting.output  # their jobs still wait
    with app.app_context():
        redis_connection().flushdb()  # Redis lost them
    result = _dsr(runner, "redrive-outbox")
    assert result.exit_code == 0, result.output
    assert f"{pending} mail(s) enqueued." in result.output
    run_jobs()
    after = _dsr(runner, "redrive-outbox")
    assert after.exit_code == 0 and "0 mail(s) enqueued." in after.output


def test_sweep_deadlines_rejects_a_malformed_date_with_a_usage_error(runner):
    result = _dsr(runner, "sweep-deadlines", "--today", "29-11-2026")
    assert result.exit_code == 2, repr(result.exception)
    assert "--today" in result.output


def test_create_user_refuses_an_invalid_email_address(app, runner, people):
    before = _count(app, User)
    result = _dsr(runner, "create-user", "not an email", "--role", "admin",
                  input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code != 0
    assert _count(app, User) == before
