"""The privacy officer's settings per school: the one appeal route refusal letters name (R-LT-1) and the
contact details letters give wherever they say "bel" or "kom langs" (issue 11, point 11).

Changing or confirming them is audited like any register change; one commit per request.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..models import School, User
from ..models._types import utcnow
from ..workflows.roles import PRIVACY_OFFICER
from ..workflows.vocabulary import APPEAL_ROUTES
from . import audit
from .transaction import transactional


def may_edit(user: object) -> bool:
    """Only the privacy officer confirms a school's appeal route (it is a legal choice); ``user`` may be
    anonymous (no role)."""
    return getattr(user, "role", None) == PRIVACY_OFFICER


def schools() -> list[School]:
    """Every school, by name."""
    return list(db.session.execute(sa.select(School).order_by(School.name)).scalars())


def unconfirmed() -> list[School]:
    """Active schools whose appeal route nobody confirmed yet (letters then use the default)."""
    return [s for s in schools() if s.active and s.appeal_route_confirmed_at is None]


@transactional
def save_settings(user: User, school_id: int, *, appeal_route: str, phone: str, visiting_address: str) -> School:
    """Set and confirm the school's appeal route and store its phone and visiting address; audited; one commit."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer confirms a school's appeal route")
    if appeal_route not in APPEAL_ROUTES:
        raise ValueError(appeal_route)
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(school_id)
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
