"""External links for mails, also from jobs that have no request: always from PUBLIC_BASE_URL.

A link in a mail never comes from the request's Host header: a forged Host would otherwise put another
site's address into a password-reset or portal link (issue 13). Outside the demo and the tests the app
does not start without PUBLIC_BASE_URL (:func:`dsr.check_public_base_url`).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

#: The base of links in the demo and the tests when PUBLIC_BASE_URL is unset (`make run` sets it from its port).
LOCAL_BASE_URL = "http://localhost:5000"


def public_base_url() -> str:
    """The configured public base of every link in a mail; never taken from a request."""
    return current_app.config.get("PUBLIC_BASE_URL") or LOCAL_BASE_URL


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint`` under :func:`public_base_url`, with or without a request."""
    parts = urlsplit(public_base_url())
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
