"""The request state machine: one module-level ``transitions.Machine`` is the rule book.

State lives in the case's ``state`` column; a trigger is fired through :func:`fire`, which checks who
may act (role, school, four-eyes) and what must be recorded (method, grounds, reasons; the checks are
in :mod:`dsr.workflows.step_checks`) before the machine moves the case, then records those facts on the
case. Nothing here touches the database: services call :func:`fire` inside their transaction and write
the audit event themselves.

Guards return a message for the person acting, in the current language (Dutch by default, and
outside a request); the machine's own ``conditions`` call the same guards, so no caller can bypass
them by using the machine directly.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from transitions import Machine
from transitions.core import EventData

from . import approval
from . import states as S
from .labels import Labels
from .roles import CASEWORK_ROLES, DIRECTOR, PRIVACY_OFFICER, REQUESTER
from .step_checks import DATA_CHECKS
from .vocabulary import (
    GRANT,
    PARTIAL,
    REFUSE,
)


class Actor(Protocol):
    """Who fires a trigger: a staff user, the requester through their magic link, or dsr itself.

    Read-only members (the machine only reads them), so frozen dataclasses and the User model both fit.
    """

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...

    @property
    def school_ids(self) -> frozenset[int]: ...


class WorkflowError(Exception):
    """A trigger refused: wrong state, wrong person, or something required was not recorded."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Transition:
    """The outcome of a fired trigger, for the audit event and the notifications."""

    trigger: str
    from_state: str
    to_state: str
    reason: str
    details: dict = field(default_factory=dict)


TRIGGER_LABELS = Labels({
    "verify_identity": _l("Identiteit vastgesteld"),
    "request_information": _l("Informatie opvragen bij aanvrager"),
    "information_received": _l("Informatie ontvangen"),
    "close_unverified": _l("Sluiten: niet geverifieerd"),
    "review": _l("Juridische beoordeling vastleggen"),
    "fulfil": _l("Uitvoeren en afronden"),
    "propose_refusal": _l("(Gedeeltelijke) weigering voorleggen aan directeur"),
    "approve_refusal": _l("Weigering goedkeuren"),
    "reject_refusal": _l("Weigering afwijzen (terug naar beoordeling)"),
    "withdraw": _l("Verzoek ingetrokken"),
    "reopen": _l("Heropenen (bezwaar, klacht of rechtszaak)"),
    "reassess": _l("Opnieuw beoordelen (leeftijd leerling veranderd)"),
})

#: trigger -> (source states, destination, roles that may fire it)
_CASEWORK = CASEWORK_ROLES
RULES: dict[str, tuple[tuple[str, ...], str | None, tuple[str, ...]]] = {
    "verify_identity": ((S.SUBMITTED,), S.IDENTITY_CHECKED, _CASEWORK),
    "request_information": (
        (S.SUBMITTED, S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED),
        S.AWAITING_REQUESTER,
        _CASEWORK,
    ),
    # Returns to the state the question was asked from (kept in ``resume_state``).
    "information_received": ((S.AWAITING_REQUESTER,), None, _CASEWORK),
    "close_unverified": ((S.AWAITING_REQUESTER,), S.CLOSED_UNVERIFIED, _CASEWORK),
    "review": ((S.IDENTITY_CHECKED,), S.LEGAL_BASIS_REVIEWED, _CASEWORK),
    "fulfil": ((S.LEGAL_BASIS_REVIEWED,), S.FULFILLED, _CASEWORK),
    "propose_refusal": ((S.LEGAL_BASIS_REVIEWED,), S.AWAITING_DIRECTOR, _CASEWORK),
    # Approval lands in refused or partially_fulfilled depending on the reviewed decision. Who may
    # approve (a director, or the privacy officer / its appointee) is decided by workflows.approval.
    "approve_refusal": ((S.AWAITING_DIRECTOR,), None, (DIRECTOR, PRIVACY_OFFICER)),
    # Back to review: the reviewer must record a new decision.
    "reject_refusal": ((S.AWAITING_DIRECTOR,), S.IDENTITY_CHECKED, (DIRECTOR, PRIVACY_OFFICER)),
    "withdraw": (S.OPEN_STATES, S.WITHDRAWN, _CASEWORK + (REQUESTER,)),
    "reopen": (S.DECIDED_STATES, S.IDENTITY_CHECKED, (PRIVACY_OFFICER,)),
    # R-CH-1: the student turned 16 or 18 before disclosure; the review must be done again.
    "reassess": ((S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR), S.IDENTITY_CHECKED, _CASEWORK),
}
TRIGGERS = tuple(RULES)



# ---- authorisation: who may fire what, on which case (data-independent) -------------------------

