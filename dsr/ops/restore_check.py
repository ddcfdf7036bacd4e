"""Check a restored installation (docs/backup.md, "The drill"): every stored file is there and decrypts,
every TOTP secret decrypts, the audit chain verifies, and the figures match the backup's manifest.

It also counts what the operator must act on after a restore: mails that were still pending when the
backup was made (the workers will send them again) and cases past their retention period (anonymised
after the backup was made, so back in the restored database until ``dsr purge-expired`` runs).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from ..extensions import db
from ..models import User
from ..services import storage
from ..services.audit import verify_chain
from ..services.retention import purge_expired
from .contents import contents_of, differences, stored_files


@dataclass
class CheckReport:
    """Figures of the restored installation and the problems found (none: the restore is sound)."""

    contents: dict
    files_read: int = 0
    secrets_read: int = 0
    audit_events: int = 0
    past_retention: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is missing, unreadable or different."""
        return not self.problems


def check_restore(manifest: dict | None = None) -> CheckReport:
    """Read every stored file and TOTP secret, verify the audit chain, compare with ``manifest``."""
    conn = db.session.connection()
    report = CheckReport(contents_of(conn))
    for item in stored_files(conn):
        try:
            storage.load(item.key)
            report.files_read += 1
        except storage.StorageError as exc:
            missing = isinstance(exc.__cause__, FileNotFoundError)
            why = "is missing" if missing else "does not decrypt with DSR_FILE_KEYS"
            report.problems.append(f"{item.kind} #{item.row_id}: stored file {item.key[:8]}… {why}")
    secrets = conn.execute(sa.select(User.id, User.totp_secret_enc).where(User.totp_secret_enc.is_not(None))
                           .order_by(User.id)).all()
    for user_id, token in secrets:
        try:
            storage.rotate_text(token or "")  # decrypts (and re-encrypts in memory only): nothing is written
            report.secrets_read += 1
        except (InvalidToken, storage.StorageError):
            report.problems.append(f"user #{user_id}: TOTP secret does not decrypt with DSR_FILE_KEYS")
    chain = verify_chain()
    report.audit_events = chain.checked
    if not chain.ok:
        report.problems.append(f"audit chain broken at event {chain.first_broken_id}: {chain.problem}")
    if manifest is not None:
        report.problems += differences(manifest["contents"], report.contents)
    report.past_retention = len(purge_expired(dry_run=True))
    db.session.rollback()
    return report
