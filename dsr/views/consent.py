"""The student's consent page (/toestemming): the student answers a consent request by magic link.

Staff send the request from the case page (:mod:`dsr.views.portal_staff`); the link opens a session
bound to that one request (``services.consent``). Like the requester portal these pages send
``Referrer-Policy: no-referrer`` and accept only small bodies (:func:`dsr.views.portal.limit_body`),
and open in the language of the case unless the visitor chose one.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..forms.portal import ConsentAnswerForm, ConsentWithdrawForm
from ..security import limiter
from ..services import consent, consent_preview, requester_pages
from ..services.links import TokenError
from ..workflows import policy
from . import language
from .portal import limit_body

bp = Blueprint("consent", __name__, url_prefix="/toestemming")
bp.url_value_preprocessor(limit_body)


@bp.route("/<token>", endpoint="enter")
@limiter.limit("20 per minute")
def consent_enter(token: str):
    """Open the consent request of a link in a session, then drop the token from the URL."""
    try:
        found = consent.open_request(token)
    except TokenError as exc:
        return render_template("portal/link_invalid.html", expired=exc.expired, consent=True), 400
    consent.open_session(found)
    language.follow(requester_pages.case_of(found).language)
    return redirect(url_for("consent.page"))


def _current_answer(found) -> str | None:
    """The answer recorded now, as a choice of the form (preselected when the student changes it)."""
    if found.status == "given":
        return found.scope
    return "declined" if found.status in ("declined", "withdrawn") else None


def _consent_page(found, form=None, withdraw_form=None, error: str | None = None, status: int = 200):
    case = requester_pages.case_of(found)
    scopes = consent.scopes_for(case)
    if form is None:
        form = ConsentAnswerForm(formdata=None, answer=_current_answer(found)).restrict(scopes)
    choices = tuple(choice.value for choice in form.answer.choices)
    return render_template(
        "portal/consent.html", consent_request=found, case=case, error=error, form=form,
        change_problem=consent.change_problem(case, found),
        previews={p.choice: p for p in consent_preview.previews(case, choices)},
        withdraw_form=withdraw_form or ConsentWithdrawForm(formdata=None),
        scope_labels=consent.SCOPE_LABELS, status_labels=consent.STATUS_LABELS,
        learning_results=policy.LEARNING_RESULTS, age=consent.student_age(case),
    ), status


def _consent_session():
    found = consent.session_request()
    if found is None:
        return None, (render_template("portal/link_invalid.html", expired=bool(g.get("consent_expired")),
                                      consent=True, no_session=True), 400)
    return found, None


@bp.route("", methods=["GET", "POST"], endpoint="page")
@limiter.limit("10 per minute", methods=["POST"])
def consent_page():
    """The request, its scopes and the student's answer (GET shows, POST answers)."""
    found, refusal = _consent_session()
    if refusal:
        return refusal
    if request.method == "GET":
        return _consent_page(found)
    case = requester_pages.case_of(found)
    form = ConsentAnswerForm().restrict(consent.scopes_for(case))
    if not form.validate_on_submit():
        return _consent_page(found, form=form, status=422)
    try:
        consent.answer(found.id, form.answer.data)
    except consent.ConsentError as exc:
        return _consent_page(requester_pages.consent_request_now(found), error=exc.message, status=409)
    flash(_("Dank je. Je antwoord is vastgelegd."))
    return redirect(url_for("consent.page"))


@bp.route("/intrekken", methods=["POST"], endpoint="withdraw")
@limiter.limit("10 per minute")
def consent_withdraw():
    """The student withdraws a consent given earlier."""
    found, refusal = _consent_session()
    if refusal:
        return refusal
    form = ConsentWithdrawForm()
    if not form.validate_on_submit():
        return _consent_page(found, withdraw_form=form, status=422)
    try:
        consent.withdraw(found.id)
    except consent.ConsentError as exc:
        return _consent_page(requester_pages.consent_request_now(found), error=exc.message, status=409)
    # The withdrawal ended the consent session (every copy of its cookie): the page says so.
    flash(_("Je toestemming is ingetrokken. De school gebruikt haar niet meer."))
    return redirect(url_for("consent.closed"))


@bp.route("/afmelden", methods=["POST"], endpoint="sign_out")
def consent_sign_out():
    """End the consent session, for every copy of its cookie."""
    consent.close_session()
    return redirect(url_for("consent.closed"))


@bp.route("/afgemeld", endpoint="closed")
def consent_closed():
    """After signing out or withdrawing: the session has ended; the mailed link opens a new one."""
    return render_template("portal/consent_closed.html")
