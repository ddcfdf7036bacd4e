"""Staff accounts from the school's identity provider (issue 18 point 2; docs/sso.md).

After the OIDC callback has validated the ID token (views: helper A's sign-in), :func:`sign_in_with_claims`
decides from its claims who this is and what they may do, and brings the account in line:

- the subject is ``"<iss> <sub>"`` (``User.sso_subject``); the groups come from the ``OIDC_GROUPS_CLAIM``
  claim and the admin's group table (:mod:`.sso_groups`), decided by :mod:`dsr.workflows.sso_access`;
- no access and no account: nothing is stored; no access and an account: the account is switched off and
  every session of it ends (the group was removed at the provider);
- access: the account with this subject, else a local account with the same address that has no subject
  yet (linked; never the break-glass account, never on an address the provider says is unverified), else a
  new account with a password nobody knows. Each sign-in sets role and schools from the groups;
- an account the admin switched off stays off (the admin switches it on again).

:func:`end_sessions_for_subject` ends every session of an account when the provider says the user signed
out there (back-channel logout). Audit details hold ids, roles and reasons only: no address, no name.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import School, SsoGroupMapping, User
from ..workflows.roles import ROLES
from ..workflows.sso_access import (
    NO_GROUP,
    ROLES_WITH_SCHOOLS,
    Access,
    GroupRule,
    NoAccess,
    decide_access,
    groups_from_claims,
    mfa_done,
)
from . import audit
from .people import LANGUAGES, UserError, _hasher, normalised_email
from .transaction import transactional

log = logging.getLogger(__name__)

#: Refusals besides the reasons of :mod:`dsr.workflows.sso_access` (the "no access" page explains each).
INACTIVE = "inactive"  # the admin switched the account off
INCOMPLETE = "incomplete"  # the provider sent no usable ``iss``, ``sub`` or ``email``
ACCOUNT_CONFLICT = "account_conflict"  # the address belongs to an account this sign-in may not take over
REFUSALS = (INACTIVE, INCOMPLETE, ACCOUNT_CONFLICT)

#: The longest display name an account holds (``User.name``).
_NAME_MAX = 200


@dataclass(frozen=True)
class SsoOutcome:
    """What the OIDC callback does next."""

    #: The account to sign in; None when refused.
    user_id: int | None
    #: True: dsr's own TOTP step (or enrolment) before the session starts.
    needs_second_factor: bool
    #: None, or why not: a reason of :mod:`dsr.workflows.sso_access` or one of :data:`REFUSALS`.
    refusal: str | None


@dataclass(frozen=True)
class _Identity:
    subject: str
    email: str
    name: str
    language: str
    #: False only when the provider says so; an absent claim counts as verified (the school's own directory).
    email_verified: bool


def subject_of(issuer: str, subject: str) -> str:
    """What ``User.sso_subject`` holds for the provider's ``iss`` and ``sub``."""
    return f"{issuer} {subject}"


