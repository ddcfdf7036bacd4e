"""The clock of one case with this installation's settings: whether an information request pauses it
(R-DL-6) and by when the requester is asked to answer (R-ID-6). Used by cases, the steps' mails and the
letters; imports none of the case services (issue 12)."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..models import Case
from ..workflows import deadlines
from .clock import local_today


def clock_pause(case: Case, today: dt.date | None = None) -> deadlines.ClockPause:
    """R-DL-6 for the case's information request: does it pause the clock, and why (letter, portal, deadline)."""
    return deadlines.clock_pause(
        case.info_kind, received_on=case.received_on,
        info_requested_on=case.info_requested_on or today or local_today(),
        large_amount_of_data=bool(case.info_large_data),
        max_working_days=current_app.config["SUSPENSION_MAX_WORKING_DAYS"])


def information_answer_by(case: Case) -> dt.date | None:
    """The answer-by date of the case's information request (R-ID-6), None without a request."""
    if not case.info_requested_on:
        return None
    return deadlines.information_answer_by(case.info_requested_on, int(current_app.config["INFORMATION_ANSWER_DAYS"]))
