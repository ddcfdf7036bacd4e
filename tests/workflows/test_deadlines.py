"""Table-driven tests of the legal calendar, one id per docs/legal.md §1 example (R-DL-2 .. R-DL-7)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr.workflows.deadlines import (
    add_months,
    explain_deadline,
    extension_notice_deadline,
    holiday_name,
    is_public_holiday,
    is_working_day,
    legal_deadline,
    roll_forward,
    subtract_working_days,
    suspended_days,
    suspension_counts,
    working_days_between,
)

D = date.fromisoformat


def case(rule: str, *values, label: str):
    """A pytest.param whose id starts with the rule id, e.g. "R-DL-3: Fri 2026-01-30 -> Mon 2026-03-02"."""
    return pytest.param(*values, id=f"{rule}: {label}")


# --- R-DL-2: one calendar month, clamped to the month end -------------------------------------

@pytest.mark.parametrize("received, raw", [
    case("R-DL-2", D("2026-03-05"), D("2026-04-05"), label="05-03 -> 05-04"),
    case("R-DL-2", D("2025-01-31"), D("2025-02-28"), label="2025-01-31 -> 2025-02-28"),
    case("R-DL-2", D("2024-01-31"), D("2024-02-29"), label="2024-01-31 -> 2024-02-29 (leap)"),
    case("R-DL-2", D("2025-03-31"), D("2025-04-30"), label="2025-03-31 -> 2025-04-30"),
    case("R-DL-2", D("2025-08-31"), D("2025-09-30"), label="2025-08-31 -> 2025-09-30"),
    case("R-DL-2", D("2028-01-31"), D("2028-02-29"), label="edge: 2028-01-31 -> 2028-02-29 (leap)"),
    case("R-DL-2", D("2100-01-31"), D("2100-02-28"), label="edge: 2100 is not a leap year"),
    case("R-DL-2", D("2025-12-31"), D("2026-01-31"), label="edge: year end 2025-12-31 -> 2026-01-31"),
    case("R-DL-2", D("2026-02-28"), D("2026-03-28"), label="edge: 28 Feb -> 28 Mar, not month end"),
])
def test_one_month_raw(received: date, raw: date) -> None:
    assert add_months(received, 1) == raw


def test_add_months_handles_negative_and_multi_year_shifts() -> None:
    """R-DL-2 arithmetic is used backwards too (alerts), so check both directions."""
    assert add_months(D("2026-03-31"), -1) == D("2026-02-28")
    assert add_months(D("2026-01-15"), -13) == D("2024-12-15")
    assert add_months(D("2025-11-30"), 3) == D("2026-02-28")


# --- R-DL-3: roll to the next working day (examples of docs/legal.md + edge cases) ------------------

@pytest.mark.parametrize("received, deadline", [
    case("R-DL-3", D("2026-01-30"), D("2026-03-02"), label="Fri 2026-01-30 -> Mon 2026-03-02"),
    case("R-DL-3", D("2025-04-04"), D("2025-05-06"), label="Fri 2025-04-04 -> Tue 2025-05-06 (Bevrijdingsdag)"),
    case("R-DL-3", D("2026-04-03"), D("2026-05-04"), label="Fri 2026-04-03 (Good Friday) -> Mon 2026-05-04"),
    case("R-DL-3", D("2026-04-05"), D("2026-05-06"), label="Sun 2026-04-05 -> Wed 2026-05-06 (5 May, no lustrum)"),
    case("R-DL-3", D("2026-03-05"), D("2026-04-07"), label="Thu 2026-03-05 -> Tue 2026-04-07 (Easter)"),
    case("R-DL-3", D("2026-04-14"), D("2026-05-15"), label="Tue 2026-04-14 -> Fri 2026-05-15 (no bridge day)"),
    case("R-DL-3", D("2026-04-25"), D("2026-05-26"), label="Sat 2026-04-25 -> Tue 2026-05-26 (2e Pinksterdag)"),
    case("R-DL-3", D("2026-11-25"), D("2026-12-28"), label="Wed 2026-11-25 -> Mon 2026-12-28 (Christmas)"),
    case("R-DL-3", D("2027-11-26"), D("2027-12-27"), label="Fri 2027-11-26 -> Mon 2027-12-27"),
    case("R-DL-3", D("2028-03-27"), D("2028-04-28"), label="Mon 2028-03-27 -> Fri 2028-04-28 (Koningsdag)"),
    case("R-DL-3", D("2026-03-02"), D("2026-04-02"), label="Mon 2026-03-02 -> Thu 2026-04-02 (no roll)"),
    # edge cases: leap years, Easter in March (2024, 2016), late Easter (2038), year end
    case("R-DL-3", D("2028-01-31"), D("2028-02-29"), label="edge: 2028-01-31 -> Tue 2028-02-29"),
    case("R-DL-3", D("2100-01-31"), D("2100-03-01"), label="edge: 2100-01-31 -> Sun 02-28 -> Mon 2100-03-01"),
    case("R-DL-3", D("2024-02-29"), D("2024-04-02"), label="edge: 2024-02-29 -> Good Friday 03-29 -> Tue 04-02"),
    case("R-DL-3", D("2024-03-01"), D("2024-04-02"), label="edge: 2024-03-01 -> Easter Monday 04-01 -> 04-02"),
    case("R-DL-3", D("2016-02-28"), D("2016-03-29"), label="edge: 2016-02-28 -> Easter Monday 03-28 -> 03-29"),
    case("R-DL-3", D("2016-04-05"), D("2016-05-06"), label="edge: 2016-04-05 -> Hemelvaart=5 May -> 05-06"),
    case("R-DL-3", D("2038-03-26"), D("2038-04-28"), label="edge: 2038-03-26 -> Easter Mon + Koningsdag -> 04-28"),
    case("R-DL-3", D("2038-05-03"), D("2038-06-04"), label="edge: 2038-05-03 -> Hemelvaart 06-03 -> 06-04"),
    case("R-DL-3", D("2025-03-26"), D("2025-04-28"), label="edge: 2025-03-26 -> Sat 04-26 Koningsdag -> Mon 04-28"),
    case("R-DL-3", D("2026-12-01"), D("2027-01-04"), label="edge: 2026-12-01 -> Fri 2027-01-01 -> Mon 01-04"),
])
def test_legal_deadline(received: date, deadline: date) -> None:
    assert legal_deadline(received) == deadline
    assert is_working_day(deadline)


# --- R-DL-4: the holiday calendar ---------------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    case("R-DL-4", D("2026-05-05"), True, label="2026-05-05 Bevrijdingsdag (not a lustrum year)"),
    case("R-DL-4", D("2026-04-03"), True, label="2026-04-03 Goede Vrijdag"),
    case("R-DL-4", D("2026-05-15"), False, label="2026-05-15 bridge day is not a holiday"),
    case("R-DL-4", D("2025-04-26"), True, label="2025-04-26 Koningsdag moved to Saturday"),
    case("R-DL-4", D("2025-04-27"), False, label="2025-04-27 Sunday, Koningsdag moved"),
    case("R-DL-4", D("2031-04-26"), True, label="2031-04-26 Koningsdag moved to Saturday"),
    case("R-DL-4", D("2031-04-27"), False, label="2031-04-27 Sunday, Koningsdag moved"),
    case("R-DL-4", D("2036-04-26"), True, label="2036-04-26 Koningsdag moved to Saturday"),
    case("R-DL-4", D("2036-04-27"), False, label="2036-04-27 Sunday, Koningsdag moved"),
    case("R-DL-4", D("2026-04-27"), True, label="2026-04-27 Koningsdag on a Monday"),
    case("R-DL-4", D("2026-04-05"), False, label="2026-04-05 Easter Sunday is a Sunday, not listed"),
    case("R-DL-4", D("2024-03-29"), True, label="2024-03-29 Goede Vrijdag in March"),
    case("R-DL-4", D("2024-04-01"), True, label="2024-04-01 Tweede Paasdag in March/April"),
    case("R-DL-4", D("2038-04-23"), True, label="2038-04-23 Goede Vrijdag, late Easter"),
    case("R-DL-4", D("2038-06-14"), True, label="2038-06-14 Tweede Pinksterdag, late Easter"),
    case("R-DL-4", D("2026-12-31"), False, label="2026-12-31 oudejaarsdag is not a holiday"),
])
def test_is_public_holiday(day: date, expected: bool) -> None:
    assert is_public_holiday(day) is expected


@pytest.mark.parametrize("day, name", [
    case("R-DL-3", D("2026-01-01"), "Nieuwjaarsdag", label="Nieuwjaarsdag"),
    case("R-DL-3", D("2026-04-03"), "Goede Vrijdag", label="Goede Vrijdag"),
    case("R-DL-3", D("2026-04-06"), "Tweede Paasdag", label="Tweede Paasdag"),
    case("R-DL-3", D("2025-04-26"), "Koningsdag", label="Koningsdag (moved)"),
    case("R-DL-3", D("2026-05-05"), "Bevrijdingsdag", label="Bevrijdingsdag"),
    case("R-DL-3", D("2026-05-14"), "Hemelvaartsdag", label="Hemelvaartsdag = Easter + 39"),
    case("R-DL-3", D("2026-05-25"), "Tweede Pinksterdag", label="Tweede Pinksterdag = Easter + 50"),
    case("R-DL-3", D("2026-12-25"), "Eerste Kerstdag", label="Eerste Kerstdag"),
    case("R-DL-3", D("2026-12-26"), "Tweede Kerstdag", label="Tweede Kerstdag"),
    case("R-DL-3", D("2016-05-05"), "Bevrijdingsdag en Hemelvaartsdag", label="two holidays on one day"),
    case("R-DL-3", D("2026-05-15"), None, label="no holiday"),
])
def test_holiday_name(day: date, name: str | None) -> None:
    assert holiday_name(day) == name


def test_holidays_match_the_holidays_package_2015_2045() -> None:
    """R-DL-4: v0.109 with PUBLIC+OPTIONAL, ignoring its Sunday-only entries, equals the Atw list."""
    reference = holidays.Netherlands(years=range(2015, 2046), categories=(holidays.PUBLIC, holidays.OPTIONAL))
    day, mismatches = D("2015-01-01"), []
    while day <= D("2045-12-31"):
        in_package = day in reference
        # The package lists Easter Sunday and Whit Sunday; Sundays are non-working days anyway.
        if is_public_holiday(day) != in_package and not (in_package and day.weekday() == 6):
            mismatches.append((day, reference.get(day)))
        day += timedelta(days=1)
    assert mismatches == []


# --- R-DL-5: extension --------------------------------------------------------------------------

@pytest.mark.parametrize("received, deadline", [
    case("R-DL-5", D("2025-01-31"), D("2025-04-28"), label="r=2025-01-31 -> Mon 2025-04-28"),
    case("R-DL-5", D("2026-01-30"), D("2026-04-28"), label="r=2026-01-30 -> Tue 2026-04-28"),
    case("R-DL-5", D("2025-11-30"), D("2026-03-02"), label="edge: r=2025-11-30 -> Sat 2026-02-28 -> Mon 03-02"),
    case("R-DL-5", D("2027-05-31"), D("2027-08-30"), label="edge: r=2027-05-31 -> 08-30 (chained), not 08-31"),
    case("R-DL-5", D("2026-10-26"), D("2027-01-26"), label="edge: across the year end"),
])
def test_extended_deadline(received: date, deadline: date) -> None:
    assert legal_deadline(received, extended=True) == deadline


@pytest.mark.parametrize("received, notice_on, in_time", [
    case("R-DL-5", D("2025-01-31"), D("2025-02-20"), True, label="notice 2025-02-20 for r=2025-01-31 is valid"),
    case("R-DL-5", D("2025-01-31"), D("2025-02-28"), True, label="notice on the last day 2025-02-28 is valid"),
    case("R-DL-5", D("2025-01-31"), D("2025-03-03"), False, label="notice 2025-03-03 -> EXTENSION_TOO_LATE"),
    case("R-DL-5", D("2026-01-30"), D("2026-03-02"), True, label="notice on rolled deadline Mon 2026-03-02"),
])
def test_extension_notice_deadline(received: date, notice_on: date, in_time: bool) -> None:
    assert (notice_on <= extension_notice_deadline(received)) is in_time


def test_extension_notice_deadline_ignores_suspension() -> None:
    """R-DL-5 [ENG]: the notice window is the plain one-month deadline, without pause credit."""
    received = D("2026-03-02")
    assert extension_notice_deadline(received) == D("2026-04-02")
    assert legal_deadline(received, suspended_days=12) == D("2026-04-14")


# --- R-DL-6: suspension -------------------------------------------------------------------------

@pytest.mark.parametrize("received, asked, answered, days, deadline", [
    case("R-DL-6", D("2026-03-02"), D("2026-03-04"), D("2026-03-16"), 12, D("2026-04-14"),
         label="asked in time: 12 days -> Tue 2026-04-14"),
    case("R-DL-6", D("2026-03-02"), D("2026-03-20"), D("2026-03-30"), 0, D("2026-04-02"),
         label="asked late: no credit -> Thu 2026-04-02 (Fri 04-03 Good Friday)"),
    case("R-DL-6", D("2026-03-02"), D("2026-03-05"), D("2026-03-06"), 1, D("2026-04-07"),
         label="edge: asked on working day 3 counts -> Fri 04-03 holiday -> Tue 04-07"),
    case("R-DL-6", D("2026-03-02"), D("2026-03-06"), D("2026-03-16"), 0, D("2026-04-02"),
         label="edge: asked on working day 4 is late"),
    case("R-DL-6", D("2026-12-01"), D("2026-12-02"), D("2027-01-11"), 40, D("2027-02-10"),
         label="edge: 40 days across the year end -> Wed 2027-02-10"),
    case("R-DL-6", D("2026-11-20"), D("2026-11-20"), D("2026-12-02"), 12, D("2027-01-04"),
         label="edge: raw + 12 = Nieuwjaarsdag 2027 -> Mon 2027-01-04"),
    case("R-DL-6", D("2026-03-02"), D("2026-03-04"), D("2026-03-01"), 0, D("2026-04-02"),
         label="edge: answer dated before the question never gives negative days"),
])
def test_suspension(received: date, asked: date, answered: date, days: int, deadline: date) -> None:
    assert suspended_days(received, asked, answered) == days
    assert legal_deadline(received, suspended_days=days) == deadline


def test_suspension_window_setting_and_weekend_receipt() -> None:
    """R-DL-6: the window counts working days after receipt; DSR_SUSPENSION_MAX_WORKING_DAYS widens it."""
    assert suspension_counts(D("2026-03-07"), D("2026-03-11"))  # Sat -> Wed is 3 working days
    assert not suspension_counts(D("2026-03-07"), D("2026-03-12"))
    assert suspension_counts(D("2026-03-02"), D("2026-03-10"), max_working_days=6)
    with pytest.raises(ValueError):
        suspension_counts(D("2026-03-02"), D("2026-03-01"))
    with pytest.raises(ValueError):
        legal_deadline(D("2026-03-02"), suspended_days=-1)


# --- R-DL-7: alerts in working days -------------------------------------------------------------

@pytest.mark.parametrize("day, n, expected", [
    case("R-DL-7", D("2026-03-02"), 5, D("2026-02-23"), label="deadline Mon 2026-03-02 -5 -> Mon 02-23"),
    case("R-DL-7", D("2026-03-02"), 10, D("2026-02-16"), label="deadline Mon 2026-03-02 -10 -> Mon 02-16"),
    case("R-DL-7", D("2026-05-26"), 5, D("2026-05-18"), label="-5 over 2e Pinksterdag -> Mon 05-18"),
    case("R-DL-7", D("2026-05-26"), 10, D("2026-05-08"), label="-10 over Hemelvaart too -> Fri 05-08"),
    case("R-DL-7", D("2026-04-02"), 5, D("2026-03-26"), label="extension alert raw1 - 5 for r=2026-03-02"),
    case("R-DL-7", D("2026-03-02"), 0, D("2026-03-02"), label="0 working days is the day itself"),
    case("R-DL-7", D("2026-04-02"), -1, D("2026-04-07"), label="negative counts forward over Easter"),
])
def test_subtract_working_days(day: date, n: int, expected: date) -> None:
    assert subtract_working_days(day, n) == expected


@pytest.mark.parametrize("start, end, expected", [
    case("R-DL-7", D("2026-03-02"), D("2026-03-02"), 0, label="same day -> 0"),
    case("R-DL-7", D("2026-02-27"), D("2026-03-02"), 1, label="Fri -> Mon -> 1"),
    case("R-DL-7", D("2026-03-02"), D("2026-02-27"), -1, label="overdue: Mon -> Fri -> -1"),
    case("R-DL-7", D("2026-04-02"), D("2026-04-07"), 1, label="over Good Friday and Easter Monday -> 1"),
    case("R-DL-7", D("2026-12-24"), D("2027-01-04"), 5, label="over Christmas and New Year -> 5"),
])
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


# --- explain_deadline ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    case("R-DL-3", dict(received_on=D("2026-01-30")),
         "Eén maand na vr 30-01-2026 is za 28-02-2026; dat is geen werkdag, dus de termijn eindigt op de "
         "eerstvolgende werkdag: ma 02-03-2026.", label="nl weekend roll"),
    case("R-DL-3", dict(received_on=D("2026-01-30"), lang="en"),
         "One month after Fri 2026-01-30 is Sat 2026-02-28; that is not a working day, so the period ends on "
         "the next working day: Mon 2026-03-02.", label="en weekend roll"),
    case("R-DL-3", dict(received_on=D("2025-04-04")),
         "Eén maand na vr 04-04-2025 is zo 04-05-2025; dat is geen werkdag (ma 05-05-2025 is Bevrijdingsdag), "
         "dus de termijn eindigt op de eerstvolgende werkdag: di 06-05-2025.", label="nl holiday roll"),
    case("R-DL-3", dict(received_on=D("2026-04-14"), lang="en"),
         "One month after Tue 2026-04-14 is Thu 2026-05-14; that is not a working day (Thu 2026-05-14 is "
         "Ascension Day), so the period ends on the next working day: Fri 2026-05-15.", label="en holiday roll"),
    case("R-DL-6", dict(received_on=D("2026-03-02"), suspended_days=12),
         "Eén maand na ma 02-03-2026 is do 02-04-2026; met 12 dagen opschorting (R-DL-6) wordt dat "
         "di 14-04-2026; dat is een werkdag, dus de termijn eindigt op di 14-04-2026.", label="nl suspension"),
    case("R-DL-5", dict(received_on=D("2025-01-31"), extended=True),
         "Eén maand plus twee maanden verlenging (R-DL-5) na vr 31-01-2025 is ma 28-04-2025; dat is een "
         "werkdag, dus de termijn eindigt op ma 28-04-2025.", label="nl extension"),
])
def test_explain_deadline(kwargs: dict, expected: str) -> None:
    assert explain_deadline(**kwargs) == expected


def test_explain_deadline_rejects_unknown_language() -> None:
    with pytest.raises(ValueError):
        explain_deadline(D("2026-01-30"), lang="de")


# --- properties (Hypothesis) --------------------------------------------------------------------

dates = st.dates(min_value=D("2000-01-01"), max_value=D("2099-12-31"))
pauses = st.integers(min_value=0, max_value=120)


@given(dates, st.booleans(), pauses)
def test_deadline_is_a_working_day_not_before_raw(received: date, extended: bool, pause: int) -> None:
    """R-DL-3: the deadline is a working day and never before the raw (unrolled) date."""
    deadline = legal_deadline(received, extended=extended, suspended_days=pause)
    assert is_working_day(deadline)
    raw = add_months(received, 1) + timedelta(days=pause)
    assert deadline >= raw > received


@given(dates, dates, st.booleans())
def test_deadline_is_monotonic_in_receipt(a: date, b: date, extended: bool) -> None:
    """R-DL-2/3: a later receipt never gives an earlier deadline."""
    first, second = sorted((a, b))
    assert legal_deadline(first, extended=extended) <= legal_deadline(second, extended=extended)


@given(dates, pauses)
def test_extension_and_suspension_never_shorten(received: date, pause: int) -> None:
    """R-DL-5/6: extending or pausing can only move the deadline later."""
    plain = legal_deadline(received)
    assert legal_deadline(received, extended=True) >= plain
    assert legal_deadline(received, suspended_days=pause) >= plain
    assert legal_deadline(received, extended=True, suspended_days=pause) >= legal_deadline(received, extended=True)


@settings(max_examples=200)
@given(dates, st.integers(min_value=0, max_value=30))
def test_subtract_working_days_round_trip(day: date, n: int) -> None:
    """R-DL-7: n working days back lands on a working day, and counting forward gives n again."""
    day = roll_forward(day)
    earlier = subtract_working_days(day, n)
    assert is_working_day(earlier)
    assert working_days_between(earlier, day) == n
    assert working_days_between(day, earlier) == -n
