"""Manual tasks for the owner of a system without an interface, or a processor (issue 17 point 2).

dsr mails the owner a task ("lever de gegevens van deze leerling aan", "bevestig dat de gegevens zijn
gewist", ...) with a deadline in working days and a signed link; the owner answers on that link without an
account (:mod:`.manual_task_answers`). For a processor this is how it helps the school answer a
data-subject request (Art. 28(3)(e) AVG). The mail holds the least personal data needed: the case reference,
never the student's name or number; the page behind the link shows who the student is.

The link carries the task's id and a random nonce (``ManualTask.link_nonce``), signed and expiring
(``services.links``). Answering the task, or staff sending a new link, makes an older link useless.
Reminders are part of the deadline sweep (:func:`send_reminders`), each milestone once.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Case, ConnectorRun, ManualTask, System, User
from ..models.cases import in_queue
from ..notifications import queue_mail
from ..workflows import manual_tasks as rules
from ..workflows.deadlines import working_days_between
from ..workflows.roles import STAFF
from . import audit
from .case_access import FulfilmentError, get_visible_case
from .clock import local_today
from .links import TokenError, external_url, make_token, read_token
from .people import users_for_school
from .transaction import transaction, transactional

#: The salt of the owner's link (a token for another purpose never opens a task).
LINK_PURPOSE = "owner-task"
#: How long a link works: well past any due date; an answered or replaced link stops working at once anyway.
LINK_MAX_AGE_DAYS = 90
#: The mails: the task itself, and its reminders (templates/mail/owner_task*.txt).
TASK_MAIL, REMINDER_MAIL = "owner_task", "owner_task_reminder"


class TaskLinkError(Exception):
    """The owner's link cannot be used; ``reason``: invalid, expired, used, replaced or closed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def owner_address(system: System) -> str:
    """Where a task of ``system`` goes: its owner's contact address, else the owning staff member's."""
    if system.owner_email:
        return system.owner_email
    if system.owner_user_id is not None:
        user = db.session.get(User, system.owner_user_id)
        if user is not None and user.active:
            return user.email
    return ""


def owner_name(system: System) -> str:
    """How the mail addresses the owner."""
    if system.owner_name:
        return system.owner_name
    user = db.session.get(User, system.owner_user_id) if system.owner_user_id is not None else None
    return user.name if user is not None else ""


def task_url(task: ManualTask) -> str:
    """The owner's link to ``task`` (with its current nonce); never stored readable (the outbox seals it)."""
    return external_url("owner_tasks.task", token=make_token(LINK_PURPOSE, {"t": task.id, "n": task.link_nonce}))


def _mail(kind: str, task: ManualTask, case: Case, **extra: Any) -> None:
    system = task.system
    address = owner_address(system)
    if not address:
        raise FulfilmentError(_("Het systeem %(name)s heeft geen e-mailadres van de eigenaar; vul het in het "
                                "register in.", name=system.name))
    queue_mail(kind, address, case=case, task=task, system=system, owner_name=owner_name(system),
               processor=system.recipient_id is not None, task_url=task_url(task), **extra)


def open_task(run: ConnectorRun, kind: str) -> ManualTask:
    """Create the task of ``run`` for its system's owner and queue its mail, inside the caller's transaction.

    Due ``system.task_days`` working days from today. The run waits for the owner (``waiting``). A run that
    already has its task keeps it (nothing is mailed twice). ``kind`` must fit the run's purpose
    (``workflows.manual_tasks.task_kind_for``: collect → deliver, erasure → confirm_erasure, ...).
    """
    if kind != rules.task_kind_for(run.purpose):
        raise ValueError(f"a {run.purpose} run asks its owner {rules.task_kind_for(run.purpose)!r}, not {kind!r}")
    existing = db.session.execute(sa.select(ManualTask).where(ManualTask.run_id == run.id)).scalar()
    if existing is not None:
        return existing
    system = db.session.get_one(System, run.system_id)
    case = db.session.get_one(Case, run.case_id)
    task = ManualTask(run_id=run.id, case_id=case.id, system_id=system.id, kind=kind,
                      due_on=rules.task_due_on(local_today(), system.task_days),
                      link_nonce=secrets.token_urlsafe(24))
    db.session.add(task)
    run.status = "waiting"
    db.session.flush()
    audit.record("manual_task.opened", case=case, actor_kind="system",
                 details={"task_id": task.id, "run_id": run.id, "system": system.code, "kind": kind,
                          "due_on": task.due_on.isoformat()})
    _mail(TASK_MAIL, task, case)
    return task


def task_of_link(token: str) -> ManualTask:
    """The open task a link is for, or :class:`TaskLinkError` (invalid, expired, used, replaced, or closed:
    the request itself is done)."""
    try:
        payload = read_token(LINK_PURPOSE, token, LINK_MAX_AGE_DAYS * 86400)
    except TokenError as exc:
        raise TaskLinkError("expired" if exc.expired else "invalid") from exc
    task_id, nonce = payload.get("t"), payload.get("n")
    if not isinstance(task_id, int) or not isinstance(nonce, str):
        raise TaskLinkError("invalid")
    task = db.session.get(ManualTask, task_id)
    if task is None:
        raise TaskLinkError("invalid")
    if not hmac.compare_digest(task.link_nonce.encode(), nonce.encode()):
        raise TaskLinkError("replaced")
    if task.answered_at is not None:
        raise TaskLinkError("used")
    case = db.session.get(Case, task.case_id)
    if case is None or case.anonymised_at is not None:
        raise TaskLinkError("invalid")
    if not case.in_queue:
        raise TaskLinkError("closed")  # the request was answered or withdrawn: nothing left to do
    return task


