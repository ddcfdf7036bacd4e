"""The schools: the privacy officer confirms each school's appeal route and sets its phone and visiting
address; the admin adds schools, changes their name, type and contact details, and deactivates them
(issue 15 point 6). Both see the list; each form checks its own role on the server."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..forms.schools import NewSchoolForm, SchoolActionForm, SchoolForm, SchoolSettingsForm, show_school_error
from ..services import schools as school_service
from ..services import staff_pages
from ..workflows.vocabulary import APPEAL_ROUTE_LABELS, SCHOOL_TYPE_LABELS

bp = Blueprint("schools", __name__, url_prefix="/scholen")


@bp.before_request
@login_required
def _privacy_officer_or_admin():
    if not (school_service.may_edit(current_user) or school_service.may_manage(current_user)):
        abort(403)


def _only(allowed: Callable[[object], bool]) -> Callable[[Callable], Callable]:
    """The route is for the role ``allowed`` accepts (403 for the other)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


@bp.route("/")
def index():
    """Every school with its appeal route, whether it is confirmed, and its contact details."""
    schools = school_service.schools()
    return render_template("schools/index.html", schools=schools,
                           confirmed_by=staff_pages.appeal_route_confirmers(schools),
                           route_labels=APPEAL_ROUTE_LABELS, type_labels=SCHOOL_TYPE_LABELS,
                           may_confirm=school_service.may_edit(current_user),
                           may_manage=school_service.may_manage(current_user))


@bp.route("/<int:school_id>", methods=["GET", "POST"])
@_only(school_service.may_edit)
def edit(school_id: int):
    """The privacy officer confirms or changes the appeal route, and sets phone and visiting address."""
    school = staff_pages.school(school_id)  # NotFound: the 404 page
    form = SchoolSettingsForm(obj=school)
    if form.validate_on_submit():
        try:
            school_service.save_settings(current_user, school.id, form.version.data,
                                         appeal_route=form.appeal_route.data, phone=form.phone.data or "",
                                         visiting_address=form.visiting_address.data or "")
        except school_service.SchoolConflict as exc:
            school = staff_pages.school(school_id)
            form = SchoolSettingsForm(formdata=None, obj=school)
            return render_template("schools/edit.html", school=school, form=form,
                                   problem=exc.message), 409
        flash(_("De instellingen van %(school)s zijn opgeslagen en de rechtsgang is bevestigd.", school=school.name))
        return redirect(url_for("schools.index"))
    return render_template("schools/edit.html", school=school, form=form), 422 if form.errors else 200


@bp.route("/nieuw", methods=["GET", "POST"])
@_only(school_service.may_manage)
def new():
    """The admin adds a school; the privacy officer confirms its appeal route afterwards."""
    form = NewSchoolForm(school_type="vo", appeal_route="bezwaar")
    problem = None
    if form.validate_on_submit():
        try:
            school = school_service.create_school(
                current_user, code=form.code.data, name=form.name.data, school_type=form.school_type.data,
                appeal_route=form.appeal_route.data, phone=form.phone.data or "",
                visiting_address=form.visiting_address.data or "")
        except school_service.SchoolError as exc:
            problem = show_school_error(form, exc)
        else:
            flash(_("%(school)s is toegevoegd. De privacy officer bevestigt nog de rechtsgang.", school=school.name))
            return redirect(url_for("schools.index"))
    status = 422 if form.errors or problem else 200
    return render_template("schools/new.html", form=form, problem=problem), status


def _manage_page(school, form=None, problem: str | None = None, status: int = 200):
    return render_template("schools/manage.html", school=school, form=form or SchoolForm(formdata=None, obj=school),
                           problem=problem, open_cases=school_service.open_case_count(school.id),
                           type_labels=SCHOOL_TYPE_LABELS), status


@bp.route("/<int:school_id>/gegevens", methods=["GET", "POST"])
@_only(school_service.may_manage)
def manage(school_id: int):
    """The admin changes a school's name, type, appeal route and contact details."""
    school = staff_pages.school(school_id)  # NotFound: the 404 page
    form = SchoolForm(obj=school)
    if not form.validate_on_submit():
        return _manage_page(school, form, status=422 if form.errors else 200)
    try:
        school_service.update_school(current_user, school.id, form.version.data, name=form.name.data,
                                     school_type=form.school_type.data, appeal_route=form.appeal_route.data,
                                     phone=form.phone.data or "", visiting_address=form.visiting_address.data or "")
    except school_service.SchoolConflict as exc:
        return _manage_page(staff_pages.school(school_id), problem=exc.message, status=409)
    except school_service.SchoolError as exc:
        return _manage_page(school, form, problem=show_school_error(form, exc), status=422)
    flash(_("De gegevens van %(school)s zijn opgeslagen.", school=form.name.data))
    return redirect(url_for("schools.index"))


@bp.route("/<int:school_id>/<action>", methods=["POST"])
@_only(school_service.may_manage)
def set_active(school_id: int, action: str):
    """Deactivate a school without open requests, or reactivate it."""
    if action not in ("uitzetten", "aanzetten"):
        abort(404)
    school = staff_pages.school(school_id)  # NotFound: the 404 page
    form = SchoolActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        school_service.set_school_active(current_user, school.id, form.version.data, action == "aanzetten")
    except school_service.SchoolConflict as exc:
        return _manage_page(staff_pages.school(school_id), problem=exc.message, status=409)
    except school_service.SchoolError as exc:
        problem = ngettext("Deze school heeft nog %(num)d lopend verzoek. Een school met lopende verzoeken blijft "
                           "actief: hun wettelijke termijn loopt en iemand moet ze afhandelen.",
                           "Deze school heeft nog %(num)d lopende verzoeken. Een school met lopende verzoeken blijft "
                           "actief: hun wettelijke termijn loopt en iemand moet ze afhandelen.", exc.count)
        return _manage_page(school, problem=problem, status=422)
    flash(_("%(school)s is weer actief.", school=school.name) if action == "aanzetten" else
          _("%(school)s is niet meer actief: het formulier biedt de school niet meer aan.", school=school.name))
    return redirect(url_for("schools.manage", school_id=school.id))
