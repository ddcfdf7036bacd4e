"""The school's systems in the register (issue 17 point 1): every member of staff reads which systems hold
which data and who owns them; only the privacy officer adds and changes them (settings and secrets)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.systems import NONE, CheckForm, MappingForm, RemoveMappingForm, SystemForm
from ..services import register as register_service
from ..services import schools as schools_service
from ..services import system_checks
from ..services import systems as systems_service
from ..services.connector_runs import system_settings

bp = Blueprint("systems", __name__, url_prefix="/verwerkingsregister/systemen")


def _editor_only() -> None:
    if not register_service.may_edit(current_user):
        abort(403)


@bp.route("/")
@login_required
def index():
    """Every system with its owner, kind and categories (no settings, never a secret)."""
    listed = systems_service.systems()
    return render_template("register/systems.html", systems=listed, owners=systems_service.owner_names(listed),
                           may_edit=register_service.may_edit(current_user))


def _dutch() -> dict[str, str]:
    """An option's attributes for an entry the privacy officer wrote in Dutch, on a page in another language
    (WCAG 3.1.2), as the register's pages mark them."""
    return {} if str(get_locale()) == "nl" else {"lang": "nl"}


def _offer_choices(form: SystemForm) -> None:
    nobody = [(NONE, _("(niemand binnen ASG)"))]
    form.owner_user_id.choices = nobody + [(u.id, f"{u.name} ({u.email})") for u in systems_service.owner_choices()]
    form.recipient_id.choices = [(NONE, _("(geen: geen verwerker)"), {})] + [
        (r.id, r.name + ("" if r.active else " " + _("(niet actief)")), _dutch())
        for r in register_service.recipients(active_only=False)]
    form.school_id.choices = [(NONE, _("Alle scholen"))] + [(s.id, s.name) for s in schools_service.schools()]


@bp.route("/nieuw", methods=["GET", "POST"], defaults={"system_id": None})
@bp.route("/<int:system_id>", methods=["GET", "POST"])
@login_required
def edit(system_id: int | None):
    """Add or change a system; the secrets are write-only. Every change is audited."""
    _editor_only()
    found = systems_service.system(system_id) if system_id is not None else None  # NotFound: the 404 page
    # The settings live in one JSON column: given as data, so the form shows them (a post's own values win).
    form = SystemForm(obj=found, data=system_settings(found) if found else None)
    _offer_choices(form)
    if found is not None:
        form.code.data = found.code  # fixed once created
        if not form.is_submitted():
            form.owner_user_id.data = found.owner_user_id or NONE
            form.recipient_id.data = found.recipient_id or NONE
            form.school_id.data = found.school_id or NONE
    status = 200
    if form.validate_on_submit():
        data, secrets = form.data_for_service()
        try:
            saved = systems_service.save_system(current_user, system_id, data, secrets,
                                                clear_secrets=form.clear_secrets.data, version=form.version.data)
        except systems_service.RegisterError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        except systems_service.SystemConflict as exc:
            found = systems_service.system(system_id) if system_id is not None else None
            # Saving the shown form again replaces the other change (the message says so).
            form.version.raw_data, form.version.data = None, found.version if found else None
            flash(exc.message, "error")
            status = 409
        else:
            flash(_("Systeem '%(name)s' is opgeslagen.", name=saved.name))
            return redirect(url_for("systems.edit", system_id=saved.id))
    if form.errors:
        status = 422
    return render_template("register/edit_system.html", form=form, system=found, check_form=CheckForm(),
                           last_check=system_checks.last_check(found) if found else None), status


@bp.route("/<int:system_id>/testen", methods=["POST"])
@login_required
def check(system_id: int):
    """Queue "Verbinding testen": one cheap call in a job; the page shows the outcome when it is done."""
    _editor_only()
    systems_service.system(system_id)  # NotFound: the 404 page
    if not CheckForm().validate_on_submit():
        abort(400)
    try:
        system_checks.request_check(current_user, system_id)
    except systems_service.RegisterError as exc:
        flash(exc.message)
    else:
        flash(_("De test staat klaar; ververs deze pagina over een paar seconden voor de uitkomst."))
    return redirect(url_for("systems.edit", system_id=system_id))


@bp.route("/<int:system_id>/categorie/nieuw", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/<int:system_id>/categorie/<int:category_id>", methods=["GET", "POST"])
@login_required
def edit_mapping(system_id: int, category_id: int | None):
    """Say which register category this system holds, and how dsr reads it and carries out rights there."""
    _editor_only()
    found = systems_service.system(system_id)
    mapping = next((m for m in found.mappings if m.category_id == category_id), None)
    if category_id is not None and mapping is None:
        abort(404)
    form = MappingForm(obj=mapping)
    held = {m.category_id for m in found.mappings}
    form.category_id.choices = [(c.id, f"{c.name} ({c.code})", _dutch()) for c in register_service.categories()
                                if c.id not in held or c.id == category_id]
    if not form.is_submitted():
        form.version.data = found.version
    status = 200
    if form.validate_on_submit():
        chosen = category_id if category_id is not None else form.category_id.data
        try:
            if chosen is None:
                raise systems_service.RegisterError(_("Kies een categorie uit het register."), "category_id")
            systems_service.save_mapping(current_user, system_id, chosen, form.data_for_service(),
                                         version=form.version.data)
        except systems_service.RegisterError as exc:
            getattr(form, exc.field or "collect").errors.append(exc.message)
        except systems_service.SystemConflict as exc:
            form.version.raw_data, form.version.data = None, systems_service.system(system_id).version
            flash(exc.message, "error")
            status = 409
        else:
            flash(_("De categorie bij '%(name)s' is opgeslagen.", name=found.name))
            return redirect(url_for("systems.edit", system_id=system_id))
    if form.errors:
        status = 422
    return render_template("register/edit_mapping.html", form=form, system=found, mapping=mapping,
                           remove_form=RemoveMappingForm(formdata=None, version=found.version)), status


@bp.route("/<int:system_id>/categorie/<int:category_id>/verwijderen", methods=["POST"])
@login_required
def remove_mapping(system_id: int, category_id: int):
    """The system no longer holds this category (audited)."""
    _editor_only()
    found = systems_service.system(system_id)
    form = RemoveMappingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        systems_service.remove_mapping(current_user, system_id, category_id, version=form.version.data)
    except systems_service.SystemConflict as exc:
        found = systems_service.system(system_id)
        mapping = next((m for m in found.mappings if m.category_id == category_id), None)
        if mapping is None:
            abort(404)
        flash(exc.message, "error")
        edit_form = MappingForm(formdata=None, obj=mapping, version=found.version)
        edit_form.category_id.choices = [(mapping.category_id, mapping.category.name)]
        return render_template("register/edit_mapping.html", form=edit_form, system=found, mapping=mapping,
                               remove_form=RemoveMappingForm(formdata=None, version=found.version)), 409
    flash(_("'%(name)s' houdt deze categorie niet meer bij.", name=found.name))
    return redirect(url_for("systems.edit", system_id=system_id))
