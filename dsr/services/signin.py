"""Staff sign-in: password, lockout, TOTP second factor with recovery codes, password reset.

Every staff role needs the second factor (ASVS 6.3.3). A password alone only opens the second
step; a code is accepted once (the last used time step is stored) and recovery codes are single use.

Sign-in gives nothing away (docs/security.md, "Sign-in"): an unknown address, a wrong password, a
locked account and a stopped client address get one general answer after the same hash work. Locks
grow per account (1, 2, 4, 8 minutes up to ``LOGIN_LOCKOUT_SECONDS``) and failures are counted per
client address too (in Redis, under a keyed digest of the address).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import cast

import pyotp
import segno
from cryptography.fernet import InvalidToken
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from ..extensions import db
from ..jobs import redis_connection
from ..models import User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows.roles import ADMIN
from . import audit
from .links import TokenError, make_token, read_token
from .people import _hasher, authenticate, validate_password
from .storage import _keys
from .transaction import transactional

log = logging.getLogger(__name__)

ISSUER = "AVG-verzoeken ASG"
RECOVERY_CODES = 10


#: The first lock lasts this long; each next one (after one more failure once it ended) twice as long,
#: up to ``LOGIN_LOCKOUT_SECONDS``: 1, 2, 4, 8 minutes, then the cap (15 by default).
FIRST_LOCK_SECONDS = 60
#: One client address may fail this many times ``LOGIN_MAX_FAILURES`` per window of
#: ``LOGIN_LOCKOUT_SECONDS``; after that it gets only the general answer until the window ends.
ADDRESS_FAILURES_FACTOR = 4
_ADDRESS_KEY = "dsr:signin-failures:"


def is_locked(user: User | None, now: dt.datetime | None = None) -> bool:
    """True while the account is locked after too many failures."""
    return bool(user and user.locked_until and user.locked_until > (now or utcnow()))


def lock_seconds(failures: int, max_failures: int, cap: int) -> int:
    """How long the account is locked after its ``failures``-th failure in a row (0: not locked).

    Progressive: the ``max_failures``-th failure locks for a minute, and each failure after a lock
    ended doubles it, up to ``cap``; so an attacker who only knows an address keeps it locked for at
    most ``cap`` after the last try, and must keep trying (and be counted per address) to do even that.
    """
    over = failures - max_failures
    if over < 0:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** min(over, 16), cap)


def _register_failure(user: User | None) -> None:
    if user is None:
        return
    config = current_app.config
    user.failed_logins += 1
    seconds = lock_seconds(user.failed_logins, int(config["LOGIN_MAX_FAILURES"]), int(config["LOGIN_LOCKOUT_SECONDS"]))
    if seconds:
        user.locked_until = utcnow() + dt.timedelta(seconds=seconds)
        audit.record("auth.locked", actor=user, details={"seconds": seconds})  # the user's id, no address


def _address_key(address: str) -> str:
    """The Redis key for a client address: a keyed digest, so Redis holds no address."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), address.encode(), hashlib.sha256).hexdigest()
    return _ADDRESS_KEY + digest[:32]


def _address_limit() -> int:
    return ADDRESS_FAILURES_FACTOR * int(current_app.config["LOGIN_MAX_FAILURES"])


def _address_stopped(address: str) -> bool:
    """True while this client address has used up its failures for the window.

    If Redis cannot be reached the address counts as not stopped: sign-in goes on, and the accounts'
    own locks (in the database) still hold.
    """
    try:
        # cast: redis-py's sync client is typed for its async twin as well.
        count = cast(bytes | None, redis_connection().get(_address_key(address)))
    except RedisError:
        log.warning("sign-in: the per-address failure count is unavailable (Redis)")
        return False
    return int(count or 0) >= _address_limit()


