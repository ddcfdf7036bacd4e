"""The staff side of the requester portal and the student's consent (/zaken/<id>/...).

Staff answer messages, download uploads and send consent requests from the case page (the panel
``staff/_case_portal.html``); every route checks the case against the user's schools (404 otherwise).
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.portal import ConsentRequestForm, MessageForm
from ..models import Case
from ..services import cases, consent, portal_messages, reads
from .portal import attachment
from .staff import _case_page

bp = Blueprint("portal_staff", __name__, url_prefix="/zaken")


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


def _visible(case_id: int) -> Case:
    """The case if the user may see it; otherwise ``CaseNotFound``, the 404 page (``errors.NotFound``)."""
    return cases.get_visible_case(current_user, case_id)


def _staff_case_page(case: Case, error: str, status: int):
    return _case_page(case, error=error, status=status)


@bp.app_context_processor
def _portal_panel():
    """``portal_panel(case)`` for ``staff/_case_portal.html`` (the case page does not pass it)."""

    def panel(case: Case) -> SimpleNamespace:
        forms = g.get("portal_forms", {})
        return SimpleNamespace(
            messages=portal_messages.thread(case), uploads=portal_messages.uploads(case),
            consents=consent.requests_for(case), consent_problem=consent.request_problem(case),
            scope_labels=consent.SCOPE_LABELS, status_labels=consent.STATUS_LABELS,
            message_form=forms.get("message") or MessageForm(formdata=None),
            consent_form=forms.get("consent") or ConsentRequestForm(formdata=None),
        )

    return {"portal_panel": panel}


@bp.route("/<int:case_id>/berichten", methods=["POST"], endpoint="message")
def staff_message(case_id: int):
    """Staff answer the requester; the requester gets a mail with a link only."""
    found = _visible(case_id)
    form = MessageForm()
    if not form.validate_on_submit():
        g.portal_forms = {"message": form}
        return _staff_case_page(found, _("Het bericht is niet verstuurd: controleer de invoer."), 422)
    portal_messages.add_staff_message(current_user, found, form.body.data)
    flash(_("Het bericht is verstuurd. De aanvrager krijgt een e-mail met een link (zonder de inhoud)."))
    return redirect(url_for("staff.case", case_id=case_id) + "#portaal")


@bp.route("/<int:case_id>/bestanden/<int:upload_id>", endpoint="download")
def staff_download(case_id: int, upload_id: int):
    """A requester's upload, for staff of the case's school (audited)."""
    upload, data = reads.open_upload(current_user, case_id, upload_id)
    return attachment(data, upload.content_type, upload.file_name)


@bp.route("/<int:case_id>/toestemming", methods=["POST"])
def consent_request(case_id: int):
    """Send the student a consent request at the student's own address (R-CH-3/4)."""
    found = _visible(case_id)
    form = ConsentRequestForm()
    if form.validate_on_submit():
        try:
            consent.send_request(current_user, found, form.student_email.data)
        except consent.ConsentError as exc:
            form.student_email.errors = [exc.message]
        else:
            flash(_("Het toestemmingsverzoek is naar de leerling gestuurd."))
            return redirect(url_for("staff.case", case_id=case_id) + "#toestemming")
    g.portal_forms = {"consent": form}
    return _staff_case_page(_visible(case_id),
                            _("Het toestemmingsverzoek is niet verstuurd: controleer de invoer."), 422)
