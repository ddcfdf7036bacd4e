"""Staff sign-in (password, then a TOTP code), enrolment, sign-out everywhere, password reset."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..forms.staff import CodeForm, ForgotPasswordForm, LoginForm, ResetPasswordForm
from ..models import User
from ..security import limiter
from ..services import signin, sso_client, staff_pages
from ..services.links import TokenError, external_url
from ..services.people import UserError

bp = Blueprint("auth", __name__, url_prefix="/medewerkers")
#: How long a correct password keeps the second step open.
PENDING_SECONDS = 300


def _home_for(user) -> str:
    return url_for("admin.users") if user.role == "admin" else url_for("staff.queue")


def _pending_user() -> User | None:
    user_id, started = session.get("mfa_user"), session.get("mfa_started", 0)
    if not user_id or time.time() - started > PENDING_SECONDS:
        return None
    return staff_pages.user_by_id(user_id)


def _finish_sign_in(user: User, *, sso: bool = False):
    """Start the session. ``sso``: signed in through the identity provider (views/sso.py), directly or after
    the TOTP step; sign-out then also ends the provider's session (RP-initiated logout)."""
    target = session.get("mfa_next", "")
    sso = sso or bool(session.get("mfa_sso"))
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(user)
    session["signed_in_at"] = session["last_seen"] = time.time()
    if sso:
        session["sso"] = True
    signin.record_sign_in(user)
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = _home_for(user)
    return redirect(target)


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Step one: e-mail and password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = signin.check_password(form.email.data, form.password.data, request.remote_addr or "")
        if user is None:  # unknown, wrong, locked or a stopped address: one answer for all (docs/security.md)
            form.password.errors.append(_("Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord. Na "
                                          "een aantal mislukte pogingen kunt u het pas na enkele minuten opnieuw "
                                          "proberen."))
        else:
            session.clear()
            session.update(mfa_user=user.id, mfa_started=time.time(), mfa_next=request.args.get("next", ""))
            return redirect(url_for("auth.second_step" if user.has_totp else "auth.enrol"))
    return render_template("auth/login.html", form=form, sso=sso_client.enabled())


@bp.route("/tweede-stap", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def second_step():
    """Step two: the TOTP code (or a recovery code)."""
    user = _pending_user()
    if user is None or not user.has_totp:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if signin.verify_second_factor(user, form.code.data):
            return _finish_sign_in(user)
        # A wrong or used code and a locked account get the same answer.
        form.code.errors.append(_("Deze code werkt niet: hij klopt niet of is al gebruikt, of er waren te veel "
                                  "pogingen (wacht dan enkele minuten)."))
    return render_template("auth/second_step.html", form=form)


@bp.route("/instellen", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def enrol():
    """First sign-in: set up the authenticator app with a QR code, then show recovery codes once."""
    user = _pending_user()
    if user is None or user.has_totp:
        return redirect(url_for("auth.login"))
    secret = session.setdefault("enrol_secret", signin.new_totp_secret())
    form = CodeForm()
    if form.validate_on_submit():
        codes = signin.confirm_enrolment(user, secret, form.code.data)
        if codes:
            _finish_sign_in(user)
            session["recovery_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
        form.code.errors.append(_("Deze code klopt niet. Controleer de tijd op uw telefoon en probeer opnieuw."))
    return render_template("auth/enrol.html", form=form, secret=secret,
                           qr=signin.provisioning_qr_svg(user, secret))


@bp.route("/herstelcodes")
@login_required
def recovery_codes():
    """The recovery codes, shown once right after enrolment."""
    codes = session.pop("recovery_codes", None)
    if not codes:
        abort(404)
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: rotating the token invalidates every copy of the session cookie. Signed in
    through the identity provider: then on to the provider's end-session page, so that the school account's
    session ends too (RP-initiated logout; the provider sends the browser back to the sign-in page)."""
    through_provider = bool(session.get("sso")) and sso_client.enabled()
    signin.sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."))
    if through_provider:
        end_session = sso_client.end_session_url(external_url("auth.login"))
        if end_session:
            return redirect(end_session)
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        signin.request_password_reset(form.email.data,
                                      lambda token: external_url("auth.reset_password", token=token))
        flash(_("Als dit adres bij ons bekend is, ontvangt u binnen enkele minuten een e-mail met een link."))
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    """Choose a new password with the link from the mail (single use, one hour)."""
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            signin.reset_password(token, form.password.data)
        except TokenError as exc:
            return render_template("public/link_invalid.html", expired=exc.expired), 400
        except UserError:
            form.password.errors.append(_("Gebruik 12 tot 128 tekens."))
        else:
            flash(_("Uw wachtwoord is gewijzigd. U kunt nu inloggen."))
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
