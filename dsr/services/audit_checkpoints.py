"""Signed checkpoints of the audit chains, kept outside the database.

A checkpoint names the head of every chain (one per school and the organisation chain: last event id and
hash, and the chain's length) and the totals, signed with HMAC under the newest audit key. Checkpoints of
version 1 (before the chains per school) named the one chain's head and still verify. It is appended, one
JSON object per line, to ``<FILE_STORAGE>/audit/checkpoints.jsonl`` (opened with ``O_APPEND``, never
rewritten), and once a day mailed to the privacy officers. Whoever can change the database but not the file
store or their mailboxes cannot delete a chain's tail, or rewrite a checkpointed event, unnoticed:
``dsr audit verify`` compares each chain with every checkpoint.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import AuditEvent, User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows.roles import PRIVACY_OFFICER
from . import audit, audit_keys
from .transaction import transactional

#: The fields a checkpoint's signature covers, by version (the canonical JSON sorts the keys).
SIGNED_FIELDS = {1: ("v", "event_id", "head", "count", "at", "key"),
                 2: ("v", "event_id", "head", "count", "chains", "at", "key")}
VERSION = 2


def checkpoint_path() -> Path:
    """``<FILE_STORAGE>/audit/checkpoints.jsonl`` (the file store's default folder when unset)."""
    root = Path(current_app.config.get("FILE_STORAGE") or Path(current_app.instance_path) / "files")
    return root / "audit" / "checkpoints.jsonl"


def _canonical(checkpoint: dict[str, Any]) -> str:
    fields = SIGNED_FIELDS[2] if checkpoint.get("v") == 2 else SIGNED_FIELDS[1]
    return json.dumps({k: checkpoint.get(k) for k in fields}, sort_keys=True)


def signature_ok(checkpoint: dict[str, Any], keys: dict[str, bytes]) -> bool:
    """Whether ``checkpoint`` carries a valid signature of a configured key."""
    key = keys.get(str(checkpoint.get("key")))
    return key is not None and audit_keys.matches(audit_keys.sign(key, _canonical(checkpoint)),
                                                  checkpoint.get("sig"))


def _head() -> dict[str, Any]:
    """The heads now: per chain its last event id and hash and its number of events; and the totals (the
    last event of all, and the number of all events).

    One statement counts every chain, so the figures come from one snapshot. Within a chain, events commit in
    id order (its lock is held until the commit), so a chain's count is exactly its events up to its head;
    across chains a lower id may commit later, so verification compares each chain, not the totals."""
    counted = db.session.execute(sa.select(AuditEvent.chain, sa.func.max(AuditEvent.id), sa.func.count())
                                 .group_by(AuditEvent.chain).order_by(AuditEvent.chain)).all()
    last_ids = [row[1] for row in counted]
    hashes = {row.id: row.hash for row in db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(last_ids)))} if last_ids else {}
    chains = [{"chain": int(chain), "event_id": int(last), "head": hashes[last], "count": int(count)}
              for chain, last, count in counted]
    last_id = max(last_ids, default=0)
    return {"event_id": last_id, "head": hashes.get(last_id), "count": sum(c["count"] for c in chains),
            "chains": chains}


def _append(path: Path, line: str) -> None:
    """Append one line; O_APPEND makes each write land at the end, whoever else appends."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _write() -> dict[str, Any]:
    key_id, key = audit_keys.newest()
    checkpoint: dict[str, Any] = {"v": VERSION, **_head(), "at": utcnow().isoformat(timespec="seconds"),
                                  "key": key_id}
    checkpoint["sig"] = audit_keys.sign(key, _canonical(checkpoint))
    # The line is written before the event below is committed: a checkpoint without its event is harmless,
    # an event without its line would be a finding.
    _append(checkpoint_path(), json.dumps(checkpoint, sort_keys=True) + "\n")
    audit.record("audit.checkpoint", actor_kind="system",
                 details={"event_id": checkpoint["event_id"], "count": checkpoint["count"]})
    return checkpoint


@transactional
def audit_checkpoint() -> dict[str, Any]:
    """Append a signed checkpoint of the chain's head to the file store, and audit that (scheduler: hourly)."""
    return _write()


@transactional
def mail_audit_checkpoint() -> dict[str, Any]:
    """Write a fresh checkpoint and mail it to every active privacy officer (scheduler: daily). The mail has
    numbers and hashes only, no personal data."""
    checkpoint = _write()
    officers = db.session.execute(sa.select(User).where(User.role == PRIVACY_OFFICER, User.active.is_(True))
                                  .order_by(User.id)).scalars()
    for officer in officers:
        queue_mail("staff_audit_checkpoint", officer.email, user=officer, checkpoint=checkpoint)
    return checkpoint


@dataclass(frozen=True)
class CheckpointLine:
    """One line of the checkpoint file: its number, and the checkpoint (None when the line is not JSON)."""

    number: int
    checkpoint: dict[str, Any] | None


def read_checkpoints(path: Path | None = None) -> Iterator[CheckpointLine]:
    """Every line of the checkpoint file, in order (nothing when there is no file yet)."""
    path = path or checkpoint_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except ValueError:
                parsed = None
            yield CheckpointLine(number, parsed if isinstance(parsed, dict) else None)
