"""The deadline and reminders of a manual task for a system's owner (issue 17, Art. 28(3)(e) AVG).

A processor (or an owner inside the school) gets a number of *working* days to deliver a student's data or
to confirm that a right was carried out; the same legal calendar as the request's own deadline (R-DL-3:
weekends and Dutch public holidays do not count). Reminders go a configured number of working days before
the due date and once when it has passed; each milestone once, and a missed earlier one is never sent after
a more urgent one. Pure functions: no database, no clock.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .deadlines import is_working_day, subtract_working_days, working_days_between

#: The milestone after the due date has passed.
OVERDUE = "overdue"

#: What the owner of a manual system is asked, per purpose of the run (models.connectors.RUN_PURPOSES).
TASK_KIND_FOR_PURPOSE = {
    "collect": "deliver",
    "rectification": "confirm_rectification",
    "erasure": "confirm_erasure",
    "restriction": "confirm_restriction",
    "withdrawal": "confirm_withdrawal",
}


def task_kind_for(purpose: str) -> str:
    """The task kind for a run of ``purpose`` (``KeyError`` for an unknown purpose)."""
    return TASK_KIND_FOR_PURPOSE[purpose]


def task_due_on(opened_on: dt.date, working_days: int) -> dt.date:
    """The day a task opened on ``opened_on`` is due: ``working_days`` working days later (at least one)."""
    day, remaining = opened_on, max(1, working_days)
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def milestones(offsets: Sequence[int]) -> list[str]:
    """Every milestone of a task, least urgent first: ``due_in_<n>`` for each offset, then overdue."""
    return [f"due_in_{n}" for n in sorted({n for n in offsets if n > 0}, reverse=True)] + [OVERDUE]


def reminder_due(due_on: dt.date, today: dt.date, offsets: Sequence[int], reminded: str) -> str | None:
    """The milestone to send on ``today``, or None.

    The most urgent milestone reached, if it is more urgent than ``reminded`` (the last one sent): a sweep
    that missed days sends only the most urgent one, and no milestone is sent twice.
    """
    order = milestones(offsets)
    reached = [m for m in order[:-1] if today >= subtract_working_days(due_on, int(m.rsplit("_", 1)[1]))]
    if today > due_on:
        reached.append(OVERDUE)
    if not reached:
        return None
    newest = reached[-1]
    sent_rank = order.index(reminded) if reminded in order else -1
    return newest if order.index(newest) > sent_rank else None


def days_overdue(due_on: dt.date, today: dt.date) -> int:
    """Working days past the due date (0 when not overdue)."""
    return max(0, working_days_between(due_on, today))
