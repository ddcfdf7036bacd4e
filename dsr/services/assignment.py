"""Assigning a case to the staff member who handles it ("Toegewezen aan", issue 15 point 3).

Who may assign: the staff and directors of the case's school, and the privacy officer (a director of
another school appointed to approve a refusal sees the case, but does not run it). Who may be assigned:
an active staff member or director of the case's school (never someone of another school, never an
inactive account), the privacy officer only by assigning the case to themselves, or nobody. The change
uses the case's version (a form loaded before someone else's change is refused), is audited with the user
ids only, and the new assignee gets a mail with the reference and a link, unless they took the case
themselves. The assignee receives the case's deadline reminders (services/deadlines.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, School, User
from ..notifications import queue_mail
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER, STAFF
from . import audit
from .case_access import ConflictError, flush_or_conflict, get_visible_case
from .links import external_url
from .transaction import transactional

#: The roles a case can be handed to by someone else: the people who run a school's cases.
ASSIGNABLE_ROLES = (STAFF, DIRECTOR)


class AssignmentError(Exception):
    """An assignment refused; the message (in the staff member's language) says why."""

    def __init__(self, message: str, *, forbidden: bool = False):
        message = str(message)
        super().__init__(message)
        self.message, self.forbidden = message, forbidden


def may_assign(user: User, case: Case) -> bool:
    """Whether ``user`` may change who handles ``case``: its school's staff and directors, the privacy officer."""
    if user.role == PRIVACY_OFFICER:
        return True
    return user.role in ASSIGNABLE_ROLES and case.school_id in user.school_ids


def is_assignable(candidate: User, case: Case, *, by: User) -> bool:
    """Whether ``by`` may hand ``case`` to ``candidate``: an active staff member or director of the case's
    school; the privacy officer only when taking the case themselves."""
    if not candidate.active:
        return False
    if candidate.role == PRIVACY_OFFICER:
        return candidate.id == by.id
    return candidate.role in ASSIGNABLE_ROLES and case.school_id in candidate.school_ids


def may_handle(candidate: User, case: Case) -> bool:
    """Whether ``candidate`` (the current assignee) can still work on ``case``: still active, and still of its
    school or the privacy officer. A deactivated or moved assignee counts as nobody (for the reminders)."""
    if not candidate.active:
        return False
    return candidate.role == PRIVACY_OFFICER or (
        candidate.role in ASSIGNABLE_ROLES and case.school_id in candidate.school_ids)


def candidates(case: Case) -> list[User]:
    """The people a case can be handed to: the active staff and directors of its school, by name."""
    return list(db.session.execute(
        sa.select(User).where(User.active.is_(True), User.role.in_(ASSIGNABLE_ROLES),
                              User.schools.any(School.id == case.school_id))
        .order_by(User.name, User.id)
    ).scalars())


@transactional
def assign(user: User, case_id: int, version: int | None, assignee_id: int | None) -> Case:
    """Hand a case ``user`` may see to ``assignee_id`` (None: nobody), if nobody changed it since
    ``version``; audited, the new assignee mailed (not when they took it themselves); one commit.

    :class:`AssignmentError` when ``user`` may not assign or the assignee is not allowed;
    :class:`ConflictError` when the form is stale; ``CaseNotFound`` for a case the user may not see.
    """
    case = get_visible_case(user, case_id)
    if not may_assign(user, case):
        raise AssignmentError(_("Alleen medewerkers en directeuren van de school en de privacy officer kunnen een "
                                "verzoek toewijzen."), forbidden=True)
    if version is None or case.version != version:
        raise ConflictError()
    if not case.in_queue:
        raise AssignmentError(_("Dit verzoek is afgehandeld; toewijzen kan alleen bij een lopend verzoek."))
    previous_id = case.assigned_to_id
    if previous_id == assignee_id:
        return case  # nothing changes (the form kept its choice): no new version, no audit event, no mail
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not is_assignable(assignee, case, by=user)):
        raise AssignmentError(_("Kies een actieve medewerker of directeur van deze school."))
    case.assigned_to_id = assignee_id
    flush_or_conflict()  # the version check in the UPDATE: someone who saved first wins
    audit.record("case.assigned", case=case, actor=user,
                 details={"from_user_id": previous_id, "to_user_id": assignee_id})
    if assignee is not None and assignee.id != user.id:
        queue_mail("staff_assigned", assignee.email, case=case, user=assignee, assigned_by=user.name,
                   case_url=external_url("staff.case", case_id=case.id))
    return case
