"""Append to the keyed, hash-chained audit log (R-AC-2), export it, and blank an anonymised case's text.

Every event is signed with HMAC-SHA256 under the newest key of ``DSR_AUDIT_KEYS`` (:mod:`.audit_keys`);
the signature covers the previous event's hash, so the events form a chain that nobody without the key
can rewrite. There is one chain per school and one for the organisation; an event is appended to its chain
when its transaction commits, under that chain's lock only (docs/security.md, "Audit log"). Verification
is in :mod:`.audit_verify`, the signed checkpoints outside the database in :mod:`.audit_checkpoints`.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import AuditEvent, Case
from ..models._types import utcnow
from ..models.audit import (
    FORM_CHAINED,
    GENESIS,
    ORGANISATION_CHAIN,
    REDACTED_DETAILS,
    REDACTED_REASON,
    chained_canonical,
    text_canonical,
)
from . import audit_keys, webhook_jobs
from .csv_cells import neutralise

#: Arbitrary constant key for the PostgreSQL advisory locks that serialise appends: the lock of chain ``c`` is
#: ``pg_advisory_xact_lock(_CHAIN_LOCK, c)`` (the two-key form, so it cannot collide with a one-key lock).
_CHAIN_LOCK = 0x647372  # "dsr"
#: Kept in the session's ``info``: the events recorded in this transaction and not yet appended.
_PENDING_KEY = "dsr_audit_pending"


def chain_of(case: Case | None) -> int:
    """The chain an event about ``case`` belongs to: the case's school, or the organisation chain."""
    school_id = getattr(case, "school_id", None) if case is not None else None
    return int(school_id) if school_id else ORGANISATION_CHAIN


def record(action: str, *, case: Case | None = None, actor: object = None, actor_kind: str = "staff",
           from_state: str | None = None, to_state: str | None = None, reason: str = "",
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Record one event in the current transaction (no commit here). It is appended to its chain (the case's
    school, else the organisation chain) and signed when the transaction commits (:func:`append_pending`),
    so the chain's lock is held for the insert and the commit only, not for the rest of the request; its
    ``id`` is set from then on (or after :func:`flush_audit`). A rollback drops it.

    A change of a case's state (``to_state`` given) also writes the webhook deliveries it causes, in the same
    transaction (:func:`.webhook_jobs.record_case_events`)."""
    db_session = db.session()
    key_id, key = audit_keys.newest()
    if case is not None and (case.id is None or case.school_id is None):
        db_session.flush()
    # Begin the transaction now if none is open: the end of a transaction is what drops its unappended events.
    db_session.connection()
    text = reason or ""
    details_json = json.dumps(details or {}, sort_keys=True, ensure_ascii=False)
    event = AuditEvent(
        case_id=case.id if case is not None else None,
        actor_id=getattr(actor, "id", None) if actor_kind == "staff" else None,
        actor_kind=actor_kind, action=action, from_state=from_state, to_state=to_state,
        reason=text, details=details_json, created_at=utcnow(), chain=chain_of(case), form=FORM_CHAINED,
        key_id=key_id, text_digest=audit_keys.sign(key, text_canonical(text, details_json)),
    )
    db_session.info.setdefault(_PENDING_KEY, []).append(event)
    if case is not None and to_state is not None:
        # Every change of a case's state is audited here, with its states (a new request in
        # cases.open_new_case, every workflow step in steps.take_step): the one place where the webhooks'
        # deliveries are written, in this same transaction (issue 18 point 6).
        webhook_jobs.record_case_events(action, case, from_state, to_state)
    return event


def append_pending(session: so.Session) -> int:
    """Append the events recorded in ``session``'s transaction to their chains; returns how many.

    On PostgreSQL this takes the advisory lock of every chain the events go to, in ascending chain order (so
    two transactions that touch the same schools in another order cannot deadlock), reads each chain's head
    after the lock (READ COMMITTED: the statement sees every append committed before), links and signs the
    events in the order they were recorded, and adds them for the commit's flush. The locks end with the
    transaction. SQLite has one writer at a time and needs no lock.
    """
    pending: list[AuditEvent] = session.info.pop(_PENDING_KEY, None) or []
    if not pending:
        return 0
    chains = sorted({event.chain for event in pending})
    if session.get_bind().dialect.name == "postgresql":
        for chain in chains:
            session.execute(sa.text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), CAST(:chain AS integer))"),
                            {"k": _CHAIN_LOCK, "chain": chain})
    heads = {chain: session.execute(sa.select(AuditEvent.hash).where(AuditEvent.chain == chain)
                                    .order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
             for chain in chains}
    keys = audit_keys.keys()
    for event in pending:
        event.prev_hash = heads[event.chain]
        event.hash = audit_keys.sign(keys[event.key_id], chained_canonical(event))
        heads[event.chain] = event.hash
        session.add(event)
    return len(pending)


def flush_audit() -> None:
    """Append and flush the events recorded so far in this transaction now (they get their ids), for code
    that must see them in the database before the commit. The chains' locks are then held until the commit."""
    if append_pending(db.session()):
        db.session.flush()


def discard_pending(session: so.Session) -> None:
    """Forget the events recorded in ``session``'s transaction and not appended (it rolled back)."""
    session.info.pop(_PENDING_KEY, None)


def _after_transaction_end(session: so.Session, transaction: so.SessionTransaction) -> None:
    # The outermost transaction ended: by a commit (the events were appended by then), a rollback or a close.
    if transaction.parent is None:
        discard_pending(session)


def _before_commit(session: so.Session) -> None:
    # SQLAlchemy calls before_commit before the commit's final flush, so the events added here are inserted
    # in the same transaction; it fires for the outermost commit of every session (services, CLI, jobs, tests).
    append_pending(session)


def install_session_hooks() -> None:
    """Append pending events on every commit and drop them when a transaction ends otherwise (idempotent;
    done on import, since only code that imported this module can have recorded an event)."""
    if not sa.event.contains(so.Session, "before_commit", _before_commit):
        sa.event.listen(so.Session, "before_commit", _before_commit)
        sa.event.listen(so.Session, "after_transaction_end", _after_transaction_end)


install_session_hooks()


def redact_case_text(case_id: int) -> int:
    """Blank the free text (reason, details) of every audit event of an anonymised case; returns how many.

    The chain stays valid: a keyed event's signature covers the keyed digest of its text, which stays. The
    database allows exactly this UPDATE and no other (the guard in :mod:`dsr.models.audit`). No commit here.
    The events recorded so far in this transaction are appended first, so they are blanked too.
    """
    flush_audit()
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
