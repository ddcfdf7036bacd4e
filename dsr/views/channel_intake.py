"""Staff register a request that came by letter, e-mail, phone or at the counter (issue 15 point 1), and open
the scan or original e-mail attached to it from the case page."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.channel_intake import ChannelIntakeForm
from ..forms.intake import RIGHT_HELP
from ..services import channel_intake
from ..services.portal_messages import UploadRefused, megabytes
from ..templating import long_date
from ..workflows.channels import CHANNEL_LABELS
from .portal import attachment

bp = Blueprint("channel_intake", __name__, url_prefix="/zaken")


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


@bp.route("/registreren", methods=["GET", "POST"])
def register():
    """The form "Verzoek registreren"; a valid one stores the case and opens its page.

    Bad input, a refused date or a refused file comes back with every answer kept (except the file, which a
    browser cannot be given back) and the message at its field.
    """
    form = ChannelIntakeForm(user=current_user)
    if form.validate_on_submit():
        file = form.document.data if form.attached() else None
        limit = int(current_app.config["UPLOAD_MAX_BYTES"])
        registration = channel_intake.Registration(
            channel=form.channel.data, received_on=form.received_on.data, late_reason=form.late_reason.data or "",
            taken_by=form.taken_by.data or "", file_name=getattr(file, "filename", None) if file else None,
            file_data=file.read(limit + 1) if file else b"")
        try:
            case = channel_intake.register_request(current_user, form.to_request(), registration,
                                                   language=form.language.data)
        except UploadRefused as exc:
            form.document.errors = [exc.message]
        except channel_intake.RegistrationRefused as exc:
            form[exc.field].errors = [exc.message]
        else:
            flash(_("Het verzoek is geregistreerd als %(reference)s, ontvangen op %(date)s. De aanvrager krijgt de "
                    "ontvangstbevestiging per e-mail.", reference=case.reference, date=long_date(case.received_on)))
            return redirect(url_for("staff.case", case_id=case.id))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/register_request.html", form=form, right_help=RIGHT_HELP,
                           max_size=megabytes(int(current_app.config["UPLOAD_MAX_BYTES"]))), status


@bp.route("/<int:case_id>/ontvangen-document")
def document(case_id: int):
    """The scan or original e-mail of a registered request, for staff of the case's school (audited)."""
    intake, data = channel_intake.open_document(current_user, case_id)  # NotFound: the 404 page
    return attachment(data, intake.content_type or "application/octet-stream", intake.file_name or "document")


@bp.app_context_processor
def _channel_panel():
    """``channel_intake_of(case)`` for ``staff/_case_channel.html`` (the case page does not pass it)."""
    return {"channel_intake_of": channel_intake.intake_of, "CHANNEL_LABELS": CHANNEL_LABELS}
