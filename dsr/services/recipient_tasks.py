"""Art. 19 recipient tasks (R-RI-7): after data is rectified, erased or restricted, every recipient of the
categories concerned is told, or the reason why not is recorded. No case may close while one is open.

Shared by corrections (which creates the tasks), fulfilment (closing facts, anonymisation) and the letters
(who was told); imports none of the case services (issue 12).
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, RecipientTask, RegisterCategory, User
from ..models._types import utcnow
from ..models.fulfilment import TASK_DONE, TASK_EXCEPTION, TASK_EXCEPTIONS, TASK_OPEN
from ..workflows import states as S
from . import audit
from .case_access import CaseNotFound, FulfilmentError, case_for_work, check_version, flush_or_conflict
from .transaction import transactional


def tasks_for(case_id: int) -> list[RecipientTask]:
    """The Art. 19 tasks of a case, oldest first."""
    return list(db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)
                                   .order_by(RecipientTask.id)).scalars())


def open_task_count(case_id: int) -> int:
    """How many Art. 19 tasks of a case are still open (closing waits for none)."""
    return db.session.execute(sa.select(sa.func.count(RecipientTask.id)).where(
        RecipientTask.case_id == case_id, RecipientTask.status == TASK_OPEN)).scalar_one()


def create_tasks(case: Case, reason: str, categories: Iterable[RegisterCategory]) -> list[RecipientTask]:
    """One open task per active recipient of ``categories`` (deduplicated per case and recipient)."""
    per_recipient: dict[int, tuple] = {}
    for category in categories:
        for recipient in category.active_recipients:
            codes = per_recipient.setdefault(recipient.id, (recipient, set()))[1]
            codes.add(category.code)
    existing = {t.recipient_id: t for t in tasks_for(case.id)}
    created = []
    for recipient_id, (recipient, codes) in sorted(per_recipient.items(), key=lambda kv: kv[1][0].name):
        task = existing.get(recipient_id)
        if task is not None:
            merged = sorted(set(task.category_codes.split(",")) - {""} | codes)
            task.category_codes = ",".join(merged)
            if task.status != TASK_OPEN:
                task.status, task.resolved_at, task.resolved_by_id = TASK_OPEN, None, None
            continue
        task = RecipientTask(case_id=case.id, recipient=recipient, reason=reason,
                             category_codes=",".join(sorted(codes)), status=TASK_OPEN)
        db.session.add(task)
        created.append(task)
    db.session.flush()
    return created


@transactional
def resolve_task(user: User, case_id: int, task_id: int, version: int, outcome: str, exception_kind: str | None,
                 note: str) -> RecipientTask:
    """Mark a task done, or record the exception (impossible / disproportionate) with its reason; one commit."""
    case = case_for_work(user, case_id, states=(S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR))
    task = db.session.get(RecipientTask, task_id)
    if task is None or task.case_id != case.id:
        raise CaseNotFound(task_id)
    note = (note or "").strip()
    if outcome == TASK_DONE:
        if not note:
            raise FulfilmentError(_("Noteer hoe en wanneer de ontvanger bericht kreeg."), field="note", form="task")
        task.exception_kind = None
    elif outcome == TASK_EXCEPTION:
        if exception_kind not in TASK_EXCEPTIONS:
            raise FulfilmentError(_("Kies waarom de ontvanger geen bericht krijgt."), field="exception_kind",
                                  form="task")
        if not note:
            raise FulfilmentError(_("Leg uit waarom berichten onmogelijk is of een onevenredige inspanning kost "
                                    "(R-RI-7)."), field="note", form="task")
        task.exception_kind = exception_kind
    else:
        raise FulfilmentError(_("Kies: bericht gestuurd, of een uitzondering."), field="outcome", form="task")
    check_version(case, version)
    task.status, task.note, task.resolved_by_id, task.resolved_at = outcome, note, user.id, utcnow()
    flush_or_conflict()
    audit.record("fulfilment.task_resolved", case=case, actor=user, reason=note,
                 details={"task_id": task.id, "recipient": task.recipient.code, "outcome": outcome,
                          "exception": task.exception_kind})
    return task

