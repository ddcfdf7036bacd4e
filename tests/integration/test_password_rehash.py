"""Staff password hashes follow the configured Argon2id parameters: a hash made with other
parameters (an older default, RFC 9106's 64 MiB) is replaced at the next successful sign-in."""
from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from dsr.config import defaults
from dsr.extensions import db
from dsr.models import User
from tests.helpers import PASSWORD, login


def test_default_parameters_are_owasps_argon2id_baseline():
    params = defaults("/tmp")["ARGON2_PARAMETERS"]
    # OWASP's password storage cheat sheet: at least 19 MiB with t=2 (or more memory with t=1).
    assert params["memory_cost"] >= 19456 and params["time_cost"] >= 2


def test_an_outdated_hash_is_upgraded_at_the_next_sign_in(app, client, people):
    email = people.email["staff_a"]
    old = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2)
    with app.app_context():
        user = db.session.get(User, people.staff_a)
        user.password_hash = old.hash(PASSWORD)
        db.session.commit()

    login(client, email)

    with app.app_context():
        stored = extract_parameters(db.session.get(User, people.staff_a).password_hash)
    configured = app.config["ARGON2_PARAMETERS"]
    assert (stored.time_cost, stored.memory_cost, stored.parallelism) == (
        configured["time_cost"], configured["memory_cost"], configured["parallelism"])
