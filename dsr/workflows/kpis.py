"""Pure KPI math for the dashboard (docs/legal.md R-AC-5): shares on time, medians, time per step.

No I/O: :mod:`dsr.services.reports` fetches the figures and hands plain values to these functions.

Definitions (shown on the dashboard too):

* A case is *answered* when it reached a decided state (fulfilled, partially fulfilled, refused);
  its answer date is the Amsterdam date of ``closed_at``. Withdrawn cases and cases closed without
  verification owe no answer and are left out of the shares.
* *Within one month*: answered on or before the original one-month deadline
  ``legal_deadline(received_on)`` — without extension or suspension, so an extension does not make
  a late answer look timely. *Within three months*: on or before
  ``legal_deadline(received_on, extended=True)``.
* The denominator of each share holds the answered cases plus the cases still open whose deadline
  has already passed (they can no longer be on time); open cases still within the term are not
  counted yet.
* *Time per step*: for each case the first moment it reached each milestone (submitted, identity
  checked, legal basis reviewed, decided); a step's duration is the time between two consecutive
  milestones, when the case reached both. The median is taken over those cases.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from flask_babel import lazy_gettext as _l

from . import deadlines
from . import states as S
from .vocabulary import REFUSAL_GROUNDS

#: Milestone names in order; "decided" means any of :data:`states.DECIDED_STATES`.
MILESTONES = ("submitted", S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED, "decided")
#: (key, label) of the steps between consecutive milestones.
STEPS = (
    ("identity", _l("Ontvangen → identiteit gecontroleerd")),
    ("review", _l("Identiteit gecontroleerd → juridisch beoordeeld")),
    ("decision", _l("Juridisch beoordeeld → besluit")),
)


@dataclass(frozen=True)
class Share:
    """``numerator`` of ``denominator`` cases; no percentage when there is nothing to measure."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator:
            raise ValueError(f"impossible share {self.numerator}/{self.denominator}")

    @property
    def percent(self) -> float | None:
        if self.denominator == 0:
            return None
        return round(100.0 * self.numerator / self.denominator, 1)


def median(values: Iterable[float]) -> float | None:
    """The median, or None for no values (never an exception on an empty dashboard)."""
    values = list(values)
    return statistics.median(values) if values else None


def one_month_deadline(received_on: dt.date) -> dt.date:
    """The original one-month deadline: no extension, no suspension (R-DL-2/3)."""
    return deadlines.legal_deadline(received_on)


def three_month_deadline(received_on: dt.date) -> dt.date:
    """The latest possible deadline after an extension, without suspension (R-DL-5)."""
    return deadlines.legal_deadline(received_on, extended=True)


@dataclass(frozen=True)
class OnTime:
    within_one_month: Share
    within_three_months: Share


def answered_on_time(cases: Iterable[tuple[dt.date, dt.date | None]], today: dt.date) -> OnTime:
    """Shares answered within one and within three months.

    ``cases`` holds ``(received_on, answered_on)`` for answered cases and ``(received_on, None)`` for
    cases still open (withdrawn and unverified cases must not be passed in). An open case counts as
    late once ``today`` is past the deadline; before that it is not counted.
    """
    one_num = one_den = three_num = three_den = 0
    for received_on, answered_on in cases:
        one, three = one_month_deadline(received_on), three_month_deadline(received_on)
        if answered_on is not None:
            one_den += 1
            three_den += 1
            one_num += answered_on <= one
            three_num += answered_on <= three
        else:
            one_den += today > one
            three_den += today > three
    return OnTime(Share(one_num, one_den), Share(three_num, three_den))


def step_durations(milestones: Mapping[str, dt.datetime | None]) -> dict[str, dt.timedelta]:
    """The duration of each step the case completed, from its milestone times.

    A step with a missing end, or an end before its start (clock trouble, imported data), is left
    out rather than counted as zero or negative.
    """
    found = {}
    for (key, _label), (start_name, end_name) in zip(STEPS, pairwise(MILESTONES), strict=True):
        start, end = milestones.get(start_name), milestones.get(end_name)
        if start is not None and end is not None and end >= start:
            found[key] = end - start
    return found


@dataclass(frozen=True)
class StepMedian:
    key: str
    label: str
    median_days: float | None
    cases: int


def median_steps(cases: Iterable[Mapping[str, dt.datetime | None]]) -> list[StepMedian]:
    """The median duration in days of each step, over the cases that completed it."""
    durations: dict[str, list[float]] = {key: [] for key, _ in STEPS}
    for milestones in cases:
        for key, duration in step_durations(milestones).items():
            durations[key].append(duration.total_seconds() / 86400)
    result = []
    for key, label in STEPS:
        value = median(durations[key])
        result.append(StepMedian(key, label, None if value is None else round(value, 1), len(durations[key])))
    return result


def grounds_count(rows: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Refusals per ground from ``(decision_grounds, number of cases)`` rows (comma-separated keys).

    A case refused on two grounds counts once for each. Every known ground is present (0 when not
    used), in the order of :data:`states.REFUSAL_GROUNDS`; unknown keys follow, so none is lost.
    """
    counts = dict.fromkeys(REFUSAL_GROUNDS, 0)
    for grounds, number in rows:
        for ground in dict.fromkeys(g.strip() for g in (grounds or "").split(",")):
            if ground:
                counts[ground] = counts.get(ground, 0) + number
    return counts


def format_number(value: float | int | None, decimals: int = 1) -> str:
    """Dutch notation: ``12``, ``2,5``; an em dash for "nothing to measure"."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}".replace(".", ",")
