"""What the staff, admin and sign-in pages read besides their one service call: plain reads (no
writes, nothing audited), so the views need not touch the database themselves.

Every function here only reads; a page that records something (R-AC-2) goes through
:mod:`dsr.services.reads` instead.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..models import Case, School, User
from . import approvals, history


def user_by_id(user_id: int) -> User | None:
    """The user with this id, or None if there is none (any more): the pending second sign-in step."""
    return db.session.get(User, user_id)


def users_by_role() -> Sequence[User]:
    """Every user, by role and e-mail address (the admin's user list)."""
    return db.session.execute(sa.select(User).order_by(User.role, User.email)).scalars().all()


def school(school_id: int) -> School:
    """The school with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(School, school_id)
    if found is None:
        raise NotFound(school_id)
    return found


def appeal_route_confirmers(schools: Sequence[School]) -> dict[int, User]:
    """The users who confirmed the appeal route of these schools, by user id."""
    ids = [s.appeal_route_confirmed_by_id for s in schools if s.appeal_route_confirmed_by_id]
    return {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()}


def case_history(case: Case) -> history.CaseHistory:
    """The case's history for its page: each event as a sentence, the reads in one line (services.history)."""
    return history.case_history(case)


def awaiting_approval(user: User) -> Sequence[Case]:
    """The proposed refusals ``user`` must approve, oldest deadline first (the approvals list)."""
    return db.session.execute(approvals.awaiting_for(user)).scalars().all()
