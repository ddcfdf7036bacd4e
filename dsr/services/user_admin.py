"""The admin's work on staff accounts (issue 15 point 6): create, change, deactivate and reactivate,
reset a lost authenticator, mail a link to choose a password. The command line (``flask dsr
create-user``, :mod:`dsr.services.admin_commands`) makes accounts with :func:`add_account` too.

Only the admin manages accounts (docs/security.md, "Staff accounts"): the privacy officer reads the
list but changes nothing, so whoever reviews access is not also the one who grants it. Every change is
one commit and one audit event naming the account's id (never a password, a secret or a link). Each
change claims the account's version, so two admins editing the same account never overwrite each
other: the second one is told and sees the account as it is now.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import User
from ..notifications import queue_mail
from ..workflows.roles import ADMIN
from . import audit, people, signin
from .links import external_url
from .people import UserError
from .transaction import transactional


class AccountConflict(Exception):
    """Someone else changed the account since the form was loaded."""

    @property
    def message(self) -> str:
        """What the admin reads, in their language."""
        return _("Iemand anders heeft dit account intussen gewijzigd. Hieronder ziet u het account zoals het nu "
                 "is; doe uw wijziging zo nodig opnieuw.")


def may_manage(user: object) -> bool:
    """Whether ``user`` may create and change accounts: admins only (``user`` may be anonymous)."""
    return getattr(user, "role", None) == ADMIN


def _require_admin(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionError("only an admin manages staff accounts")


def account(user_id: int) -> User:
    """The account with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(User, user_id)
    if found is None:
        raise NotFound(user_id)
    return found


