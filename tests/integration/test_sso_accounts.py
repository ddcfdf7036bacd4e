"""Issue 18 point 2: accounts from the identity provider's groups (services/sso_accounts.py), against the real
database: create, link, role and schools follow the groups, a removed group ends every session, an account the
admin switched off stays off, missing claims are refused, back-channel logout.

The claims are what helper A's OIDC callback hands over after validating the ID token; sessions are real ones,
made through the local sign-in forms of the ``people`` fixture's accounts, which the provider then takes over.
"""
from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, School, SsoGroupMapping, User
from dsr.services import sso_accounts
from dsr.services.people import authenticate
from tests.helpers import PASSWORD, signed_in

ISS = "https://idp.school.test"


def _map(app, group: str, role: str, *school_ids: int) -> int:
    with app.app_context():
        mapping = SsoGroupMapping(group=group, role=role, schools=[db.session.get(School, i) for i in school_ids])
        db.session.add(mapping)
        db.session.commit()
        return mapping.id


def _claims(sub: str = "u-1", email: str = "jan@asg.test", groups=("g-staff-a",), **extra) -> dict:
    return {"iss": ISS, "sub": sub, "email": email, "name": "Jan Jansen", "groups": list(groups), **extra}


def _sign_in(app, claims: dict) -> sso_accounts.SsoOutcome:
    with app.app_context():
        try:
            return sso_accounts.sign_in_with_claims(claims)
        finally:
            db.session.remove()


def _events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).scalars().all()
        return [{"actor_id": r.actor_id, "actor_kind": r.actor_kind, **json.loads(r.details)} for r in rows]


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def _account(app, **by) -> dict | None:
    """The account's columns that matter here, found by ``id``, ``email`` or ``sub`` (its provider subject)."""
    with app.app_context():
        query = sa.select(User)
        if "sub" in by:
            query = query.where(User.sso_subject == f"{ISS} {by['sub']}")
        elif "email" in by:
            query = query.where(User.email == by["email"])
        else:
            query = query.where(User.id == by["id"])
        user = db.session.execute(query).scalar()
        if user is None:
            return None
        return {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "active": user.active,
                "schools": user.school_ids, "subject": user.sso_subject, "token": user.session_token,
                "language": user.language, "version": user.version}


def _signed_in_page(client) -> bool:
    """Whether ``client``'s session still opens a staff page (else it is sent to the sign-in page)."""
    response = client.get("/instellingen/")
    if response.status_code == 302:
        assert "/medewerkers/inloggen" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


@pytest.fixture
def groups(app, people):
    """The admin's table: staff at A, staff at B, director at A and B, the privacy officer, the admin."""
    return {
        "staff_a": _map(app, "g-staff-a", "staff", people.school_a),
        "staff_b": _map(app, "g-staff-b", "staff", people.school_b),
        "director": _map(app, "g-dir", "director", people.school_a, people.school_b),
        "privacy": _map(app, "g-ibp", "privacy_officer"),
        "admin": _map(app, "g-admin", "admin"),
    }


# --- a new account ---------------------------------------------------------------------------------------------

def test_first_sign_in_makes_the_account_with_role_and_schools(app, groups, people):
    outcome = _sign_in(app, _claims())
    user = _account(app, sub="u-1")
    assert outcome == sso_accounts.SsoOutcome(user["id"], True, None)
    assert (user["email"], user["name"], user["role"], user["active"], user["schools"]) == \
        ("jan@asg.test", "Jan Jansen", "staff", True, {people.school_a})
    with app.app_context():  # nobody can sign in to it with a password (not even an empty or guessed one)
        assert authenticate("jan@asg.test", PASSWORD) is None and authenticate("jan@asg.test", "") is None
    created = _events(app, "sso.account_created")
    assert created == [{"actor_id": user["id"], "actor_kind": "staff", "user_id": user["id"], "role": "staff",
                        "school_ids": [people.school_a]}]
    assert "jan@asg.test" not in json.dumps(created) and "Jansen" not in json.dumps(created)
    # The next sign-in finds it by its subject, even when the provider's address changed.
    again = _sign_in(app, _claims(email="j.jansen@asg.test"))
    assert again.user_id == user["id"] and _count(app, User, User.sso_subject.is_not(None)) == 1
    assert len(_events(app, "sso.account_created")) == 1


@pytest.mark.parametrize(("claims", "name", "language"), [
    pytest.param({"name": "  Jan   Jansen "}, "Jan Jansen", "nl", id="name"),
    pytest.param({"name": None, "given_name": "Jan", "family_name": "Jansen", "locale": "en-GB"}, "Jan Jansen",
                 "en", id="given-and-family-english"),
    pytest.param({"name": "", "locale": "fr"}, "jan", "nl", id="no-name-the-address"),
    pytest.param({"name": "x" * 300}, "x" * 200, "nl", id="cut-to-200"),
])
def test_name_and_language_come_from_the_claims(app, groups, claims, name, language):
    _sign_in(app, _claims(**claims))
    user = _account(app, sub="u-1")
    assert (user["name"], user["language"]) == (name, language)


