"""The roster at intake (issue 17 point 5): what it says about a case, and the one-click confirmation.

Read only for a case the user may see (the callers pass a case from ``get_visible_case``), and only the
roster rows of that case's school that could be its student. Nothing here is logged, and nothing of the
roster reaches the requester: it proposes facts to staff, who confirm them (``workflows.roster_match``).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, RosterStudent, User
from ..workflows import states as S
from ..workflows.machine import Transition
from ..workflows.roster_match import CaseFacts, Outcome, RosterContactFacts, RosterStudentFacts, match
from . import cases
from .case_access import ConflictError, get_visible_case
from .transaction import transactional


class RosterError(Exception):
    """The roster does not (or no longer) propose what was confirmed; nothing was recorded."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def school_has_roster(school_id: int) -> bool:
    """Whether any roster source lists students of this school (else the roster has nothing to say)."""
    return db.session.execute(sa.select(sa.exists().where(RosterStudent.school_id == school_id))).scalar() or False


def case_facts(case: Case) -> CaseFacts:
    """What the request says, as the matching reads it."""
    return CaseFacts(case.student_number, case.student_name, case.student_birth_date, case.requester_email,
                     case.requester_role, case.parental_authority, case.email_confirmed_at is not None)


def candidates(case: Case) -> list[RosterStudentFacts]:
    """The roster students of the case's school that could be its student: the one with its number, or
    (no number on the request) those born on the same day."""
    query = sa.select(RosterStudent).where(RosterStudent.school_id == case.school_id)
    number = (case.student_number or "").strip()
    query = query.where(RosterStudent.student_number == number) if number else \
        query.where(RosterStudent.birth_date == case.student_birth_date)
    return [RosterStudentFacts(s.student_number, s.name, s.birth_date, s.left_on,
                               tuple(RosterContactFacts(c.name, c.email, c.relation, c.gezag) for c in s.contacts))
            for s in db.session.execute(query.limit(50)).scalars()]


def outcome_for(case: Case) -> Outcome | None:
    """What the roster says about ``case``; None when its school has no roster."""
    if not school_has_roster(case.school_id):
        return None
    return match(case_facts(case), candidates(case))


@transactional
def confirm_known_contact(user: User, case_id: int, version: int | None) -> Transition:
    """The one click: the identity step with method ``known_contact`` and gezag "yes", as staff record it by
    hand, if the roster still says "known contact with gezag" (the audit event notes that the roster proposed
    it). A stale page is a conflict; anything else the roster no longer proposes is a :class:`RosterError`."""
    case = get_visible_case(user, case_id)
    if version is None or case.version != version:
        raise ConflictError()
    if case.state != S.SUBMITTED:
        raise RosterError(_("De identiteit van dit verzoek is al vastgesteld of kan nu niet worden vastgesteld."))
    outcome = outcome_for(case)
    if outcome is None or not outcome.one_click:
        raise RosterError(_("De leerlingadministratie noemt de aanvrager niet (meer) als contact met gezag. "
                            "Controleer de identiteit en het gezag zoals gewoonlijk."))
    return cases.transition(user, case_id, "verify_identity", version,
                            {"method": "known_contact", "authority": "yes", "proposed_by": "roster"})
