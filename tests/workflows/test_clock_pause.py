"""R-DL-6 (which information requests pause the clock) and R-ID-6 (the answer-by date), by rule id."""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.workflows.deadlines import ClockPause, clock_pause, information_answer_by, legal_deadline, suspended_days

MON = dt.date(2026, 3, 2)  # received on Monday 2 March 2026 (docs/legal.md R-DL-6 example)


@pytest.mark.parametrize("kind, asked_on, large, expected", [
    pytest.param("identity", dt.date(2026, 3, 4), False, ClockPause(True, "identity"),
                 id="R-DL-6: identity doubt asked in time pauses (Art. 12(6))"),
    pytest.param("identity", MON, False, ClockPause(True, "identity"),
                 id="R-DL-6: asked on the day of receipt counts as in time"),
    pytest.param("identity", dt.date(2026, 3, 5), False, ClockPause(True, "identity"),
                 id="R-DL-6: asked on the third working day is in time"),
    pytest.param("identity", dt.date(2026, 3, 6), False, ClockPause(False, "late"),
                 id="R-DL-6: asked on the fourth working day is late, no pause"),
    pytest.param("authority", dt.date(2026, 3, 3), False, ClockPause(True, "authority"),
                 id="R-DL-6: authority (gezag, mandate) pauses as the rule book lists it"),
    pytest.param("clarification", dt.date(2026, 3, 3), False, ClockPause(False, "clarification_not_large"),
                 id="R-DL-6: clarification without a large amount of data does not pause"),
    pytest.param("clarification", dt.date(2026, 3, 3), True, ClockPause(True, "large_amount_of_data"),
                 id="R-DL-6: clarification with a recorded large amount of data pauses (Recital 63)"),
    pytest.param("clarification", dt.date(2026, 3, 20), True, ClockPause(False, "late"),
                 id="R-DL-6: a late clarification never pauses, even with much data"),
    pytest.param("identity", dt.date(2026, 3, 3), True, ClockPause(True, "identity"),
                 id="R-DL-6: the large-data flag does not change an identity question"),
    pytest.param("fee", dt.date(2026, 3, 3), True, ClockPause(False, "unknown_kind"),
                 id="R-DL-6: anything else (e.g. a fee) never pauses"),
    pytest.param(None, dt.date(2026, 3, 3), False, ClockPause(False, "unknown_kind"),
                 id="R-DL-6: no kind recorded, no pause"),
])
def test_which_information_request_pauses_the_clock(kind, asked_on, large, expected):
    assert clock_pause(kind, received_on=MON, info_requested_on=asked_on, large_amount_of_data=large) == expected


def test_r_dl_6_the_setting_moves_the_in_time_limit():
    late = clock_pause("identity", received_on=MON, info_requested_on=dt.date(2026, 3, 6))
    allowed = clock_pause("identity", received_on=MON, info_requested_on=dt.date(2026, 3, 6), max_working_days=4)
    assert (late.paused, allowed.paused) == (False, True)


def test_r_dl_6_rule_book_example_with_a_pausing_kind():
    """r = Mon 2026-03-02, ID asked 03-04, answer 03-16 -> 12 days -> Tue 2026-04-14."""
    assert clock_pause("identity", received_on=MON, info_requested_on=dt.date(2026, 3, 4)).paused
    days = suspended_days(MON, dt.date(2026, 3, 4), dt.date(2026, 3, 16))
    assert days == 12 and legal_deadline(MON, suspended_days=days) == dt.date(2026, 4, 14)


@pytest.mark.parametrize("asked_on, days, expected", [
    pytest.param(dt.date(2026, 3, 2), 14, dt.date(2026, 3, 16), id="R-ID-6: 14 days after asking"),
    pytest.param(dt.date(2026, 3, 21), 14, dt.date(2026, 4, 7),
                 id="R-ID-6: landing on the Saturday before Easter rolls past Easter Monday"),
    pytest.param(dt.date(2026, 12, 12), 14, dt.date(2026, 12, 28),
                 id="R-ID-6: landing on Saturday 26 December rolls to Monday"),
    pytest.param(dt.date(2026, 3, 2), 30, dt.date(2026, 4, 1), id="R-ID-6: the number of days is a setting"),
])
def test_the_answer_by_date(asked_on, days, expected):
    assert information_answer_by(asked_on, days) == expected


def test_r_id_6_answer_days_must_be_positive():
    with pytest.raises(ValueError):
        information_answer_by(MON, 0)
