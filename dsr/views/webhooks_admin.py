"""The admin's webhook pages (issue 18 point 6): ``/beheer/webhooks``, admin only.

The list shows every subscription with its latest deliveries (status, attempts, HTTP status, error) and a
button to try a failed one again. A new subscription's signing secret is shown once, in the answer to the
form's own POST: no redirect and no session carry it, and the page is not cached.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.webhooks import (
    ALL_SCHOOLS,
    EditWebhookForm,
    WebhookActionForm,
    WebhookForm,
    chosen_school,
    show_webhook_error,
)
from ..services import schools as school_service
from ..services import webhooks

bp = Blueprint("webhooks_admin", __name__, url_prefix="/beheer/webhooks")


@bp.before_request
@login_required
def _admins_only():
    if not webhooks.may_manage(current_user):
        abort(403)


def _school_choices() -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in school_service.schools() if s.active]


def _conflict_message() -> str:
    return _("Iemand anders heeft deze koppeling intussen gewijzigd of verwijderd. Hieronder ziet u hoe het nu "
             "is; doe uw wijziging zo nodig opnieuw.")


@bp.route("")
def index():
    """Every subscription with its latest deliveries."""
    return render_template("admin/webhooks.html", listed=webhooks.subscriptions())


@bp.route("/nieuw", methods=["GET", "POST"])
def new():
    """A new subscription; the answer to a valid POST shows its secret once."""
    form = WebhookForm(school_choices=_school_choices(), data={"events": [], "school": ALL_SCHOOLS})
    problem = None
    if form.validate_on_submit():
        try:
            row, secret = webhooks.create(current_user, name=form.name.data, url=form.url.data,
                                          events=form.events.data or [], school_code=chosen_school(form))
        except webhooks.WebhookError as exc:
            problem = show_webhook_error(form, exc)
        else:
            response = make_response(render_template("admin/webhook_secret.html", subscription=row, secret=secret),
                                     201)
            response.headers["Cache-Control"] = "no-store"
            return response
    status = 422 if form.errors or problem else 200
    return render_template("admin/webhook_new.html", form=form, problem=problem), status


def _form_data(row) -> dict:
    school = ALL_SCHOOLS
    if row.school_id:
        school = next((s.code for s in school_service.schools() if s.id == row.school_id), ALL_SCHOOLS)
    return {"name": row.name, "url": row.url, "events": row.events.split(), "school": school,
            "active": row.active, "version": row.version}


def _edit_page(row, form=None, problem: str | None = None, status: int = 200):
    form = form or EditWebhookForm(formdata=None, data=_form_data(row), school_choices=_school_choices())
    return render_template("admin/webhook_edit.html", subscription=row, form=form, problem=problem,
                           action_form=WebhookActionForm(formdata=None, data={"version": row.version})), status


@bp.route("/<int:subscription_id>", methods=["GET", "POST"])
def edit(subscription_id: int):
    """Change a subscription's name, address, events, school and whether it is on."""
    row = webhooks.subscription(subscription_id)  # NotFound: the 404 page
    form = EditWebhookForm(data=_form_data(row), school_choices=_school_choices())
    if not form.validate_on_submit():
        return _edit_page(row, form, status=422 if form.errors else 200)
    try:
        webhooks.change(current_user, row.id, form.version.data, name=form.name.data, url=form.url.data,
                        events=form.events.data or [], school_code=chosen_school(form),
                        active=bool(form.active.data))
    except webhooks.WebhookConflict:
        return _edit_page(webhooks.subscription(subscription_id), problem=_conflict_message(), status=409)
    except webhooks.WebhookError as exc:
        return _edit_page(row, form, problem=show_webhook_error(form, exc), status=422)
    flash(_("De koppeling %(name)s is opgeslagen.", name=form.name.data))
    return redirect(url_for("webhooks_admin.index"))


@bp.route("/<int:subscription_id>/verwijderen", methods=["POST"])
def remove(subscription_id: int):
    """Remove a subscription (its waiting deliveries are not sent any more)."""
    row = webhooks.subscription(subscription_id)  # NotFound: the 404 page
    form = WebhookActionForm()
    if not form.validate_on_submit():
        abort(400)
    name = row.name
    try:
        webhooks.remove(current_user, row.id, form.version.data)
    except webhooks.WebhookConflict:
        return _edit_page(webhooks.subscription(subscription_id), problem=_conflict_message(), status=409)
    flash(_("De koppeling %(name)s is verwijderd; dsr stuurt er geen berichten meer heen.", name=name))
    return redirect(url_for("webhooks_admin.index"))


@bp.route("/leveringen/<int:delivery_id>/opnieuw", methods=["POST"])
def retry(delivery_id: int):
    """Try a failed delivery again now (CSRFProtect checks the POST); an unknown row is the 404 page."""
    try:
        webhooks.retry(current_user, delivery_id)
    except webhooks.DeliveryNotFailed:
        flash(_("Bericht %(delivery)s is niet mislukt (meer); er is niets gedaan.", delivery=delivery_id))
    else:
        flash(_("Bericht %(delivery)s wordt opnieuw verstuurd.", delivery=delivery_id))
    return redirect(url_for("webhooks_admin.index"))
