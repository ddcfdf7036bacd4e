"""The processing register: a public page in plain words (Dutch or English), a CSV export, and the privacy
officer's editing."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.register import CategoryForm, PeriodForm, RecipientForm
from ..services import register as register_service
from ..services import register_pages
from ..services import systems as systems_service
from ..workflows.retention import LEGAL_BASES, LEGAL_BASIS_PLAIN
from ..workflows.vocabulary import SCHOOL_TYPE_LABELS, SCHOOL_TYPES

bp = Blueprint("register", __name__, url_prefix="/verwerkingsregister")


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(LEGAL_BASIS_PLAIN=LEGAL_BASIS_PLAIN, LEGAL_BASES=LEGAL_BASES,
                                       SCHOOL_TYPE_LABELS=SCHOOL_TYPE_LABELS)


@bp.route("/")
def public():
    """The register as a parent reads it: what the school processes, why, how long, and who gets it."""
    return render_template("register/public.html", categories=register_service.categories(),
                           may_edit=register_service.may_edit(current_user))


@bp.route("/register.csv")
def export_csv():
    """The same register as a spreadsheet file."""
    return Response(register_service.register_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="verwerkingsregister-asg.csv"'})


def _privacy_officer_only() -> None:
    if not register_service.may_edit(current_user):
        abort(403)


@bp.route("/beheer")
@login_required
def manage():
    """The privacy officer's overview: every category and recipient, also inactive ones."""
    _privacy_officer_only()
    return render_template("register/manage.html", categories=register_service.categories(active_only=False),
                           recipients=register_service.recipients(active_only=False))


def _recipient_choices() -> dict[int, str]:
    return {r.id: r.name + ("" if r.active else " " + _("(niet actief)"))
            for r in register_service.recipients(active_only=False)}


@bp.route("/beheer/categorie/nieuw", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/beheer/categorie/<int:category_id>", methods=["GET", "POST"])
@login_required
def edit_category(category_id: int | None):
    """Add or change a category; every change is audited."""
    _privacy_officer_only()
    category = None
    if category_id is not None:
        category = register_pages.category(category_id)  # NotFound: the 404 page
    form = CategoryForm(obj=category)
    form.recipient_ids.choices = _recipient_choices()
    if category is not None:
        form.code.data = category.code  # fixed once created
        if not form.is_submitted():
            form.recipient_ids.data = [r.id for r in category.recipients]
    if form.validate_on_submit():
        try:
            saved = register_service.save_category(current_user, category_id, form.data_for_service())
        except register_service.RegisterError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash(_("Categorie '%(name)s' is opgeslagen.", name=saved.name))
            return redirect(url_for("register.manage"))
    status = 422 if form.errors else 200
    return render_template("register/edit_category.html", form=form, category=category,
                           period_forms=_period_forms(category), category_systems=_holding(category)), status


def _holding(category) -> list:
    """The systems that hold ``category`` (listed on its page; none for a new one)."""
    return systems_service.holding(category.id) if category is not None else []


def _period_forms(category, errors: dict | None = None) -> dict:
    """One form per school type, filled from the stored period (or the one with errors)."""
    if category is None or category.retention_kind not in ("after_leaving", "fixed"):
        return {}
    forms = {}
    for school_type in SCHOOL_TYPES:
        if errors and school_type in errors:
            forms[school_type] = errors[school_type]
            continue
        period = category.period_for(school_type)
        forms[school_type] = PeriodForm(formdata=None, prefix=f"p{school_type}",
                                        months=period.months if period else None,
                                        statutory=period.statutory if period else False,
                                        source=period.source if period else "")
    return forms


@bp.route("/beheer/categorie/<int:category_id>/termijn/<school_type>", methods=["POST"])
@login_required
def edit_period(category_id: int, school_type: str):
    """Set or remove the retention period of one school type (docs/legal.md §6); audited."""
    _privacy_officer_only()
    if school_type not in SCHOOL_TYPES:
        abort(404)
    category = register_pages.category(category_id)  # NotFound: the 404 page
    form = PeriodForm(prefix=f"p{school_type}")
    if form.validate_on_submit():
        try:
            register_service.save_period(current_user, category_id, school_type, months=form.months.data,
                                         statutory=form.statutory.data, source=form.source.data or "")
        except register_service.RegisterError as exc:
            getattr(form, exc.field or "months").errors.append(exc.message)
        else:
            flash(_("De bewaartermijn per soort school is opgeslagen."))
            return redirect(url_for("register.edit_category", category_id=category_id))
    category = register_pages.category(category_id)
    edit = CategoryForm(obj=category)
    edit.recipient_ids.choices = _recipient_choices()
    edit.recipient_ids.data = [r.id for r in category.recipients]
    return render_template("register/edit_category.html", form=edit, category=category,
                           period_forms=_period_forms(category, {school_type: form}),
                           category_systems=_holding(category)), 422


@bp.route("/beheer/ontvanger/nieuw", methods=["GET", "POST"], defaults={"recipient_id": None})
@bp.route("/beheer/ontvanger/<int:recipient_id>", methods=["GET", "POST"])
@login_required
def edit_recipient(recipient_id: int | None):
    """Add or change a recipient; every change is audited."""
    _privacy_officer_only()
    recipient = None
    if recipient_id is not None:
        recipient = register_pages.recipient(recipient_id)  # NotFound: the 404 page
    form = RecipientForm(obj=recipient)
    if recipient is not None:
        form.code.data = recipient.code
    if form.validate_on_submit():
        try:
            saved = register_service.save_recipient(current_user, recipient_id, form.data_for_service())
        except register_service.RegisterError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash(_("Ontvanger '%(name)s' is opgeslagen.", name=saved.name))
            return redirect(url_for("register.manage"))
    status = 422 if form.errors else 200
    return render_template("register/edit_recipient.html", form=form, recipient=recipient), status
