"""Firing a workflow step: the one way every path moves a case (issue 12 point 2).

Staff (``cases.transition``), dsr itself after a student's consent is lost (``consent``) and the
requester withdrawing through the portal (``portal_status.withdraw``) all go through :func:`take_step`:
fire the trigger on the machine, flush (the case's version check), write the audit event, queue the
mails and the follow-up work the step causes. The caller owns the transaction and commits once.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case
from ..notifications import queue_mail
from ..workflows import states as S
from ..workflows.machine import Actor, Transition, fire
from ..workflows.vocabulary import GROUND_LABELS
from . import approvals, audit, fulfilment, portal
from .case_access import ConflictError
from .case_clock import clock_pause, information_answer_by

#: The requester's mail per step (fulfil / approve_refusal: the decision goes out as a letter staff preview
#: and send, services.letters; an access package is delivered with its link by fulfilment.after_transition).
REQUESTER_MAILS = {
    "request_information": "information_requested",
    "reassess": "reassessed",
    "withdraw": "withdrawn",
    "close_unverified": "closed_unverified",
}


def take_step(case: Case, trigger: str, actor: Actor, data: dict, *, actor_kind: str = "staff",
              details: dict | None = None, conflict: Callable[[], Exception] | None = ConflictError,
              changes: Callable[[Transition], None] | None = None) -> Transition:
    """Fire ``trigger`` on ``case`` for ``actor`` → flush → audit → notify; no commit (the caller's).

    ``changes`` makes the caller's own changes after the step fired and before the flush, so they go in
    the same versioned update. A stale version at the flush rolls back and raises ``conflict()``; with
    ``conflict=None`` the :class:`StaleDataError` itself goes up (for a caller that retries). The audit
    event is ``transition.<trigger>`` by ``actor`` (``actor_kind`` "staff") or by the kind alone
    ("system", "requester"), with ``details`` or else the step's own.
    """
    done = fire(case, trigger, actor, data)
    if changes is not None:
        changes(done)
    try:
        db.session.flush()
    except StaleDataError as exc:
        if conflict is None:
            raise
        db.session.rollback()
        raise conflict() from exc
    audit.record(f"transition.{done.trigger}", case=case, actor=actor, actor_kind=actor_kind,
                 from_state=done.from_state, to_state=done.to_state, reason=done.reason,
                 details=done.details if details is None else details)
    notify(case, done, actor)
    return done


def notify(case: Case, done: Transition, actor: Actor) -> None:
    """Queue the mails a step causes (sent after commit) and its follow-up work in the same transaction."""
    kind = REQUESTER_MAILS.get(done.trigger)
    if kind:
        queue_mail(kind, case.requester_email, case=case, language=case.language,
                   grounds=[GROUND_LABELS.get(ground, ground) for ground in case.grounds_list],
                   suspension_counts=_suspension_counts(case), clock_pause=clock_pause(case),
                   answer_by=information_answer_by(case), portal_url=portal_link(case, kind))
    fulfilment.after_transition(case, done.trigger, actor)
    approvals.notify(case, done, actor)


def portal_link(case: Case, kind: str) -> str | None:
    """A fresh single-use link into the requester portal for the mails that carry one (issue 5: a
    mail says there is news and links to it, it does not carry the case's content)."""
    return portal.notice_link(case) if kind in portal.LINK_MAIL_KINDS else None


def _suspension_counts(case: Case) -> bool:
    if case.state != S.AWAITING_REQUESTER or not case.info_requested_on:
        return False
    return clock_pause(case).paused
