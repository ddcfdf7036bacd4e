"""What the operations page reads from the database: the outbox rows waiting or failed, and the
count per status (plain reads; retrying goes through :mod:`dsr.services.operations`).

Admins must not read case content, so only columns without it are selected (never recipient,
subject or body).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage
from ..models.outbox import FAILED, PENDING, SENT

#: One row of the outbox list: id, kind, status, attempts, last_error, next_attempt_at, created_at.
OutboxRow = sa.Row[int, str, str, int, str | None, dt.datetime, dt.datetime]


def outbox_rows(limit: int) -> Sequence[OutboxRow]:
    """Pending and failed rows, failed first, at most ``limit``; only columns without case content."""
    failed_first = sa.case((OutboxMessage.status == FAILED, 0), else_=1)
    return db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.status, OutboxMessage.attempts,
                  OutboxMessage.last_error, OutboxMessage.next_attempt_at, OutboxMessage.created_at)
        .where(OutboxMessage.status.in_((PENDING, FAILED)))
        .order_by(failed_first, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()


def outbox_counts() -> dict[str, int]:
    """How many outbox rows are pending, failed and sent (0 where there are none)."""
    counts: dict[str, int] = {status: count for status, count in db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count(OutboxMessage.id)).group_by(OutboxMessage.status))}
    return {s: counts.get(s, 0) for s in (PENDING, FAILED, SENT)}
