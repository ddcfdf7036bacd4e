"""Schools: the privacy officer's settings per school, i.e. the one appeal route refusal letters name
(R-LT-1) and the contact details letters give wherever they say "bel" or "kom langs" (issue 11, point 11);
and the admin's work, i.e. adding a school, changing its name, type and contact details, deactivating and
reactivating it (issue 15, point 6; the command line's ``create-school`` adds one with :func:`add_school`).

Every change is audited and is one commit; each claims the school's version, so two people editing the
same school never overwrite each other.
"""
from __future__ import annotations

import re
import time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import Case, School, User
from ..models._types import utcnow
from ..workflows.roles import ADMIN, PRIVACY_OFFICER
from ..workflows.states import OPEN_STATES
from ..workflows.vocabulary import APPEAL_ROUTES, SCHOOL_TYPES
from . import audit
from .transaction import transactional


def may_edit(user: object) -> bool:
    """Only the privacy officer confirms a school's appeal route (it is a legal choice); ``user`` may be
    anonymous (no role)."""
    return getattr(user, "role", None) == PRIVACY_OFFICER


def schools() -> list[School]:
    """Every school, by name."""
    return list(db.session.execute(sa.select(School).order_by(School.name)).scalars())


#: Where :func:`active_school_choices` keeps the list, per app (a test's app, a process's app).
_ACTIVE_CACHE_KEY = "dsr_active_schools"


def active_school_choices(*, fresh: bool = False) -> list[tuple[int, str]]:
    """(id, name) of the active schools, by name: the public form's list (issue 16 point 5).

    Kept in this process for ``SCHOOL_LIST_CACHE_SECONDS`` (0: not kept), so the intake form costs no
    query for it on GET or POST. A change made by an admin in this process is seen at once
    (:func:`forget_active_schools`); other processes see it within that time. Whatever the form offers,
    storing a request checks again that its school exists and is active (services.cases.open_new_case).
    ``fresh``: read it now (the form does, before it refuses a school the kept list lacks: one added
    by another process, e.g. the command line's ``create-school``, is then accepted at once).
    """
    ttl = float(current_app.config.get("SCHOOL_LIST_CACHE_SECONDS") or 0)
    cached = current_app.extensions.get(_ACTIVE_CACHE_KEY)
    now = time.monotonic()
    if ttl > 0 and not fresh and cached is not None and cached[0] > now:
        return cached[1]
    rows = [(row.id, row.name) for row in db.session.execute(
        sa.select(School.id, School.name).where(School.active.is_(True)).order_by(School.name))]
    if ttl > 0:
        current_app.extensions[_ACTIVE_CACHE_KEY] = (now + ttl, rows)
    return rows


def forget_active_schools() -> None:
    """Drop this process's list of active schools now and again when the transaction commits (a request in
    between must not keep the list from before the change)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's object, for the hook
    app.extensions.pop(_ACTIVE_CACHE_KEY, None)
    sa.event.listen(db.session(), "after_commit", lambda _session: app.extensions.pop(_ACTIVE_CACHE_KEY, None),
                    once=True)


def unconfirmed() -> list[School]:
    """Active schools whose appeal route nobody confirmed yet (letters then use the default)."""
    return [s for s in schools() if s.active and s.appeal_route_confirmed_at is None]


@transactional
def save_settings(user: User, school_id: int, version: int | None, *, appeal_route: str, phone: str,
                  visiting_address: str) -> School:
    """Set and confirm the school's appeal route and store its phone and visiting address, if the form was
    loaded at the school's current ``version`` (else :class:`SchoolConflict`); audited; one commit."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer confirms a school's appeal route")
    if appeal_route not in APPEAL_ROUTES:
        raise ValueError(appeal_route)
    school = _school(school_id)
    _claim(school, version)
    before = {"appeal_route": school.appeal_route, "phone": school.phone, "visiting_address": school.visiting_address,
              "confirmed": school.appeal_route_confirmed_at is not None}
    school.appeal_route = appeal_route
    school.phone, school.visiting_address = phone.strip(), visiting_address.strip()
    school.appeal_route_confirmed_at, school.appeal_route_confirmed_by_id = utcnow(), user.id
    after = {"appeal_route": appeal_route, "phone": school.phone, "visiting_address": school.visiting_address,
             "confirmed": True}
    audit.record("school.settings", actor=user,
                 reason=f"Rechtsgang van {school.name} bevestigd: {appeal_route}.",
                 details={"school_id": school.id, "before": before, "after": after})
    return school


# ---- the admin's work: add a school, change it, deactivate and reactivate it (issue 15 point 6) ----------

#: A school's code: what the command line and the lists show ("ODK"); letters and digits, stored upper-case.
SCHOOL_CODE = re.compile(r"[A-Z0-9-]{2,20}")


class SchoolError(ValueError):
    """A school could not be added or changed; the message says why (in English, for the command line),
    ``code`` names the problem and ``field`` the form field it belongs to (the web form shows its own
    message in the admin's language: :mod:`dsr.forms.schools`)."""

    def __init__(self, message: str, *, code: str, field: str = "", count: int = 0):
        super().__init__(message)
        self.code, self.field, self.count = code, field, count


class SchoolConflict(Exception):
    """Someone else changed the school since the form was loaded."""

    @property
    def message(self) -> str:
        """What the admin or privacy officer reads, in their language."""
        return _("Iemand anders heeft deze school intussen gewijzigd. Hieronder ziet u de school zoals die nu is; "
                 "doe uw wijziging zo nodig opnieuw.")


