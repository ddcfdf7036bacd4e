"""Staff sign-in and sign-out."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms.staff import LoginForm
from ..services import audit
from ..services.people import authenticate

bp = Blueprint("auth", __name__, url_prefix="/medewerkers")


def _home_for(user) -> str:
    return url_for("admin.users") if user.role == "admin" else url_for("staff.queue")


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("Onjuist e-mailadres of wachtwoord.")
        else:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(user)
            session["signed_in_at"] = session["last_seen"] = time.time()
            audit.record("auth.sign_in", actor=user)
            db.session.commit()
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = _home_for(user)
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: rotating the token invalidates every copy of the session cookie."""
    current_user.rotate_session_token()
    audit.record("auth.sign_out", actor=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("U bent uitgelogd.")
    return redirect(url_for("auth.login"))