@pytest.mark.parametrize(("amr", "acr", "needs_code"), [
    (["pwd", "mfa"], None, False), (["pwd"], None, True), (None, None, True),
    (["pwd"], "http://schemas.microsoft.com/claims/multipleauthn", False)])
def test_mfa_at_the_provider_skips_dsr_s_second_factor(app, groups, amr, acr, needs_code):
    app.config["OIDC_MFA_ACR"] = ["http://schemas.microsoft.com/claims/multipleauthn"]
    try:
        extra = {k: v for k, v in (("amr", amr), ("acr", acr)) if v is not None}
        assert _sign_in(app, _claims(**extra)).needs_second_factor is needs_code
    finally:
        app.config["OIDC_MFA_ACR"] = []


def test_the_groups_claim_is_the_configured_one(app, people):
    _map(app, "urn:mace:surf.nl:asg:ibp", "privacy_officer")
    app.config["OIDC_GROUPS_CLAIM"] = "eduperson_entitlement"
    try:
        refused = _sign_in(app, _claims(groups=["urn:mace:surf.nl:asg:ibp"]))  # in "groups", not the claim
        assert refused.refusal == "no_group"
        outcome = _sign_in(app, {**_claims(groups=[]), "eduperson_entitlement": ["urn:mace:surf.nl:asg:ibp"]})
        assert outcome.refusal is None and _account(app, sub="u-1")["role"] == "privacy_officer"
    finally:
        app.config["OIDC_GROUPS_CLAIM"] = "groups"


@pytest.mark.parametrize(("groups_claim", "reason"), [
    pytest.param(["g-unknown"], "no_group", id="unmapped"),
    pytest.param([], "no_group", id="none"),
    pytest.param(["g-admin", "g-staff-a"], "conflict", id="admin-and-casework"),
    pytest.param(None, "group_overage", id="entra-overage"),
])
def test_no_access_and_no_account_stores_nothing(app, groups, groups_claim, reason):
    claims = _claims(groups=groups_claim or [])
    if groups_claim is None:
        del claims["groups"]
        claims["_claim_names"] = {"groups": "src1"}
    events, users = _count(app, AuditEvent), _count(app, User)
    assert _sign_in(app, claims) == sso_accounts.SsoOutcome(None, False, reason)
    assert (_count(app, AuditEvent), _count(app, User)) == (events, users)


def test_a_mapping_whose_schools_are_gone_gives_no_access(app, people):
    """A staff row whose schools were all deleted gives a role without a school: no access, not an account
    that sees nothing (or, worse, is taken for one that sees everything)."""
    _map(app, "g-empty", "staff")
    assert _sign_in(app, _claims(groups=["g-empty"])).refusal == "no_group"
    assert _account(app, sub="u-1") is None


def test_a_switched_off_school_stays_with_who_had_it_and_nobody_new_gets_it(app, groups, people):
    _sign_in(app, _claims(sub="old", email="old@asg.test", groups=["g-dir"]))  # director of A and B
    with app.app_context():
        db.session.get(School, people.school_b).active = False
        db.session.commit()
    _sign_in(app, _claims(sub="old", email="old@asg.test", groups=["g-dir"]))
    assert _account(app, sub="old")["schools"] == {people.school_a, people.school_b}
    _sign_in(app, _claims(sub="new", email="new@asg.test", groups=["g-dir"]))
    assert _account(app, sub="new")["schools"] == {people.school_a}
    # A row whose only school is switched off gives a newcomer nothing.
    refused = _sign_in(app, _claims(sub="late", email="late@asg.test", groups=["g-staff-b"]))
    assert refused.refusal == "no_group" and _account(app, sub="late") is None


@pytest.mark.parametrize("claims", [
    pytest.param({"sub": "x", "email": "a@asg.test", "groups": ["g-staff-a"]}, id="no-iss"),
    pytest.param({"iss": ISS, "email": "a@asg.test", "groups": ["g-staff-a"]}, id="no-sub"),
    pytest.param({"iss": ISS, "sub": "x", "groups": ["g-staff-a"]}, id="no-email"),
    pytest.param(_claims(email="not an address"), id="bad-email"),
    pytest.param(_claims(sub="  "), id="blank-sub"),
    pytest.param(_claims(sub=42), id="number-sub"),
    pytest.param(_claims(sub="s" * 600), id="sub-too-long"),
])
def test_missing_claims_are_refused_not_an_error(app, groups, claims):
    assert _sign_in(app, claims) == sso_accounts.SsoOutcome(None, False, "incomplete")
    assert _count(app, User, User.sso_subject.is_not(None)) == 0


