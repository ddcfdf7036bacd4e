"""Staff pages: the queue, the case page with its allowed steps, and the director's approvals."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.staff import STEP_FORMS, AppointApproverForm, ExtensionForm
from ..models import Case
from ..services import approvals as approval_service
from ..services import cases, letter_context, reads, staff_pages
from ..services import queue as queue_service
from ..services import schools as school_service
from ..services.clock import local_today
from ..templating import long_date
from ..workflows import deadlines
from ..workflows import states as S
from ..workflows.extension import may_extend
from ..workflows.machine import TRIGGER_LABELS, WorkflowError, available_triggers
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER
from ..workflows.vocabulary import GROUND_LABELS

bp = Blueprint("staff", __name__, url_prefix="/zaken")


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


def _int_arg(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


@bp.route("/", methods=["GET", "POST"])
def queue():
    """The queue sorted by deadline, with filters and keyset pagination.

    The filters travel in the URL (a bookmarkable GET). A search may hold a name or an e-mail address, which
    never goes in a URL (docs/security.md): the form posts it (with its CSRF token) and the page answers the
    post directly; without a search the post redirects to the filters' URL.
    """
    posted = request.method == "POST"
    source = request.form if posted else {k: v for k, v in request.args.items() if k != "q"}
    filters, notes = queue_service.filters_from_args(source, current_user)
    if not posted and "q" in request.args:
        notes.append(_("Een zoekterm in het adres wordt niet gebruikt: zoek met het zoekveld."))
    if posted and not filters.search and not notes:
        target: dict[str, Any] = dict(queue_service.filter_args(filters))
        return redirect(url_for("staff.queue", **target), code=303)
    cursor = source.get("na")
    try:
        if cursor:
            queue_service.decode_cursor(cursor)
    except ValueError:
        cursor = None
        notes.append(_("De paginaverwijzing klopt niet; de eerste pagina wordt getoond."))
    page = queue_service.queue_page(current_user, filters, cursor=cursor, size=_page_size())
    schools = school_service.schools() if current_user.sees_all_schools else current_user.schools
    return render_template("staff/queue.html", page=page, filters=filters, today=local_today(), notes=notes,
                           kept=queue_service.filter_args(filters), cursor=cursor,
                           counts=queue_service.state_counts(current_user), schools=schools,
                           letter_pending=queue_service.letter_pending_count(current_user),
                           assignees=queue_service.assignee_choices(current_user),
                           grounds=GROUND_LABELS, days_left=_days_left)


def _page_size() -> int:
    from flask import current_app

    return current_app.config["QUEUE_PAGE_SIZE"]


def _days_left(case: Case) -> int:
    return deadlines.working_days_between(local_today(), case.due_on)


def _case_page(case: Case, forms: dict | None = None, error: str | None = None, status: int = 200):
    triggers = available_triggers(case, current_user)
    forms = forms or {}
    for trigger in triggers:
        forms.setdefault(trigger, STEP_FORMS[trigger](formdata=None, version=case.version))
    # Offer the extension while it is possible; its reasons are checked again on submit.
    if may_extend(case, current_user, local_today()) or "extend" in forms:
        forms.setdefault("extend", ExtensionForm(formdata=None, version=case.version))
    approvers = approval_service.approvers_for(case)
    appoint = None
    if case.state == S.AWAITING_DIRECTOR and current_user.role == PRIVACY_OFFICER:
        # Four-eyes: the privacy officer may appoint a director of another school to approve.
        appoint = forms.get("appoint") or AppointApproverForm(formdata=None, version=case.version)
        appoint.approver_id.choices = [(u.id, u.name) for u in approval_service.candidates(case)]
    history = staff_pages.case_history(case)
    assessment = cases.assessment_for(case) if case.is_open else None
    explanation = deadlines.explain_deadline(case.received_on, extended=case.extended,
                                             suspended_days=case.suspended_days)
    return render_template(
        "staff/case.html", case=case, triggers=triggers, forms=forms, history=history, error=error,
        trigger_labels=TRIGGER_LABELS, assessment=assessment, explanation=explanation,
        extension_notice_deadline=deadlines.extension_notice_deadline(case.received_on),
        days_left=_days_left(case), today=local_today(), approvers=approvers, appoint=appoint,
        preview_kind=letter_context.approval_preview_kind(case),
        pause=cases.clock_pause(case) if case.state == S.AWAITING_REQUESTER and case.info_kind else None,
    ), status


def show_conflicts_on_the_case_page(blueprint: Blueprint) -> None:
    """One place per blueprint for "someone else changed the case meanwhile" (the version check): the
    case page again, as it is now, with the message (409). Views catch only what keeps their form."""

    @blueprint.errorhandler(cases.ConflictError)
    def _conflict(exc: cases.ConflictError):
        case_id = (request.view_args or {}).get("case_id")
        if case_id is None:  # pragma: no cover - every case route has the id
            raise exc
        return _case_page(cases.get_visible_case(current_user, case_id), error=exc.message, status=409)


show_conflicts_on_the_case_page(bp)


@bp.route("/<int:case_id>")
def case(case_id: int):
    """One case: the request, the deadline, the history and the steps allowed now."""
    return _case_page(reads.open_case(current_user, case_id))  # R-AC-2: every view is accountable


@bp.route("/<int:case_id>/stap/<trigger>", methods=["POST"])
def step(case_id: int, trigger: str):
    """Fire one workflow step; the server decides whether it is allowed, whatever the form says."""
    if trigger not in STEP_FORMS:
        abort(404)
    found = cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = STEP_FORMS[trigger]()
    if not form.validate_on_submit():
        return _case_page(found, forms={trigger: form}, error=_("Controleer de invoer bij de gekozen stap."),
                          status=422)
    try:
        done = cases.transition(current_user, case_id, trigger, form.version.data, form.step_data())
    except WorkflowError as exc:
        now = cases.get_visible_case(current_user, case_id)
        if trigger in available_triggers(now, current_user):  # refused for what was filled in: at the form
            form.show_refusal(exc.message)
        return _case_page(now, forms={trigger: form}, error=exc.message, status=409)
    if done.trigger != trigger:  # R-CH-1 sent the case back to review instead
        flash(_("Niet uitgevoerd: %(reason)s", reason=done.reason))
    else:
        flash(_("%(step)s: de status is nu '%(state)s'.", step=TRIGGER_LABELS[trigger],
                state=S.STATE_LABELS[done.to_state]))
    return redirect(url_for("staff.case", case_id=case_id))


@bp.route("/<int:case_id>/verlengen", methods=["POST"])
def extend(case_id: int):
    """R-DL-5: extend the deadline by two months (only within the first month, with reasons)."""
    found = cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = ExtensionForm()
    if not form.validate_on_submit():
        return _case_page(found, forms={"extend": form}, error=_("Controleer de invoer bij verlengen."), status=422)
    try:
        extended = cases.extend_deadline(current_user, case_id, form.version.data, form.reasons.data, form.reason.data)
    except WorkflowError as exc:
        form.show_refusal(exc.message)  # kept open at the form, every choice kept
        return _case_page(cases.get_visible_case(current_user, case_id), forms={"extend": form},
                          error=exc.message, status=409)
    flash(_("De termijn is verlengd tot %(date)s. De aanvrager krijgt hierover bericht.",
            date=long_date(extended.due_on)))
    return redirect(url_for("staff.case", case_id=case_id))


@bp.route("/<int:case_id>/goedkeurder", methods=["POST"])
def appoint_approver(case_id: int):
    """The privacy officer appoints a director of another school to approve a refusal (four-eyes)."""
    found = cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = AppointApproverForm()
    form.approver_id.choices = [(u.id, u.name) for u in approval_service.candidates(found)]
    if not form.validate_on_submit():
        return _case_page(found, forms={"appoint": form}, error=_("Kies een directeur."), status=422)
    try:
        approval_service.appoint_approver(current_user, case_id, form.version.data, form.approver_id.data)
    except WorkflowError as exc:
        return _case_page(cases.get_visible_case(current_user, case_id), error=exc.message, status=409)
    flash(_("De directeur is aangewezen en krijgt een e-mail om de weigering te beoordelen."))
    return redirect(url_for("staff.case", case_id=case_id))


@bp.route("/goedkeuren")
def approvals():
    """The approvals list: the proposed (partial) refusals this user must approve, oldest deadline first.
    Directors see their schools' (and those they were appointed to); the privacy officer those of schools
    without an uninvolved director."""
    if current_user.role not in (DIRECTOR, PRIVACY_OFFICER):
        abort(403)
    waiting = staff_pages.awaiting_approval(current_user)
    return render_template("staff/approvals.html", cases=waiting, days_left=_days_left,
                           approvers_for=approval_service.approvers_for)


@bp.route("/audit.csv")
def audit_export():
    """The privacy officer's export of the audit log (all events, or one case with ?zaak=ID)."""
    if current_user.role != PRIVACY_OFFICER:
        abort(403)
    case_id = _int_arg("zaak", 1, 2**31 - 1)
    return Response(stream_with_context(reads.export_audit(current_user, case_id)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=dsr-audit.csv"})