def _identity(claims: Mapping[str, Any]) -> _Identity | None:
    """The identity in the claims, or None when ``iss``, ``sub`` or a valid ``email`` is missing."""
    issuer, sub, email = claims.get("iss"), claims.get("sub"), claims.get("email")
    if not all(isinstance(v, str) and v.strip() for v in (issuer, sub, email)):
        return None
    assert isinstance(issuer, str) and isinstance(sub, str) and isinstance(email, str)  # for the type checker
    try:
        address = normalised_email(email)
    except UserError:
        return None
    subject = subject_of(issuer.strip(), sub.strip())
    if len(subject) > 600 or len(address) > 254:
        return None
    name = claims.get("name")
    if not (isinstance(name, str) and name.strip()):
        parts = [claims.get(k) for k in ("given_name", "family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    name = " ".join(str(name).split())[:_NAME_MAX] or address.split("@", 1)[0][:_NAME_MAX]
    locale = claims.get("locale")
    language = locale[:2].lower() if isinstance(locale, str) and locale[:2].lower() in LANGUAGES else "nl"
    return _Identity(subject=subject, email=address, name=name, language=language,
                     email_verified=claims.get("email_verified") is not False)


def group_rules() -> list[GroupRule]:
    """The admin's group table as the pure rules of :func:`decide_access`."""
    mappings = db.session.execute(sa.select(SsoGroupMapping).order_by(SsoGroupMapping.id)).scalars()
    return [GroupRule(m.group, m.role, frozenset(s.id for s in m.schools)) for m in mappings]


def _break_glass(address: str) -> bool:
    configured = current_app.config.get("SSO_BREAK_GLASS_EMAIL")
    return bool(configured) and str(configured).strip().lower() == address


def _facts(user: User) -> dict[str, Any]:
    """Role and school ids of an account, as the audit keeps them."""
    return {"role": user.role, "school_ids": sorted(s.id for s in user.schools)}


def _schools(ids: frozenset[int], kept: frozenset[int]) -> list[School]:
    """The schools of ``ids`` a user gets: the active ones, and the switched-off ones they have already
    (``kept``), as on the admin's account page (a switched-off school stays with who had it; nobody new
    gets it)."""
    if not ids:
        return []
    rows = db.session.execute(sa.select(School).where(School.id.in_(sorted(ids))).order_by(School.id)).scalars()
    return [school for school in rows if school.active or school.id in kept]


def _revoke(user: User, reason: str) -> None:
    """The provider no longer puts the user in a mapped group: switch the account off, end its sessions."""
    if not user.active:
        return
    user.active = False
    user.rotate_session_token()
    audit.record("sso.access_revoked", actor_kind="system", details={"user_id": user.id, "reason": reason})
    log.info("sso: access revoked for account %s (%s)", user.id, reason)


def _apply(user: User, access: Access, schools: list[School]) -> None:
    """Bring role and schools in line with the groups; a new role or fewer schools end the other sessions."""
    before = _facts(user)
    after = {"role": access.role, "school_ids": sorted(s.id for s in schools)}
    if before == after:
        return
    narrowed = before["role"] != after["role"] or not set(before["school_ids"]) <= set(after["school_ids"])
    user.role, user.schools = access.role, schools
    if narrowed:
        user.rotate_session_token()
    audit.record("sso.access_changed", actor=user,
                 details={"user_id": user.id, "before": before, "after": after, "signed_out": narrowed})


def _find(column: Any, value: str) -> User | None:
    return db.session.execute(sa.select(User).where(column == value)).scalar()


@transactional
def _sign_in(claims: Mapping[str, Any]) -> SsoOutcome:
    config = current_app.config
    identity = _identity(claims)
    if identity is None:
        log.warning("sso: sign-in refused, the claims lack a usable iss, sub or email")
        return SsoOutcome(None, False, INCOMPLETE)
    decision = decide_access(groups_from_claims(claims, str(config["OIDC_GROUPS_CLAIM"])), group_rules())
    second_factor = not mfa_done(claims, config["OIDC_MFA_AMR"] or [], config["OIDC_MFA_ACR"] or [])

    user = _find(User.sso_subject, identity.subject)
    schools: list[School] = []
    if isinstance(decision, Access):
        schools = _schools(decision.school_ids, user.school_ids if user is not None else frozenset())
        if decision.role in ROLES_WITH_SCHOOLS and not schools:
            decision = NoAccess(NO_GROUP)  # the rows' schools are gone or switched off: a role without a school
        elif decision.role not in ROLES:
            decision = NoAccess(NO_GROUP)  # cannot happen (the table's check constraint); never an unknown role
    if isinstance(decision, NoAccess):
        if user is not None:
            _revoke(user, decision.reason)
        else:
            log.info("sso: sign-in refused (%s); no account made", decision.reason)
        return SsoOutcome(None, False, decision.reason)

    if user is None and _break_glass(identity.email):
        # The break-glass address stays the local admin's: never linked, never taken by a new account.
        log.warning("sso: sign-in refused, the address is the break-glass account's")
        return SsoOutcome(None, False, ACCOUNT_CONFLICT)
    if user is None:
        local = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == identity.email)).scalar()
        if local is not None and local.sso_subject == identity.subject:
            user = local  # another sign-in of the same person made it a moment ago (a race of first sign-ins)
        elif local is not None:
            if local.sso_subject is not None or not identity.email_verified:
                log.warning("sso: sign-in refused, the address belongs to an account it may not take over")
                return SsoOutcome(None, False, ACCOUNT_CONFLICT)
            local.sso_subject = identity.subject
            # A password nobody knows: from now on this account signs in through the provider only.
            local.password_hash = _hasher()[0].hash(secrets.token_urlsafe(32))
            user = local
            audit.record("sso.account_linked", actor=user, details={"user_id": user.id})
        else:
            user = User(email=identity.email, name=identity.name, role=decision.role,
                        password_hash=_hasher()[0].hash(secrets.token_urlsafe(32)),
                        schools=schools, language=identity.language,
                        sso_subject=identity.subject)
            db.session.add(user)
            db.session.flush()
            audit.record("sso.account_created", actor=user, details={"user_id": user.id, **_facts(user)})
    if not user.active:
        log.info("sso: sign-in refused, account %s is switched off", user.id)
        return SsoOutcome(None, False, INACTIVE)
    _apply(user, decision, schools)
    return SsoOutcome(user.id, second_factor, None)


def sign_in_with_claims(claims: Mapping[str, Any]) -> SsoOutcome:
    """Decide and apply what the validated claims of a sign-in give (see the module). One transaction,
    audited. When two first sign-ins of the same person race, the loser's insert fails on the unique
    subject or address and it runs once more, finding the account the other one made (so call it on its
    own, not inside another service's transaction: the retry needs the failed one rolled back)."""
    try:
        return _sign_in(claims)
    except IntegrityError:
        log.info("sso: a concurrent sign-in made the account first; trying once more")
        return _sign_in(claims)


@transactional
def end_sessions_for_subject(issuer: str, subject: str) -> int:
    """End every session of the account with this provider subject (back-channel logout); how many
    accounts that was (0 or 1). Audited. One commit."""
    user = _find(User.sso_subject, subject_of(issuer, subject))
    if user is None:
        return 0
    user.rotate_session_token()
    audit.record("sso.backchannel_logout", actor_kind="system", details={"user_id": user.id})
    return 1
