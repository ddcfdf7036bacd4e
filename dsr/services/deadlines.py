"""The deadline sweep (R-DL-7, issue: reminders at 10 and 5 working days, overdue alert).

It reads only open cases whose deadline is near or past and that have not had their overdue alert
yet, so its cost follows what is due, not what is stored. Each milestone is recorded in
``deadline_notices`` under a unique key in the same transaction as its mails, so two sweeps running
at once (or a retried job) never send a milestone twice. Who is mailed is :func:`reminder_recipients`: the
school's people, or for an assigned case its assignee first (issue 15).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Case, DeadlineNotice, User
from ..models.cases import in_queue
from ..notifications import queue_mail
from ..workflows import deadlines
from ..workflows.reminders import OVERDUE, reminder_recipients, reminder_stage
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER, STAFF
from . import manual_tasks
from .assignment import may_handle
from .clock import local_today
from .links import external_url
from .people import users_for_school
from .transaction import transaction

#: Calendar days that always cover the largest reminder offset in working days (10 working days
#: can span at most 14 weekdays plus holidays around Christmas).
_HORIZON_DAYS = 31


def milestones_due(due_on: dt.date, today: dt.date, offsets: list[int]) -> list[str]:
    """Milestones reached on ``today`` for a deadline ``due_on``, least urgent first."""
    reached = [f"reminder_{n}" for n in sorted(offsets, reverse=True)
               if today >= deadlines.subtract_working_days(due_on, n)]
    if today > due_on:
        reached.append(OVERDUE)
    return reached


def _recipients(case: Case, milestone: str) -> list[User]:
    """Who is mailed about ``milestone`` of ``case``: :func:`reminder_recipients` for the case's assignee
    (if they still work on the school's cases) and the school's people."""
    assignee = case.assigned_to
    if assignee is not None and not may_handle(assignee, case):
        assignee = None  # deactivated, or no longer of this school: the reminders go to everyone again
    people = users_for_school(case.school_id, (STAFF, DIRECTOR, PRIVACY_OFFICER))
    return reminder_recipients(
        reminder_stage(milestone, list(current_app.config["REMINDER_WORKING_DAYS"])), assignee,
        staff=[u for u in people if u.role == STAFF], directors=[u for u in people if u.role == DIRECTOR],
        privacy_officers=[u for u in people if u.role == PRIVACY_OFFICER])


def _reached_until(today: dt.date, offsets: list[int]) -> dict[str, dt.date]:
    """For each reminder, the latest deadline for which it has been reached by ``today``.

    A reminder is reached ``n`` working days before the deadline, so the set of deadlines that
    reached it is every date up to a limit; the limit is found with :func:`milestones_due` itself.
    """
    limits: dict[str, dt.date] = {}
    for n in offsets:
        name, day = f"reminder_{n}", today
        while name in milestones_due(day + dt.timedelta(days=1), today, [n]) \
                and day < today + dt.timedelta(days=_HORIZON_DAYS):
            day += dt.timedelta(days=1)
        limits[name] = day
    return limits


def sweep_deadlines(today: dt.date | str | None = None) -> int:
    """Record and mail every milestone reached by an open case; returns the number notified. Also reminds
    the owners of open manual tasks (``manual_tasks.send_reminders``; not in the returned number).

    The database returns only the open cases that reached a milestone not recorded yet (per
    milestone: deadline on or before its limit, and no notice), with the milestones already
    recorded, in one query: no query per case, however many open cases there are.
    """
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    today = today or local_today()
    offsets = list(current_app.config["REMINDER_WORKING_DAYS"])

    def notified(milestone: str) -> sa.Exists:
        return sa.exists().where(DeadlineNotice.case_id == Case.id, DeadlineNotice.milestone == milestone)

    limits = _reached_until(today, offsets)
    new_milestone = sa.or_(Case.due_on < today, *(
        sa.and_(Case.due_on <= limit, ~notified(name)) for name, limit in limits.items()))
    candidates = db.session.execute(
        sa.select(Case.id, Case.due_on)
        # Open cases, and decided ones whose decision letter is still to send: the requester has no answer yet.
        .where(in_queue(), Case.due_on <= max([today, *limits.values()]),
               ~notified(OVERDUE), new_milestone)
        .order_by(Case.due_on, Case.id)
    ).all()
    sent: dict[int, set[str]] = {}
    ids = [case_id for case_id, _ in candidates]
    for start in range(0, len(ids), 500):
        for case_id, milestone in db.session.execute(
                sa.select(DeadlineNotice.case_id, DeadlineNotice.milestone)
                .where(DeadlineNotice.case_id.in_(ids[start:start + 500]))):
            sent.setdefault(case_id, set()).add(milestone)
    notified_count = 0
    for case_id, due_on in candidates:
        reached = milestones_due(due_on, today, offsets)
        new = [m for m in reached if m not in sent.get(case_id, ())]
        if new and _notify_case(case_id, due_on, new, today):
            notified_count += 1
    # The owners of systems with an open manual task (issue 17): their own milestones, counted apart.
    manual_tasks.send_reminders(today)
    return notified_count


def _notify_case(case_id: int, due_on: dt.date, new: list[str], today: dt.date) -> bool:
    """Record the new milestones and mail the most urgent one; False if another sweep won the race.

    One transaction per case (the sweep commits case by case): a lost race rolls back only this case."""
    try:
        with transaction():
            for milestone in new:
                db.session.add(DeadlineNotice(case_id=case_id, milestone=milestone, due_on=due_on))
            db.session.flush()  # the unique key: another sweep that recorded these first wins here
            case = db.session.get_one(Case, case_id)
            milestone = new[-1]  # earlier milestones missed (e.g. a late-registered case) are recorded, not mailed
            case_url = external_url("staff.case", case_id=case.id)
            days_left = deadlines.working_days_between(today, case.due_on)
            for user in _recipients(case, milestone):
                queue_mail("staff_deadline", user.email, case=case, user=user, milestone=milestone,
                           days_left=days_left, case_url=case_url)
    except IntegrityError:
        return False  # rolled back: another sweep recorded (and mailed) these milestones
    return True
