"""Collection and carrying out in the school's systems, on the case page (issue 17 points 3 and 4).

"Gegevens verzamelen" starts one job per system; the progress page (``/zaken/<id>/koppelingen``) shows each
system's state and asks the browser to load it again every few seconds while a job is open (an HTTP
``Refresh`` header: no JavaScript, and never on a page with a form someone may be typing in). A failed
system can be tried again. For a granted right, "Proefrun" shows per system what would change, and
"Doorvoeren" carries it out. Views stay thin: one service call, then the progress page or the case page
with the message (422; a stale version 409).
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.connectors import ExportUploadForm, RunActionForm
from ..models import Case
from ..models.connectors import RUN_PURPOSES
from ..services import cases, collected_exports, collection, execution
from ..services.case_access import FulfilmentError
from ..services.packages import PACKAGE_STATES
from ..workflows import states as S
from ..workflows.vocabulary import GRANT, PARTIAL, REFUSE
from .staff import _case_page, show_conflicts_on_the_case_page

bp = Blueprint("connectors", __name__, url_prefix="/zaken")

#: Seconds between reloads of the progress page while a system is still busy.
REFRESH_SECONDS = 3
#: Runs in these states are being worked on by a job (a manual task's "waiting" can take days: no reload).
BUSY = ("queued", "running", "confirmed")
EXECUTION_PURPOSES = ("rectification", "erasure", "restriction", "withdrawal")


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


show_conflicts_on_the_case_page(bp)  # cases.ConflictError: the case page again (409)


@bp.app_context_processor
def _panel_helper():
    def panel(case: Case) -> SimpleNamespace:
        # Both the case page's partial and the progress page ask for it: built once per page.
        built = g.setdefault("connector_panels", {})
        if case.id not in built:
            built[case.id] = connectors_panel(case)
        return built[case.id]

    return {"connectors_panel": panel}


def connectors_panel(case: Case) -> SimpleNamespace:
    """What the case page and the progress page show: the runs per purpose with their dry runs, and which
    buttons apply."""
    runs = collection.runs_of(case.id)
    may_collect = case.right == "access" and case.state in PACKAGE_STATES and case.decision != REFUSE \
        and case.anonymised_at is None
    purposes = []
    if case.state == S.LEGAL_BASIS_REVIEWED and case.decision in (GRANT, PARTIAL):
        purposes = [p for p in EXECUTION_PURPOSES if execution.systems_concerned(case, p)]
    by_purpose = {p: [r for r in runs if r.purpose == p] for p in RUN_PURPOSES}
    to_collect = collection.systems_to_collect(case) if may_collect else []
    return SimpleNamespace(
        runs=runs, by_purpose=by_purpose, may_collect=may_collect, purposes=purposes, to_collect=to_collect,
        purpose_labels=RUN_PURPOSES, plans={r.id: execution.plan_of(r) for r in runs if r.purpose != "collect"},
        busy=any(r.status in BUSY for r in runs),
        shown=bool(runs) or bool(to_collect) or bool(purposes),
    )


def _progress(case_id: int):
    return redirect(url_for("connectors.progress", case_id=case_id))


def _refused(case_id: int, exc: FulfilmentError):
    return _case_page(cases.get_visible_case(current_user, case_id), error=exc.message, status=422)


def _posted_version() -> int | None:
    """The version the posted button carried, or None when the form is broken (the caller answers 422)."""
    form = RunActionForm()
    if form.validate_on_submit():
        return form.version.data
    return None


@bp.route("/<int:case_id>/koppelingen")
def progress(case_id: int):
    """Each system's progress for this case; reloads itself while a job is still busy."""
    return _progress_page(cases.get_visible_case(current_user, case_id))


@bp.route("/<int:case_id>/koppelingen/<int:run_id>/export", methods=["POST"])
def upload_export(case_id: int, run_id: int):
    """A file-export system's export, uploaded by staff: only the student's rows become documents."""
    case = cases.get_visible_case(current_user, case_id)
    form = ExportUploadForm()
    if not form.validate_on_submit():
        return _progress_page(case, upload_errors={run_id: _("Laad de pagina opnieuw en probeer het nog eens.")},
                              status=422)
    upload = form.export.data
    data = upload.read() if upload else b""
    try:
        collected_exports.collect_from_export(current_user, case_id, run_id, form.version.data, data=data,
                                              filename=getattr(upload, "filename", "") or "")
    except FulfilmentError as exc:
        now = cases.get_visible_case(current_user, case_id)
        if exc.field == "export":  # at the upload field; else above the table (the form is gone)
            return _progress_page(now, upload_errors={run_id: exc.message}, status=422)
        return _progress_page(now, error=exc.message, status=422)
    flash(_("De export is gelezen: de gegevens van deze leerling staan in het pakket."))
    return _progress(case_id)


def _progress_page(case: Case, *, upload_errors: dict[int, str] | None = None, error: str | None = None,
                   status: int = 200):
    panel = connectors_panel(case)
    g.setdefault("connector_panels", {})[case.id] = panel
    response = make_response(render_template("staff/collection.html", case=case, panel=panel,
                                             upload_errors=upload_errors or {}, error=error,
                                             refresh=REFRESH_SECONDS if panel.busy else None), status)
    if panel.busy and status == 200:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.route("/<int:case_id>/verzamelen", methods=["POST"])
def collect(case_id: int):
    """"Gegevens verzamelen": one job per system within the assessed scope."""
    cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page
    version = _posted_version()
    if version is None:
        return _case_page(cases.get_visible_case(current_user, case_id),
                          error=_("Laad de pagina opnieuw en probeer het nog eens."), status=422)
    try:
        started = collection.start_collection(current_user, case_id, version)
    except FulfilmentError as exc:
        return _refused(case_id, exc)
    flash(_("Verzamelen gestart bij %(count)d systeem/systemen.", count=len(started)))
    return _progress(case_id)


@bp.route("/<int:case_id>/koppelingen/<int:run_id>/opnieuw", methods=["POST"])
def retry(case_id: int, run_id: int):
    """Try a failed system again."""
    cases.get_visible_case(current_user, case_id)
    version = _posted_version()
    if version is None:
        return _case_page(cases.get_visible_case(current_user, case_id),
                          error=_("Laad de pagina opnieuw en probeer het nog eens."), status=422)
    try:
        collection.retry_run(current_user, case_id, run_id, version)
    except FulfilmentError as exc:
        return _refused(case_id, exc)
    flash(_("Het systeem wordt opnieuw geprobeerd."))
    return _progress(case_id)


@bp.route("/<int:case_id>/doorvoeren/<purpose>/<what>", methods=["POST"])
def execute(case_id: int, purpose: str, what: str):
    """"Proefrun" (the dry run per system) or "Doorvoeren" (carry it out) for a granted right."""
    cases.get_visible_case(current_user, case_id)
    if purpose not in EXECUTION_PURPOSES or what not in ("proefrun", "bevestigen"):
        abort(404)
    version = _posted_version()
    if version is None:
        return _case_page(cases.get_visible_case(current_user, case_id),
                          error=_("Laad de pagina opnieuw en probeer het nog eens."), status=422)
    try:
        if what == "proefrun":
            execution.plan_execution(current_user, case_id, version, purpose)
            flash(_("De proefrun is gestart: er verandert nog niets."))
        else:
            execution.confirm_execution(current_user, case_id, version, purpose)
            flash(_("Bevestigd: dsr voert het nu door in de systemen."))
    except FulfilmentError as exc:
        return _refused(case_id, exc)
    return _progress(case_id)
