"""What each workflow step must record before it may fire (the data-dependent half of the machine's
guards; who may fire what is in :mod:`dsr.workflows.machine`). Pure: each check reads the case and the
submitted ``data`` and returns a message for the person acting, in the current language, or None."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .vocabulary import (
    DECISION_LABELS,
    GRANT,
    INFORMATION_KINDS,
    PARTIAL,
    REFUSAL_GROUNDS,
    REFUSE,
    VERIFICATION_METHODS,
)

#: A data check: why a trigger cannot record what ``data`` holds for the case, or None when it can.
Check = Callable[[Any, dict], str | None]


def required_text(data: dict, key: str, message: LazyString) -> str | None:
    value = data.get(key)
    return None if isinstance(value, str) and value.strip() else str(message)


def _verify_problem(case: Any, data: dict) -> str | None:
    if data.get("method") not in VERIFICATION_METHODS:
        return _("Kies hoe de identiteit is vastgesteld (een kopie van een identiteitsbewijs wordt niet bewaard).")
    if case.requester_role in ("parent", "guardian", "carer") and data.get("authority") not in ("yes", "no"):
        return _("Leg vast of de ouder het gezag heeft, zoals gecontroleerd in de leerlingadministratie (R-ID-4).")
    if case.requester_role == "representative" and data.get("authority") != "yes":
        return _("Een vertegenwoordiger heeft een schriftelijke machtiging nodig; leg vast dat die is "
                 "gecontroleerd (R-ID-5).")
    return None


def _request_information_problem(case: Any, data: dict) -> str | None:
    if data.get("kind") not in INFORMATION_KINDS:
        return _("Kies welke informatie u opvraagt.")
    return required_text(data, "reason", _l("Leg uit waarom u deze informatie nodig heeft (R-LT-3)."))


def _propose_problem(case: Any, data: dict) -> str | None:
    """The note for the approver (internal) and, separately, the explanation the requester reads."""
    return _closing_problem(_l("Schrijf een notitie voor wie de weigering goedkeurt."))(case, data) or \
        required_text(data, "requester_explanation",
                       _l("Leg de weigering uit aan de aanvrager: die uitleg komt in de brief."))


def _review_problem(case: Any, data: dict) -> str | None:
    decision = data.get("decision")
    if decision not in DECISION_LABELS:
        return _("Kies een beslissing: toewijzen, gedeeltelijk toewijzen of weigeren.")
    if decision in (PARTIAL, REFUSE):
        grounds = data.get("grounds") or ()
        if not grounds or any(g not in REFUSAL_GROUNDS for g in grounds):
            return _("Kies bij een (gedeeltelijke) weigering de wettelijke grond(en) (R-EX-1).")
    assessment = data.get("assessment")
    # R-CH-5: "info_only" is granted as BW 1:377c information (its own letter), not as an Art. 15 request.
    if assessment is not None and decision == GRANT and assessment.outcome not in ("allowed", "info_only"):
        return _("De beoordeling van de rechten staat volledige toewijzing niet toe (%(outcome)s, %(grounds)s). "
                 "Kies gedeeltelijk toewijzen of weigeren.",
                 outcome=assessment.outcome, grounds=", ".join(assessment.grounds))
    return required_text(data, "reason", _l("Licht de beslissing toe."))


def _information_received_problem(case: Any, data: dict) -> str | None:
    received_on = data.get("received_on")
    if received_on is not None and case.info_requested_on and received_on < case.info_requested_on:
        return _("De datum van ontvangst ligt vóór de datum waarop de informatie is opgevraagd.")
    if received_on is not None and data.get("today") and received_on > data["today"]:
        return _("De datum van ontvangst ligt in de toekomst.")
    return None


def _reason_required(message: LazyString) -> Check:
    return lambda case, data: required_text(data, "reason", message)


def _closing_problem(message: LazyString) -> Check:
    """A reason, and complete fulfilment: the services pass the facts in ``data`` (open Art. 19 tasks,
    R-RI-7: no closing while a recipient is not notified; work not yet carried out, e.g. no released
    access package, R-RI-1). Without those facts (pure use of the machine) only the reason is checked."""
    reason_problem = _reason_required(message)

    def check(case: Any, data: dict) -> str | None:
        problem = reason_problem(case, data)
        if problem:
            return problem
        open_tasks = data.get("open_recipient_tasks") or 0
        if open_tasks:
            return _("Nog open art. 19-taken: %(n)s. Licht eerst elke ontvanger in, of leg vast waarom dat "
                     "onmogelijk is of een onevenredige inspanning kost (R-RI-7).", n=open_tasks)
        return data.get("fulfilment_problem") or None

    return check


DATA_CHECKS: dict[str, Check] = {
    "verify_identity": _verify_problem,
    "request_information": _request_information_problem,
    "information_received": _information_received_problem,
    "close_unverified": _reason_required(_l("Geef aan waarom het verzoek zonder verificatie wordt gesloten.")),
    "review": _review_problem,
    "fulfil": _closing_problem(_l("Beschrijf wat er is gedaan om het verzoek uit te voeren.")),
    "propose_refusal": _propose_problem,
    "approve_refusal": _closing_problem(_l("Geef een toelichting bij de goedkeuring.")),
    "reject_refusal": _reason_required(_l("Geef aan waarom de weigering wordt afgewezen.")),
    "withdraw": _reason_required(_l("Geef aan hoe en wanneer het verzoek is ingetrokken.")),
    "reopen": _reason_required(_l("Geef de aanleiding voor heropenen (bezwaar, klacht of rechtszaak).")),
    "reassess": _reason_required(_l("Leg uit waarom opnieuw beoordeeld moet worden.")),
}
