"""The admin's API tokens (issue 18 point 4): the list, a new token (shown once, in the POST's own answer)
and revoking one. Only the admin; the privacy officer and staff get a 403."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..api.scopes import SCOPE_LABELS
from ..forms.api_tokens import NewTokenForm, RevokeTokenForm, show_token_error
from ..services import api_tokens
from ..services import schools as school_service
from ..services.api_tokens import ApiTokenError
from ..services.clock import local_today

bp = Blueprint("api_tokens_admin", __name__, url_prefix="/beheer/api-tokens")


@bp.before_request
@login_required
def _admin_only():
    if not api_tokens.may_manage(current_user):
        abort(403)


def _school_choices() -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in school_service.schools() if s.active]


@bp.route("/")
def index():
    """Every token: name, prefix, permissions in words, schools, expiry, last use, revoked."""
    return render_template("admin/api_tokens.html", tokens=api_tokens.tokens(), scope_labels=SCOPE_LABELS,
                           is_usable=api_tokens.is_usable, today=local_today())


@bp.route("/nieuw", methods=["GET", "POST"])
def new():
    """A new token; the plain token is shown once, in this POST's answer (no redirect, never stored)."""
    max_days = current_app.config["API_TOKEN_MAX_DAYS"]
    form = NewTokenForm(school_choices=_school_choices(), data={"days": min(90, max_days), "reach": "some"})
    if form.validate_on_submit():
        try:
            made = api_tokens.create(current_user, name=form.name.data, scopes=form.scopes.data or [],
                                     school_codes=form.schools.data or [], all_schools=form.reach.data == "all",
                                     days=form.days.data)
        except ApiTokenError as exc:
            show_token_error(form, exc, max_days)
        else:
            response = current_app.make_response(render_template(
                "admin/api_token_created.html", token=made.token, plain=made.plain, scope_labels=SCOPE_LABELS))
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
            return response
    status = 422 if form.errors else 200
    return render_template("admin/api_token_new.html", form=form, max_days=max_days), status


@bp.route("/<int:token_id>/intrekken", methods=["GET", "POST"])
def revoke(token_id: int):
    """Ask to confirm, then revoke: the integration using the token stops at once."""
    row = api_tokens.token(token_id)  # NotFound: the 404 page
    form = RevokeTokenForm()
    if form.validate_on_submit():
        api_tokens.revoke(current_user, row.id)
        flash(_("Het API-token %(name)s is ingetrokken. Het werkt niet meer.", name=row.name))
        return redirect(url_for("api_tokens_admin.index"))
    status = 422 if form.errors else 200
    return render_template("admin/api_token_revoke.html", token=row, form=form, scope_labels=SCOPE_LABELS), status
