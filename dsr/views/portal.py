"""The requester portal ("Mijn verzoek", /mijn-verzoek): the requester, by magic link, no account.

Every page reads the case from the portal session (kept on the server, :mod:`dsr.services.requester_sessions`;
the cookie holds only its random id); no URL names a case, and
an object id in a URL (an upload, a letter) is checked against the session's case (404 otherwise).
A magic link is exchanged for a session and the browser is redirected to a URL without the token;
these pages send ``Referrer-Policy: no-referrer`` (docs/security.md). A link from a mail opens the pages
in the language of the case, unless the visitor chose one with the switch (``views.language.follow``).

The student's consent page is :mod:`dsr.views.consent`; the staff side of both (messages, uploads,
consent requests on the case page) is :mod:`dsr.views.portal_staff`. Both use :func:`limit_body` and
:func:`attachment` from here.
"""
from __future__ import annotations

import functools

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..forms.portal import LinkRequestForm, MessageForm, UploadForm, WithdrawForm
from ..models import Case
from ..security import limiter
from ..services import (
    cases,
    portal,
    portal_files,
    portal_messages,
    portal_progress,
    portal_status,
    reads,
    requester_pages,
)
from ..services.links import TokenError
from ..workflows.machine import WorkflowError
from . import language

bp = Blueprint("portal", __name__, url_prefix="/mijn-verzoek")

#: Text-only forms of these pages are small; uploads get their own limit (UPLOAD_MAX_BYTES + margin).
FORM_MAX_CONTENT_LENGTH = 64 * 1024
UPLOAD_MARGIN = 256 * 1024


# ---- shared with the consent page and the staff side -----------------------------------------------

@bp.after_app_request
def _no_referrer(response):
    """Portal and consent pages never leak their URL in a Referer header.

    Registered with the blueprints, i.e. before Talisman's hook, so it runs after it (Flask runs
    app-level after-request hooks in reverse order of registration) and has the last word.
    """
    if g.get("no_referrer"):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_template_global("new_link_form")
def _new_link_form(reference: str | None = None) -> LinkRequestForm:
    """An empty "Mijn verzoek" link form for a page where a link did not work (portal/_new_link_form.html).

    It posts to :func:`request_link`, so it gives the same answer and has the same rate limit as that page.
    """
    return LinkRequestForm(formdata=None, reference=reference)


@bp.app_template_global("portal_start_url")
def _portal_start_url() -> str:
    """The "Mijn verzoek" page as an absolute URL, for mails."""
    return portal.start_url()


def limit_body(endpoint, values) -> None:
    """Before every portal and consent page: no Referer, and a small request body (uploads excepted)."""
    g.no_referrer = True
    if endpoint == "portal.upload":
        request.max_content_length = int(current_app.config["UPLOAD_MAX_BYTES"]) + UPLOAD_MARGIN
    else:
        request.max_content_length = FORM_MAX_CONTENT_LENGTH


bp.url_value_preprocessor(limit_body)


