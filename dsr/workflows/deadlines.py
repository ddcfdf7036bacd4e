"""Legal calendar for data-subject requests (docs/legal.md §1, R-DL-1 .. R-DL-7).

Pure functions, no I/O: the case store keeps ``received_on`` (fixed per R-DL-1 when the
request reaches any official channel) and recomputes ``due_on`` with :func:`legal_deadline`
whenever receipt, suspension or extension changes.

The holiday set is the Algemene termijnenwet (Atw) art. 3 list, implemented here with
``dateutil.easter`` rather than the ``holidays`` package (R-DL-4): that package has changed
its Dutch calendar between versions (Goede Vrijdag, 5 May), and a legal deadline must not
move because a dependency was upgraded. The tests cross-check the two.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from dateutil.easter import easter

__all__ = [
    "is_public_holiday",
    "holiday_name",
    "is_working_day",
    "add_months",
    "roll_forward",
    "legal_deadline",
    "extension_notice_deadline",
    "suspension_counts",
    "suspended_days",
    "ClockPause",
    "clock_pause",
    "information_answer_by",
    "subtract_working_days",
    "working_days_between",
    "explain_deadline",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6

_WEEKDAYS = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

# English names for explain_deadline(lang="en"); the Dutch names are canonical.
_EN_HOLIDAY_NAMES = {
    "Nieuwjaarsdag": "New Year's Day",
    "Goede Vrijdag": "Good Friday",
    "Tweede Paasdag": "Easter Monday",
    "Koningsdag": "King's Day",
    "Koninginnedag": "Queen's Day",
    "Bevrijdingsdag": "Liberation Day",
    "Hemelvaartsdag": "Ascension Day",
    "Tweede Pinksterdag": "Whit Monday",
    "Eerste Kerstdag": "Christmas Day",
    "Tweede Kerstdag": "Second Christmas Day",
}


@lru_cache(maxsize=256)
def _holidays_of(year: int) -> Mapping[date, tuple[str, ...]]:
    """Return the Atw art. 3 holidays of ``year`` as {date: (Dutch names, ...)} (R-DL-3)."""
    e = easter(year)  # Western (Gregorian) Easter, dateutil's default method
    found: dict[date, list[str]] = {}

    def add(day: date, name: str) -> None:
        # A list, because two holidays can coincide (Hemelvaart on 5 May in 2008 and 2016).
        found.setdefault(day, []).append(name)

    add(date(year, 1, 1), "Nieuwjaarsdag")
    add(e - timedelta(days=2), "Goede Vrijdag")  # Atw art. 3(2)
    add(e + timedelta(days=1), "Tweede Paasdag")
    if year >= 2014:
        king = date(year, 4, 27)
        # The King's birthday is celebrated on Saturday 26 April when 27 April is a Sunday.
        add(king - _ONE_DAY if king.weekday() == _SUNDAY else king, "Koningsdag")
    else:
        # Koninginnedag 1980-2013 (30 April, 29 April when that is a Sunday); kept so that
        # deadlines of imported historical cases stay right. Years before 1980 are not modelled.
        queen = date(year, 4, 30)
        add(queen - _ONE_DAY if queen.weekday() == _SUNDAY else queen, "Koninginnedag")
    add(date(year, 5, 5), "Bevrijdingsdag")  # every year in the Atw, not only lustrum years
    add(e + timedelta(days=39), "Hemelvaartsdag")
    add(e + timedelta(days=50), "Tweede Pinksterdag")
    add(date(year, 12, 25), "Eerste Kerstdag")
    add(date(year, 12, 26), "Tweede Kerstdag")
    # Royal-decree days (Atw art. 3(3), e.g. a Friday after Ascension) are deliberately absent:
    # ignoring them can only make a deadline earlier, never later [ENG ⚠].
    return MappingProxyType({d: tuple(names) for d, names in found.items()})


def is_public_holiday(day: date) -> bool:
    """Return True if ``day`` is an Atw art. 3 public holiday (R-DL-3, R-DL-4).

    Saturdays and Sundays are not holidays in this sense (they are non-working days
    anyway); Easter Sunday and Whit Sunday are therefore not listed.
    """
    return day in _holidays_of(day.year)


def holiday_name(day: date) -> str | None:
    """Return the Dutch name of the holiday on ``day`` (for explanations), else None.

    Coinciding holidays are joined with " en ", e.g. "Bevrijdingsdag en Hemelvaartsdag".
    """
    names = _holidays_of(day.year).get(day)
    return " en ".join(names) if names else None


def is_working_day(day: date) -> bool:
    """Return True unless ``day`` is a Saturday, Sunday or public holiday (R-DL-3)."""
    return day.weekday() < _SATURDAY and not is_public_holiday(day)


def add_months(day: date, months: int) -> date:
    """Return ``day`` shifted by ``months`` calendar months, clamped to the month end (R-DL-2).

    R1182 art. 3(2)(c): the period ends on the same date number, or on the last day of the
    month when that month is shorter (31 Jan + 1 month = 28 or 29 Feb). Negative values work.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def roll_forward(day: date) -> date:
    """Return ``day`` itself if it is a working day, else the next working day (R-DL-3)."""
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def _raw_end(received_on: date, extended: bool) -> date:
    """Return the unrolled end of the period, before suspension (R-DL-2, R-DL-5)."""
    first_month = add_months(received_on, 1)  # the receipt day itself is excluded (R1182 art. 3(1))
    if not extended:
        return first_month
    # Two readings of "two further months" exist; take the earlier one [ENG, conservative].
    return min(add_months(received_on, 3), add_months(first_month, 2))


