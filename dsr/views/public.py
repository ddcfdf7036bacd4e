"""Public pages for parents, guardians and students (no account)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..forms.intake import RIGHT_HELP, IntakeForm, preview_inputs
from ..security import limiter, recipient_limit_key
from ..services import cases, portal, requester_pages
from ..services.clock import local_today
from ..services.links import TokenError
from ..services.packages import PURGE_AFTER_MONTHS
from ..services.schools import forget_active_schools
from ..templating import current_language
from ..workflows import deadlines
from ..workflows.intake_preview import what_you_get
from .language import follow

bp = Blueprint("public", __name__)

#: The request form has no file fields; its text fields add up to a few kilobytes. The app-wide
#: MAX_CONTENT_LENGTH is larger (staff uploads), and for url-encoded bodies Werkzeug applies no
#: other limit (MAX_FORM_MEMORY_SIZE only covers multipart), so the anonymous form gets its own.
INTAKE_MAX_CONTENT_LENGTH = 2 * 1024 * 1024


@bp.url_value_preprocessor
def _limit_intake_body(endpoint, values) -> None:
    """Cap the body of the public form before anything reads it.

    URL value preprocessors run before every ``before_request`` hook, including Flask-WTF's CSRF
    check, which parses the form; a limit set in the view itself would come too late.
    """
    if endpoint == "public.intake":
        request.max_content_length = INTAKE_MAX_CONTENT_LENGTH


def _not_sending() -> bool:
    """Only "Verzoek versturen" counts against the intake limits: the form and its check step are free."""
    return request.method != "POST" or request.form.get("step") != "send"


def _recipient() -> str:
    return recipient_limit_key(request.form.get("requester_email", ""))


@bp.route("/", methods=["GET", "POST"])
# Each request sends a receipt from the school's address to the address typed in: limited per client and,
# so that one inbox cannot be flooded from many clients, per recipient (keyed hash; issue 13).
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_PER_CLIENT"], exempt_when=_not_sending)
@limiter.limit(lambda: current_app.config["INTAKE_LIMIT_PER_RECIPIENT"], key_func=_recipient,
               exempt_when=_not_sending)
def intake():
    """The request form, in two steps that work without JavaScript.

    A POST without ``step=send`` validates and shows the check step: "Dit krijgt u" and every answer,
    with the answers in hidden fields; ``step=send`` from there registers the case and the requester gets
    a receipt; ``step=edit`` goes back to the form with every answer kept. Bad input at any step goes
    back to the form with a message at the field.
    """
    form = IntakeForm()
    step = request.form.get("step") if request.method == "POST" else None
    if step == "edit":  # back from the check step: the answers as typed, no messages
        return _form_page(form)
    if form.validate_on_submit():
        if step != "send":
            return render_template("public/intake_check.html", form=form, summary=form.summary(),
                                   preview=_preview(request.form))
        # The language the form was filled in is kept on the case: every mail to the requester uses it.
        try:
            case = cases.submit_request(form.to_request(), language=current_language())
        except cases.UnknownSchool:
            # This process's list of schools predates a deactivation made elsewhere: say so at the field.
            forget_active_schools()
            form.school_id.errors = [_("Kies een school uit de lijst.")]
            return _form_page(form)
        # The reference travels in the session, not the URL. The id comes from the identity map, not
        # from case.id: after the commit that would reload the case, and if the database went away
        # just then, a stored request would be answered with "try again" (docs/reliability.md).
        identity = sa.inspect(case).identity
        assert identity is not None  # the case was committed: it is persistent and has its key
        session["submitted_case_id"] = identity[0]
        return redirect(url_for("public.submitted"))
    return _form_page(form)


def _preview(values):
    """What this requester will get (workflows.intake_preview), from the raw answers, as of today."""
    return what_you_get(**preview_inputs(values), on=local_today(),
                        child_request_needs_confirmation=current_app.config["CHILD_REQUEST_NEEDS_CONFIRMATION"])


def _form_page(form):
    return render_template("public/intake.html", form=form, right_help=RIGHT_HELP,
                           preview=_preview(request.form if request.method == "POST" else {}),
                           retention_years=current_app.config["CASE_RETENTION_YEARS"],
                           package_months=PURGE_AFTER_MONTHS)


@bp.route("/verzoek/wat-krijgt-u")
@limiter.limit("60 per minute")
def preview():
    """The form's live "Dit krijgt u" text as JSON, in the visitor's language (static/intake.js shows it).

    The words come from the same function as the check step; the script only places them. Nothing is stored.
    """
    return jsonify(_preview(request.args).as_dict())


@bp.route("/verzoek/ontvangen")
def submitted():
    """Confirmation page after submitting."""
    case_id = session.get("submitted_case_id")
    case = requester_pages.submitted_case(case_id) if case_id else None
    if case is None:
        return redirect(url_for("public.intake"))
    return render_template("public/submitted.html", case=case,
                           explanation=deadlines.explain_deadline(case.received_on, lang=current_language()))


@bp.route("/bevestigen/<token>")
def confirm_email(token: str):
    """The link from the receipt mail: confirms the requester's e-mail address.

    Used a second time it says the address is confirmed already and points to "Mijn verzoek" (no portal
    session: a forwarded mail must not open it); an expired or broken link offers a new portal link.
    """
    g.no_referrer = True  # the token is in this page's URL (see views.portal._no_referrer)
    try:
        case = cases.confirm_email(token)
    except cases.AlreadyConfirmed:
        return render_template("public/already_confirmed.html")
    except TokenError as exc:
        return render_template("public/confirm_link_invalid.html", expired=exc.expired), 400
    portal.open_session(case)  # the link reached the requester: it also opens "Mijn verzoek"
    follow(case.language)  # the page of a mail link is in the language of that mail, unless chosen
    return render_template("public/confirmed.html", case=case)
