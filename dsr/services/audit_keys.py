"""The keys of the audit chain (``DSR_AUDIT_KEYS``, newest first) and the HMACs made with them.

A key never lives in the database: whoever can write the database cannot re-sign events. Each event and
each checkpoint stores the short id of the key that signed it (:func:`key_id`), so a rotation only puts a
new key first: new events use it, and events signed with an older key still verify while that key stays
in the list (docs/security.md, "Audit log").
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

#: Shortest key accepted: 32 characters (e.g. 64 hex characters from ``secrets.token_hex(32)``).
MIN_KEY_LENGTH = 32


class AuditKeyError(RuntimeError):
    """The audit keys are missing or unusable."""


def key_id(key: str) -> str:
    """The short public id of ``key``: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def keys() -> dict[str, bytes]:
    """The configured keys by id, newest first (dicts keep their order)."""
    configured = current_app.config.get("AUDIT_KEYS") or []
    if not configured:
        raise AuditKeyError("DSR_AUDIT_KEYS is not configured")
    return {key_id(k): k.encode() for k in configured}


def newest() -> tuple[str, bytes]:
    """(id, key) of the key new events and checkpoints are signed with."""
    return next(iter(keys().items()))


def sign(key: bytes, message: str) -> str:
    """HMAC-SHA256 of ``message`` under ``key``, as hex."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def matches(expected: str, actual: str | None) -> bool:
    """Constant-time comparison of two hex digests."""
    return actual is not None and hmac.compare_digest(expected, actual)
