"""The file keys (``DSR_FILE_KEYS``) as one Fernet: what dsr keeps encrypted at rest uses them.

Stored files and TOTP secrets (:mod:`dsr.services.storage`) and the links of mails waiting in the
outbox (:mod:`dsr.notifications.sealed_links`) are encrypted under these keys. The keys live in the
environment, never in the database, so a copy of the database alone opens none of them. Shared here so
that both the services and the notifications (which may not import services) use the same keys.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


class KeysMissing(RuntimeError):
    """``DSR_FILE_KEYS`` is not configured, so nothing can be encrypted or decrypted."""


def file_keys() -> MultiFernet:
    """The configured file keys, newest first (encrypts with the first, decrypts with any)."""
    keys = current_app.config.get("FILE_KEYS") or []
    if isinstance(keys, str):
        keys = [keys]
    if not keys:
        raise KeysMissing("DSR_FILE_KEYS is not configured")
    return MultiFernet([Fernet(k) for k in keys])
