"""Staff accounts: creation, sign-in checks, and who receives which staff notification."""
from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..extensions import db
from ..models import School, User
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER, ROLES, STAFF

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
    """A user could not be created or changed; the message says why."""


def validate_password(password: str) -> None:
    """ASVS 6.2: at least 12 characters, up to 128, no composition rules."""
    if len(password) < 12:
        raise UserError("password must be at least 12 characters")
    if len(password) > 128:
        raise UserError("password must be at most 128 characters")


def create_user(email: str, name: str, role: str, password: str, school_codes: list[str]) -> User:
    """Create a staff account; staff and directors need at least one school."""
    try:
        email = validate_email(email.strip(), check_deliverability=False,
                               test_environment=True).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"invalid e-mail address: {exc}") from exc
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    validate_password(password)
    if db.session.execute(sa.select(User.id).where(User.email == email)).first():
        raise UserError(f"a user with e-mail {email} already exists")
    schools = list(db.session.execute(sa.select(School).where(School.code.in_(school_codes))).scalars())
    missing = set(school_codes) - {s.code for s in schools}
    if missing:
        raise UserError(f"unknown school code(s): {', '.join(sorted(missing))}")
    if role in (STAFF, DIRECTOR) and not schools:
        raise UserError("staff and directors need at least one --school")
    user = User(email=email, name=name, role=role, password_hash=_hasher()[0].hash(password), schools=schools)
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