def _forbidding_rule(case: Any, trigger: str, actor: Actor) -> str | None:
    """The key of the first rule that keeps ``actor`` from firing ``trigger`` on ``case``, or None.
    No messages are built here: :func:`available_triggers` asks this for every trigger on every page."""
    sources, _dest, roles = RULES[trigger]
    if case.state not in sources:
        return "state"
    if actor.role not in roles:
        return "role"
    if trigger in ("approve_refusal", "reject_refusal"):
        # Four-eyes (issue 11 point 8): not the proposer nor the reviewer; the route fixed at proposal.
        return approval.approver_rule(case, actor)
    if actor.role == REQUESTER:
        if getattr(actor, "case_id", None) != case.id:
            return "own_case"
    elif actor.role != PRIVACY_OFFICER and case.school_id not in actor.school_ids:
        return "school"
    if trigger == "fulfil" and case.decision != GRANT:
        return "not_granted"
    if trigger == "propose_refusal" and case.decision not in (PARTIAL, REFUSE):
        return "no_refusal"
    return None


def authorisation_problem(case: Any, trigger: str, actor: Actor) -> str | None:
    """Why ``actor`` may not fire ``trigger`` on ``case`` now, or None if they may."""
    rule = _forbidding_rule(case, trigger, actor)
    if rule is None:
        return None
    if rule == "state":
        label = S.STATE_LABELS.get(case.state, case.state)
        return _("Deze stap (%(step)s) is niet mogelijk in de status '%(state)s'.",
                 step=TRIGGER_LABELS[trigger], state=label)
    return {
        "role": lambda: _("U heeft niet de rol die deze stap mag uitvoeren."),
        "own_case": lambda: _("U kunt alleen uw eigen verzoek intrekken."),
        "school": lambda: _("Dit verzoek hoort niet bij uw school."),
        "not_granted": lambda: _("Alleen een volledig toegewezen verzoek kan direct worden uitgevoerd; een "
                                 "(gedeeltelijke) weigering gaat langs de directeur."),
        "no_refusal": lambda: _("Er is geen (gedeeltelijke) weigering beoordeeld om voor te leggen."),
        "four_eyes": lambda: _("Vier-ogenprincipe: wie de weigering voorstelde of de beslissing bij de "
                               "beoordeling nam, kan haar niet zelf goedkeuren of afwijzen."),
        "appointed_other": lambda: _("De privacy officer heeft iemand anders aangewezen om deze weigering goed te "
                                     "keuren."),
        "route_privacy_officer": lambda: _("Geen andere directeur van deze school kan goedkeuren: de privacy officer "
                                           "keurt goed, of wijst een directeur van een andere school aan."),
    }[rule]()


def problem(case: Any, trigger: str, actor: Actor, data: dict) -> str | None:
    """The first reason ``trigger`` cannot fire now, or None when it can."""
    if trigger not in RULES:
        return _("Onbekende stap.")
    return authorisation_problem(case, trigger, actor) or DATA_CHECKS[trigger](case, data)


# ---- effects: what a transition records on the case ---------------------------------------------

def _apply_effects(case: Any, trigger: str, actor: Actor, data: dict, now: dt.datetime) -> None:
    """Record on the case what the trigger establishes (who, when, how, why)."""
    reason = (data.get("reason") or "").strip()
    if trigger == "verify_identity":
        case.verification_method = data["method"]
        if case.requester_role in ("parent", "guardian", "carer"):
            # The checked fact replaces what the parent stated on the form (R-ID-4).
            case.parental_authority = data["authority"] == "yes"
        case.verified_by_id, case.verified_at = actor.id, now
    elif trigger == "request_information":
        case.resume_state = case.state
        case.info_kind, case.info_reason = data["kind"], reason
        # Recital 63: only a clarification question can need it (R-DL-6); recorded on the case.
        case.info_large_data = data["kind"] == "clarification" and bool(data.get("large_amount_of_data"))
        case.info_requested_on, case.info_received_on = data.get("today") or now.date(), None
    elif trigger == "information_received":
        case.info_received_on = data.get("received_on") or data.get("today") or now.date()
    elif trigger == "review":
        case.decision = data["decision"]
        case.decision_grounds = ",".join(data.get("grounds") or ()) if data["decision"] != GRANT else ""
        case.review_note = reason
        case.reviewed_by_id, case.reviewed_at = actor.id, now
    elif trigger == "propose_refusal":
        case.proposal_reason = reason
        case.requester_explanation = (data.get("requester_explanation") or "").strip()
        case.proposed_by_id, case.proposed_at = actor.id, now
        # Who must approve (R-LT-1, four-eyes): the services pass the school's directors; without them
        # (pure use of the machine) the school's directors are assumed available.
        directors = data.get("school_director_ids")
        case.approval_route = (approval.DIRECTOR_ROUTE if directors is None
                               else approval.approval_route(directors, approval.involved_ids(case)))
        case.appointed_approver_id = None
    elif trigger in ("approve_refusal", "reject_refusal"):
        case.director_reason = reason
        case.director_id, case.director_decided_at = actor.id, now
        if trigger == "reject_refusal":
            # The refusal's grounds go with the decision: the next review states its own.
            case.decision, case.decision_grounds = None, None
            case.approval_route = case.appointed_approver_id = None
    elif trigger == "fulfil":
        case.fulfilment_note = reason
    elif trigger in ("reopen", "reassess"):
        case.closed_at = None
        case.letter_pending = False  # open again: the queue holds it anyway
        case.decision, case.decision_grounds = None, None
        case.assessment_outcome = case.assessment_scope = None
        if trigger == "reassess":
            # R-CH-1: from now on the student's age is taken on this date, not at receipt.
            case.policy_reference_on = data.get("today") or now.date()
    if trigger in ("fulfil", "approve_refusal", "withdraw", "close_unverified"):
        case.closed_at = now


