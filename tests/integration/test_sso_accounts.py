"""Issue 18 point 2: accounts from the identity provider's groups (services/sso_accounts.py), against the real
database: create, link, role and schools follow the groups, a removed group ends every session, an account the
admin switched off stays off, missing claims are refused, back-channel logout."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, School, SsoGroupMapping, User
from dsr.services import sso_accounts
from dsr.services.people import authenticate
from tests.helpers import PASSWORD, signed_in

ISS = "https://idp.school.test"


def _map(group: str, role: str, *school_ids: int) -> int:
    schools = [db.session.get(School, i) for i in school_ids]
    mapping = SsoGroupMapping(group=group, role=role, schools=schools)
    db.session.add(mapping)
    db.session.commit()
    return mapping.id


def _claims(sub: str = "u-1", email: str = "jan@asg.test", groups=("g-staff-a",), **extra) -> dict:
    return {"iss": ISS, "sub": sub, "email": email, "name": "Jan Jansen", "groups": list(groups), **extra}


def _events(action: str) -> list[dict]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars()
    return [json.loads(r.details) for r in rows]


def _user(subject_sub: str = "u-1") -> User | None:
    db.session.expire_all()
    return db.session.execute(sa.select(User).where(User.sso_subject == f"{ISS} {subject_sub}")).scalar()


@pytest.fixture
def groups(people, ctx):
    """The admin's table: staff at A, director at A and B, the privacy officer, the admin."""
    return {
        "staff_a": _map("g-staff-a", "staff", people.school_a),
        "staff_b": _map("g-staff-b", "staff", people.school_b),
        "director": _map("g-dir", "director", people.school_a, people.school_b),
        "privacy": _map("g-ibp", "privacy_officer"),
        "admin": _map("g-admin", "admin"),
    }


def test_first_sign_in_makes_the_account_with_role_and_schools(groups, people):
    outcome = sso_accounts.sign_in_with_claims(_claims())
    assert outcome.refusal is None and outcome.needs_second_factor is True
    user = _user()
    assert user is not None and outcome.user_id == user.id
    assert (user.email, user.name, user.role, user.active) == ("jan@asg.test", "Jan Jansen", "staff", True)
    assert user.school_ids == {people.school_a}
    # Nobody can sign in to it with a password (not even an empty or guessed one).
    assert authenticate("jan@asg.test", PASSWORD) is None and authenticate("jan@asg.test", "") is None
    created = _events("sso.account_created")
    assert created == [{"user_id": user.id, "role": "staff", "school_ids": [people.school_a]}]
    assert "jan@asg.test" not in json.dumps(created) and "Jansen" not in json.dumps(created)


def test_mfa_at_the_provider_skips_the_second_factor(groups):
    assert sso_accounts.sign_in_with_claims(_claims(amr=["pwd", "mfa"])).needs_second_factor is False
    assert sso_accounts.sign_in_with_claims(_claims(amr=["pwd"])).needs_second_factor is True


def test_no_mapped_group_and_no_account_stores_nothing(groups):
    before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    outcome = sso_accounts.sign_in_with_claims(_claims(groups=["g-unknown"]))
    assert outcome == sso_accounts.SsoOutcome(None, False, "no_group")
    assert _user() is None
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar() == before


def test_missing_claims_are_refused_not_an_error(groups):
    for claims in ({"sub": "x", "email": "a@asg.test"}, {"iss": ISS, "email": "a@asg.test"},
                   {"iss": ISS, "sub": "x"}, _claims(email="not an address"), _claims(sub="  ")):
        assert sso_accounts.sign_in_with_claims(claims).refusal == "incomplete"
    assert db.session.execute(sa.select(sa.func.count()).select_from(User).where(
        User.sso_subject.is_not(None))).scalar() == 0
