"""The deadline sweep (R-DL-7, issue: reminders at 10 and 5 working days, overdue alert).

It reads only open cases whose deadline is near or past and that have not had their overdue alert
yet, so its cost follows what is due, not what is stored. Each milestone is recorded in
``deadline_notices`` under a unique key in the same transaction as its mails, so two sweeps running
at once (or a retried job) never send a milestone twice.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Case, DeadlineNotice
from ..notifications import queue_mail
from ..workflows import deadlines
from ..workflows import states as S
from .clock import local_today
from .links import external_url
from .people import users_for_school

OVERDUE = "overdue"
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


def _recipients(case: Case, milestone: str):
    if milestone == OVERDUE:
        return users_for_school(case.school_id, (S.DIRECTOR, S.PRIVACY_OFFICER))
    offsets = sorted(current_app.config["REMINDER_WORKING_DAYS"])
    if milestone == f"reminder_{offsets[0]}":  # the last reminder escalates to the director too
        return users_for_school(case.school_id, (S.STAFF, S.DIRECTOR))
    return users_for_school(case.school_id, (S.STAFF,))


def sweep_deadlines(today: dt.date | str | None = None) -> int:
    """Record and mail every milestone reached by an open case; returns the number notified."""
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    today = today or local_today()
    offsets = list(current_app.config["REMINDER_WORKING_DAYS"])
    already_overdue = sa.exists().where(DeadlineNotice.case_id == Case.id, DeadlineNotice.milestone == OVERDUE)
    candidates = db.session.execute(
        sa.select(Case.id, Case.due_on)
        .where(Case.state.in_(S.OPEN_STATES), Case.due_on <= today + dt.timedelta(days=_HORIZON_DAYS),
               ~already_overdue)
        .order_by(Case.due_on, Case.id)
    ).all()
    notified = 0
    for case_id, due_on in candidates:
        reached = milestones_due(due_on, today, offsets)
        if not reached:
            continue
        sent = set(db.session.execute(
            sa.select(DeadlineNotice.milestone).where(DeadlineNotice.case_id == case_id)).scalars())
        new = [m for m in reached if m not in sent]
        if new and _notify_case(case_id, due_on, new, today):
            notified += 1
    return notified


def _notify_case(case_id: int, due_on: dt.date, new: list[str], today: dt.date) -> bool:
    """Record the new milestones and mail the most urgent one; False if another sweep won the race."""
    try:
        for milestone in new:
            db.session.add(DeadlineNotice(case_id=case_id, milestone=milestone, due_on=due_on))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    case = db.session.get(Case, case_id)
    milestone = new[-1]  # earlier milestones missed (e.g. a late-registered case) are recorded, not mailed
    case_url = external_url("staff.case", case_id=case.id)
    days_left = deadlines.working_days_between(today, case.due_on)
    for user in _recipients(case, milestone):
        queue_mail("staff_deadline", user.email, case=case, user=user, milestone=milestone,
                   days_left=days_left, case_url=case_url)
    db.session.commit()
    return True
