"""Staff fulfilment actions on the case page: the access package, rectification, erasure, decisions on
restriction/objection/portability, Art. 19 tasks, and letters (preview, send, PDF).

Views stay thin: they parse the form, call one service function and either redirect to the case page or
show it again with the message at the field (422 for input, 409 for a state that does not allow it).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..forms.fulfilment import (
    ChecksForm,
    DecisionForm,
    ErasureDecisionForm,
    LeavingForm,
    LetterSendForm,
    RectificationForm,
    ReleaseForm,
    SingleItemForm,
    TaskForm,
    UploadForm,
    VersionForm,
    WithdrawalItemForm,
)
from ..models import Case
from ..models.fulfilment import TASK_EXCEPTIONS
from ..services import cases, corrections, fulfilment, letter_context, letters, packages, reads
from ..services import erasure as erasure_service
from ..services import register as register_service
from ..services.fulfilment import FulfilmentError
from ..workflows import letters as L
from ..workflows.rights import RESTRICTION_GROUNDS
from ..workflows.scope import categories_in_scope
from ..workflows.vocabulary import APPEAL_ROUTE_LABELS, SCHOOL_TYPE_LABELS
from .fulfilment_section import (
    build_section,
    category_choices,
    erasure_choices,
    ground_label,
    outcome_choices,
    student_file,
)
from .staff import _case_page, show_conflicts_on_the_case_page

bp = Blueprint("fulfilment", __name__, url_prefix="/zaken")


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


show_conflicts_on_the_case_page(bp)  # cases.ConflictError: the case page again (409)


@bp.app_context_processor
def _section_helper():
    return {"fulfilment_section": build_section, "LETTER_KINDS": L.KIND_LABELS, "erasure_ground": ground_label,
            "SCHOOL_TYPE_LABELS": SCHOOL_TYPE_LABELS,
            "RESTRICTION_GROUNDS": RESTRICTION_GROUNDS, "TASK_EXCEPTIONS": TASK_EXCEPTIONS}


# ---- helpers -------------------------------------------------------------------------------------------

def _case_or_404(case_id: int) -> Case:
    """The case if the user may see it; another school's case is the 404 page (``errors.NotFound``), as is
    an item that is not part of this case. Any other error, a ``KeyError`` bug included, is a logged 500."""
    return cases.get_visible_case(current_user, case_id)


def _again(case_id: int, key: str, form, exc: Exception, status: int | None = None):
    """Show the case page again with the problem at the form (and its field); the service rolled back."""
    case = _case_or_404(case_id)
    message = getattr(exc, "message", str(exc))
    if isinstance(exc, FulfilmentError) and exc.field and form is not None and hasattr(form, exc.field):
        getattr(form, exc.field).errors = list(getattr(form, exc.field).errors or []) + [message]
        status = status or 422
    return _case_page(case, forms={key: form} if form is not None else None, error=message, status=status or 409)


def _invalid(case_id: int, key: str, form):
    return _case_page(_case_or_404(case_id), forms={key: form}, error=_("Controleer de invoer in het formulier."),
                      status=422)


def _done(case_id: int, message: str):
    flash(message)
    return redirect(url_for("staff.case", case_id=case_id) + "#fulfilment-h")


#: What a form's service refuses with, shown at the form; a ConflictError goes to the blueprint's handler.
_ERRORS = (FulfilmentError, letters.LetterError)


# ---- access package -------------------------------------------------------------------------------------

@bp.route("/<int:case_id>/pakket/document", methods=["POST"])
def upload(case_id: int):
    case = _case_or_404(case_id)
    form = UploadForm()
    in_scope = categories_in_scope(case.assessment_scope, register_service.categories())
    form.category_id.choices = category_choices(in_scope)
    if not form.validate_on_submit():
        return _invalid(case_id, "f_upload", form)
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    data = form.file.data.read(limit + 1)
    try:
        packages.add_document(current_user, case_id, data=data, filename=form.file.data.filename or "",
                              category_id=form.category_id.data, title=form.title.data or "")
    except _ERRORS as exc:
        return _again(case_id, "f_upload", form, exc)
    return _done(case_id, _("Het document is toegevoegd. Bevestig de controles voordat u het pakket vrijgeeft."))


@bp.route("/<int:case_id>/pakket/document/<int:document_id>/controle", methods=["POST"])
def checks(case_id: int, document_id: int):
    form = ChecksForm(prefix=f"d{document_id}")
    if not form.validate_on_submit():
        return _invalid(case_id, f"f_checks_{document_id}", form)
    try:
        packages.confirm_checks(current_user, case_id, document_id, third_party=form.third_party.data,
                                work_notes=form.work_notes.data)
    except _ERRORS as exc:
        return _again(case_id, f"f_checks_{document_id}", form, exc)
    return _done(case_id, _("De controles zijn vastgelegd."))


@bp.route("/<int:case_id>/pakket/document/<int:document_id>/verwijderen", methods=["POST"])
def remove_document(case_id: int, document_id: int):
    try:  # CSRF: CSRFProtect checks every POST, also those without a form class
        packages.remove_document(current_user, case_id, document_id)
    except _ERRORS as exc:
        return _again(case_id, "f_upload", None, exc)
    return _done(case_id, _("Het document is uit het pakket gehaald en verwijderd."))


@bp.route("/<int:case_id>/pakket/document/<int:document_id>")
def staff_document(case_id: int, document_id: int):
    """Staff open a document of the package (audited, R-AC-2)."""
    case, document, data = reads.open_package_document(current_user, case_id, document_id)
    return _file(data, document.content_type, f"{case.reference}-{document.id}.{document.extension}")


def _file(data: bytes, content_type: str, name: str) -> Response:
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@bp.route("/<int:case_id>/pakket/vrijgeven", methods=["POST"])
def release(case_id: int):
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "f_release", form)
    try:
        package = packages.release(current_user, case_id, form.version.data)
    except _ERRORS as exc:
        return _again(case_id, "f_release", form, exc)
    if package.delivered:
        return _done(case_id, _("Het pakket is vrijgegeven en verstuurd: de aanvrager krijgt een downloadlink."))
    return _done(case_id, _("Het pakket is vrijgegeven met de begeleidende brief. Het gaat naar de aanvrager zodra "
                            "het verzoek wordt afgerond."))


@bp.route("/<int:case_id>/pakket/intrekken", methods=["POST"])
def unrelease(case_id: int):
    form = VersionForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "f_unrelease", form)
    try:
        packages.unrelease(current_user, case_id, form.version.data)
    except _ERRORS as exc:
        return _again(case_id, "f_unrelease", form, exc)
    return _done(case_id, _("De vrijgave is ingetrokken; u kunt het pakket weer aanpassen."))


# ---- rectification, erasure, decisions -------------------------------------------------------------------

@bp.route("/<int:case_id>/rectificatie", methods=["POST"])
def add_rectification(case_id: int):
    form = RectificationForm()
    form.category_id.choices = category_choices(register_service.categories())
    if not form.validate_on_submit():
        return _invalid(case_id, "f_rectification", form)
    try:
        corrections.add_rectification(
            current_user, case_id, category_id=form.category_id.data, kind=form.kind.data,
            field=form.field.data or "", old_value=form.old_value.data or "", new_value=form.new_value.data or "",
            evidence=form.evidence.data or "", statement=form.statement.data or "")
    except _ERRORS as exc:
        return _again(case_id, "f_rectification", form, exc)
    return _done(case_id, _("Het gegeven is vastgelegd."))


@bp.route("/<int:case_id>/rectificatie/<int:item_id>/verwijderen", methods=["POST"])
def remove_rectification(case_id: int, item_id: int):
    try:
        corrections.remove_rectification(current_user, case_id, item_id)
    except _ERRORS as exc:
        return _again(case_id, "f_rectification", None, exc)
    return _done(case_id, _("Het gegeven is weggehaald."))


@bp.route("/<int:case_id>/verwijdering", methods=["POST"])
def erasure(case_id: int):
    form = LeavingForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "f_erasure", form)
    try:
        corrections.propose_erasure(current_user, case_id, form.version.data, left_on=form.left_on.data,
                                    enrolled=form.enrolled.data)
    except _ERRORS as exc:
        return _again(case_id, "f_erasure", form, exc)
    return _done(case_id, _("dsr heeft per categorie bepaald wat weg mag en wat bewaard moet blijven."))


@bp.route("/<int:case_id>/verwijdering/<int:item_id>/beslissen", methods=["POST"])
def erasure_decide(case_id: int, item_id: int):
    """R-RI-3 step 1 for a policy-period category: an Art. 17(1) ground, or none applies."""
    form = ErasureDecisionForm(prefix=f"e{item_id}")
    form.choice.choices = erasure_choices()
    key = f"f_decide_{item_id}"
    if not form.validate_on_submit():
        return _invalid(case_id, key, form)
    try:
        erasure_service.decide(current_user, case_id, item_id, form.version.data, form.choice.data)
    except _ERRORS as exc:
        return _again(case_id, key, form, exc)
    return _done(case_id, _("De beslissing voor deze categorie is vastgelegd."))


@bp.route("/<int:case_id>/verwijdering/los-stuk", methods=["POST"])
def single_item(case_id: int):
    """Erase one outdated or unlawful item while the rest stays (R-RI-3 step 3)."""
    form = SingleItemForm()
    form.category_id.choices = category_choices(student_file(register_service.categories()))
    if not form.validate_on_submit():
        return _invalid(case_id, "f_single", form)
    try:
        erasure_service.add_single_item(current_user, case_id, category_id=form.category_id.data,
                                        document=form.document.data or "", ground=form.ground.data,
                                        reason=form.reason.data or "")
    except _ERRORS as exc:
        return _again(case_id, "f_single", form, exc)
    return _done(case_id, _("Het stuk staat op de lijst om te verwijderen."))


@bp.route("/<int:case_id>/verwijdering/<int:item_id>/weghalen", methods=["POST"])
def remove_single_item(case_id: int, item_id: int):
    try:
        erasure_service.remove_single_item(current_user, case_id, item_id)
    except _ERRORS as exc:
        return _again(case_id, "f_single", None, exc)
    return _done(case_id, _("Het stuk is van de lijst gehaald."))


@bp.route("/<int:case_id>/intrekking/<int:item_id>", methods=["POST"])
def withdrawal_item(case_id: int, item_id: int):
    """R-CH-8: what stopped and what was erased for one consent-based category."""
    form = WithdrawalItemForm(prefix=f"w{item_id}")
    key = f"f_withdrawal_{item_id}"
    if not form.validate_on_submit():
        return _invalid(case_id, key, form)
    try:
        erasure_service.edit_withdrawal_item(current_user, case_id, item_id, stopped=form.stopped.data or "",
                                             erased=form.erased.data or "")
    except _ERRORS as exc:
        return _again(case_id, key, form, exc)
    return _done(case_id, _("Opgeslagen."))


@bp.route("/<int:case_id>/beslissing", methods=["POST"])
def decision(case_id: int):
    case = _case_or_404(case_id)
    form = DecisionForm()
    form.outcome.choices = outcome_choices(case.right)
    form.category_ids.choices = {c.id: c.name for c in register_service.categories()}
    if not form.validate_on_submit():
        return _invalid(case_id, "f_decision", form)
    try:
        corrections.record_decision(current_user, case_id, form.version.data, outcome=form.outcome.data,
                                    ground=form.ground.data, explanation=form.explanation.data or "",
                                    category_ids=form.category_ids.data or [])
    except _ERRORS as exc:
        return _again(case_id, "f_decision", form, exc)
    return _done(case_id, _("De beslissing is vastgelegd."))


@bp.route("/<int:case_id>/doorvoeren", methods=["POST"])
def carry_out(case_id: int):
    """Confirm the rectification, erasure or restriction was carried out; creates the Art. 19 tasks."""
    case = _case_or_404(case_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "f_carry_out", form)
    action = {"rectification": corrections.carry_out_rectification, "erasure": corrections.carry_out_erasure}.get(
        case.right, corrections.carry_out_decision)
    try:
        created = action(current_user, case_id, form.version.data)
    except _ERRORS as exc:
        return _again(case_id, "f_carry_out", form, exc)
    if not created:
        return _done(case_id, _("Doorgevoerd."))
    return _done(case_id, ngettext("Doorgevoerd. Er is %(num)d art. 19-taak aangemaakt.",
                                   "Doorgevoerd. Er zijn %(num)d art. 19-taken aangemaakt.", len(created)))


@bp.route("/<int:case_id>/art19/<int:task_id>", methods=["POST"])
def task(case_id: int, task_id: int):
    form = TaskForm(prefix=f"t{task_id}")
    if not form.validate_on_submit():
        return _invalid(case_id, f"f_task_{task_id}", form)
    try:
        fulfilment.resolve_task(current_user, case_id, task_id, form.version.data, form.outcome.data,
                                form.exception_kind.data, form.note.data or "")
    except _ERRORS as exc:
        return _again(case_id, f"f_task_{task_id}", form, exc)
    return _done(case_id, _("De art. 19-taak is bijgewerkt."))


# ---- letters ----------------------------------------------------------------------------------------------

@bp.route("/<int:case_id>/brieven/<kind>", methods=["GET", "POST"])
def letter(case_id: int, kind: str):
    """Preview a letter (GET) and send it (POST, only the version that was previewed)."""
    case = _case_or_404(case_id)
    if kind not in L.KINDS:
        abort(404)
    if kind == L.ACCESS_COVER:  # the package's letter: Art. 15 cover letter, or the BW 1:377c letter (R-CH-5)
        kind = letters.cover_kind(case)
    form = LetterSendForm()
    error, status, shown = None, 200, None
    if form.is_submitted():
        if not form.validate():
            if set(form.errors) == {"confirmed"}:  # the box not ticked: ask again, at the box (issue 15)
                error, status, shown = form.confirmed.errors[0], 422, form
            else:
                error, status = _("Het formulier is onvolledig; bekijk de brief opnieuw."), 400
        else:
            try:
                letters.send(current_user, case_id, kind, form.digest.data, corrected=bool(form.corrected.data))
            except (*_ERRORS, cases.ConflictError) as exc:  # on the letter page itself
                case = _case_or_404(case_id)
                error, status = exc.message, 409
            else:
                return _done(case_id, _("De brief '%(title)s' is opgeslagen en de aanvrager krijgt een e-mail met "
                                        "een link.", title=L.KIND_LABELS[kind]))
    approval_preview = kind == letter_context.approval_preview_kind(case)
    route_warning = kind in (L.REFUSAL, L.PARTIAL_REFUSAL) and letter_context.route_unconfirmed(case)
    preview = letters.draft(case, kind, approval_preview=approval_preview, preview_approver=current_user)
    sendable = kind in letters.available_kinds(case)
    form = LetterSendForm(formdata=None, digest=preview.digest)
    if shown is not None and shown.digest.data == preview.digest:
        form.confirmed.errors = shown.confirmed.errors  # the same letter: the message at its box
    elif shown is not None:
        error = _("De brief is intussen veranderd; lees hem opnieuw voordat u hem verstuurt.")
    return render_template("fulfilment/letter_preview.html", case=case, kind=kind, preview=preview, form=form,
                           sendable=sendable, error=error, kind_label=L.KIND_LABELS[kind],
                           route_warning=route_warning,
                           route_label=APPEAL_ROUTE_LABELS[letter_context.appeal_route(case)],
                           approval_preview=approval_preview,
                           already_sent=letters.sent_decision_letter(case, kind)), status


@bp.route("/<int:case_id>/brieven/pdf/<int:letter_id>")
def letter_pdf(case_id: int, letter_id: int):
    data, name = letters.staff_pdf(current_user, case_id, letter_id)
    return _file(data, "application/pdf", name)
