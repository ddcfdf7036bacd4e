"""The access package in fewer posts (issue 15 point 4): several documents uploaded in one post, each
with its own category and description, and the checks of every document confirmed in one post ("check
all"). Routes on the fulfilment blueprint (its sign-in, role and conflict handling apply); the one-document
routes stay for whoever uses them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..forms.fulfilment import AllChecksForm, BulkUploadForm
from ..services import package_batch
from ..services import register as register_service
from ..services.package_batch import NewDocument
from ..workflows.scope import categories_in_scope
from .fulfilment import _ERRORS, _again, _case_or_404, _done, _invalid, bp
from .fulfilment_section import bulk_category_choices
from .staff import _case_page


@dataclass(frozen=True)
class RefusedFile:
    """A file the batch refused, shown again at its own row with the choices made for it."""

    number: int
    name: str
    message: str
    category_id: int | None
    title: str


@bp.route("/<int:case_id>/pakket/documenten", methods=["POST"])
def upload_several(case_id: int):
    """Several files in one post; each is checked on its own, a refused one is shown at its row."""
    case = _case_or_404(case_id)
    form = BulkUploadForm()
    form.category_id.choices = bulk_category_choices(categories_in_scope(case.assessment_scope,
                                                                         register_service.categories()))
    if not form.validate_on_submit():
        return _invalid(case_id, "f_upload_several", form)
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    uploads = [NewDocument(data=chosen.read(limit + 1), name=chosen.filename or "",
                           category_id=category if category is not None else form.category_id.data,
                           title=title or form.title.data or "")
               for chosen, (category, title) in zip(form.files.data, form.rows(request.form), strict=True)]
    try:
        result = package_batch.add_documents(current_user, case_id, uploads)
    except _ERRORS as exc:
        return _again(case_id, "f_upload_several", form, exc)
    if result.refused:
        form.refused = [RefusedFile(number=index + 1, name=uploads[index].name, message=exc.message,
                                    category_id=uploads[index].category_id, title=uploads[index].title)
                        for index, exc in sorted(result.refused.items())]
        form.files.errors = [ngettext(
            "%(num)d bestand is niet toegevoegd; zie de melding bij dat bestand.",
            "%(num)d bestanden zijn niet toegevoegd; zie de melding bij elk bestand.", len(form.refused))]
        added = ngettext("%(num)d document is toegevoegd.", "%(num)d documenten zijn toegevoegd.",
                         len(result.added)) if result.added else ""
        return _case_page(_case_or_404(case_id), forms={"f_upload_several": form},
                          error=" ".join(filter(None, [added, form.files.errors[0]])), status=422)
    return _done(case_id, ngettext(
        "%(num)d document is toegevoegd. Bevestig de controles voordat u het pakket vrijgeeft.",
        "%(num)d documenten zijn toegevoegd. Bevestig de controles voordat u het pakket vrijgeeft.",
        len(result.added)))


@bp.route("/<int:case_id>/pakket/controles", methods=["POST"])
def all_checks(case_id: int):
    """The checks of every document of the package in one post, each recorded and audited on its own."""
    form = AllChecksForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "f_all_checks", form)
    try:
        package_batch.confirm_all_checks(current_user, case_id, form.checks_for(request.form))
    except _ERRORS as exc:
        return _again(case_id, "f_all_checks", form, exc)
    return _done(case_id, _("De controles zijn vastgelegd."))