def may_manage(user: object) -> bool:
    """Only the admin adds schools and changes their name, type and contact details (``user`` may be
    anonymous); confirming the appeal route stays the privacy officer's (:func:`may_edit`)."""
    return getattr(user, "role", None) == ADMIN


def _require_admin(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionError("only an admin adds and changes schools")


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(school_id)
    return school


def _claim(school: School, version: int | None) -> None:
    """Optimistic locking, as for accounts (services/user_admin.py): the form's version must be the
    school's, and one conditional UPDATE moves it on, so of two saves at the same moment one wins."""
    if version is None or school.version != version:
        raise SchoolConflict()
    claimed = db.session.execute(sa.update(School).where(School.id == school.id, School.version == version)
                                 .values(version=School.version + 1).execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:
        raise SchoolConflict()
    db.session.refresh(school)


def _check(name: str, school_type: str, appeal_route: str) -> None:
    if not name.strip() or len(name.strip()) > 200:
        raise SchoolError("a school needs a name of at most 200 characters", code="name", field="name")
    if school_type not in SCHOOL_TYPES:
        raise SchoolError(f"unknown school type {school_type!r}", code="school_type", field="school_type")
    if appeal_route not in APPEAL_ROUTES:
        raise SchoolError(f"unknown appeal route {appeal_route!r}", code="appeal_route", field="appeal_route")


def _facts(school: School) -> dict[str, Any]:
    """What the audit keeps of a school's settings."""
    return {"code": school.code, "name": school.name, "school_type": school.school_type,
            "appeal_route": school.appeal_route, "phone": school.phone, "visiting_address": school.visiting_address,
            "active": school.active, "confirmed": school.appeal_route_confirmed_at is not None}


def add_school(code: str, name: str, *, school_type: str = "vo", appeal_route: str = "bezwaar", phone: str = "",
               visiting_address: str = "", actor: User | None = None, via: str = "web") -> School:
    """A new school, audited as ``school.created`` by ``actor`` (the command line has none: the system).
    Its appeal route is not confirmed until the privacy officer does so. No commit (the caller's)."""
    code = code.strip().upper()
    if not SCHOOL_CODE.fullmatch(code):
        raise SchoolError(f"school code {code!r}: use 2 to 20 letters, digits or -", code="code_format", field="code")
    _check(name, school_type, appeal_route)
    if db.session.execute(sa.select(School.id).where(sa.func.upper(School.code) == code)).first():
        raise SchoolError(f"school {code} exists", code="code_taken", field="code")
    school = School(code=code, name=name.strip(), school_type=school_type, appeal_route=appeal_route,
                    phone=phone.strip(), visiting_address=visiting_address.strip(), active=True)
    db.session.add(school)
    db.session.flush()
    forget_active_schools()
    audit.record("school.created", actor=actor, actor_kind="staff" if actor is not None else "system",
                 details={"school_id": school.id, "via": via, "after": _facts(school)})
    return school


@transactional
def create_school(actor: User, *, code: str, name: str, school_type: str, appeal_route: str, phone: str,
                  visiting_address: str) -> School:
    """The admin adds a school (:func:`add_school`). One commit."""
    _require_admin(actor)
    return add_school(code, name, school_type=school_type, appeal_route=appeal_route, phone=phone,
                      visiting_address=visiting_address, actor=actor)


@transactional
def update_school(actor: User, school_id: int, version: int | None, *, name: str, school_type: str,
                  appeal_route: str, phone: str, visiting_address: str) -> School:
    """The admin changes a school's name, type, appeal route and contact details; a changed appeal route
    is no longer confirmed (the privacy officer confirms it again; letters warn until then). The code
    stays: the command line and the lists know the school by it. One commit."""
    _require_admin(actor)
    school = _school(school_id)
    _check(name, school_type, appeal_route)
    _claim(school, version)
    before = _facts(school)
    if appeal_route != school.appeal_route:
        school.appeal_route_confirmed_at, school.appeal_route_confirmed_by_id = None, None
    school.name, school.school_type, school.appeal_route = name.strip(), school_type, appeal_route
    school.phone, school.visiting_address = phone.strip(), visiting_address.strip()
    forget_active_schools()
    audit.record("school.changed", actor=actor, details={"school_id": school.id, "before": before,
                                                          "after": _facts(school)})
    return school


def open_case_count(school_id: int) -> int:
    """How many of the school's requests are still open (not decided, withdrawn or closed)."""
    return db.session.execute(sa.select(sa.func.count(Case.id)).where(
        Case.school_id == school_id, Case.state.in_(OPEN_STATES))).scalar_one()


@transactional
def set_school_active(actor: User, school_id: int, version: int | None, active: bool) -> School:
    """Deactivate a school (the public form no longer offers it, no new request can name it, nobody
    gets it as a new school) or reactivate it. A school with open requests stays active: their legal
    deadlines run, and someone must finish them at that school. Closed requests stay where they are,
    with their retention. One commit."""
    _require_admin(actor)
    school = _school(school_id)
    if not active:
        still_open = open_case_count(school.id)
        if still_open:
            raise SchoolError(f"{still_open} open request(s)", code="open_cases", count=still_open)
    _claim(school, version)
    school.active = active
    forget_active_schools()
    audit.record("school.reactivated" if active else "school.deactivated", actor=actor,
                 details={"school_id": school.id})
    return school
