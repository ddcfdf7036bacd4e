"""Case operations: intake, workflow steps, e-mail confirmation. The per-school queue lives in
:mod:`dsr.services.queue`."""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import Case, School, User
from ..notifications import queue_mail
from ..workflows import deadlines, policy
from ..workflows import states as S
from ..workflows.extension import EXTENSION_REASONS, extension_problem
from ..workflows.machine import Transition, WorkflowError
from ..workflows.roles import DIRECTOR
from . import audit, consent, fulfilment, letters, portal_progress
from .address_confirmation import mark_confirmed
from .case_access import CaseNotFound, ConflictError, flush_or_conflict, get_visible_case, visible_cases
from .case_clock import clock_pause, information_answer_by
from .clock import local_today
from .links import TokenError, external_url, make_token, read_token
from .people import users_for_school
from .staff_digest import announce_case
from .steps import portal_link, take_step
from .transaction import transactional


class UnknownSchool(ValueError):
    """The request names no active school: the form's list (kept per process for a short while,
    services.schools.active_school_choices) still offered one that was just deactivated elsewhere."""


def recompute_deadline(case: Case) -> None:
    """Store the legal deadline from receipt, extension and suspension (R-DL-2/3/5/6)."""
    case.due_on = deadlines.legal_deadline(case.received_on, extended=case.extended,
                                           suspended_days=case.suspended_days)


@transactional
def submit_request(data: dict, *, language: str = "nl") -> Case:
    """Register a request from the public form; mail the requester and the school; one commit."""
    return open_new_case(data, language=language, received_on=local_today())


def open_new_case(data: dict, *, language: str, received_on: dt.date, channel: str = "web",
                  actor: User | None = None, reason: str = "", details: dict | None = None) -> Case:
    """Store a new request and queue its mails, in the caller's transaction (no commit).

    The one path of every request, from the public form (:func:`submit_request`) or registered by staff
    (``services.channel_intake``): the same reference, audit event, receipt with its address confirmation
    (and so the same portal), and the announcement to the school's staff (:func:`staff_digest.announce_case`,
    after the commit: the worker renders it, at once for an urgent case, else in each member's digest).
    ``received_on`` is the legal date of receipt (R-DL-1), which the deadline counts from; ``actor`` is the
    staff member who registered it (None: the requester), ``reason`` and ``details`` go into the
    "case.submitted" audit event.
    """
    school = db.session.get(School, data["school_id"])
    if school is None or not school.active:
        raise UnknownSchool("unknown school")
    case = Case(
        school=school, right=data["right"], state=S.SUBMITTED, language=language, channel=channel,
        student_name=data["student_name"], student_birth_date=data["student_birth_date"],
        student_number=data.get("student_number") or None,
        requester_role=data["requester_role"], requester_name=data["requester_name"],
        requester_email=data["requester_email"].strip(), requester_phone=data.get("requester_phone") or None,
        parental_authority=data.get("parental_authority") if data["requester_role"] in policy.GEZAG_ROLES else None,
        subject=data.get("subject") or "student",
        details=data.get("details") or "", data_concerned=data.get("data_concerned") or "",
        correct_value=data.get("correct_value") or "",
        received_on=received_on, extended=False, suspended_days=0, student_consent=False,
        confirm_nonce=secrets.token_urlsafe(24),
    )
    recompute_deadline(case)
    db.session.add(case)
    db.session.flush()
    case.reference = f"AVG-{received_on.year}-{case.id:05d}"
    audit.record("case.submitted", case=case, actor=actor, actor_kind="staff" if actor else "requester",
                 to_state=case.state, reason=reason,
                 details={"right": case.right, "requester_role": case.requester_role, "subject": case.subject,
                          **(details or {})})
    confirm_url = external_url("public.confirm_email", token=make_token("confirm-email", {"n": case.confirm_nonce}))
    queue_mail("receipt", case.requester_email, case=case, language=case.language, confirm_url=confirm_url)
    # Staff hear of it from the worker (a mail at once if urgent, else their digest): nothing rendered here.
    enqueue_after_commit(announce_case, case.id)
    return case


class AlreadyConfirmed(TokenError):
    """A genuine confirmation link whose work is done: the address is confirmed already (by this link
    before, or by a portal link). The page says so instead of "invalid" (issue 14)."""

    def __init__(self) -> None:
        super().__init__(expired=False)


@transactional
def confirm_email(token: str) -> Case:
    """Confirm the requester's address from the link in the receipt mail (single use); the
    acknowledgement with the deadline follows (services.address_confirmation).

    :class:`AlreadyConfirmed` for a genuine link used before; :class:`TokenError` for any other bad link.
    """
    max_age = current_app.config["CONFIRM_LINK_MAX_AGE_DAYS"] * 86400
    payload = read_token("confirm-email", token, max_age)
    nonce = payload.get("n")
    if not isinstance(nonce, str) or not nonce:
        raise TokenError(expired=False)
    case = db.session.execute(sa.select(Case).where(Case.confirm_nonce == nonce)).scalar()
    if case is None:
        # The signature is ours and current, so this nonce was issued; it is cleared only when the address
        # is confirmed (address_confirmation.mark_confirmed) or the case is erased, long after the link expired.
        raise AlreadyConfirmed()
    mark_confirmed(case)  # and the full acknowledgement follows, now that the address is known to be theirs
    return case


