"""When staff hear of a new request (issue 16 point 4): at once, or in their digest.

Pure: the service (:mod:`dsr.services.staff_digest`) passes the case's facts and today's date. Staff get at
most one digest mail per ``STAFF_DIGEST_MINUTES`` that lists the new requests of their schools; an urgent
request is announced at once, to everyone, whatever they chose, and never again in a digest.
"""
from __future__ import annotations

import datetime as dt

from .channels import WEB  # the public form's channel; a request that came in any other way was registered by staff
from .deadlines import working_days_between

#: A request due within this many working days (the legal calendar, R-DL-1) is urgent.
URGENT_WITHIN_WORKING_DAYS = 5

#: Why a request is urgent (or None: it can wait for the digest).
URGENT_CHANNEL = "channel"
URGENT_DUE_SOON = "due_soon"

#: A staff member's choice (``User.case_notices``): the digest (the default) or every request at once.
DIGEST, EACH = "digest", "each"
CASE_NOTICE_CHOICES = (DIGEST, EACH)


def urgency(channel: str, due_on: dt.date, today: dt.date) -> str | None:
    """Why a new request must be announced at once, or None when it can wait for the digest.

    Urgent: it came in by a channel other than the web (post, phone, a counter: registered by staff, often
    days after it arrived, so its clock has been running), or its deadline is at most
    :data:`URGENT_WITHIN_WORKING_DAYS` working days after ``today`` (or past).
    """
    if channel != WEB:
        return URGENT_CHANNEL
    if working_days_between(today, due_on) <= URGENT_WITHIN_WORKING_DAYS:
        return URGENT_DUE_SOON
    return None


def announce_at_once(urgent: bool, choice: str | None, digest_minutes: float) -> bool:
    """Whether one staff member gets a request's own mail now (else it waits for their digest): an urgent
    request, a member who chose every request at once (:data:`EACH`), or digests switched off (0 minutes)."""
    return urgent or choice == EACH or digest_minutes <= 0


def digest_due(last_sent: dt.datetime | None, now: dt.datetime, digest_minutes: float) -> bool:
    """Whether a staff member may get a digest ``now``: never one before, or the last at least
    ``digest_minutes`` ago (at most one per window)."""
    return last_sent is None or now - last_sent >= dt.timedelta(minutes=digest_minutes)
