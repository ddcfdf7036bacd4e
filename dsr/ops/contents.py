"""What a database holds, in figures that a backup records and a restore must reproduce.

Read through a plain SQLAlchemy connection, so the same function describes the live database inside the
snapshot ``pg_dump`` copies, a SQLite copy, and the restored database. No personal data leaves it: the
case references are only digested, the storage keys are random names.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from ..models import AuditEvent, Case, CaseUpload, ChannelIntake, Letter, OutboxMessage, PackageDocument, User
from ..models.outbox import PENDING


@dataclass(frozen=True)
class StoredFile:
    """One row that points at a file in the file store: which table, its id, the storage key."""

    kind: str
    row_id: int
    key: str


def stored_files(conn: sa.Connection) -> list[StoredFile]:
    """Every file a row still points at (purged and erased files have no key any more)."""
    found: list[StoredFile] = []
    for kind, model in (("package document", PackageDocument), ("letter", Letter), ("upload", CaseUpload),
                        ("intake document", ChannelIntake)):
        rows = conn.execute(sa.select(model.id, model.storage_key).where(model.storage_key.is_not(None),
                                                                         model.storage_key != "")
                            .order_by(model.id)).all()
        found += [StoredFile(kind, row_id, key) for row_id, key in rows if key]
    return found


def contents_of(conn: sa.Connection) -> dict[str, int | str]:
    """The figures of a database: cases (with a digest of their ids and references), stored files, TOTP
    secrets, audit events and the last event's hash, and the mails still pending in the outbox."""
    cases = conn.execute(sa.select(Case.id, Case.reference).order_by(Case.id)).all()
    digest = hashlib.sha256("\n".join(f"{case_id} {reference}" for case_id, reference in cases).encode())
    events, last_id = conn.execute(sa.select(sa.func.count(AuditEvent.id), sa.func.max(AuditEvent.id))).one()
    last_hash = conn.execute(sa.select(AuditEvent.hash).where(AuditEvent.id == last_id)).scalar() or ""
    secrets = conn.execute(sa.select(sa.func.count(User.id)).where(User.totp_secret_enc.is_not(None))).scalar_one()
    pending = conn.execute(sa.select(sa.func.count(OutboxMessage.id))
                           .where(OutboxMessage.status == PENDING)).scalar_one()
    return {
        "cases": len(cases), "cases_sha256": digest.hexdigest(), "stored_files": len(stored_files(conn)),
        "totp_secrets": secrets, "audit_events": events, "last_audit_event_id": last_id or 0,
        "last_audit_hash": last_hash, "pending_mails": pending,
    }


def differences(expected: dict, found: dict) -> list[str]:
    """One line per figure that differs between a backup's manifest and a restored database."""
    return [f"{name}: the backup holds {expected[name]!r}, the restored database {found.get(name)!r}"
            for name in sorted(expected) if found.get(name) != expected[name]]