# --- linking a local account ------------------------------------------------------------------------------------

def test_a_local_account_with_the_same_address_is_linked_and_loses_its_password(app, groups, people):
    client = signed_in(app, people, "staff_a")  # signed in with password and code before the provider came
    outcome = _sign_in(app, _claims(email="Staff-A@ASG.test", groups=["g-staff-a"]))
    user = _account(app, id=people.staff_a)
    assert outcome == sso_accounts.SsoOutcome(people.staff_a, True, None)
    assert user["subject"] == f"{ISS} u-1" and user["email"] == "staff-a@asg.test"
    with app.app_context():
        assert authenticate(people.email["staff_a"], PASSWORD) is None
    assert _events(app, "sso.account_linked") == [
        {"actor_id": people.staff_a, "actor_kind": "staff", "user_id": people.staff_a}]
    assert _events(app, "sso.access_changed") == [], "the same role and schools: nothing changed"
    assert _signed_in_page(client), "linking alone ends no session"


@pytest.mark.parametrize("case", ["unverified", "break_glass", "break_glass_not_made_yet", "other_subject"])
def test_an_account_that_may_not_be_taken_over_is_not_linked(app, groups, people, case):
    email, extra = people.email["staff_a"], {}
    if case == "unverified":
        extra = {"email_verified": False}
    elif case.startswith("break_glass"):
        email = people.email["admin"] if case == "break_glass" else "nood@asg.test"
        app.config["SSO_BREAK_GLASS_EMAIL"] = email.upper()
    else:
        with app.app_context():
            db.session.get(User, people.staff_a).sso_subject = f"{ISS} someone-else"
            db.session.commit()
    group = "g-admin" if case.startswith("break_glass") else "g-staff-a"
    try:
        outcome = _sign_in(app, _claims(email=email, groups=[group], **extra))
    finally:
        app.config["SSO_BREAK_GLASS_EMAIL"] = None
    assert outcome == sso_accounts.SsoOutcome(None, False, "account_conflict")
    assert _account(app, sub="u-1") is None and _events(app, "sso.account_linked") == []
    assert _events(app, "sso.account_created") == []


def test_a_verified_address_links_when_the_claim_says_so(app, groups, people):
    outcome = _sign_in(app, _claims(email=people.email["staff_b"], groups=["g-staff-b"], email_verified=True))
    assert outcome.user_id == people.staff_b


# --- role and schools follow the groups; a removed group ends every session ---------------------------------

def test_a_new_role_updates_the_account_and_ends_its_sessions(app, groups, people):
    client = signed_in(app, people, "staff_a")
    _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-staff-a"]))
    before = _account(app, id=people.staff_a)
    outcome = _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-staff-a", "g-dir"]))
    after = _account(app, id=people.staff_a)
    assert outcome.user_id == people.staff_a
    assert (after["role"], after["schools"]) == ("director", {people.school_a, people.school_b})
    assert after["token"] != before["token"] and not _signed_in_page(client)
    assert after["version"] == before["version"], "sign-ins never move the admin's version"
    changed = _events(app, "sso.access_changed")
    assert changed == [{"actor_id": people.staff_a, "actor_kind": "staff", "user_id": people.staff_a,
                        "before": {"role": "staff", "school_ids": [people.school_a]},
                        "after": {"role": "director", "school_ids": sorted([people.school_a, people.school_b])},
                        "signed_out": True}]
    # The same groups again: nothing changes, nothing is recorded.
    _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-dir", "g-staff-a"]))
    assert len(_events(app, "sso.access_changed")) == 1


def test_an_extra_school_keeps_the_session_and_a_lost_school_ends_it(app, groups, people):
    client = signed_in(app, people, "staff_b")
    email = people.email["staff_b"]
    _sign_in(app, _claims(email=email, groups=["g-staff-b"]))
    token = _account(app, id=people.staff_b)["token"]
    _sign_in(app, _claims(email=email, groups=["g-staff-a", "g-staff-b"]))
    wider = _account(app, id=people.staff_b)
    assert wider["schools"] == {people.school_a, people.school_b} and wider["token"] == token
    assert _signed_in_page(client), "more schools: the open pages show nothing they may not see"
    _sign_in(app, _claims(email=email, groups=["g-staff-a"]))
    narrower = _account(app, id=people.staff_b)
    assert narrower["schools"] == {people.school_a} and narrower["token"] != token
    assert not _signed_in_page(client)
    assert [e["signed_out"] for e in _events(app, "sso.access_changed")] == [False, True]