def legal_deadline(received_on: date, *, extended: bool = False, suspended_days: int = 0) -> date:
    """Return the last day (inclusive, until 23:59:59 Amsterdam time) to answer the request.

    R-DL-2/3: one month after ``received_on``, clamped to the month end, rolled to the next
    working day. ``extended`` (R-DL-5) uses ``min(add_months(r, 3), add_months(add_months(r, 1), 2))``.
    ``suspended_days`` (R-DL-6) are calendar days added to the raw date *before* rolling, so
    a pause never counts a weekend twice.
    """
    if suspended_days < 0:
        raise ValueError("suspended_days cannot be negative")
    raw = _raw_end(received_on, extended) + timedelta(days=suspended_days)
    return roll_forward(raw)


def extension_notice_deadline(received_on: date) -> date:
    """Return the last day on which an extension may be notified (R-DL-5, R-LT-2).

    This is the one-month deadline measured *without* suspension credit [ENG]; a notice
    dated later must be rejected (``EXTENSION_TOO_LATE``).
    """
    return legal_deadline(received_on)


def suspension_counts(received_on: date, info_requested_on: date, *, max_working_days: int = 3) -> bool:
    """Return True if a pause for information may stop the clock (R-DL-6).

    The pause counts only when ASG asked "without undue delay": at most ``max_working_days``
    working days after receipt (setting ``DSR_SUSPENSION_MAX_WORKING_DAYS``, default 3 [ENG ⚠]).
    Asking on the day of receipt counts as 0 working days.
    """
    if info_requested_on < received_on:
        raise ValueError("information cannot be requested before the request was received")
    return working_days_between(received_on, info_requested_on) <= max_working_days


def suspended_days(
    received_on: date,
    info_requested_on: date,
    answer_received_on: date,
    *,
    max_working_days: int = 3,
) -> int:
    """Return the calendar days the clock is suspended (R-DL-6), never negative.

    ``answer_received_on - info_requested_on`` when :func:`suspension_counts` holds, else 0
    (a late question gives no credit).
    """
    if not suspension_counts(received_on, info_requested_on, max_working_days=max_working_days):
        return 0
    return max(0, (answer_received_on - info_requested_on).days)


#: Why the clock does or does not pause for an information request (R-DL-6), stored nowhere: it is
#: recomputed from the case's facts, so the letter, the portal and the deadline always agree.
PAUSE_IDENTITY = "identity"
PAUSE_AUTHORITY = "authority"
PAUSE_LARGE_DATA = "large_amount_of_data"
NO_PAUSE_CLARIFICATION = "clarification_not_large"
NO_PAUSE_LATE = "late"
NO_PAUSE_UNKNOWN = "unknown_kind"


@dataclass(frozen=True)
class ClockPause:
    """Whether an information request stops the clock, and the rule's reason (one of the constants above)."""

    paused: bool
    reason: str


def clock_pause(
    info_kind: str | None,
    *,
    received_on: date,
    info_requested_on: date,
    large_amount_of_data: bool = False,
    max_working_days: int = 3,
) -> ClockPause:
    """Decide whether asking the requester for information pauses the clock (R-DL-6).

    - Asked more than ``max_working_days`` working days after receipt: never (not "without undue delay").
    - Identity doubts (Art. 12(6)): the clock pauses.
    - Authority (parental authority, mandate): the clock pauses, as R-DL-6 lists it: without it the school
      cannot know whether this person may exercise the right at all [⚠ docs/legal.md, "Issue 11 choices"].
    - Clarification of what the request means: only when staff recorded that the school holds a large
      amount of data about the person (Recital 63); otherwise the clock keeps running.
    - Anything else: no pause (the requester-protective default).
    """
    if not suspension_counts(received_on, info_requested_on, max_working_days=max_working_days):
        return ClockPause(False, NO_PAUSE_LATE)
    if info_kind == "identity":
        return ClockPause(True, PAUSE_IDENTITY)
    if info_kind == "authority":
        return ClockPause(True, PAUSE_AUTHORITY)
    if info_kind == "clarification":
        return ClockPause(True, PAUSE_LARGE_DATA) if large_amount_of_data else ClockPause(False, NO_PAUSE_CLARIFICATION)
    return ClockPause(False, NO_PAUSE_UNKNOWN)


