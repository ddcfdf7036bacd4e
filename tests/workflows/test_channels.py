"""The date of receipt staff may enter for a request from any channel (dsr/workflows/channels.py, docs/legal.md
§1a): R-DL-1 counts from the day it arrived; a future date is refused, a date past even the extended deadline
is refused, and a past date needs a reason."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr.workflows.channels import CHANNEL_LABELS, DESK_CHANNELS, earliest_received_on, received_on_problem
from dsr.workflows.deadlines import legal_deadline

D = date.fromisoformat
TODAY = D("2026-12-04")  # a Friday


def test_the_desk_channels_are_the_four_ways_besides_the_web_form():
    assert DESK_CHANNELS == ("letter", "email", "phone", "counter")
    assert set(CHANNEL_LABELS) == {"web", *DESK_CHANNELS}
    assert CHANNEL_LABELS["letter"] == "Brief"  # Dutch outside a request


@pytest.mark.parametrize(("received", "reason", "expected"), [
    ("2026-12-04", "", None),  # today: no reason needed
    ("2026-12-04", "typed anyway", None),
    ("2026-11-27", "lag bij de receptie", None),  # 5 working days ago, with a reason
    ("2026-11-27", "", "late_reason"),  # ... without one
    ("2026-11-27", "   ", "late_reason"),  # only spaces is no reason
    ("2026-12-05", "", "received_on"),  # tomorrow
    ("2027-01-04", "a reason", "received_on"),
])
def test_which_dates_of_receipt_may_be_registered(received, reason, expected):
    problem = received_on_problem(D(received), TODAY, reason)
    assert (problem[0] if problem else None) == expected


def test_the_oldest_date_is_the_one_whose_extended_deadline_is_today():
    earliest = earliest_received_on(TODAY)
    assert legal_deadline(earliest, extended=True) >= TODAY
    assert legal_deadline(earliest - timedelta(days=1), extended=True) < TODAY
    assert received_on_problem(earliest, TODAY, "gevonden in de post") is None
    field, message = received_on_problem(earliest - timedelta(days=1), TODAY, "gevonden in de post")
    assert field == "received_on" and earliest.strftime("%d-%m-%Y") in message and "privacy officer" in message


def test_a_weekend_deadline_rolls_forward_so_the_bound_reaches_back_further():
    # Monday 7 December 2026: three months back is Monday 7 September, whose extended deadline is today; the
    # extended deadline of Saturday 5 and Sunday 6 September rolls forward to Monday 7 December as well.
    monday = D("2026-12-07")
    assert earliest_received_on(monday) == D("2026-09-05")


@given(st.dates(min_value=D("2020-01-01"), max_value=D("2035-12-31")))
def test_every_accepted_past_date_still_has_an_extended_deadline_ahead(today):
    earliest = earliest_received_on(today)
    assert earliest <= today
    assert legal_deadline(earliest, extended=True) >= today
    assert legal_deadline(earliest - timedelta(days=1), extended=True) < today