def _count_address_failure(address: str) -> None:
    """One more failure for this client address; the window starts at its first failure."""
    key = _address_key(address)
    try:
        pipe = redis_connection().pipeline()
        pipe.incr(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
        if ttl < 0:  # a new count (or one whose expiry was lost): the window starts now
            redis_connection().expire(key, int(current_app.config["LOGIN_LOCKOUT_SECONDS"]))
    except RedisError:
        log.warning("sign-in: the per-address failure count is unavailable (Redis)")
        return
    if count == _address_limit():
        log.warning("sign-in: a client address reached %d failures; it gets only the general answer for now", count)
        audit.record("auth.address_stopped", actor_kind="system",
                     details={"failures": count, "window_seconds": int(current_app.config["LOGIN_LOCKOUT_SECONDS"])})


def provider_configured() -> bool:
    """Whether staff sign in through the school's identity provider (``OIDC_ISSUER`` is set; issue 18)."""
    return bool(current_app.config.get("OIDC_ISSUER"))


def is_break_glass(user: User) -> bool:
    """Whether ``user`` is the installation's break-glass account: the admin named in
    ``SSO_BREAK_GLASS_EMAIL``, a local account (no provider subject)."""
    configured = current_app.config.get("SSO_BREAK_GLASS_EMAIL")
    return (bool(configured) and user.email.lower() == str(configured).strip().lower() and user.role == ADMIN
            and user.sso_subject is None)


def password_allowed(user: User) -> bool:
    """Whether ``user`` may sign in with a password (and choose one with a reset link).

    An account from the identity provider never may: its password is one nobody knows. With a provider
    configured only the break-glass admin may (the way in when the provider is down, docs/sso.md); without one
    every local account may, as before issue 18.
    """
    if user.sso_subject is not None:
        return False
    return is_break_glass(user) if provider_configured() else True


@transactional
def check_password(email: str, password: str, address: str) -> User | None:
    """First step: the user when the password is right and nothing stops the sign-in, else None.

    The caller gives one general answer for every None: an unknown address, a wrong password, a
    locked account and a stopped client address look the same, and each costs one password-hash
    verification (against a dummy hash when the address is unknown), so neither the page nor its
    timing tells them apart. A failure counts against the account and against the client address;
    tries while either is stopped count against neither, so a lock never grows from tries it refused.
    One commit either way.
    """
    stopped = _address_stopped(address)
    candidate = db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar()
    locked = is_locked(candidate)
    user = authenticate(email, password)  # always the one hash verification, whatever the case
    if stopped or locked:
        return None
    if user is None:
        _register_failure(candidate)
        _count_address_failure(address)
        return None
    if not password_allowed(user):
        # The same general answer as a wrong password: the page does not tell which accounts are local.
        log.info("sign-in: a password sign-in refused, the account signs in through the identity provider")
        return None
    return user


def _decrypt(value: str) -> str:
    try:
        return _keys().decrypt(value.encode()).decode()
    except InvalidToken as exc:  # keys rotated away: the user must enrol again
        raise ValueError("TOTP secret cannot be decrypted") from exc


@transactional
def verify_second_factor(user: User, code: str) -> bool:
    """Check a TOTP code (once per time step) or a recovery code (once); one commit either way.

    A locked account gets False without its code being looked at (nor spent, nor counted), so the
    caller answers it as it answers a wrong code. The full sign-in ends the account's run of failures.
    """
    if is_locked(user):
        return False
    code = "".join(code.split()).replace("-", "").lower()
    ok = False
    if code.isdigit() and len(code) == 6 and user.totp_secret_enc:
        totp = pyotp.TOTP(_decrypt(user.totp_secret_enc))
        now = utcnow().timestamp()
        for offset in (-1, 0, 1):  # one step of clock drift either way
            step = int(now // 30) + offset
            if step > user.totp_last_step and secrets.compare_digest(totp.at(step * 30), code):
                user.totp_last_step, ok = step, True
                break
    elif code:
        digest = hashlib.sha256(code.encode()).hexdigest()
        hashes = [h for h in user.recovery_code_hashes.split(",") if h]
        if digest in hashes:
            hashes.remove(digest)
            user.recovery_code_hashes = ",".join(hashes)
            audit.record("auth.recovery_code_used", actor=user, details={"left": len(hashes)})
            ok = True
    if ok:
        user.failed_logins, user.locked_until = 0, None
    else:
        _register_failure(user)
    return ok


def new_totp_secret() -> str:
    """A fresh random TOTP secret (base32) for enrolment."""
    return pyotp.random_base32()


def provisioning_qr_svg(user: User, secret: str) -> str:
    """The enrolment QR code as a data URI (SVG), rendered by dsr itself (no external service)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5)


@transactional
def confirm_enrolment(user: User, secret: str, code: str) -> list[str] | None:
    """Store the secret if ``code`` matches it; returns the new recovery codes (shown once). One commit."""
    totp = pyotp.TOTP(secret)
    if not totp.verify("".join(code.split()), valid_window=1):
        return None
    user.totp_secret_enc = _keys().encrypt(secret.encode()).decode()
    user.totp_last_step = int(utcnow().timestamp() // 30) + 1  # the enrolment code is spent
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(RECOVERY_CODES)]
    user.recovery_code_hashes = ",".join(hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes)
    audit.record("auth.totp_enrolled", actor=user)
    return codes


def enrol_with_secret(user: User, secret: str) -> None:
    """Enrol a known secret without a code (demo data and tests only)."""
    user.totp_secret_enc = _keys().encrypt(secret.encode()).decode()


def current_code_for(user: User) -> str:
    """The current code for a user (the demo's helper command only); ValueError if not enrolled."""
    if not user.totp_secret_enc:
        raise ValueError("user has no TOTP secret")
    return pyotp.TOTP(_decrypt(user.totp_secret_enc)).now()


# ---- password reset --------------------------------------------------------------------------------

RESET_MAX_AGE = 3600


@transactional
def record_sign_in(user: User) -> None:
    """Both steps passed: the sign-in is audited (the session itself is the view's)."""
    audit.record("auth.sign_in", actor=user)


@transactional
def sign_out_everywhere(user: User) -> None:
    """Rotate the session token, so every copy of the session cookie stops working; audited."""
    user.rotate_session_token()
    audit.record("auth.sign_out", actor=user)


def _reset_reference(user: User) -> str:
    """What a reset link carries: a keyed digest of the user and the current password hash. The token is
    signed, not encrypted, so it names neither the user's id nor any piece of the hash; a new password
    changes the digest, so the link works once. Finding the user means one digest per active staff
    account: a few thousand at most, microseconds each."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"password-reset:{user.id}:{user.password_hash}".encode(), hashlib.sha256).hexdigest()


def password_token(user: User) -> str:
    """The token of a link to choose a password (:func:`reset_password`: one hour, one use). The reset mail
    carries one, and so does the mail to a user whose account the admin made on the web (services.user_admin)."""
    return make_token("password-reset", {"r": _reset_reference(user)})


@transactional
def request_password_reset(email: str, reset_url_for: Callable[[str], str]) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way. One commit."""
    user = db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower(),
                                                 User.active.is_(True))).scalar()
    if user is None or not password_allowed(user):
        return
    queue_mail("staff_password_reset", user.email, user=user, reset_url=reset_url_for(password_token(user)))
    audit.record("auth.password_reset_requested", actor=user)


@transactional
def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset token; signs the user out everywhere. TokenError if invalid."""
    payload = read_token("password-reset", token, RESET_MAX_AGE)
    reference = payload.get("r")
    user = next((candidate for candidate in db.session.execute(select(User).where(User.active.is_(True))).scalars()
                 if isinstance(reference, str) and hmac.compare_digest(_reset_reference(candidate), reference)), None)
    if user is None or not password_allowed(user):
        raise TokenError(expired=False)
    validate_password(new_password)
    user.password_hash = _hasher()[0].hash(new_password)
    user.rotate_session_token()
    user.failed_logins, user.locked_until = 0, None
    audit.record("auth.password_reset", actor=user)
    return user
