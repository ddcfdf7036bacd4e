"""External links for mails, also from jobs that have no request (uses PUBLIC_BASE_URL)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint``, from PUBLIC_BASE_URL when set, else from the request."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base or "http://localhost:5000")
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # One salt per purpose: a token made for one purpose never works for another. Old keys in
    # SECRET_KEY_FALLBACKS still verify (signing uses the newest, the last in the list).
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.secret_key]
    return URLSafeTimedSerializer(keys, salt=f"dsr-{purpose}")


def make_token(purpose: str, payload: dict) -> str:
    """A signed, timestamped token for ``purpose`` (payload holds no personal data)."""
    return _serializer(purpose).dumps(payload)


class TokenError(ValueError):
    """The link is invalid, tampered with or expired; ``expired`` tells which."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict:
    """The payload of a token made by :func:`make_token`, or :class:`TokenError`."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise TokenError(expired=True) from exc
    except BadSignature as exc:
        raise TokenError(expired=False) from exc
    if not isinstance(payload, dict):
        raise TokenError(expired=False)
    return payload
