"""Table-driven tests of a manual task's deadline and reminders (issue 17; docs/legal.md, Art. 28(3)(e) AVG):
working days on the legal calendar, each reminder milestone once, never a less urgent one after a more
urgent one."""
from __future__ import annotations

from datetime import date

import pytest

from dsr.models.connectors import MANUAL_TASK_KINDS, RUN_PURPOSES
from dsr.workflows.manual_tasks import OVERDUE, days_overdue, milestones, reminder_due, task_due_on, task_kind_for

D = date.fromisoformat


@pytest.mark.parametrize(("opened", "days", "due", "why"), [
    ("2026-02-02", 10, "2026-02-16", "two weeks of working days"),
    ("2026-04-24", 3, "2026-04-30", "King's Day (Monday 27 April) does not count"),
    ("2026-12-23", 2, "2026-12-28", "Christmas Day and the weekend do not count"),
    ("2026-02-13", 0, "2026-02-16", "at least one working day, also when the system says 0"),
    ("2026-02-14", 1, "2026-02-16", "opened on a Saturday: the next working day"),
])
def test_task_due_on(opened, days, due, why):
    assert task_due_on(D(opened), days) == D(due), why


DUE = "2026-02-16"  # a Monday; 3 working days before: Wednesday 11th; 1 before: Friday 13th


@pytest.mark.parametrize(("today", "reminded", "offsets", "expected", "why"), [
    ("2026-02-10", "", [3, 1], None, "too early for any reminder"),
    ("2026-02-11", "", [3, 1], "due_in_3", "three working days before"),
    ("2026-02-12", "due_in_3", [3, 1], None, "each milestone once"),
    ("2026-02-13", "due_in_3", [3, 1], "due_in_1", "one working day before"),
    ("2026-02-13", "", [3, 1], "due_in_1", "a sweep that missed the first sends only the most urgent"),
    ("2026-02-16", "due_in_1", [3, 1], None, "on the due date itself: nothing new"),
    ("2026-02-17", "due_in_1", [3, 1], OVERDUE, "the day after the due date: overdue, once"),
    ("2026-02-17", "", [3, 1], OVERDUE, "overdue without earlier reminders"),
    ("2026-03-02", OVERDUE, [3, 1], None, "overdue is the last milestone"),
    ("2026-02-13", "due_in_1", [1, 3], None, "the order of the setting does not matter"),
    ("2026-02-13", "", [], None, "no reminders before the date when none are configured"),
    ("2026-02-17", "", [], OVERDUE, "but still the overdue one"),
    ("2026-02-13", "gone_5", [3, 1], "due_in_1", "a milestone of an older setting counts as none"),
])
def test_reminder_due(today, reminded, offsets, expected, why):
    assert reminder_due(D(DUE), D(today), offsets, reminded) == expected, why


def test_milestones_least_urgent_first():
    assert milestones([1, 3, 0]) == ["due_in_3", "due_in_1", OVERDUE]


@pytest.mark.parametrize(("today", "expected"), [
    ("2026-02-10", 0), ("2026-02-16", 0), ("2026-02-17", 1), ("2026-02-23", 5),
])
def test_days_overdue_counts_working_days(today, expected):
    assert days_overdue(D(DUE), D(today)) == expected


def test_every_purpose_has_its_task_kind():
    assert {task_kind_for(p) for p in RUN_PURPOSES} == set(MANUAL_TASK_KINDS)
    assert task_kind_for("collect") == "deliver" and task_kind_for("erasure") == "confirm_erasure"
