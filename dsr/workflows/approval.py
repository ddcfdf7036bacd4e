"""The four-eyes rule for (partial) refusals (R-EX-1 director approval, issue 11 point 8). Pure, no I/O.

Nobody approves their own work: the approver may not be the person who proposed the refusal nor the
person who took the review decision. Who must approve is fixed when the refusal is proposed:

- ``director``: a director of the school who is not involved (not the proposer, not the reviewer);
- ``privacy_officer``: the school has no such director (one director, who is involved, or none). The
  privacy officer approves, or appoints a director of another school to approve (recorded on the case).

A refusal is therefore never left waiting for a director who may not approve it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .roles import DIRECTOR, PRIVACY_OFFICER

DIRECTOR_ROUTE = "director"
PRIVACY_OFFICER_ROUTE = "privacy_officer"
ROUTES = (DIRECTOR_ROUTE, PRIVACY_OFFICER_ROUTE)


def involved_ids(case: Any) -> frozenset[int]:
    """The users who took part in the decision: the proposer and the reviewer."""
    return frozenset(i for i in (case.proposed_by_id, case.reviewed_by_id) if i is not None)


def approval_route(school_director_ids: Iterable[int], involved: Iterable[int]) -> str:
    """``director`` when the school has a director who is not involved, else ``privacy_officer``."""
    uninvolved = set(school_director_ids) - set(involved)
    return DIRECTOR_ROUTE if uninvolved else PRIVACY_OFFICER_ROUTE


def approver_rule(case: Any, actor: Any) -> str | None:
    """Why ``actor`` may not approve or reject the proposed refusal on ``case``, or None if they may.

    Returns a rule key: ``four_eyes`` (proposer or reviewer), ``appointed_other`` (someone else was
    appointed), ``route_privacy_officer`` (this school has no uninvolved director: not for its
    director), ``role`` (neither the school's director nor, on the privacy-officer route, the privacy
    officer), ``school`` (a director of another school who was not appointed).
    """
    if actor.id is not None and actor.id in involved_ids(case):
        return "four_eyes"
    appointed = getattr(case, "appointed_approver_id", None)
    route = getattr(case, "approval_route", None) or DIRECTOR_ROUTE
    if appointed is not None:
        # The privacy officer appointed one director of another school; the privacy officer itself still may.
        if actor.id == appointed or actor.role == PRIVACY_OFFICER:
            return None
        return "appointed_other"
    if actor.role == PRIVACY_OFFICER:
        return None if route == PRIVACY_OFFICER_ROUTE else "role"
    if actor.role != DIRECTOR:
        return "role"
    if case.school_id not in actor.school_ids:
        return "school"
    if route == PRIVACY_OFFICER_ROUTE:
        return "route_privacy_officer"
    return None


def appointment_problem(case: Any, candidate: Any) -> str | None:
    """Why ``candidate`` cannot be appointed to approve ``case``, or None: a director, not involved,
    of another school (the school's own directors are all involved, that is why an appointment is needed)."""
    if candidate is None or candidate.role != DIRECTOR or not getattr(candidate, "active", True):
        return "not_director"
    if candidate.id in involved_ids(case):
        return "four_eyes"
    if case.school_id in candidate.school_ids:
        return "same_school"
    return None


__all__ = ["DIRECTOR_ROUTE", "PRIVACY_OFFICER_ROUTE", "ROUTES", "approval_route", "approver_rule",
           "appointment_problem", "involved_ids"]
