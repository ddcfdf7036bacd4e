"""Who approves a proposed refusal, the privacy officer's appointment, and the staff mails about it.

The rule is ``workflows.approval`` (four-eyes, issue 11 point 8); this module finds the people: the
school's uninvolved directors, or the privacy officers, or the director the privacy officer appointed.
Mails to staff say what is true: an approved refusal is decided, not yet sent (issue 11 point 9).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, User
from ..notifications import queue_mail
from ..workflows import approval
from ..workflows import states as S
from ..workflows.machine import Actor, Transition, WorkflowError
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER
from . import audit
from .case_access import ConflictError, get_visible_case, visible_cases
from .links import external_url
from .people import users_for_school
from .transaction import transactional


def approvers_for(case: Case) -> list[User]:
    """The people who may approve the refusal proposed on ``case`` now (shown on the case and the list)."""
    if case.state != S.AWAITING_DIRECTOR:
        return []
    if case.appointed_approver_id is not None:
        appointed = db.session.get(User, case.appointed_approver_id)
        return [appointed] if appointed is not None and appointed.active else []
    involved = approval.involved_ids(case)
    if (case.approval_route or approval.DIRECTOR_ROUTE) == approval.DIRECTOR_ROUTE:
        return [u for u in users_for_school(case.school_id, (DIRECTOR,))
                if u.role == DIRECTOR and u.id not in involved]
    return [u for u in users_for_school(case.school_id, (PRIVACY_OFFICER,)) if u.id not in involved]


def candidates(case: Case) -> list[User]:
    """Directors the privacy officer may appoint: active, of another school, not involved."""
    users = db.session.execute(
        sa.select(User).where(User.role == DIRECTOR, User.active.is_(True)).order_by(User.name)).scalars()
    return [u for u in users if approval.appointment_problem(case, u) is None]


@transactional
def appoint_approver(user: User, case_id: int, version: int, approver_id: int) -> Case:
    """The privacy officer appoints a director of another school to approve this refusal; audited, mailed;
    commits."""
    if user.role != PRIVACY_OFFICER:
        raise WorkflowError(_("Alleen de privacy officer kan een andere directeur aanwijzen."), code="role")
    case = get_visible_case(user, case_id)
    if case.version != version:
        raise ConflictError()
    if case.state != S.AWAITING_DIRECTOR:
        raise WorkflowError(_("Er wacht geen weigering op goedkeuring."), code="state")
    candidate = db.session.get(User, approver_id)
    problem = approval.appointment_problem(case, candidate)
    if problem:
        raise WorkflowError({
            "not_director": lambda: _("Kies een actieve directeur."),
            "four_eyes": lambda: _("Vier-ogenprincipe: deze directeur was zelf betrokken bij de beslissing."),
            "same_school": lambda: _("Kies een directeur van een andere school."),
        }[problem](), code=problem)
    assert candidate is not None  # no such user is a problem ("not_director") above
    case.appointed_approver_id = candidate.id
    case.approval_route = approval.PRIVACY_OFFICER_ROUTE
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError() from exc  # the transaction rolls back
    audit.record("case.approver_appointed", case=case, actor=user,
                 reason=f"Goedkeuring van de weigering door {candidate.name} (directeur van een andere school).",
                 details={"approver_id": candidate.id, "approval_route": case.approval_route})
    queue_mail("staff_approval_requested", candidate.email, case=case, user=candidate, proposer=case.proposed_by,
               case_url=external_url("staff.case", case_id=case.id))
    return case


def awaiting_for(user: User) -> sa.Select[Any]:
    """The proposed refusals ``user`` must approve, oldest deadline first (the approvals list)."""
    query = visible_cases(user).where(Case.state == S.AWAITING_DIRECTOR)
    if user.role == PRIVACY_OFFICER:
        query = query.where(Case.approval_route == approval.PRIVACY_OFFICER_ROUTE)
    else:
        query = query.where(sa.or_(
            Case.appointed_approver_id == user.id,
            sa.and_(Case.appointed_approver_id.is_(None),
                    sa.or_(Case.approval_route.is_(None), Case.approval_route == approval.DIRECTOR_ROUTE))))
        query = query.where(sa.or_(Case.proposed_by_id.is_(None), Case.proposed_by_id != user.id),
                            sa.or_(Case.reviewed_by_id.is_(None), Case.reviewed_by_id != user.id))
    return query.order_by(Case.due_on, Case.id)


def notify(case: Case, done: Transition, actor: Actor) -> None:
    """The staff mails of the four-eyes steps (queued; sent after commit)."""
    case_url = external_url("staff.case", case_id=case.id)
    if done.trigger == "propose_refusal":
        for approver in approvers_for(case):
            queue_mail("staff_approval_requested", approver.email, case=case, user=approver, proposer=actor,
                       case_url=case_url)
    elif done.trigger in ("approve_refusal", "reject_refusal") and case.proposed_by is not None:
        queue_mail("staff_approval_decided", case.proposed_by.email, case=case, user=case.proposed_by,
                   director=actor, approved=done.trigger == "approve_refusal", reason=done.reason,
                   letter_pending=bool(case.letter_pending), case_url=case_url)


__all__ = ["appoint_approver", "approvers_for", "awaiting_for", "candidates", "notify"]
