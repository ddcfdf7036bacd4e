"""Staff sign-in through the school's identity provider (OpenID Connect; issue 18; docs/sso.md).

``/medewerkers/sso`` sends the browser to the provider, ``/medewerkers/sso/terug`` takes it back: the
answer is checked (services/sso_client.py), the claims decide the account (services/sso_accounts.py), and
the session starts at once, or after dsr's own TOTP step when the provider did no multi-factor sign-in.
``/medewerkers/sso/backchannel-logout`` is where the provider ends a user's dsr sessions when the user signs
out there (OIDC Back-Channel Logout 1.0). Every failure is a calm page that says what to do; the log gets
one line with a short reason, never a token, a code or who it was.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..extensions import csrf
from ..security import limiter
from ..services import sso_accounts, sso_client, staff_pages
from ..services.links import external_url
from . import auth

bp = Blueprint("sso", __name__, url_prefix="/medewerkers/sso")
log = logging.getLogger(__name__)
#: Per client address. Generous: a school's staff often share one public address (NAT) at 08:30, and
#: guessing is the provider's problem here (dsr checks no password); the limit only stops a flood.
SIGN_IN_LIMIT = "300 per minute"


def _require_provider() -> None:
    if not sso_client.enabled():
        abort(404)


def _trouble(kind: str, reason: str):
    """The calm page: ``down`` (the provider cannot be reached: 503) or ``rejected`` (an answer failed a
    check: 400). Both link to dsr's own sign-in for the break-glass admin."""
    log.warning("sso sign-in %s: %s", "failed, provider unavailable" if kind == "down" else "refused", reason)
    return render_template("auth/sso_error.html", kind=kind), 503 if kind == "down" else 400


@bp.route("")
@limiter.limit(SIGN_IN_LIMIT)
def start():
    """Send the browser to the provider (a fresh state, nonce and PKCE challenge in the session)."""
    _require_provider()
    if current_user.is_authenticated:
        return redirect(auth._home_for(current_user))
    # Where the user was going (the sign-in page's ?next=); checked like the password sign-in's at the end.
    session["mfa_next"] = request.args.get("next", "")
    try:
        # The way back is built from DSR_PUBLIC_BASE_URL, never from the request's Host header.
        return sso_client.authorize_redirect(external_url("sso.callback"))
    except sso_client.ProviderUnavailable as exc:
        return _trouble("down", exc.reason)


@bp.route("/terug")
@limiter.limit(SIGN_IN_LIMIT)
def callback():
    """Back from the provider: check its answer, then sign in (or refuse, or ask dsr's TOTP code)."""
    _require_provider()
    try:
        claims = sso_client.finish_sign_in()
    except sso_client.ProviderUnavailable as exc:
        return _trouble("down", exc.reason)
    except sso_client.SignInRejected as exc:
        return _trouble("rejected", exc.reason)
    outcome = sso_accounts.sign_in_with_claims(claims)
    user = staff_pages.user_by_id(outcome.user_id) if outcome.user_id is not None else None
    if user is None:
        log.info("sso sign-in refused: %s", outcome.refusal)
        return render_template("auth/sso_no_access.html", reason=outcome.refusal), 403
    if outcome.needs_second_factor:
        target = session.get("mfa_next", "")
        session.clear()  # the provider's state is used up; a fresh session for the second step
        session.update(mfa_user=user.id, mfa_started=time.time(), mfa_next=target, mfa_sso=True)
        return redirect(url_for("auth.second_step" if user.has_totp else "auth.enrol"))
    return auth._finish_sign_in(user, sso=True)  # the same session start as the password sign-in


@bp.route("/backchannel-logout", methods=["POST"])
@csrf.exempt  # the provider posts here server to server; the logout token's signature is the proof
@limiter.limit("600 per minute")  # one call per signed-out session: a busy hour at a big school
def backchannel_logout():
    """End every dsr session of the user the provider's logout token names (200), or 400 when the token
    fails a check or cannot be checked (OIDC Back-Channel Logout 1.0, section 2.8)."""
    _require_provider()
    token = request.form.get("logout_token", "")
    status, body = 200, ""
    try:
        issuer, subject = sso_client.validate_logout_token(token)
    except (sso_client.SignInRejected, sso_client.ProviderUnavailable) as exc:
        log.warning("sso back-channel logout refused: %s", exc.reason)
        status, body = 400, '{"error": "invalid_request"}'
    else:
        ended = sso_accounts.end_sessions_for_subject(issuer, subject)
        log.info("sso back-channel logout: %d account(s) signed out", ended)
    response = (body, status, {"Cache-Control": "no-store",
                               "Content-Type": "application/json" if body else "text/plain; charset=utf-8"})
    return response
