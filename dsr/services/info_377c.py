"""BW 1:377c information for a parent without gezag (R-CH-5): the recorded check of the child's interest.

The school gives a parent without gezag information about important facts and circumstances concerning
the child, unless it would not give it to a parent with gezag either or the child's interest opposes.
Care (zorg) information goes into the 1:377c letter only after staff recorded that check on the case:
who, when, an internal reason (never in a letter) and the care information the parent reads.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..models import Case, User
from ..models._types import utcnow
from . import audit
from .case_access import ConflictError, get_visible_case
from .transaction import transactional

#: The assessment outcome of a parent without gezag (``workflows.policy``).
INFO_ONLY = "info_only"


class CheckError(ValueError):
    """The check cannot be recorded; ``message`` is shown at the form."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_problem(case: Case, reason: str) -> str | None:
    """Why the check of the child's interest cannot be recorded now, or None."""
    if case.assessment_outcome != INFO_ONLY:
        return _("Alleen bij informatie aan een ouder zonder gezag (art. 1:377c BW).")
    if not case.is_open:
        return _("Het verzoek is afgesloten.")
    if not reason.strip():
        return _("Leg vast waarom het geven van deze informatie niet tegen het belang van het kind ingaat.")
    return None


@transactional
def record_check(user: User, case_id: int, version: int, *, reason: str, care_info: str) -> Case:
    """Record that staff checked the child's interest, with the care information the parent will read; commits."""
    case = get_visible_case(user, case_id)
    if case.version != version:
        raise ConflictError()
    problem = check_problem(case, reason)
    if problem:
        raise CheckError(problem)
    case.child_interest_checked_at, case.child_interest_checked_by_id = utcnow(), user.id
    case.child_interest_reason, case.care_info = reason.strip(), care_info.strip()
    audit.record("case.child_interest_checked", case=case, actor=user, reason=reason.strip(),
                 details={"care_info_given": bool(care_info.strip())})
    return case
