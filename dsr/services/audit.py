"""Append to the keyed, hash-chained audit log (R-AC-2), export it, and blank an anonymised case's text.

Every event is signed with HMAC-SHA256 under the newest key of ``DSR_AUDIT_KEYS`` (:mod:`.audit_keys`);
the signature covers the previous event's hash, so the events form a chain that nobody without the key
can rewrite. Verification is in :mod:`.audit_verify`, the signed checkpoints outside the database in
:mod:`.audit_checkpoints`.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent, Case
from ..models._types import utcnow
from ..models.audit import GENESIS, REDACTED_DETAILS, REDACTED_REASON, keyed_canonical, text_canonical
from . import audit_keys
from .csv_cells import neutralise

#: Arbitrary constant key for the PostgreSQL advisory lock that serialises chain appends.
_CHAIN_LOCK = 0x647372  # "dsr"


def record(action: str, *, case: Case | None = None, actor: object = None, actor_kind: str = "staff",
           from_state: str | None = None, to_state: str | None = None, reason: str = "",
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one signed event to the chain inside the current transaction (no commit here)."""
    db_session = db.session
    key_id, key = audit_keys.newest()
    if db_session.get_bind().dialect.name == "postgresql":
        # Two transactions must not both chain onto the same predecessor; SQLite already serialises writers.
        db_session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    if case is not None and case.id is None:
        db_session.flush()
    prev = db_session.execute(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    text = reason or ""
    details_json = json.dumps(details or {}, sort_keys=True, ensure_ascii=False)
    event = AuditEvent(
        case_id=case.id if case is not None else None,
        actor_id=getattr(actor, "id", None) if actor_kind == "staff" else None,
        actor_kind=actor_kind, action=action, from_state=from_state, to_state=to_state,
        reason=text, details=details_json, created_at=utcnow(), prev_hash=prev or GENESIS,
        key_id=key_id, text_digest=audit_keys.sign(key, text_canonical(text, details_json)),
    )
    event.hash = audit_keys.sign(key, keyed_canonical(event))
    db_session.add(event)
    db_session.flush()
    return event


def redact_case_text(case_id: int) -> int:
    """Blank the free text (reason, details) of every audit event of an anonymised case; returns how many.

    The chain stays valid: a keyed event's signature covers the keyed digest of its text, which stays. The
    database allows exactly this UPDATE and no other (the guard in :mod:`dsr.models.audit`). No commit here.
    """
    result = db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.redacted_at.is_(None),
               sa.or_(AuditEvent.reason != REDACTED_REASON, AuditEvent.details != REDACTED_DETAILS))
        .values(reason=REDACTED_REASON, details=REDACTED_DETAILS, redacted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
