"""Public pages for parents, guardians and students (no account)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for

from ..forms.intake import RIGHT_HELP, IntakeForm
from ..services import cases
from ..services.links import TokenError
from ..workflows import deadlines

bp = Blueprint("public", __name__)


@bp.route("/", methods=["GET", "POST"])
def intake():
    """The request form; on success a case is registered and the requester gets a receipt."""
    form = IntakeForm()
    if form.validate_on_submit():
        case = cases.submit_request(form.to_request(), language=session.get("lang") or "nl")
        # The reference travels in the session, not the URL.
        session["submitted_case_id"] = case.id
        return redirect(url_for("public.submitted"))
    return render_template("public/intake.html", form=form, right_help=RIGHT_HELP)


@bp.route("/verzoek/ontvangen")
def submitted():
    """Confirmation page after submitting."""
    from ..extensions import db
    from ..models import Case

    case_id = session.get("submitted_case_id")
    case = db.session.get(Case, case_id) if case_id else None
    if case is None:
        return redirect(url_for("public.intake"))
    return render_template("public/submitted.html", case=case,
                           explanation=deadlines.explain_deadline(case.received_on))


@bp.route("/bevestigen/<token>")
def confirm_email(token: str):
    """The link from the receipt mail: confirms the requester's e-mail address."""
    try:
        case = cases.confirm_email(token)
    except TokenError as exc:
        return render_template("public/link_invalid.html", expired=exc.expired), 400
    return render_template("public/confirmed.html", case=case)
