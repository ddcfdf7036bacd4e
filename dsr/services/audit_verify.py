"""``dsr audit verify``: check the keyed audit chains and the signed checkpoints outside the database.

One pass over all events in id order, in batches of plain rows (no ORM objects), keeping the last hash of
each chain (one per school and the organisation chain) in a dict: the cost per event is small and constant
however long the log is, and each chain is checked on its own, so a broken chain does not hide the state of
the others. Each event must link to the previous event of its chain, carry a valid signature of a key in
``DSR_AUDIT_KEYS`` (or, only before the first keyed event, a valid legacy SHA-256 hash), and, unless
redacted, text that matches its keyed digest. Each checkpoint line must be signed, and each chain head it
names must still be in that chain with the same hash at the same position; a head beyond the chain's end
means the chain's tail was deleted.
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
    FORM_CHAINED,
    FORM_KEYED,
    GENESIS,
    LEGACY_KEY_ID,
    ORGANISATION_CHAIN,
    REDACTED_DETAILS,
    REDACTED_REASON,
    AuditFields,
    ChainedFields,
    chained_canonical,
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
            AuditEvent.text_digest, AuditEvent.redacted_at, AuditEvent.chain, AuditEvent.form]


@dataclass(frozen=True)
class Finding:
    """One thing wrong: the event at fault (None for a checkpoint line on its own) and what."""

    event_id: int | None
    problem: str
    #: The chain it is about (None: a checkpoint line as a whole).
    chain: int | None = None


@dataclass
class ChainReport:
    """The state of one chain after the walk."""

    chain: int
    checked: int = 0
    last_id: int = 0
    head: str = GENESIS
    findings: int = 0
    first_broken_id: int | None = None
    keyed_seen: bool = False

    @property
    def ok(self) -> bool:
        """Whether nothing was found about this chain."""
        return not self.findings


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
    #: Each chain's report, by chain id (only the chain asked for when one was).
    chains: dict[int, ChainReport] = field(default_factory=dict)

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

    def chain(self, chain: int) -> ChainReport:
        """The report of ``chain`` (made on first use)."""
        report = self.chains.get(chain)
        if report is None:
            report = self.chains[chain] = ChainReport(chain)
        return report

    def add(self, event_id: int | None, problem: str, chain: int | None = None) -> None:
        if event_id is not None and self.verified_before is None:
            self.verified_before = self.checked
        if chain is not None:
            report = self.chain(chain)
            report.findings += 1
            if report.first_broken_id is None:
                report.first_broken_id = event_id
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(event_id, problem, chain))
        else:
            self.more_findings += 1


@dataclass
class _Checkpoint:
    """One chain head named by a checkpoint line."""

    line: int
    chain: int
    event_id: int
    head: str
    count: int
    at: str
    seen: bool = False


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _heads(cp: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The chain heads a checkpoint names: version 1 named the one chain there was (chain 0); None when
    the line does not have the shape of a checkpoint."""
    if not _is_int(cp.get("event_id")) or not _is_int(cp.get("count")):
        return None
    if cp.get("v") != 2:
        return [{"chain": ORGANISATION_CHAIN, "event_id": cp["event_id"], "head": cp.get("head"),
                 "count": cp["count"]}]
    heads = cp.get("chains")
    if not isinstance(heads, list) or not all(
            isinstance(h, dict) and all(_is_int(h.get(k)) for k in ("chain", "event_id", "count")) for h in heads):
        return None
    return heads


def _load_checkpoints(result: VerifyResult, keys: dict[str, bytes], path: Path | None,
                      only_chain: int | None) -> tuple[dict[int, list[_Checkpoint]], set[tuple[int, int]]]:
    """The chain heads of the signed checkpoints by event id, and the (event id, count) totals of every
    signed line; unsigned, forged or unreadable lines become findings."""
    by_event: dict[int, list[_Checkpoint]] = {}
    written: set[tuple[int, int]] = set()
    for entry in read_checkpoints(path):
        cp = entry.checkpoint
        heads = _heads(cp) if cp is not None else None
        if cp is None or heads is None:
            result.add(None, f"checkpoint line {entry.number} is not a checkpoint")
            continue
        if not signature_ok(cp, keys):
            result.add(None, f"checkpoint line {entry.number} (event {cp['event_id']}): its signature does not "
                             f"match (edited or forged, or signed with key {cp.get('key')!r} not in DSR_AUDIT_KEYS)")
            continue
        result.checkpoints += 1
        written.add((cp["event_id"], cp["count"]))
        for head in heads:
            if head["event_id"] > 0 and (only_chain is None or head["chain"] == only_chain):
                by_event.setdefault(head["event_id"], []).append(_Checkpoint(
                    entry.number, head["chain"], head["event_id"], str(head.get("head")), head["count"],
                    str(cp.get("at"))))
    return by_event, written


