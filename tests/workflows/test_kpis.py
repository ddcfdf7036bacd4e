"""The dashboard's KPI math (R-AC-5), table-driven: on-time shares against the legal calendar,
medians, time per step and refusals per ground."""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.workflows import kpis

D = dt.date
UTC = dt.UTC


def _t(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=UTC)


# --- deadlines used for the shares -------------------------------------------------------------------

@pytest.mark.parametrize(("received", "one_month", "three_months"), [
    (D(2025, 3, 3), D(2025, 4, 3), D(2025, 6, 3)),      # plain weekdays
    (D(2025, 1, 31), D(2025, 2, 28), D(2025, 4, 28)),   # clamped to the month end; 3 months = 1 + 2
    (D(2025, 2, 3), D(2025, 3, 3), D(2025, 5, 6)),      # 3 May is a Saturday, 5 May Bevrijdingsdag
    (D(2024, 12, 1), D(2025, 1, 2), D(2025, 3, 3)),     # 1 January is a holiday; 1 March a Saturday
    (D(2025, 11, 30), D(2025, 12, 30), D(2026, 3, 2)),  # across the year end
])
def test_deadlines_are_the_original_legal_ones(received, one_month, three_months):
    assert kpis.one_month_deadline(received) == one_month
    assert kpis.three_month_deadline(received) == three_months


# --- shares answered on time -------------------------------------------------------------------------

TODAY = D(2025, 12, 1)


@pytest.mark.parametrize(("cases", "today", "one", "three"), [
    ([], TODAY, (0, 0), (0, 0)),
    # answered on the deadline day itself is on time; the day after is late
    ([(D(2025, 3, 3), D(2025, 4, 3))], TODAY, (1, 1), (1, 1)),
    ([(D(2025, 3, 3), D(2025, 4, 4))], TODAY, (0, 1), (1, 1)),
    # answered after the three-month deadline: late for both
    ([(D(2025, 3, 3), D(2025, 6, 4))], TODAY, (0, 1), (0, 1)),
    ([(D(2025, 3, 3), D(2025, 6, 3))], TODAY, (0, 1), (1, 1)),
    # the deadline rolled past the weekend and the holiday still counts as on time
    ([(D(2025, 2, 3), D(2025, 5, 6))], TODAY, (0, 1), (1, 1)),
    # still open: not counted while within the term, late once it has passed
    ([(D(2025, 11, 20), None)], TODAY, (0, 0), (0, 0)),
    ([(D(2025, 10, 1), None)], TODAY, (0, 1), (0, 0)),
    ([(D(2025, 3, 3), None)], TODAY, (0, 1), (0, 1)),
    ([(D(2025, 3, 3), None)], D(2025, 4, 3), (0, 0), (0, 0)),  # today is the deadline: not late yet
    ([(D(2025, 3, 3), None)], D(2025, 4, 4), (0, 1), (0, 0)),
    # a mix
    ([(D(2025, 3, 3), D(2025, 3, 20)), (D(2025, 3, 3), D(2025, 5, 10)), (D(2025, 3, 3), D(2025, 4, 4)),
      (D(2025, 2, 3), D(2025, 2, 20)), (D(2025, 6, 2), None)], TODAY, (2, 5), (4, 5)),
])
def test_answered_on_time(cases, today, one, three):
    result = kpis.answered_on_time(cases, today)
    assert (result.within_one_month.numerator, result.within_one_month.denominator) == one
    assert (result.within_three_months.numerator, result.within_three_months.denominator) == three


@pytest.mark.parametrize(("numerator", "denominator", "percent"), [
    (0, 0, None), (0, 3, 0.0), (1, 3, 33.3), (2, 3, 66.7), (2, 5, 40.0), (5, 5, 100.0),
])
def test_share_percent(numerator, denominator, percent):
    assert kpis.Share(numerator, denominator).percent == percent


@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 2), (3, 2), (1, 0)])
def test_impossible_shares_are_refused(numerator, denominator):
    with pytest.raises(ValueError):
        kpis.Share(numerator, denominator)


# --- medians and time per step -----------------------------------------------------------------------

@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([3.0], 3.0), ([1, 5, 2], 2), ([1, 2, 3, 4], 2.5), ([0.5, 0.5], 0.5),
])
def test_median(values, expected):
    assert kpis.median(values) == expected


@pytest.mark.parametrize(("milestones", "expected"), [
    ({}, {}),
    ({"submitted": _t(1)}, {}),
    ({"submitted": _t(1), "identity_checked": _t(2)}, {"identity": dt.timedelta(days=1)}),
    ({"submitted": _t(1), "identity_checked": _t(2), "legal_basis_reviewed": _t(5, 21), "decided": _t(6)},
     {"identity": dt.timedelta(days=1), "review": dt.timedelta(days=3, hours=12),
      "decision": dt.timedelta(hours=12)}),
    # a missing milestone leaves out both steps that touch it
    ({"submitted": _t(1), "legal_basis_reviewed": _t(5), "decided": _t(6)}, {"decision": dt.timedelta(days=1)}),
    # an end before its start is not counted
    ({"submitted": _t(3), "identity_checked": _t(2)}, {}),
    ({"submitted": _t(3), "identity_checked": None}, {}),
])
def test_step_durations(milestones, expected):
    assert kpis.step_durations(milestones) == expected


def test_median_steps_over_cases():
    cases = [
        {"submitted": _t(1), "identity_checked": _t(2), "legal_basis_reviewed": _t(4), "decided": _t(5)},
        {"submitted": _t(1), "identity_checked": _t(3), "legal_basis_reviewed": _t(4)},
        {"submitted": _t(1), "identity_checked": _t(5)},
        {"submitted": _t(1)},
    ]
    result = kpis.median_steps(cases)
    assert [(s.key, s.median_days, s.cases) for s in result] == [
        ("identity", 2.0, 3), ("review", 1.5, 2), ("decision", 1.0, 1)]
    assert [s.label for s in result][0] == "Ontvangen → identiteit gecontroleerd"


def test_median_steps_without_cases():
    assert [(s.median_days, s.cases) for s in kpis.median_steps([])] == [(None, 0)] * 3


# --- refusals per ground -----------------------------------------------------------------------------

@pytest.mark.parametrize(("rows", "expected"), [
    ([], {}),
    ([(None, 3), ("", 1)], {}),
    ([("art15_4", 2)], {"art15_4": 2}),
    ([("art15_4,uavg41_i", 1), ("art15_4", 1)], {"art15_4": 2, "uavg41_i": 1}),
    ([("art15_4, art12_5", 2)], {"art15_4": 2, "art12_5": 2}),   # spaces tolerated
    ([("art15_4,art15_4", 1)], {"art15_4": 1}),                   # a duplicate key counts once per case
    ([("legacy_ground", 1)], {"legacy_ground": 1}),               # an unknown key is kept, not lost
])
def test_grounds_count(rows, expected):
    counts = kpis.grounds_count(rows)
    assert {k: v for k, v in counts.items() if v} == expected
    from dsr.workflows.vocabulary import REFUSAL_GROUNDS

    assert list(counts)[:len(REFUSAL_GROUNDS)] == list(REFUSAL_GROUNDS)  # every known ground, in order


@pytest.mark.parametrize(("value", "text"), [(None, "—"), (0, "0"), (12, "12"), (2.5, "2,5"), (40.0, "40,0"),
                                             (33.333, "33,3")])
def test_format_number(value, text):
    assert kpis.format_number(value) == text
