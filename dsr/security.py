"""Web hardening: security headers with a CSP nonce, no-store on private pages, trusted hosts,
the proxy setting, rate limits kept in Redis, and session timeouts (ASVS 3.4, 7.3, 14.3)."""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import Flask, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

talisman = Talisman()
#: Rate limits live in Redis (shared by all web processes); if Redis is down the limits fall back
#: to per-process memory instead of failing the request (a submission must never be lost).
limiter = Limiter(get_remote_address, strategy="moving-window", key_prefix="dsr-limits",
                  swallow_errors=True, in_memory_fallback_enabled=True)

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def init_app(app: Flask) -> None:
    """Apply the headers, limits, proxy and session rules configured for this deployment."""
    if app.config.get("PROXY_FIX_HOPS"):
        hops = int(app.config["PROXY_FIX_HOPS"])
        # Flask's documented way to wrap the WSGI app; its type hints declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    talisman.init_app(
        app,
        force_https=bool(app.config["FORCE_HTTPS"]),
        strict_transport_security=bool(app.config["HSTS_SECONDS"]),
        strict_transport_security_max_age=int(app.config["HSTS_SECONDS"] or 0),
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_samesite="Lax",
    )
    _check_limits(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    limiter.init_app(app)

    @app.before_request
    def _session_timeouts():
        """Idle and absolute timeouts for staff sessions (ASVS 7.3.1/7.3.2)."""
        if not current_user.is_authenticated:
            return None
        now = time.time()
        started, seen = session.get("signed_in_at", 0), session.get("last_seen", 0)
        if now - seen > app.config["SESSION_IDLE_SECONDS"] or now - started > app.config["SESSION_ABSOLUTE_SECONDS"]:
            logout_user()
            session.clear()
            g.session_expired = True
            return None
        session["last_seen"] = now
        return None

    @app.after_request
    def _private_pages_not_cached(response):
        if current_user.is_authenticated or session.get("portal_session") or request.endpoint in PRIVATE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response


def _check_limits(app: Flask) -> None:
    """A limit setting flask-limiter cannot read stops the start (one line), not the first request."""
    from limits import parse_many  # flask-limiter's own parser, only at start-up

    from .settings import ConfigError  # at start-up only, as the other refused settings

    for key in ("INTAKE_LIMIT_PER_CLIENT", "INTAKE_LIMIT_PER_RECIPIENT", "API_RATE_LIMIT"):
        try:
            parse_many(app.config[key])
        except ValueError as exc:
            raise ConfigError(f"DSR_{key}: {app.config[key]!r} is not a rate limit such as '5 per hour;10 per day'"
                              ) from exc


def normalised_address(address: str) -> str:
    """An e-mail address as one mailbox: trimmed, lower case, without a ``+tag`` (alex+1@ is alex@)."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else domain


def recipient_limit_key(address: str) -> str:
    """The rate-limit key of a recipient: a keyed hash of the normalised address, never the address.

    Keyed with SECRET_KEY, so the keys in Redis cannot be matched against a list of addresses.
    """
    message = b"intake-recipient\0" + normalised_address(address).encode()
    digest = hmac.new(str(current_app.secret_key).encode(), message, hashlib.sha256).hexdigest()
    return "recipient:" + digest[:32]


#: Pages without a staff login that still show personal data (requester portal, token links).
PRIVATE_ENDPOINTS: set[str] = {
    "public.submitted", "public.confirm_email",
    # The requester portal and the student's consent page (dsr/views/portal.py, dsr/views/consent.py).
    "portal.request_link", "portal.link_sent", "portal.enter", "portal.status", "portal.message", "portal.upload",
    "portal.download", "portal.letter", "portal.withdraw", "portal.sign_out",
    "consent.enter", "consent.page", "consent.withdraw", "consent.sign_out", "consent.closed",
}