# ---- the machine ---------------------------------------------------------------------------------

class _Attempt:
    """What the shared machine drives: a case plus who acts and with what, for one trigger."""

    def __init__(self, case: Any, trigger: str, actor: Actor, data: dict, now: dt.datetime) -> None:
        self.case, self.trigger, self.actor, self.data, self.now = case, trigger, actor, data, now

    @property
    def state(self) -> str:
        return self.case.state

    @state.setter
    def state(self, value: str) -> None:
        self.case.state = value

    # conditions and callbacks (send_event=False: no arguments needed, the attempt carries them)
    def allowed(self, trigger: str) -> bool:
        # Checked for the event actually fired, so driving MACHINE directly cannot skip a guard.
        return trigger == self.trigger and problem(self.case, trigger, self.actor, self.data) is None

    def resumes_to(self, target: str) -> bool:
        return (self.case.resume_state or S.SUBMITTED) == target

    def decided(self, decision: str) -> bool:
        return self.case.decision == decision

    def record(self) -> None:
        _apply_effects(self.case, self.trigger, self.actor, self.data, self.now)


def _machine_transitions() -> list[dict[str, Any]]:
    transitions: list[dict[str, Any]] = []
    for trigger, (sources, dest, _roles) in RULES.items():
        allowed = lambda m, t=trigger: m.allowed(t)  # noqa: E731 - bound per trigger
        if trigger == "information_received":
            for target in RULES["request_information"][0]:
                transitions.append({
                    "trigger": trigger, "source": S.AWAITING_REQUESTER, "dest": target,
                    "conditions": [allowed, lambda m, t=target: m.resumes_to(t)], "before": "record",
                })
        elif trigger == "approve_refusal":
            for decision, target in ((REFUSE, S.REFUSED), (PARTIAL, S.PARTIALLY_FULFILLED)):
                transitions.append({
                    "trigger": trigger, "source": S.AWAITING_DIRECTOR, "dest": target,
                    "conditions": [allowed, lambda m, d=decision: m.decided(d)], "before": "record",
                })
        else:
            transitions.append({"trigger": trigger, "source": list(sources), "dest": dest,
                                "conditions": [allowed], "before": "record"})
    return transitions


class _CallableConditionMachine(Machine):
    """transitions resolves string callbacks on the model; lambdas here take the model itself."""

    @staticmethod
    def resolve_callable(func: str | Callable[..., bool | None], event_data: EventData) -> Callable[..., bool | None]:
        """transitions' hook (a static method there too): a callable gets the model, a name is resolved as usual."""
        if callable(func) and not isinstance(func, str):
            return lambda *a, **k: func(event_data.model)
        return Machine.resolve_callable(func, event_data)


MACHINE = _CallableConditionMachine(
    model=None,
    states=list(S.STATES),
    transitions=_machine_transitions(),
    initial=None,
    auto_transitions=False,
    send_event=False,
    model_attribute="state",
)


def fire(case: Any, trigger: str, actor: Actor, data: dict | None = None,
         now: dt.datetime | None = None) -> Transition:
    """Move ``case`` by ``trigger`` if the rules allow it; raise :class:`WorkflowError` otherwise.

    ``data`` carries what the step records (method, kind, decision, grounds, reason, assessment).
    """
    data = dict(data or {})
    now = now or dt.datetime.now(dt.UTC)
    message = problem(case, trigger, actor, data)
    if message:
        raise WorkflowError(message)
    from_state = case.state
    attempt = _Attempt(case, trigger, actor, data, now)
    if not MACHINE.events[trigger].trigger(attempt):
        raise WorkflowError(_("Deze stap is nu niet mogelijk."))
    details = {k: v for k, v in data.items()
               if k in ("method", "authority", "kind", "decision", "grounds", "student_consent", "proposed_by")}
    if trigger == "request_information":
        details["large_amount_of_data"] = bool(case.info_large_data)
    elif trigger == "propose_refusal":
        details["approval_route"] = case.approval_route
    return Transition(trigger, from_state, case.state, (data.get("reason") or "").strip(), details)


def available_triggers(case: Any, actor: Actor) -> list[str]:
    """The triggers ``actor`` may fire on ``case`` now (for showing only the allowed actions)."""
    return [t for t in TRIGGERS if _forbidding_rule(case, t, actor) is None]
