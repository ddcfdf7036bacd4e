"""Encrypted file storage outside the web root (uploads, access packages, letters).

Files are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256) under keys from the environment
(``DSR_FILE_KEYS``: a JSON list, newest first). Rotation: put a new key first, keep the old ones
until ``flask --app wsgi dsr rotate-file-keys`` has re-encrypted everything, then drop them
(docs/security.md). Stored names are random; a user-supplied file name is never used as a path.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from ..crypto import KeysMissing, file_keys


class StorageError(Exception):
    """A stored file is missing or cannot be decrypted with the configured keys."""


def _keys() -> MultiFernet:
    try:
        return file_keys()
    except KeysMissing as exc:
        raise StorageError(str(exc)) from exc


def _root() -> Path:
    root = Path(current_app.config.get("FILE_STORAGE") or Path(current_app.instance_path) / "files")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _path(key: str) -> Path:
    if not key.isalnum():  # generated keys are hex; anything else is not ours
        raise StorageError("invalid storage key")
    return _root() / key[:2] / key


def store(data: bytes) -> str:
    """Encrypt and store ``data``; returns the random storage key."""
    key = secrets.token_hex(20)
    path = _path(key)
    path.parent.mkdir(exist_ok=True, mode=0o700)
    path.write_bytes(_keys().encrypt(data))
    path.chmod(0o600)
    return key


def load(key: str) -> bytes:
    """Decrypt a stored file."""
    try:
        return _keys().decrypt(_path(key).read_bytes())
    except (FileNotFoundError, InvalidToken) as exc:
        raise StorageError(f"cannot read stored file: {type(exc).__name__}") from exc


def delete(key: str) -> bool:
    """Remove a stored file; False if it was already gone."""
    try:
        _path(key).unlink()
        return True
    except FileNotFoundError:
        return False


def rotate(key: str) -> None:
    """Re-encrypt one stored file under the newest key."""
    path = _path(key)
    path.write_bytes(_keys().rotate(path.read_bytes()))


def rotate_all() -> int:
    """Re-encrypt every stored file under the newest key; returns how many."""
    count = 0
    for path in _root().glob("*/*"):
        if path.is_file():
            rotate(path.name)
            count += 1
    return count


def rotate_text(token: str) -> str:
    """Re-encrypt a small encrypted value (e.g. a TOTP secret) under the newest key."""
    return _keys().rotate(token.encode()).decode()


def new_key() -> str:
    """A fresh Fernet key, for ``DSR_FILE_KEYS``."""
    return Fernet.generate_key().decode()


def plain_size(key: str) -> int | None:
    """About how large a stored file is once decrypted (at most 18 bytes more), read from the encrypted
    file's size without decrypting it; None if the file is gone. For showing a size, never for checks.

    A Fernet token is URL-safe base64 of version (1) + time (8) + IV (16) + AES-CBC ciphertext (the
    plaintext padded up to a multiple of 16, 1 to 16 bytes of padding) + HMAC (32).
    """
    try:
        encoded = _path(key).stat().st_size
    except FileNotFoundError:
        return None
    token = encoded * 3 // 4  # padded base64: 4 characters per 3 bytes
    return max(token - 57 - 1, 0)