class _Walk:
    """The state of one pass over the chains."""

    def __init__(self, result: VerifyResult, keys: dict[str, bytes], checkpoints: dict[int, list[_Checkpoint]],
                 written: set[tuple[int, int]]):
        self.result, self.keys, self.checkpoints, self.written = result, keys, checkpoints, written
        self.last_id, self.last_legacy_id = 0, 0
        self.recorded_checkpoints: dict[tuple[int, int], int] = {}
        self.redacted_cases: dict[int, tuple[int, int]] = {}
        self.anonymised_cases: set[int] = set()

    def event(self, row: Any) -> None:
        result = self.result
        chain = result.chain(row.chain)
        if row.prev_hash != chain.head:
            result.add(row.id, f"link to the previous event of chain {row.chain} does not match (the event before "
                               f"event {row.id} in its chain was deleted or changed)", row.chain)
        self._content(row, chain)
        position = chain.checked + 1
        for cp in self.checkpoints.get(row.id, ()):
            cp.seen = True
            if cp.chain != row.chain:
                # Chain cp.chain lost the head its checkpoint names (the other chain's own findings show too).
                result.add(row.id, f"event {row.id} is in chain {row.chain}, checkpoint line {cp.line} ({cp.at}) "
                                   f"has it as the head of chain {cp.chain}", cp.chain)
            elif row.hash != cp.head:
                result.add(row.id, f"event {row.id} differs from checkpoint line {cp.line} ({cp.at}): its hash "
                                   "changed", row.chain)
            elif position != cp.count:
                result.add(row.id, f"event {row.id} is event number {position} of chain {row.chain}, checkpoint "
                                   f"line {cp.line} ({cp.at}) counted {cp.count}: {abs(cp.count - position)} "
                                   f"events before it {'are missing' if position < cp.count else 'were inserted'}",
                           row.chain)
        self._remember(row)
        chain.head, chain.last_id, chain.checked = row.hash, row.id, position
        self.last_id = row.id
        result.checked += 1

    def _content(self, row: Any, chain: ChainReport) -> None:
        result = self.result
        blank = row.reason == REDACTED_REASON and row.details == REDACTED_DETAILS
        if row.key_id == LEGACY_KEY_ID:
            result.legacy += 1
            self.last_legacy_id = row.id
            if chain.keyed_seen or row.chain != ORGANISATION_CHAIN:
                result.add(row.id, "content does not match: a plain SHA-256 event after the keyed chain began",
                           row.chain)
            elif row.redacted_at is not None and blank:
                result.legacy_redacted += 1  # its text is gone: the link from the next event is all that holds it
            elif hashlib.sha256(legacy_canonical(cast(AuditFields, row)).encode()).hexdigest() != row.hash:
                result.add(row.id, "content does not match its (legacy) hash", row.chain)
            return
        chain.keyed_seen = True
        key = self.keys.get(row.key_id)
        if key is None:
            result.add(row.id, f"signed with key {row.key_id!r}, which is not in DSR_AUDIT_KEYS", row.chain)
            return
        if not (row.redacted_at is not None and blank) and not audit_keys.matches(
                audit_keys.sign(key, text_canonical(row.reason, row.details)), row.text_digest):
            result.add(row.id, "content does not match its keyed digest (reason or details changed)", row.chain)
        if row.form == FORM_CHAINED:
            canonical = chained_canonical(cast(ChainedFields, row))
        elif row.form == FORM_KEYED and row.chain == ORGANISATION_CHAIN:
            # Signed before the chains per school, when there was only this chain (its signature has no chain).
            canonical = keyed_canonical(cast(AuditFields, row))
        else:
            result.add(row.id, f"content does not match its signature (form {row.form} in chain {row.chain})",
                       row.chain)
            return
        if not audit_keys.matches(audit_keys.sign(key, canonical), row.hash):
            result.add(row.id, "content does not match its signature", row.chain)

    def _remember(self, row: Any) -> None:
        """What the end of the walk checks: redactions need the case's anonymisation, checkpoints their line."""
        if row.redacted_at is not None:
            self.result.redacted += 1
            if row.case_id is None:
                self.result.add(row.id, "redacted, but it belongs to no case", row.chain)
            else:
                self.redacted_cases.setdefault(row.case_id, (row.id, row.chain))
        if row.action == "case.anonymised" and row.case_id is not None:
            self.anonymised_cases.add(row.case_id)
        if row.action == "audit.checkpoint":
            try:
                details = json.loads(row.details)
                self.recorded_checkpoints[(int(details["event_id"]), int(details["count"]))] = row.id
            except (ValueError, KeyError, TypeError):
                self.result.add(row.id, "a checkpoint event without the checkpoint it recorded", row.chain)

    def finish(self) -> None:
        result = self.result
        for case_id, (event_id, chain) in self.redacted_cases.items():
            if case_id not in self.anonymised_cases:
                result.add(event_id, f"redacted, but the chain records no anonymisation of case {case_id}", chain)
        for (event_id, count), audit_id in self.recorded_checkpoints.items():
            if event_id and (event_id, count) not in self.written:
                result.add(audit_id, f"event {audit_id} records a checkpoint of event {event_id} that is not in "
                                     "the checkpoint file (the file was replaced or cut short)", ORGANISATION_CHAIN)
        if self.last_legacy_id and not any(cp.event_id >= self.last_legacy_id and cp.chain == ORGANISATION_CHAIN
                                           for cps in self.checkpoints.values() for cp in cps):
            # Anyone can recompute plain SHA-256, and so rewrite a whole chain as "legacy" events: they hold only
            # once a signed checkpoint names an event at or after the last of them.
            result.add(self.last_legacy_id, f"{result.legacy} event(s) hashed with plain SHA-256 (from before the "
                                            "keyed chain) are not anchored by any checkpoint; write one with: "
                                            "flask --app wsgi dsr audit checkpoint", ORGANISATION_CHAIN)
        beyond: dict[int, _Checkpoint] = {}
        for cp in (cp for cps in self.checkpoints.values() for cp in cps if not cp.seen):
            if cp.event_id <= result.chain(cp.chain).last_id:
                result.add(cp.event_id, f"event {cp.event_id} of chain {cp.chain}, named by checkpoint line "
                                        f"{cp.line} ({cp.at}), is missing", cp.chain)
            elif cp.chain not in beyond or (cp.count, cp.event_id) > (beyond[cp.chain].count,
                                                                       beyond[cp.chain].event_id):
                beyond[cp.chain] = cp
        for chain_id, cp in sorted(beyond.items()):
            report = result.chain(chain_id)
            after = f"event {report.last_id}" if report.last_id else "its start"
            result.add(cp.event_id, f"{max(cp.count - report.checked, 1)} events of chain {chain_id} after {after} "
                                    f"are missing: checkpoint line {cp.line} ({cp.at}) covers {cp.count} events "
                                    f"of that chain up to event {cp.event_id}", chain_id)


def verify_chain(batch_size: int = 5000, checkpoint_file: Path | None = None,
                 chain: int | None = None) -> VerifyResult:
    """Check every event and every checkpoint (or those of one ``chain`` only); the result lists what is
    wrong (empty: all is well), and the state of each chain."""
    keys = audit_keys.keys()
    path = checkpoint_file or checkpoint_path()
    result = VerifyResult(checkpoint_file=str(path))
    walk = _Walk(result, keys, *_load_checkpoints(result, keys, path, chain))
    if chain is not None:
        result.chain(chain)
    while True:
        query = sa.select(*_COLUMNS).where(AuditEvent.id > walk.last_id).order_by(AuditEvent.id).limit(batch_size)
        if chain is not None:
            query = query.where(AuditEvent.chain == chain)
        rows = db.session.execute(query).all()
        for row in rows:
            walk.event(row)
        if len(rows) < batch_size:
            break
    walk.finish()
    return result
