"""``dsr audit verify``: check the keyed audit chain and the signed checkpoints outside the database.

One pass over the chain in id order, in batches of plain rows (no ORM objects), so the cost per event is
small and constant however long the chain is. Each event must link to its predecessor, carry a valid
signature of a key in ``DSR_AUDIT_KEYS`` (or, only before the first keyed event, a valid legacy SHA-256
hash), and, unless redacted, text that matches its keyed digest. Each checkpoint line must be signed, and
the event it names must still be in the chain with the same hash at the same position; a checkpoint
beyond the chain's end means the tail was deleted.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent
from ..models.audit import (
    GENESIS,
    LEGACY_KEY_ID,
    REDACTED_DETAILS,
    REDACTED_REASON,
    AuditFields,
    keyed_canonical,
    legacy_canonical,
    text_canonical,
)
from . import audit_keys
from .audit_checkpoints import checkpoint_path, read_checkpoints, signature_ok

#: Findings listed at most; verification goes on counting after that.
MAX_FINDINGS = 20
_COLUMNS = [AuditEvent.id, AuditEvent.hash, AuditEvent.case_id, AuditEvent.actor_id, AuditEvent.actor_kind,
            AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state, AuditEvent.reason,
            AuditEvent.details, AuditEvent.created_at, AuditEvent.prev_hash, AuditEvent.key_id,
            AuditEvent.text_digest, AuditEvent.redacted_at]


@dataclass(frozen=True)
class Finding:
    """One thing wrong: the event at fault (None for a checkpoint line on its own) and what."""

    event_id: int | None
    problem: str


@dataclass
class VerifyResult:
    """Outcome of :func:`verify_chain`."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    more_findings: int = 0
    #: Events checked before the first finding about an event.
    verified_before: int | None = None
    checkpoints: int = 0
    legacy: int = 0
    legacy_redacted: int = 0
    redacted: int = 0
    checkpoint_file: str = ""

    @property
    def ok(self) -> bool:
        """Whether the chain and every checkpoint checked out."""
        return not self.findings

    @property
    def first_broken_id(self) -> int | None:
        """The event of the first finding (None when there is none, or it is about a checkpoint line)."""
        return self.findings[0].event_id if self.findings else None

    @property
    def problem(self) -> str | None:
        """What the first finding says."""
        return self.findings[0].problem if self.findings else None

    def add(self, event_id: int | None, problem: str) -> None:
        if event_id is not None and self.verified_before is None:
            self.verified_before = self.checked
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(event_id, problem))
        else:
            self.more_findings += 1


@dataclass
class _Checkpoint:
    line: int
    event_id: int
    head: str
    count: int
    at: str
    seen: bool = False


def _load_checkpoints(result: VerifyResult, keys: dict[str, bytes], path: Path | None) -> dict[int, list[_Checkpoint]]:
    """The signed checkpoints by event id; unsigned, forged or unreadable lines become findings."""
    by_event: dict[int, list[_Checkpoint]] = {}
    for entry in read_checkpoints(path):
        cp = entry.checkpoint
        if cp is None or not isinstance(cp.get("event_id"), int) or not isinstance(cp.get("count"), int):
            result.add(None, f"checkpoint line {entry.number} is not a checkpoint")
            continue
        if not signature_ok(cp, keys):
            result.add(None, f"checkpoint line {entry.number} (event {cp['event_id']}): its signature does not "
                             f"match (edited or forged, or signed with key {cp.get('key')!r} not in DSR_AUDIT_KEYS)")
            continue
        result.checkpoints += 1
        if cp["event_id"] > 0:
            by_event.setdefault(cp["event_id"], []).append(
                _Checkpoint(entry.number, cp["event_id"], str(cp.get("head")), cp["count"], str(cp.get("at"))))
    return by_event