def attachment(data: bytes, content_type: str, file_name: str):
    """A download response: never shown inline, never cached, type as detected."""
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = portal_messages.content_disposition(file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- the requester ---------------------------------------------------------------------------------

def portal_required(view):
    """The case of this browser's portal session as ``g.portal_case``; else back to "Mijn verzoek"."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        case = portal.session_case()
        if case is None:
            if g.get("portal_expired"):
                flash(_("U was een tijd niet actief. Vraag een nieuwe link aan om verder te gaan."))
            return redirect(url_for("portal.request_link"))
        g.portal_case = case
        return view(*args, **kwargs)

    return wrapper


@bp.route("", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def request_link():
    """"Mijn verzoek": reference + address; a link goes out only if they belong together."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        portal.request_link(form.reference.data, form.email.data)
        return redirect(url_for("portal.link_sent"))
    if request.method == "GET" and portal.session_case() is not None:
        return redirect(url_for("portal.status"))
    return render_template("portal/request_link.html", form=form), 422 if form.errors else 200


@bp.route("/link-verstuurd")
def link_sent():
    """The same answer whether or not a link went out."""
    return render_template("portal/link_sent.html", minutes=current_app.config["PORTAL_LINK_MINUTES"])


@bp.route("/link/<token>")
@limiter.limit("20 per minute")
def enter(token: str):
    """Exchange a magic link for a portal session, then drop the token from the URL."""
    try:
        case = portal.exchange(token)  # opens the session too, in the same commit
    except TokenError as exc:
        return render_template("portal/link_invalid.html", expired=exc.expired), 400
    language.follow(case.language)
    return redirect(url_for("portal.status"))


def _status_page(case: Case, *, message_form=None, error: str | None = None, status: int = 200):
    label, meaning = portal_status.state_words(case)  # the API's status says the same (dsr/api/portal.py)
    asking = case.state == "awaiting_requester" and case.info_kind
    return render_template(
        "portal/status.html", case=case, state_label=label, state_meaning=meaning,
        progress=portal_progress.progress(case),
        pause=cases.clock_pause(case) if asking else None,
        answer_by=cases.information_answer_by(case) if asking else None,
        pause_text=portal_status.PAUSE_TEXT,
        needed=portal_status.INFORMATION_NEEDED, messages=portal_messages.thread(case),
        uploads=portal_messages.uploads(case), letters=portal_status.letters(case),
        documents=portal_files.files_of(case),
        message_form=message_form or MessageForm(formdata=None), error=error,
    ), status


@bp.route("/overzicht")
@portal_required
def status():
    """The status page: state in plain Dutch, deadline, letters, messages, uploads."""
    return _status_page(g.portal_case)


@bp.route("/bericht", methods=["POST"])
@limiter.limit("10 per minute")
@portal_required
def message():
    """The requester writes to the school."""
    form = MessageForm()
    if not form.validate_on_submit():
        return _status_page(g.portal_case, message_form=form, error=_("Uw bericht is niet verstuurd."), status=422)
    portal_messages.add_requester_message(g.portal_case, form.body.data)
    flash(_("Uw bericht is verstuurd. De school krijgt er bericht van."))
    return redirect(url_for("portal.status") + "#berichten")


@bp.route("/bestand", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@portal_required
def upload():
    """Upload what the school asked for (PDF/PNG/JPEG, checked by content and size)."""
    case = g.portal_case
    form = UploadForm()
    if not case.is_open:
        return render_template("portal/upload.html", case=case, form=form, closed=True,
                               max_size=portal_messages.megabytes(int(current_app.config["UPLOAD_MAX_BYTES"]))), \
            409 if request.method == "POST" else 200
    if form.validate_on_submit():
        file = form.file.data
        data = file.read() if file else b""
        try:
            portal_messages.add_upload(case, getattr(file, "filename", None), data, form.note.data or "")
        except portal_messages.UploadRefused as exc:
            form.file.errors = [exc.message]
        else:
            flash(_("Uw bestand is ontvangen. De school krijgt er bericht van."))
            return redirect(url_for("portal.status") + "#bestanden")
    status = 422 if request.method == "POST" else 200
    return render_template("portal/upload.html", case=case, form=form, closed=False,
                           max_size=portal_messages.megabytes(int(current_app.config["UPLOAD_MAX_BYTES"]))), status


@bp.route("/bestanden/<int:upload_id>")
@portal_required
def download(upload_id: int):
    """One of the requester's own uploads (404 for another case's)."""
    found, data = requester_pages.own_upload(g.portal_case, upload_id)  # NotFound: the 404 page
    return attachment(data, found.content_type, found.file_name)


@bp.route("/brieven/<int:letter_id>")
@portal_required
def letter(letter_id: int):
    """A letter sent to the requester (hook: works once the fulfilment letters exist)."""
    title, data = reads.open_portal_letter(g.portal_case, letter_id)
    return attachment(data, "application/pdf", f"{title}.pdf")


@bp.route("/intrekken", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
@portal_required
def withdraw():
    """Withdraw the request, after a confirmation step."""
    case = g.portal_case
    if not case.is_open:
        flash(_("Uw verzoek is al afgerond of ingetrokken."))
        return redirect(url_for("portal.status"))
    form = WithdrawForm()
    error = None
    if form.validate_on_submit():
        try:
            portal_status.withdraw(case, form.reason.data or "")
        except portal_status.PortalConflict as exc:
            error = exc.message
        except WorkflowError as exc:
            error = exc.message
        else:
            # The withdrawal ended every portal session of the case; the confirmation mail has a new link.
            flash(_("Uw verzoek is ingetrokken. U krijgt hierover een bevestiging per e-mail."))
            return redirect(url_for("portal.request_link"))
    status = 409 if error else 422 if form.errors else 200
    return render_template("portal/withdraw.html", case=portal.session_case() or case, form=form,
                           error=error), status


@bp.route("/afmelden", methods=["POST"])
def sign_out():
    """End the portal session, for every copy of its cookie."""
    portal.close_session()
    flash(_("U bent afgemeld."))
    return redirect(url_for("portal.request_link"))