def test_a_removed_group_switches_the_account_off_and_signs_it_out(app, groups, people):
    client = signed_in(app, people, "staff_a")
    _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-staff-a"]))
    assert _signed_in_page(client)
    outcome = _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-elsewhere"]))
    assert outcome == sso_accounts.SsoOutcome(None, False, "no_group")
    user = _account(app, id=people.staff_a)
    assert user["active"] is False and user["role"] == "staff"
    assert not _signed_in_page(client), "the signed-in client is signed out after the revoke"
    assert _events(app, "sso.access_revoked") == [
        {"actor_id": None, "actor_kind": "system", "user_id": people.staff_a, "reason": "no_group"}]
    # Refused again: no second event. With the group back it stays off until the admin switches it on.
    assert _sign_in(app, _claims(email=people.email["staff_a"], groups=[])).refusal == "no_group"
    assert len(_events(app, "sso.access_revoked")) == 1
    back = _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-staff-a"]))
    assert back == sso_accounts.SsoOutcome(None, False, "inactive")
    assert _account(app, id=people.staff_a)["active"] is False


def test_an_account_the_admin_switched_off_stays_off(app, groups, people):
    first = _sign_in(app, _claims())
    with app.app_context():
        db.session.get(User, first.user_id).active = False
        db.session.commit()
    assert _sign_in(app, _claims(groups=["g-dir"])) == sso_accounts.SsoOutcome(None, False, "inactive")
    user = _account(app, id=first.user_id)
    assert (user["active"], user["role"]) == (False, "staff"), "a refused sign-in changes nothing"
    assert _events(app, "sso.access_changed") == []


@pytest.mark.parametrize("hook", [
    pytest.param("_find", id="winner-commits-before-the-address-lookup"),
    pytest.param("_hasher", id="winner-commits-before-the-insert"),
])
def test_a_race_of_two_first_sign_ins_makes_one_account(app, groups, hook, caplog):
    """Another request commits the same person's first sign-in while this one runs: either this one then finds
    it by address (with this subject), or its insert fails on the unique subject and address and it runs once
    more, finding the account the other one made. One account either way, and no error."""
    caplog.set_level(logging.INFO, logger="dsr.services.sso_accounts")
    real, calls = getattr(sso_accounts, hook), []

    def racing(*args):
        if not calls:
            calls.append(0)
            with app.app_context():  # the other request: its own session, committed before this one goes on
                calls.append(sso_accounts.sign_in_with_claims(_claims()).user_id)
                db.session.remove()
        return real(*args)

    setattr(sso_accounts, hook, racing)
    try:
        outcome = _sign_in(app, _claims())
    finally:
        setattr(sso_accounts, hook, real)
    assert outcome == sso_accounts.SsoOutcome(calls[1], True, None)
    assert _count(app, User, User.sso_subject.is_not(None)) == 1
    assert len(_events(app, "sso.account_created")) == 1
    assert ("a concurrent sign-in made the account first" in caplog.text) is (hook == "_hasher")


# --- back-channel logout ------------------------------------------------------------------------------------

def test_back_channel_logout_ends_every_session_of_the_subject(app, groups, people):
    client = signed_in(app, people, "staff_a")
    _sign_in(app, _claims(email=people.email["staff_a"], groups=["g-staff-a"]))
    with app.app_context():
        assert sso_accounts.end_sessions_for_subject(ISS, "someone-else") == 0
        assert sso_accounts.end_sessions_for_subject("https://other.test", "u-1") == 0
        assert sso_accounts.end_sessions_for_subject(ISS, "u-1") == 1
    assert not _signed_in_page(client)
    assert _account(app, id=people.staff_a)["active"] is True, "signed out, not switched off"
    assert _events(app, "sso.backchannel_logout") == [
        {"actor_id": None, "actor_kind": "system", "user_id": people.staff_a}]


def test_the_no_access_page_says_what_to_do_per_reason(app):
    """The page helper A renders: plain words per reason, never which group; says no account was made."""
    from flask import render_template

    expected = {"no_group": "geeft geen toegang tot deze dienst", "conflict": "beheerrechten",
                "group_overage": "zoveel groepen", "incomplete": "niet alle gegevens",
                "account_conflict": "al een account", "inactive": "uitgeschakeld", "unexpected": "geen toegang"}
    for reason, phrase in expected.items():
        with app.test_request_context("/medewerkers/inloggen"):
            page = render_template("auth/sso_no_access.html", reason=reason)
        assert phrase in page, reason
        assert ("Er is geen account voor u aangemaakt." in page) is (reason not in ("inactive", "account_conflict"))
    with app.test_request_context("/medewerkers/inloggen"):
        from flask_babel import force_locale
        with force_locale("en"):
            page = render_template("auth/sso_no_access.html", reason="no_group")
    assert "Your school account gives no access to this service" in page and "No account has been made" in page

