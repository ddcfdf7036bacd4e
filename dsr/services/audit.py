"""Append to and verify the hash-chained audit log (R-AC-2)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent, Case
from ..models._types import utcnow
from ..models.audit import GENESIS
from .csv_cells import neutralise

#: Arbitrary constant key for the PostgreSQL advisory lock that serialises chain appends.
_CHAIN_LOCK = 0x647372  # "dsr"


def record(action: str, *, case: Case | None = None, actor: object = None, actor_kind: str = "staff",
           from_state: str | None = None, to_state: str | None = None, reason: str = "",
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the chain inside the current transaction (no commit here)."""
    db_session = db.session
    if db_session.get_bind().dialect.name == "postgresql":
        # Two transactions must not both chain onto the same predecessor; SQLite already serialises writers.
        db_session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    if case is not None and case.id is None:
        db_session.flush()
    prev = db_session.execute(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    event = AuditEvent(
        case_id=case.id if case is not None else None,
        actor_id=getattr(actor, "id", None) if actor_kind == "staff" else None,
        actor_kind=actor_kind, action=action, from_state=from_state, to_state=to_state,
        reason=reason or "", details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
        created_at=utcnow(), prev_hash=prev or GENESIS,
    )
    event.hash = event.compute_hash()
    db_session.add(event)
    db_session.flush()
    return event


def export_csv(case_id: int | None = None, batch_size: int = 2000) -> Iterator[str]:
    """Yield the audit log as CSV lines (streamed in id order, with each event's hash); every text cell is
    neutralised against spreadsheet formulas (:mod:`dsr.services.csv_cells`)."""
    columns = ["id", "created_at", "case_id", "actor_id", "actor_kind", "action", "from_state", "to_state",
               "reason", "details", "prev_hash", "hash"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    last_id = 0
    while True:
        query = sa.select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        if case_id is not None:
            query = query.where(AuditEvent.case_id == case_id)
        rows = db.session.execute(query).scalars().all()
        for event in rows:
            writer.writerow([neutralise(getattr(event, c) if c != "created_at" else event.created_at.isoformat())
                             for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify_chain`: how many events were checked and the first broken one."""

    checked: int
    first_broken_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        """Whether the whole chain checked out."""
        return self.first_broken_id is None


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Recompute every hash in order; name the first event whose content or link does not match.

    Reads plain rows of the hashed columns (no ORM objects, no join to the actor), so the cost per
    event stays small and constant however long the chain is.
    """
    columns = [AuditEvent.id, AuditEvent.hash, AuditEvent.case_id, AuditEvent.actor_id, AuditEvent.actor_kind,
               AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state, AuditEvent.reason,
               AuditEvent.details, AuditEvent.created_at, AuditEvent.prev_hash]
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = db.session.execute(
            sa.select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        if not rows:
            return VerifyResult(checked, None, None)
        for event in rows:
            if event.prev_hash != prev:
                return VerifyResult(checked, event.id, "link to the previous event does not match")
            # The model's own canonical form, applied to the row (it has the same attribute names).
            # cast: the row is not an AuditEvent, but canonical() reads only attributes the row has too.
            if hashlib.sha256(AuditEvent.canonical(cast(AuditEvent, event)).encode()).hexdigest() != event.hash:
                return VerifyResult(checked, event.id, "content does not match its hash")
            prev, last_id, checked = event.hash, event.id, checked + 1