def assessment_for(case: Case, on: dt.date | None = None) -> policy.Assessment:
    """The rights policy applied to this case on ``on`` (default: the receipt date, or the date of
    the last re-assessment, R-CH-1)."""
    on = on or case.policy_reference_on or case.received_on
    assessment = policy.assess(
        right=case.right, requester=case.requester_role, birth_date=case.student_birth_date,
        on=on,
        parental_authority=case.parental_authority if case.parental_authority is not None else True,
        student_consent=case.student_consent,
        child_request_needs_confirmation=current_app.config["CHILD_REQUEST_NEEDS_CONFIRMATION"],
        subject=case.subject or "student",
    )
    # A consent for the learning results only (R-CH-4, recorded through the consent link) narrows it.
    return consent.limit_assessment(case, assessment, on)


def _apply_suspension(case: Case) -> None:
    """R-DL-6: credit the days waited, only when this kind of question pauses the clock and was asked in time."""
    if case.info_requested_on and case.info_received_on and clock_pause(case).paused:
        case.suspended_days += deadlines.suspended_days(
            case.received_on, case.info_requested_on, case.info_received_on,
            max_working_days=current_app.config["SUSPENSION_MAX_WORKING_DAYS"],
        )
        recompute_deadline(case)


#: Steps after which something is disclosed or decided for the requester: R-CH-1 re-checks age first.
DISCLOSING_TRIGGERS = ("fulfil", "approve_refusal")
#: Steps that close a case or propose to: fulfilment must be complete (R-RI-7 Art. 19 tasks, R-RI-1 package).
CLOSING_TRIGGERS = ("fulfil", "propose_refusal", "approve_refusal")


def _age_band_changed(case: Case, today: dt.date) -> str | None:
    """R-CH-1: if the policy outcome changed since receipt (the student turned 16 or 18), why."""
    if case.assessment_outcome is None:
        return None
    now = assessment_for(case, on=today)
    if (now.outcome, now.scope) == (case.assessment_outcome, case.assessment_scope):
        return None
    with force_locale("nl"):  # recorded in the audit trail, which is kept in Dutch
        explanation = now.explanation
    return (f"De leerling is inmiddels {policy.age_on(case.student_birth_date, today)} jaar. De beoordeling "
            f"verandert van '{case.assessment_outcome}/{case.assessment_scope}' naar '{now.outcome}/{now.scope}'; "
            f"het verzoek moet opnieuw worden beoordeeld (R-CH-1). {explanation}")


@transactional
def transition(user: User, case_id: int, trigger: str, version: int, data: dict) -> Transition:
    """Fire ``trigger`` on a case the user may see, if nobody changed it since ``version``.

    Before a disclosing step the rights policy is run again with today's date; if the outcome
    changed (R-CH-1), the case goes back to review instead and the returned transition says so.
    """
    case = get_visible_case(user, case_id)
    if case.version != version:
        raise ConflictError()
    data = dict(data, today=local_today())
    if trigger == "review":
        if data.get("student_consent") and not case.student_consent:
            case.student_consent = True  # recorded with the review's audit event
        data["assessment"] = assessment_for(case)
    if trigger in DISCLOSING_TRIGGERS:
        changed = _age_band_changed(case, data["today"])
        if changed:
            trigger, data = "reassess", {"reason": changed, "today": data["today"]}
    if trigger in CLOSING_TRIGGERS:
        # What the machine's guard checks: open Art. 19 tasks, work not carried out.
        data.update(fulfilment.closing_facts(case, trigger))
    if trigger == "propose_refusal":
        # Who must approve is fixed now (four-eyes, workflows.approval): the school's directors.
        data["school_director_ids"] = [u.id for u in users_for_school(case.school_id, (DIRECTOR,))
                                       if u.role == DIRECTOR]

    def changes(done: Transition) -> None:
        if done.to_state in S.DECIDED_STATES:
            # A decision letter to send keeps the case in the queue (issue 11 point 9).
            with db.session.no_autoflush:  # the stale-version check belongs to the step's flush, not to this read
                case.letter_pending = bool(letters.due_kinds(case))
        if trigger == "review":
            case.assessment_outcome, case.assessment_scope = data["assessment"].outcome, data["assessment"].scope
        if trigger == "information_received":
            _apply_suspension(case)

    old_due_on = case.due_on
    done = take_step(case, trigger, user, data, changes=changes)
    if trigger == "information_received":
        portal_progress.deadline_moved(case, old_due_on, user)  # R-DL-6 moved it: tell the requester
    return done


@transactional
def extend_deadline(user: User, case_id: int, version: int, reasons: list[str], explanation: str) -> Case:
    """R-DL-5: extend by two months, notify the requester with the reasons (R-LT-2); one commit."""
    case = get_visible_case(user, case_id)
    if case.version != version:
        raise ConflictError()
    today = local_today()
    refused = extension_problem(case, user, today, reasons, explanation)
    if refused:
        raise WorkflowError(refused[1], code=refused[0])
    old_due = case.due_on
    case.extended, case.extended_on = True, today
    # The requester reads the reasons (mail, letter): in the case's language, whatever staff use.
    with force_locale(case.language or "nl"):
        case.extension_reason = "; ".join(EXTENSION_REASONS[r] for r in reasons) + ". " + explanation.strip()
    recompute_deadline(case)
    flush_or_conflict()
    audit.record("case.extended", case=case, actor=user, reason=case.extension_reason,
                 details={"reasons": reasons, "old_due_on": old_due.isoformat(), "new_due_on": case.due_on.isoformat()})
    queue_mail("extension", case.requester_email, case=case, language=case.language, old_due_on=old_due,
               portal_url=portal_link(case, "extension"))
    return case


__all__ = ["CaseNotFound", "ConflictError", "WorkflowError", "submit_request", "transition", "confirm_email",
           "get_visible_case", "visible_cases", "clock_pause", "information_answer_by"]
