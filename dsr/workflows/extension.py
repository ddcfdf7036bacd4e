"""R-DL-5: extending the deadline by two months, only in time and only with reasons."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import deadlines
from . import states as S
from .labels import Labels
from .roles import CASEWORK_ROLES, PRIVACY_OFFICER

#: Reasons the EDPB accepts as making an extension necessary (R-DL-5); "a lot of work", staff
#: absence or school holidays alone are not among them. Looked up, a reason reads in the current
#: language (``states.Labels``).
EXTENSION_REASONS = Labels({
    "volume": _l("Veel gegevens, verspreid over meerdere systemen"),
    "redaction": _l("Veel gegevens van anderen die zorgvuldig moeten worden afgeschermd"),
    "several_requests": _l("Meerdere verzoeken van dezelfde persoon tegelijk"),
    "complexity": _l("Juridisch of feitelijk complex verzoek"),
})
EXTENSION_TOO_LATE = "EXTENSION_TOO_LATE"


def extension_problem(case: Any, actor: Any, notice_on: dt.date, reasons: list[str],
                      explanation: str) -> tuple[str, str] | None:
    """Why the deadline of ``case`` cannot be extended on ``notice_on``: (code, message in the current
    language, Dutch by default), or None."""
    blocked = extension_blocker(case, actor, notice_on)
    if blocked:
        return blocked
    if not reasons or any(r not in EXTENSION_REASONS for r in reasons):
        return "NO_REASON", _("Kies minstens één reden waarom verlenging nodig is.")
    if not (explanation or "").strip():
        return "NO_EXPLANATION", _("Licht concreet toe waarom verlenging nodig is; de aanvrager krijgt deze uitleg.")
    return None


def extension_blocker(case: Any, actor: Any, notice_on: dt.date) -> tuple[str, str] | None:
    """What rules out extending the deadline of ``case`` on ``notice_on`` whatever the reasons given
    (who may, the state, once only, in time): (code, message), or None."""
    if actor.role not in CASEWORK_ROLES or (
            actor.role != PRIVACY_OFFICER and case.school_id not in actor.school_ids):
        return "FORBIDDEN", _("U mag de termijn van dit verzoek niet verlengen.")
    if case.state not in S.OPEN_STATES:
        return "CLOSED", _("Een afgehandeld verzoek kan niet meer worden verlengd.")
    if case.extended:
        return "ALREADY_EXTENDED", _("De termijn is al verlengd; dat kan maar één keer (met ten hoogste twee maanden).")
    last_day = deadlines.extension_notice_deadline(case.received_on)
    if notice_on > last_day:
        return EXTENSION_TOO_LATE, _(
            "Verlengen kan niet meer: dat moest uiterlijk op %(date)s worden gemeld, binnen de eerste maand na "
            "ontvangst (art. 12 lid 3 AVG, R-DL-5).", date=last_day.strftime("%d-%m-%Y"))
    return None


def may_extend(case: Any, actor: Any, notice_on: dt.date) -> bool:
    """Whether the case page offers the extension on ``notice_on`` (its reasons are checked on submit)."""
    return extension_blocker(case, actor, notice_on) is None
