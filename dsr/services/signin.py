"""Staff sign-in: password, lockout, TOTP second factor with recovery codes, password reset.

Every staff role needs the second factor (ASVS 6.3.3). A password alone only opens the second
step; a code is accepted once (the last used time step is stored) and recovery codes are single use.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable

import pyotp
import segno
from cryptography.fernet import InvalidToken
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import User
from ..models._types import utcnow
from ..notifications import queue_mail
from . import audit
from .links import TokenError, make_token, read_token
from .people import _hasher, authenticate, validate_password
from .storage import _keys
from .transaction import transactional

ISSUER = "AVG-verzoeken ASG"
RECOVERY_CODES = 10


def is_locked(user: User | None, now: dt.datetime | None = None) -> bool:
    """True while the account is locked after too many failures."""
    return bool(user and user.locked_until and user.locked_until > (now or utcnow()))


def _register_failure(user: User | None) -> None:
    if user is None:
        return
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + dt.timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
        user.failed_logins = 0
        audit.record("auth.locked", actor=user)


@transactional
def check_password(email: str, password: str) -> tuple[User | None, str | None]:
    """First step: (user, None) when the password is right, else (None, message in the current language).

    One commit either way: a failure is counted (and may lock the account) even though no error is raised.
    """
    from sqlalchemy import func, select

    candidate = db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar()
    if is_locked(candidate):
        return None, _("Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. Probeer het later opnieuw.")
    user = authenticate(email, password)
    if user is None:
        _register_failure(candidate)
        return None, _("Onjuist e-mailadres of wachtwoord.")
    return user, None


def _decrypt(value: str) -> str:
    try:
        return _keys().decrypt(value.encode()).decode()
    except InvalidToken as exc:  # keys rotated away: the user must enrol again
        raise ValueError("TOTP secret cannot be decrypted") from exc


@transactional
def verify_second_factor(user: User, code: str) -> bool:
    """Check a TOTP code (once per time step) or a recovery code (once); one commit either way."""
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
        user.failed_logins = 0
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


@transactional
def request_password_reset(email: str, reset_url_for: Callable[[str], str]) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way. One commit."""
    user = db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower(),
                                                 User.active.is_(True))).scalar()
    if user is None:
        return
    token = make_token("password-reset", {"r": _reset_reference(user)})
    queue_mail("staff_password_reset", user.email, user=user, reset_url=reset_url_for(token))
    audit.record("auth.password_reset_requested", actor=user)


@transactional
def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset token; signs the user out everywhere. TokenError if invalid."""
    payload = read_token("password-reset", token, RESET_MAX_AGE)
    reference = payload.get("r")
    user = next((candidate for candidate in db.session.execute(select(User).where(User.active.is_(True))).scalars()
                 if isinstance(reference, str) and hmac.compare_digest(_reset_reference(candidate), reference)), None)
    if user is None:
        raise TokenError(expired=False)
    validate_password(new_password)
    user.password_hash = _hasher()[0].hash(new_password)
    user.rotate_session_token()
    user.failed_logins, user.locked_until = 0, None
    audit.record("auth.password_reset", actor=user)
    return user