def _claim(user: User, version: int | None) -> None:
    """Optimistic locking: the form must have been loaded at the account's current version, and the
    version moves on in one conditional UPDATE, so of two admins saving at the same moment exactly one
    wins (the other's UPDATE finds no row at its version). Sign-ins never change the version."""
    if version is None or user.version != version:
        raise AccountConflict()
    claimed = db.session.execute(sa.update(User).where(User.id == user.id, User.version == version)
                                 .values(version=User.version + 1).execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:
        raise AccountConflict()
    db.session.refresh(user)


def _remaining_admins(excluding: User) -> int:
    """Active admins other than ``excluding``. Their rows are locked (PostgreSQL) until the commit, so two
    admins switching each other off at the same moment cannot both succeed and leave nobody to manage."""
    ids = db.session.execute(sa.select(User.id).where(User.role == ADMIN, User.active.is_(True))
                             .order_by(User.id).with_for_update()).scalars().all()
    return len([i for i in ids if i != excluding.id])


def _keep_an_admin(actor: User, user: User, *, role: str | None = None, active: bool | None = None) -> None:
    """No admin switches themselves off or demotes themselves, and at least one active admin remains."""
    leaves_admins = user.role == ADMIN and user.active and (
        (role is not None and role != ADMIN) or active is False)
    if not leaves_admins:
        return
    if user.id == actor.id:
        field = "role" if active is None else ""
        raise UserError("an admin cannot demote or deactivate themselves", code="own_admin_rights", field=field)
    if _remaining_admins(user) == 0:
        raise UserError("at least one active admin must remain", code="last_admin", field="role" if active is None
                        else "")


def _mail_password_link(user: User) -> None:
    """Queue the mail with a link to choose a password, in the user's language (sent after the commit;
    the outbox row holds the link sealed)."""
    queue_mail("staff_account_created", user.email, language=user.language, user=user,
               reset_url=external_url("auth.reset_password", token=signin.password_token(user)))


def add_account(email: str, name: str, role: str, password: str | None, school_codes: list[str], *,
                language: str = "nl", actor: User | None = None, via: str = "web") -> User:
    """A new account (:func:`dsr.services.people.create_user`), audited as ``user.created`` by ``actor``
    (the command line has none: then by the system). No commit: the caller's transaction."""
    user = people.create_user(email, name, role, password, school_codes, language=language)
    audit.record("user.created", actor=actor, actor_kind="staff" if actor is not None else "system",
                 details={"user_id": user.id, "via": via, **_facts(user)})
    return user


def _facts(user: User) -> dict[str, Any]:
    """What the audit keeps of an account's settings: role, school codes, language, active (no name,
    address or secret)."""
    return {"role": user.role, "schools": sorted(s.code for s in user.schools), "language": user.language,
            "active": user.active}


@transactional
def create_account(actor: User, *, email: str, name: str, role: str, school_codes: list[str],
                   language: str) -> User:
    """The admin makes an account: no password is set or shown; the user gets a mail with a link to
    choose one, and sets up their authenticator at the first sign-in. With an identity provider configured
    no mail goes out (except to the break-glass admin): the account is linked at the user's first sign-in
    with the school account. One commit."""
    _require_admin(actor)
    user = add_account(email, name, role, None, school_codes, language=language, actor=actor)
    if signin.password_allowed(user):
        _mail_password_link(user)
    # else: with an identity provider the account is linked at its first sign-in with the school account
    # (same address; services/sso_accounts.py): a password link would open nothing.
    return user


@transactional
def update_account(actor: User, user_id: int, version: int | None, *, name: str, role: str,
                   school_codes: list[str], language: str) -> User:
    """Change name, role, schools and language. A new role or fewer schools sign the user out everywhere
    (their open pages may show what they may no longer see). One commit."""
    _require_admin(actor)
    user = account(user_id)
    name = people.checked_name(name)
    kept = frozenset(s.code for s in user.schools)
    schools = people.schools_for_role(role, school_codes, keep=kept)
    if language not in people.LANGUAGES:
        raise UserError(f"unknown language {language!r}", code="language_unknown", field="language")
    _keep_an_admin(actor, user, role=role)
    _claim(user, version)
    before = _facts(user)
    name_changed = user.name != name
    user.name, user.role, user.schools, user.language = name, role, schools, language
    after = _facts(user)
    narrowed = before["role"] != role or not set(before["schools"]) <= set(after["schools"])
    if narrowed:
        user.rotate_session_token()
    audit.record("user.changed", actor=actor, details={
        "user_id": user.id, "before": before, "after": after, "name_changed": name_changed,
        "signed_out": narrowed})
    return user


@transactional
def set_active(actor: User, user_id: int, version: int | None, active: bool) -> User:
    """Deactivate (the user is signed out everywhere and can no longer sign in or use a password link)
    or reactivate an account. One commit."""
    _require_admin(actor)
    user = account(user_id)
    _keep_an_admin(actor, user, active=active)
    _claim(user, version)
    user.active = active
    user.rotate_session_token()
    audit.record("user.reactivated" if active else "user.deactivated", actor=actor, details={"user_id": user.id})
    return user


@transactional
def reset_authenticator(actor: User, user_id: int, version: int | None) -> User:
    """A lost authenticator: forget the TOTP secret and the recovery codes and sign the user out
    everywhere; after their password the next sign-in asks them to set up an authenticator again
    (views/auth.py: no secret, so enrolment). One commit."""
    _require_admin(actor)
    user = account(user_id)
    _claim(user, version)
    had_codes = len([h for h in user.recovery_code_hashes.split(",") if h])
    user.totp_secret_enc, user.recovery_code_hashes = None, ""
    user.rotate_session_token()
    audit.record("user.authenticator_reset", actor=actor,
                 details={"user_id": user.id, "recovery_codes_dropped": had_codes})
    return user


@transactional
def send_password_link(actor: User, user_id: int, version: int | None) -> User:
    """Mail the user a new link to choose a password (e.g. the first one expired); the password itself
    stays until they use it. Only for an active account. One commit."""
    _require_admin(actor)
    user = account(user_id)
    if not user.active:
        raise UserError("the account is not active", code="inactive", field="")
    if not signin.password_allowed(user):
        raise UserError("the account signs in through the identity provider", code="no_password", field="")
    _claim(user, version)
    _mail_password_link(user)
    audit.record("user.password_link_sent", actor=actor, details={"user_id": user.id})
    return user

