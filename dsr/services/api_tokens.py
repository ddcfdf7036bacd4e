"""API tokens for the school's integrations (issue 18 point 4): made by the admin, scoped to schools and
permissions (dsr/api/scopes.py), valid for a number of days, revocable.

The plain token is returned once, by :func:`create`, and never stored: the table keeps its SHA-256 (to
find it again) and its first characters (to recognise it in the list). :func:`authenticate` finds the
token an integration sends; :func:`record_call` audits every call made with one (dsr/api/auth.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..api.scopes import SCOPES
from ..errors import NotFound
from ..extensions import db
from ..models import School, User
from ..models._types import utcnow
from ..models.integrations import ApiToken
from ..workflows.roles import ADMIN
from . import audit
from .transaction import transactional

#: Every token starts with this, so a secret scanner (and a person) recognises one that leaked.
TOKEN_PREFIX = "dsr_"
#: How many characters of the token the list shows: enough to tell tokens apart, far too few to use one.
SHOWN_CHARACTERS = 12


class ApiTokenError(ValueError):
    """A token could not be made; ``code`` names the problem and ``field`` the form field it belongs to
    (the admin's form shows its own message there, dsr/forms/api_tokens.py)."""

    def __init__(self, message: str, *, code: str, field: str):
        super().__init__(message)
        self.code, self.field = code, field


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the plain token to show the admin once."""

    token: ApiToken
    plain: str


def may_manage(user: object) -> bool:
    """Only the admin makes, lists and revokes API tokens."""
    return getattr(user, "role", None) == ADMIN


def _require_admin(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionError("only an admin manages API tokens")


def hash_token(plain: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def tokens() -> list[ApiToken]:
    """Every token, newest first (revoked and expired ones too: the admin sees what existed)."""
    return list(db.session.execute(sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
                .scalars())


def token(token_id: int) -> ApiToken:
    """The token with ``token_id``, else :class:`NotFound`."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(token_id)
    return row


def _schools(all_schools: bool, school_codes: Iterable[str]) -> list[School]:
    if all_schools:
        # "All schools" is the schools there are now: a school added later is not in an existing token
        # (least privilege: a token never reads more than the admin saw when making it).
        return list(db.session.execute(sa.select(School).where(School.active.is_(True)).order_by(School.code))
                    .scalars())
    codes = sorted(set(school_codes))
    if not codes:
        raise ApiTokenError("choose at least one school, or all", code="school_needed", field="schools")
    found = list(db.session.execute(sa.select(School).where(School.code.in_(codes))).scalars())
    if len(found) != len(codes):
        raise ApiTokenError("unknown school", code="school_unknown", field="schools")
    if any(not school.active for school in found):
        raise ApiTokenError("inactive school", code="school_inactive", field="schools")
    return found


def _scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise ApiTokenError("choose at least one permission", code="scope_needed", field="scopes")
    if any(scope not in SCOPES for scope in chosen):
        raise ApiTokenError("unknown permission", code="scope_unknown", field="scopes")
    return chosen


@transactional
def create(actor: User, *, name: str, scopes: Iterable[str], school_codes: Iterable[str] = (),
           all_schools: bool = False, days: int) -> NewToken:
    """Make a token; the plain token is in the answer only (audited as ``api_token.created``: id, name,
    scopes and schools, never the token)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ApiTokenError("name is required (at most 200 characters)", code="name", field="name")
    chosen_scopes = _scopes(scopes)
    maximum = current_app.config["API_TOKEN_MAX_DAYS"]
    if not isinstance(days, int) or not 1 <= days <= maximum:
        raise ApiTokenError(f"valid for 1 to {maximum} days", code="days", field="days")
    schools = _schools(all_schools, school_codes)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(name=name, token_hash=hash_token(plain), prefix=plain[:SHOWN_CHARACTERS],
                   scopes=" ".join(chosen_scopes), created_by_id=actor.id, created_at=now,
                   expires_at=now + dt.timedelta(days=days), schools=schools)
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.created", actor=actor, details={
        "token_id": row.id, "name": name, "scopes": chosen_scopes, "schools": sorted(s.code for s in schools),
        "expires_at": row.expires_at.isoformat()})
    return NewToken(row, plain)


@transactional
def revoke(actor: User, token_id: int) -> ApiToken:
    """Stop a token at once (audited as ``api_token.revoked``); revoking it again changes nothing."""
    _require_admin(actor)
    row = token(token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoked", actor=actor,
                     details={"token_id": row.id, "name": row.name, "scopes": sorted(row.scope_set)})
    return row


def is_usable(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Neither revoked nor expired."""
    now = now or utcnow()
    return row.revoked_at is None and row.expires_at > now


def authenticate(plain: str | None) -> ApiToken | None:
    """The usable token ``plain`` is, else None (unknown, revoked or expired: the caller cannot tell which)."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    row = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).scalar()
    if row is None or not is_usable(row):
        return None
    return row


def record_call(row: ApiToken, operation: str, status: int, read: dict[str, Any] | None = None) -> None:
    """Audit one call made with ``row`` (``api.call``: the token, the operation, the answer's status and the
    ids read, never a name or a free text) and note when the token was last used. In the call's
    transaction (dsr/api/auth.py opens it)."""
    row.last_used_at = utcnow()
    audit.record("api.call", actor_kind="api",
                 details={"token_id": row.id, "operation": operation, "status": status, **(read or {})})


@dataclass(frozen=True)
class TokenReader:
    """What the case queries and the dashboard's figures need of a reader (dsr/services/case_access.py,
    reports.py), for a token: its schools only, never all, and no person behind it."""

    token_id: int
    schools: tuple[School, ...]
    role: str = "api"
    sees_all_schools: bool = False
    does_casework: bool = True  # reads cases; visible_cases then limits it to the token's schools

    @property
    def id(self) -> None:
        """No user: a query that compares a user id (an appointed director) matches nothing."""
        return None

    @property
    def school_ids(self) -> frozenset[int]:
        return frozenset(s.id for s in self.schools)


def reader(row: ApiToken) -> TokenReader:
    """The reader for ``row``: its schools, as case_access and reports expect of a user."""
    return TokenReader(row.id, tuple(sorted(row.schools, key=lambda s: s.name)))
