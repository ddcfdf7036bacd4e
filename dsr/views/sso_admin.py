"""The admin's group table for sign-in through the school's identity provider (issue 18 point 2):
list, add, change and delete rows. Admin only; the service (services/sso_groups.py) checks again."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.sso import EditGroupForm, GroupActionForm, GroupForm, show_group_error
from ..services import schools as school_service
from ..services import sso_groups

bp = Blueprint("sso_admin", __name__, url_prefix="/beheer/schoolaccount-groepen")


@bp.before_request
@login_required
def _admins_only():
    if not sso_groups.may_manage(current_user):
        abort(403)


def _school_choices(row=None) -> list[tuple[int, str]]:
    """The schools a row can give: the active ones, plus the inactive ones it has already."""
    kept = {s.id for s in row.schools} if row is not None else set()
    return [(s.id, s.name + ("" if s.active else " " + _("(niet actief)")))
            for s in school_service.schools() if s.active or s.id in kept]


@bp.route("/")
def index():
    """Every row: group, label, role, schools; and whether a provider is configured at all."""
    return render_template("admin/sso_groups.html", rows=sso_groups.mappings(),
                           configured=sso_groups.provider_configured())


@bp.route("/nieuw", methods=["GET", "POST"])
def new():
    """A new row."""
    form = GroupForm(school_choices=_school_choices())
    problem = None
    if form.validate_on_submit():
        try:
            sso_groups.add_mapping(current_user, group=form.group.data, label=form.label.data or "",
                                   role=form.role.data, school_ids=form.schools.data or [])
        except sso_groups.GroupError as exc:
            problem = show_group_error(form, exc)
        else:
            flash(_("De groep is toegevoegd. Leden krijgen deze toegang bij de volgende keer inloggen."))
            return redirect(url_for("sso_admin.index"))
    status = 422 if form.errors or problem else 200
    return render_template("admin/sso_group_edit.html", form=form, row=None, problem=problem), status


def _data(row) -> dict:
    return {"group": row.group, "label": row.label, "role": row.role, "version": row.version,
            "schools": [s.id for s in row.schools]}


def _edit_page(row, form=None, problem: str | None = None, status: int = 200):
    form = form or EditGroupForm(formdata=None, data=_data(row), school_choices=_school_choices(row))
    return render_template("admin/sso_group_edit.html", form=form, row=row, problem=problem), status


@bp.route("/<int:mapping_id>", methods=["GET", "POST"])
def edit(mapping_id: int):
    """Change a row (its version must be the one the form was loaded at)."""
    row = sso_groups.mapping(mapping_id)  # NotFound: the 404 page
    form = EditGroupForm(data=_data(row), school_choices=_school_choices(row))
    if not form.validate_on_submit():
        return _edit_page(row, form, status=422 if form.errors else 200)
    try:
        sso_groups.update_mapping(current_user, row.id, form.version.data, group=form.group.data,
                                  label=form.label.data or "", role=form.role.data,
                                  school_ids=form.schools.data or [])
    except sso_groups.GroupConflict as exc:
        return _edit_page(sso_groups.mapping(mapping_id), problem=exc.message, status=409)
    except sso_groups.GroupError as exc:
        return _edit_page(row, form, problem=show_group_error(form, exc), status=422)
    flash(_("De groep is opgeslagen. De wijziging geldt voor elk lid vanaf de volgende keer inloggen."))
    return redirect(url_for("sso_admin.index"))


@bp.route("/<int:mapping_id>/verwijderen", methods=["POST"])
def delete(mapping_id: int):
    """Delete a row (its version must be the one the page was loaded at)."""
    row = sso_groups.mapping(mapping_id)  # NotFound: the 404 page
    form = GroupActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sso_groups.delete_mapping(current_user, row.id, form.version.data)
    except sso_groups.GroupConflict as exc:
        return _edit_page(sso_groups.mapping(mapping_id), problem=exc.message, status=409)
    flash(_("De groep is verwijderd. Leden die via geen andere groep toegang hebben, komen er bij de volgende "
            "keer inloggen niet meer in en hun account gaat dan uit."))
    return redirect(url_for("sso_admin.index"))
