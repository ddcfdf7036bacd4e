"""R-DL-5: extending the deadline by two months, only in time and only with reasons."""
from __future__ import annotations

import datetime as dt
from typing import Any

from . import deadlines
from . import states as S

#: Reasons the EDPB accepts as making an extension necessary (R-DL-5); "a lot of work", staff
#: absence or school holidays alone are not among them.
EXTENSION_REASONS = {
    "volume": "Veel gegevens, verspreid over meerdere systemen",
    "redaction": "Veel gegevens van anderen die zorgvuldig moeten worden afgeschermd",
    "several_requests": "Meerdere verzoeken van dezelfde persoon tegelijk",
    "complexity": "Juridisch of feitelijk complex verzoek",
}
EXTENSION_TOO_LATE = "EXTENSION_TOO_LATE"


def extension_problem(case: Any, actor: Any, notice_on: dt.date, reasons: list[str], explanation: str) -> tuple[str, str] | None:
    """Why the deadline of ``case`` cannot be extended on ``notice_on``: (code, Dutch message), or None."""
    if actor.role not in S.CASEWORK_ROLES or (
            actor.role != S.PRIVACY_OFFICER and case.school_id not in actor.school_ids):
        return "FORBIDDEN", "U mag de termijn van dit verzoek niet verlengen."
    if case.state not in S.OPEN_STATES:
        return "CLOSED", "Een afgehandeld verzoek kan niet meer worden verlengd."
    if case.extended:
        return "ALREADY_EXTENDED", "De termijn is al verlengd; dat kan maar één keer (met ten hoogste twee maanden)."
    last_day = deadlines.extension_notice_deadline(case.received_on)
    if notice_on > last_day:
        return EXTENSION_TOO_LATE, (
            f"Verlengen kan niet meer: dat moest uiterlijk op {last_day:%d-%m-%Y} worden gemeld, binnen de "
            "eerste maand na ontvangst (art. 12 lid 3 AVG, R-DL-5).")
    if not reasons or any(r not in EXTENSION_REASONS for r in reasons):
        return "NO_REASON", "Kies minstens één reden waarom verlenging nodig is."
    if not (explanation or "").strip():
        return "NO_EXPLANATION", "Licht concreet toe waarom verlenging nodig is; de aanvrager krijgt deze uitleg."
    return None
