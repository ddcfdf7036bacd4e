"""The privacy officer's page per school: confirm the appeal route, set phone and visiting address."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.schools import SchoolSettingsForm
from ..services import schools as school_service
from ..services import staff_pages
from ..workflows.vocabulary import APPEAL_ROUTE_LABELS

bp = Blueprint("schools", __name__, url_prefix="/scholen")


@bp.before_request
@login_required
def _privacy_officer_only():
    if not school_service.may_edit(current_user):
        abort(403)


@bp.route("/")
def index():
    """Every school with its appeal route, whether it is confirmed, and its contact details."""
    schools = school_service.schools()
    return render_template("schools/index.html", schools=schools,
                           confirmed_by=staff_pages.appeal_route_confirmers(schools),
                           route_labels=APPEAL_ROUTE_LABELS)


@bp.route("/<int:school_id>", methods=["GET", "POST"])
def edit(school_id: int):
    """Confirm or change the appeal route, and set phone and visiting address."""
    school = staff_pages.school(school_id)  # NotFound: the 404 page
    form = SchoolSettingsForm(obj=school)
    if form.validate_on_submit():
        school_service.save_settings(current_user, school.id, appeal_route=form.appeal_route.data,
                                     phone=form.phone.data or "", visiting_address=form.visiting_address.data or "")
        flash(_("De instellingen van %(school)s zijn opgeslagen en de rechtsgang is bevestigd.", school=school.name))
        return redirect(url_for("schools.index"))
    return render_template("schools/edit.html", school=school, form=form), 422 if form.errors else 200