def information_answer_by(info_requested_on: date, days: int = 14) -> date:
    """The answer-by date an information request gives (R-ID-6: 14 days), rolled to a working day."""
    if days < 1:
        raise ValueError("days must be at least 1")
    return roll_forward(info_requested_on + timedelta(days=days))


def subtract_working_days(day: date, n: int) -> date:
    """Return the date ``n`` working days before ``day`` (R-DL-7 reminders at -10 and -5).

    For n >= 1 the result is always a working day; n == 0 returns ``day``; a negative ``n``
    counts forward. For a working day ``d``: ``working_days_between(result, d) == n``.
    """
    step = -_ONE_DAY if n >= 0 else _ONE_DAY
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Count working days after ``start`` up to and including ``end`` ("days left" displays).

    Negative (the count from ``end`` to ``start``, negated) when ``end`` is before ``start``,
    so an overdue case shows a negative number.
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        count += is_working_day(day)
    return count


def _fmt(day: date, lang: str) -> str:
    """Format a date for staff: Dutch "vr 30-01-2026", English (ISO, unambiguous) "Fri 2026-01-30"."""
    weekday = _WEEKDAYS[lang][day.weekday()]
    return f"{weekday} {day:%d-%m-%Y}" if lang == "nl" else f"{weekday} {day:%Y-%m-%d}"


def explain_deadline(
    received_on: date,
    *,
    extended: bool = False,
    suspended_days: int = 0,
    lang: str = "nl",
) -> str:
    """Return one sentence explaining how :func:`legal_deadline` got its answer ("why").

    Dutch example (R-DL-3): "Eén maand na vr 30-01-2026 is za 28-02-2026; dat is geen werkdag,
    dus de termijn eindigt op de eerstvolgende werkdag: ma 02-03-2026." Holidays that caused the
    roll are named; suspension (R-DL-6) and extension (R-DL-5) are mentioned when used.
    ``lang`` is "nl" or "en".
    """
    if lang not in _WEEKDAYS:
        raise ValueError(f"unsupported language {lang!r}; use 'nl' or 'en'")
    nl = lang == "nl"
    deadline = legal_deadline(received_on, extended=extended, suspended_days=suspended_days)
    base = _raw_end(received_on, extended)
    raw = base + timedelta(days=suspended_days)

    if extended:
        period = ("Eén maand plus twee maanden verlenging (R-DL-5)" if nl
                  else "One month plus the two-month extension (R-DL-5)")
    else:
        period = "Eén maand" if nl else "One month"
    text = f"{period} {'na' if nl else 'after'} {_fmt(received_on, lang)} is {_fmt(base, lang)}"

    if suspended_days:
        unit = ("dag" if suspended_days == 1 else "dagen") if nl else ("day" if suspended_days == 1 else "days")
        text += (f"; met {suspended_days} {unit} opschorting (R-DL-6) wordt dat {_fmt(raw, lang)}" if nl
                 else f"; with {suspended_days} {unit} of suspension (R-DL-6) that becomes {_fmt(raw, lang)}")

    if deadline == raw:
        text += (f"; dat is een werkdag, dus de termijn eindigt op {_fmt(deadline, lang)}." if nl
                 else f"; that is a working day, so the period ends on {_fmt(deadline, lang)}.")
        return text

    # Name every holiday between the raw date and the deadline: they are why it moved.
    skipped = []
    day = raw
    while day < deadline:
        names = _holidays_of(day.year).get(day)
        if names:
            shown = names if nl else tuple(_EN_HOLIDAY_NAMES[n] for n in names)
            joiner = " en " if nl else " and "
            skipped.append(f"{_fmt(day, lang)} is {joiner.join(shown)}")
        day += _ONE_DAY
    why = f" ({(' en ' if nl else ' and ').join(skipped)})" if skipped else ""
    text += (f"; dat is geen werkdag{why}, dus de termijn eindigt op de eerstvolgende werkdag: {_fmt(deadline, lang)}."
             if nl else
             f"; that is not a working day{why}, so the period ends on the next working day: {_fmt(deadline, lang)}.")
    return text
