"""When staff hear of a new request (dsr/workflows/staff_notices.py, issue 16 point 4): at once when it is
urgent (not from the web form, or due within 5 working days) or when the member asked for every request at
once; otherwise in their digest, at most one per window."""
from __future__ import annotations

import datetime as dt
from datetime import date

import pytest

from dsr.workflows.deadlines import legal_deadline
from dsr.workflows.staff_notices import (
    DIGEST,
    EACH,
    URGENT_CHANNEL,
    URGENT_DUE_SOON,
    announce_at_once,
    digest_due,
    urgency,
)

D = date.fromisoformat
TODAY = D("2026-12-04")  # a Friday


@pytest.mark.parametrize(("channel", "due_on", "expected"), [
    ("web", legal_deadline(TODAY), None),  # the public form today: a month to go, the digest will do
    ("web", D("2026-12-11"), URGENT_DUE_SOON),  # 5 working days after a Friday: the next Friday
    ("web", D("2026-12-14"), None),  # 6 working days (the weekend does not count)
    ("web", TODAY, URGENT_DUE_SOON),  # due today
    ("web", D("2026-11-30"), URGENT_DUE_SOON),  # overdue
    ("web", D("2026-12-31"), None),
    ("letter", legal_deadline(TODAY), URGENT_CHANNEL),  # registered by staff: always at once
    ("email", D("2027-01-04"), URGENT_CHANNEL),
    ("phone", D("2026-12-11"), URGENT_CHANNEL),  # both reasons: the channel is named
    ("counter", legal_deadline(TODAY), URGENT_CHANNEL),
])
def test_urgency(channel, due_on, expected):
    assert urgency(channel, due_on, TODAY) == expected


def test_public_holidays_do_not_count_as_working_days():
    # Christmas 2026: Friday 25 and Saturday 26 December; from Monday 21 December, 5 working days end on
    # Tuesday 29 December (22, 23, 24, 28, 29).
    assert urgency("web", D("2026-12-29"), D("2026-12-21")) == URGENT_DUE_SOON
    assert urgency("web", D("2026-12-30"), D("2026-12-21")) is None


@pytest.mark.parametrize(("urgent", "choice", "minutes", "expected"), [
    (False, DIGEST, 15, False),  # the default: the digest
    (False, None, 15, False),  # no choice stored: the default
    (False, EACH, 15, True),  # the member asked for every request at once
    (True, DIGEST, 15, True),  # urgent: at once, whatever was chosen
    (True, EACH, 15, True),
    (False, DIGEST, 0, True),  # digests switched off
])
def test_announce_at_once(urgent, choice, minutes, expected):
    assert announce_at_once(urgent, choice, minutes) is expected


NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("last_sent", "minutes", "expected"), [
    (None, 15, True),  # never one before
    (NOW - dt.timedelta(minutes=15), 15, True),  # the window has passed
    (NOW - dt.timedelta(minutes=14, seconds=59), 15, False),  # one in this window already
    (NOW - dt.timedelta(minutes=1), 0, True),  # no window
])
def test_digest_due(last_sent, minutes, expected):
    assert digest_due(last_sent, NOW, minutes) is expected