class _Walk:
    """The state of one pass over the chain."""

    def __init__(self, result: VerifyResult, keys: dict[str, bytes], checkpoints: dict[int, list[_Checkpoint]]):
        self.result, self.keys, self.checkpoints = result, keys, checkpoints
        self.prev, self.last_id, self.keyed_seen, self.last_legacy_id = GENESIS, 0, False, 0
        self.recorded_checkpoints: dict[tuple[int, int], int] = {}
        self.redacted_cases: dict[int, int] = {}
        self.anonymised_cases: set[int] = set()

    def event(self, row: Any) -> None:
        result = self.result
        if row.prev_hash != self.prev:
            result.add(row.id, f"link to the previous event does not match (the event before event {row.id} "
                               "was deleted or changed)")
        self._content(row)
        position = result.checked + 1
        for cp in self.checkpoints.get(row.id, ()):
            cp.seen = True
            if row.hash != cp.head:
                result.add(row.id, f"event {row.id} differs from checkpoint line {cp.line} ({cp.at}): its hash changed")
            elif position != cp.count:
                result.add(row.id, f"event {row.id} is event number {position} of the chain, checkpoint line "
                                   f"{cp.line} ({cp.at}) counted {cp.count}: {abs(cp.count - position)} events "
                                   f"before it {'are missing' if position < cp.count else 'were inserted'}")
        self._remember(row)
        self.prev, self.last_id, result.checked = row.hash, row.id, position

    def _content(self, row: Any) -> None:
        result, fields = self.result, cast(AuditFields, row)
        blank = row.reason == REDACTED_REASON and row.details == REDACTED_DETAILS
        if row.key_id == LEGACY_KEY_ID:
            result.legacy += 1
            self.last_legacy_id = row.id
            if self.keyed_seen:
                result.add(row.id, "content does not match: a plain SHA-256 event after the keyed chain began")
            elif row.redacted_at is not None and blank:
                result.legacy_redacted += 1  # its text is gone: the link from the next event is all that holds it
            elif hashlib.sha256(legacy_canonical(fields).encode()).hexdigest() != row.hash:
                result.add(row.id, "content does not match its (legacy) hash")
            return
        self.keyed_seen = True
        key = self.keys.get(row.key_id)
        if key is None:
            result.add(row.id, f"signed with key {row.key_id!r}, which is not in DSR_AUDIT_KEYS")
            return
        if not (row.redacted_at is not None and blank) and not audit_keys.matches(
                audit_keys.sign(key, text_canonical(row.reason, row.details)), row.text_digest):
            result.add(row.id, "content does not match its keyed digest (reason or details changed)")
        if not audit_keys.matches(audit_keys.sign(key, keyed_canonical(fields)), row.hash):
            result.add(row.id, "content does not match its signature")

    def _remember(self, row: Any) -> None:
        """What the end of the walk checks: redactions need the case's anonymisation, checkpoints their line."""
        if row.redacted_at is not None:
            self.result.redacted += 1
            if row.case_id is None:
                self.result.add(row.id, "redacted, but it belongs to no case")
            else:
                self.redacted_cases.setdefault(row.case_id, row.id)
        if row.action == "case.anonymised" and row.case_id is not None:
            self.anonymised_cases.add(row.case_id)
        if row.action == "audit.checkpoint":
            try:
                details = json.loads(row.details)
                self.recorded_checkpoints[(int(details["event_id"]), int(details["count"]))] = row.id
            except (ValueError, KeyError, TypeError):
                self.result.add(row.id, "a checkpoint event without the checkpoint it recorded")

    def finish(self) -> None:
        result = self.result
        for case_id, event_id in self.redacted_cases.items():
            if case_id not in self.anonymised_cases:
                result.add(event_id, f"redacted, but the chain records no anonymisation of case {case_id}")
        written = {(cp.event_id, cp.count) for cps in self.checkpoints.values() for cp in cps}
        for (event_id, count), audit_id in self.recorded_checkpoints.items():
            if event_id and (event_id, count) not in written:
                result.add(audit_id, f"event {audit_id} records a checkpoint of event {event_id} that is not in "
                                     "the checkpoint file (the file was replaced or cut short)")
        if self.last_legacy_id and not any(event_id >= self.last_legacy_id for event_id in self.checkpoints):
            # Anyone can recompute plain SHA-256, and so rewrite a whole chain as "legacy" events: they hold only
            # once a signed checkpoint names an event at or after the last of them.
            result.add(self.last_legacy_id, f"{result.legacy} event(s) hashed with plain SHA-256 (from before the "
                                            "keyed chain) are not anchored by any checkpoint; write one with: "
                                            "flask --app wsgi dsr audit checkpoint")
        unseen = [cp for cps in self.checkpoints.values() for cp in cps if not cp.seen]
        beyond = [cp for cp in unseen if cp.event_id > self.last_id]
        for cp in unseen:
            if cp.event_id <= self.last_id:
                result.add(cp.event_id, f"event {cp.event_id}, named by checkpoint line {cp.line} ({cp.at}), "
                                        "is missing")
        if beyond:
            cp = max(beyond, key=lambda c: (c.count, c.event_id))
            result.add(cp.event_id, f"{max(cp.count - result.checked, 1)} events after event {self.last_id} are "
                                    f"missing: checkpoint line {cp.line} ({cp.at}) covers {cp.count} events up "
                                    f"to event {cp.event_id}")


def verify_chain(batch_size: int = 5000, checkpoint_file: Path | None = None) -> VerifyResult:
    """Check every event and every checkpoint; the result lists what is wrong (empty: all is well)."""
    keys = audit_keys.keys()
    path = checkpoint_file or checkpoint_path()
    result = VerifyResult(checkpoint_file=str(path))
    walk = _Walk(result, keys, _load_checkpoints(result, keys, path))
    while True:
        rows = db.session.execute(
            sa.select(*_COLUMNS).where(AuditEvent.id > walk.last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        for row in rows:
            walk.event(row)
        if len(rows) < batch_size:
            break
    walk.finish()
    return result