@transactional
def send_new_link(user: User, case_id: int, task_id: int) -> ManualTask:
    """Staff send the owner a new link (the old one stops working); audited, one commit."""
    case = get_visible_case(user, case_id)
    task = db.session.get(ManualTask, task_id)
    if task is None or task.case_id != case.id:
        raise FulfilmentError(_("Deze taak hoort niet bij dit verzoek."))
    if task.answered_at is not None:
        raise FulfilmentError(_("De eigenaar heeft deze taak al beantwoord."))
    task.link_nonce = secrets.token_urlsafe(24)
    audit.record("manual_task.link_renewed", case=case, actor=user,
                 details={"task_id": task.id, "system": task.system.code})
    _mail(TASK_MAIL, task, case, renewed=True)
    return task


# ---- reminders (the deadline sweep) -----------------------------------------------------------------

def send_reminders(today: dt.date | None = None) -> int:
    """Mail each owner whose open task reached a new milestone (``MANUAL_TASK_REMINDER_DAYS`` working days
    before its due date, and once overdue); returns how many. One transaction per task; the milestone is
    written with a compare-and-set on ``reminded``, so two sweeps never send it twice."""
    today = today or local_today()
    offsets = list(current_app.config["MANUAL_TASK_REMINDER_DAYS"])
    horizon = today + dt.timedelta(days=7 * (max(offsets, default=0) // 5 + 1) + 14)
    candidates = db.session.execute(
        sa.select(ManualTask.id, ManualTask.due_on, ManualTask.reminded)
        .join(Case, Case.id == ManualTask.case_id)
        .where(ManualTask.answered_at.is_(None), ManualTask.due_on <= horizon, in_queue(),
               ManualTask.reminded != rules.OVERDUE)
        .order_by(ManualTask.due_on, ManualTask.id)).all()
    db.session.rollback()  # end the read; each task below commits on its own
    sent = 0
    for task_id, due_on, reminded in candidates:
        milestone = rules.reminder_due(due_on, today, offsets, reminded)
        if milestone is not None and _remind(task_id, reminded, milestone, today):
            sent += 1
    return sent


def _remind(task_id: int, reminded: str, milestone: str, today: dt.date) -> bool:
    """Record ``milestone`` on the task (if no other sweep did) and queue its mail; False if lost."""
    try:
        with transaction():
            result = db.session.execute(
                sa.update(ManualTask).where(ManualTask.id == task_id, ManualTask.reminded == reminded,
                                            ManualTask.answered_at.is_(None))
                .values(reminded=milestone).execution_options(synchronize_session=False))
            if getattr(result, "rowcount", 0) != 1:
                return False
            task = db.session.get_one(ManualTask, task_id)
            db.session.refresh(task)
            case = db.session.get_one(Case, task.case_id)
            audit.record("manual_task.reminded", case=case, actor_kind="system",
                         details={"task_id": task.id, "system": task.system.code, "milestone": milestone})
            _mail(REMINDER_MAIL, task, case, overdue=milestone == rules.OVERDUE,
                  days_left=max(0, working_days_between(today, task.due_on)))
    except (IntegrityError, FulfilmentError):
        return False
    return True


# ---- what staff see ---------------------------------------------------------------------------------

def tasks_of(case_id: int) -> list[ManualTask]:
    """The manual tasks of a case, oldest first."""
    return list(db.session.execute(sa.select(ManualTask).where(ManualTask.case_id == case_id)
                                   .order_by(ManualTask.id)).scalars())


@dataclass(frozen=True)
class OverdueTask:
    """One overdue task on the dashboard."""

    task_id: int
    case_id: int
    reference: str
    system: str
    due_on: dt.date
    days_overdue: int


def overdue_tasks(user: User, today: dt.date, school_id: int | None = None) -> list[OverdueTask]:
    """The open tasks past their due date in the open cases ``user`` may see (a director: their schools; the
    privacy officer: all), most overdue first; ``school_id`` narrows it to one school."""
    query = (sa.select(ManualTask.id, Case.id, Case.reference, System.name, ManualTask.due_on)
             .join(Case, Case.id == ManualTask.case_id).join(System, System.id == ManualTask.system_id)
             .where(ManualTask.answered_at.is_(None), ManualTask.due_on < today, in_queue())
             .order_by(ManualTask.due_on, ManualTask.id))
    if not user.sees_all_schools:
        query = query.where(Case.school_id.in_(user.school_ids or {-1}))
    if school_id is not None:
        query = query.where(Case.school_id == school_id)
    return [OverdueTask(task_id, case_id, reference or "", name, due_on, rules.days_overdue(due_on, today))
            for task_id, case_id, reference, name, due_on in db.session.execute(query)]


def staff_to_notify(case: Case) -> list[User]:
    """Who hears that an owner answered: the case's assignee, else the school's staff."""
    if case.assigned_to is not None and case.assigned_to.active:
        return [case.assigned_to]
    return users_for_school(case.school_id, (STAFF,))
