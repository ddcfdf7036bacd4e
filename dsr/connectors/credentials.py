"""A system's secrets, sealed under the file keys (``DSR_FILE_KEYS``) and opened only inside a job.

The register pages take secrets in a write-only field and store them here; no page, mail, log line, job
argument or audit detail ever holds them (issue 17, "Bad input"). A copy of the database alone opens none of
them: the keys live in the environment (``dsr.crypto``).
"""
from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken

from ..crypto import file_keys


class CredentialsUnreadable(RuntimeError):
    """The sealed secrets cannot be opened with the configured file keys (a key was removed)."""


def seal_credentials(secrets: dict[str, Any]) -> str | None:
    """``secrets`` as a Fernet token, or None when there are none."""
    cleaned = {k: v for k, v in secrets.items() if v not in (None, "")}
    if not cleaned:
        return None
    return file_keys().encrypt(json.dumps(cleaned, sort_keys=True).encode()).decode()


def open_credentials(sealed: str | None) -> dict[str, Any]:
    """The secrets of a system (empty when none were saved)."""
    if not sealed:
        return {}
    try:
        return json.loads(file_keys().decrypt(sealed.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("the system's credentials cannot be opened with DSR_FILE_KEYS") from exc


def rotate_credentials(sealed: str | None) -> str | None:
    """The same secrets under the newest file key (``dsr rotate-keys``)."""
    return file_keys().rotate(sealed.encode()).decode() if sealed else sealed
