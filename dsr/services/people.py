"""Staff accounts: creation, sign-in checks, and who receives which staff notification."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..extensions import db
from ..models import School, User
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER, ROLES, STAFF

#: The languages a staff member's pages and mails can be in (``User.language``).
LANGUAGES = ("nl", "en")

_HASHERS: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    """The argon2id hasher for the app's parameters (``ARGON2_PARAMETERS``), and a
    dummy hash verified when the e-mail is unknown so timing does not reveal which accounts exist."""
    params = tuple(sorted((current_app.config.get("ARGON2_PARAMETERS") or {}).items()))
    if params not in _HASHERS:
        hasher = PasswordHasher(**dict(params))
        _HASHERS[params] = (hasher, hasher.hash("not-a-real-password"))
    return _HASHERS[params]


class UserError(ValueError):
    """A user could not be created or changed; the message says why (in English, for the command line).

    ``code`` names the problem and ``field`` the form field it belongs to, so the admin's web form can
    show its own message, in the admin's language, at that field (:mod:`dsr.forms.users`).
    """

    def __init__(self, message: str, *, code: str = "", field: str = ""):
        super().__init__(message)
        self.code, self.field = code, field


def validate_password(password: str) -> None:
    """ASVS 6.2: at least 12 characters, up to 128, no composition rules."""
    if len(password) < 12:
        raise UserError("password must be at least 12 characters", code="password_short", field="password")
    if len(password) > 128:
        raise UserError("password must be at most 128 characters", code="password_long", field="password")


def normalised_email(email: str) -> str:
    """The address as accounts store it (checked, lower-case); :class:`UserError` if it is no address."""
    try:
        return validate_email(email.strip(), check_deliverability=False, test_environment=True).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"invalid e-mail address: {exc}", code="email_invalid", field="email") from exc


def checked_name(name: str) -> str:
    """The display name without surrounding spaces; :class:`UserError` if it is empty or too long."""
    name = name.strip()
    if not name or len(name) > 200:
        raise UserError("a user needs a name of at most 200 characters", code="name", field="name")
    return name


def schools_for_role(role: str, school_codes: list[str], *, keep: frozenset[str] = frozenset()) -> list[School]:
    """The schools a user with ``role`` gets from ``school_codes``; :class:`UserError` if they do not fit.

    The role must be known; every code must name a school, an active one unless the user has it already
    (``keep``: a deactivated school stays with the people who had it); staff and directors need at least
    one school; privacy officers (who see every school) and admins (who see no case) get none, so a
    school ticked for them by mistake never lingers and takes effect on a later role change.
    """
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", code="role_unknown", field="role")
    codes = sorted(set(school_codes))
    schools = list(db.session.execute(sa.select(School).where(School.code.in_(codes))).scalars())
    missing = set(codes) - {s.code for s in schools}
    if missing:
        raise UserError(f"unknown school code(s): {', '.join(sorted(missing))}", code="school_unknown",
                        field="schools")
    inactive = sorted(s.code for s in schools if not s.active and s.code not in keep)
    if inactive:
        raise UserError(f"school(s) no longer active: {', '.join(inactive)}", code="school_inactive",
                        field="schools")
    if role in (STAFF, DIRECTOR) and not schools:
        raise UserError("staff and directors need at least one --school", code="school_needed", field="schools")
    if role not in (STAFF, DIRECTOR) and schools:
        raise UserError("privacy officers and admins have no schools", code="school_not_for_role", field="schools")
    return sorted(schools, key=lambda s: s.code)


def create_user(email: str, name: str, role: str, password: str | None, school_codes: list[str], *,
                language: str = "nl") -> User:
    """Create a staff account (no commit); staff and directors need at least one school.

    Without a password (an account made on the admin's page) the account gets the hash of a random
    secret nobody knows: the user chooses a password with the link the admin's page mails them.
    """
    email, name = normalised_email(email), checked_name(name)
    schools = schools_for_role(role, school_codes)
    if password is not None:
        validate_password(password)
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}", code="language_unknown", field="language")
    if db.session.execute(sa.select(User.id).where(sa.func.lower(User.email) == email)).first():
        raise UserError(f"a user with e-mail {email} already exists", code="email_taken", field="email")
    secret = password if password is not None else secrets.token_urlsafe(32)
    user = User(email=email, name=name, role=role, password_hash=_hasher()[0].hash(secret), schools=schools,
                language=language)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; rehashes outdated hashes."""
    user = db.session.execute(sa.select(User).where(User.email == email.strip().lower())).scalar()
    hasher, dummy = _hasher()
    try:
        hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def users_for_school(school_id: int, roles: tuple[str, ...]) -> list[User]:
    """Active users with one of ``roles`` for a school; privacy officers count for every school."""
    query = sa.select(User).where(User.active.is_(True), User.role.in_(roles))
    per_school = [r for r in roles if r != PRIVACY_OFFICER]
    conditions = []
    if per_school:
        conditions.append(sa.and_(User.role.in_(per_school), User.schools.any(School.id == school_id)))
    if PRIVACY_OFFICER in roles:
        conditions.append(User.role == PRIVACY_OFFICER)
    return list(db.session.execute(query.where(sa.or_(*conditions)).order_by(User.id)).scalars())
