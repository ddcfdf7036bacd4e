"""The facts and template context a letter is built from, per kind (R-LT-1..4, R-RI-1, R-CH-3/4).

:mod:`.letters` renders, validates, stores and sends letters; this module only gathers what goes into
them: the base context every letter shares (organisation, contact, the school's appeal route), what
each kind adds (dates, the clock pause, the decision's outcome and approver, the package's documents,
categories and recipients), and the small questions the letter preview asks about a case (which route,
is it confirmed, which letter the approver previews). It is separate so that letters.py stays about the
lifecycle of a letter, and the views can ask these questions without the sending machinery.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from ..models import Case, User
from ..workflows import deadlines, policy
from ..workflows import letters as L
from ..workflows import states as S
from ..workflows.retention import describe_retention
from ..workflows.roles import PRIVACY_OFFICER
from ..workflows.vocabulary import APPEAL_ROUTES, CONSENT_GROUNDS, REFUSE
from . import corrections
from .case_clock import clock_pause
from .case_records import package_of
from .links import external_url


def approval_preview_kind(case: Case) -> str | None:
    """The decision letter a refusal awaiting approval will get: the approver previews it first (point 9)."""
    if case.state != S.AWAITING_DIRECTOR:
        return None
    return L.REFUSAL if case.decision == REFUSE else L.PARTIAL_REFUSAL


def approver_kind(case: Case, approver: User | None) -> str:
    """Who approved the refusal, as the letter names it: the school's director, the privacy officer, or a
    director of another school appointed by the privacy officer (four-eyes, workflows.approval)."""
    if approver is None:
        return "director"
    if approver.role == PRIVACY_OFFICER:
        return "privacy_officer"
    if case.appointed_approver_id is not None and approver.id == case.appointed_approver_id:
        return "other_school"
    return "director"


def appeal_route(case: Case) -> str:
    """The one legal remedy the case's school offers (R-LT-1); "bezwaar" until the privacy officer sets it."""
    route = getattr(case.school, "appeal_route", None)
    return route if route in APPEAL_ROUTES else "bezwaar"


def route_unconfirmed(case: Case) -> bool:
    """Whether staff must be warned that the school's appeal route is a default nobody confirmed yet."""
    return case.school is not None and case.school.appeal_route_confirmed_at is None


def consent_route(case: Case) -> bool:
    """R-CH-3/R-CH-4: refused because of the student's age, so the letter says how the student can consent."""
    return case.requester_role in ("parent", "guardian") and any(
        ground in CONSENT_GROUNDS for ground in case.grounds_list)


def base_context(case: Case, kind: str, today: dt.date) -> tuple[dict, dict]:
    """The facts every letter is validated on and the template context every letter is rendered with
    (organisation, contact, appeal route, dates); called inside ``force_locale`` of the letter's language."""
    config = current_app.config
    school = case.school
    phone, visiting = (school.phone or "").strip(), (school.visiting_address or "").strip()
    route = appeal_route(case)
    facts: dict = {"kind": kind, "reference": case.reference or "", "letter_date": today,
             "contact": config["PRIVACY_OFFICER_EMAIL"], "right": case.right, "appeal_route": route,
             "consent_route": consent_route(case), "phone": phone, "visiting_address": visiting}
    context = {
        "case": case, "title": "", "letter_date": today, "facts": facts, "org": config["ORGANISATION_NAME"],
        "org_address": config["ORGANISATION_POSTAL_ADDRESS"], "contact": config["PRIVACY_OFFICER_EMAIL"],
        "appeal_route": route, "phone": phone, "visiting_address": visiting,
        "student_age": policy.age_on(case.student_birth_date, today) if case.student_birth_date else None,
        "AP_NAME": L.AP_NAME, "AP_ADDRESS": L.AP_ADDRESS,
        "AP_WEBSITE": L.AP_WEBSITE, "intake_url": external_url("public.intake"),
        "describe_retention": describe_retention,
    }
    return facts, context


def add_kind_context(case: Case, kind: str, today: dt.date, facts: dict, context: dict,
                     language: str = "nl") -> None:
    """Add what letter ``kind`` needs to ``facts`` and ``context`` (in place): dates of a receipt, the
    clock pause of an information request, the outcome and approver of a decision, the documents,
    categories and recipients of an access package."""
    if kind == L.RECEIPT:
        facts.update(received_on=case.received_on, due_on=case.due_on)
    elif kind == L.INFORMATION_REQUEST:
        pause = clock_pause(case, today)  # R-DL-6: identity / authority / large amount of data, or not paused
        # R-ID-6: counted from the request, or from the letter's date when the letter goes later (never
        # a date that has already passed or leaves the requester less time).
        asked_on = max(case.info_requested_on or today, today)
        answer_by = deadlines.information_answer_by(asked_on, int(current_app.config["INFORMATION_ANSWER_DAYS"]))
        facts.update(info_kind=case.info_kind or "", info_reason=case.info_reason or "", clock_suspended=pause.paused,
                     answer_by=answer_by)
        context.update(clock_suspended=pause.paused, pause=pause, answer_by=answer_by,
                       pause_max_days=current_app.config["SUSPENSION_MAX_WORKING_DAYS"])
    elif kind == L.EXTENSION:
        facts.update(new_deadline=case.due_on, extension_reasons=case.extension_reason or "", extension_sent_on=today,
                     extension_notice_deadline=deadlines.extension_notice_deadline(case.received_on))
    elif kind in (L.REFUSAL, L.PARTIAL_REFUSAL, L.COMPLETION):
        outcome = corrections.outcome_for_letter(case, language)
        director = db.session.get(User, case.director_id) if case.director_id else None
        approved = kind != L.COMPLETION and director is not None and case.state in (S.REFUSED, S.PARTIALLY_FULFILLED)
        approved_on = case.director_decided_at.date() if case.director_decided_at else None
        if context.get("approval_preview") and kind == approval_preview_kind(case):
            # The approver sees the letter as it will be once they approve (issue 11 point 9).
            director, approved, approved_on = context.get("preview_approver"), True, today
        facts.update(refused_items=outcome.refused if kind != L.COMPLETION else (), director_approved=approved,
                     actions=outcome.actions, recipients_notified=outcome.notified,
                     recipient_exceptions=outcome.exceptions, kept_items=outcome.kept)
        context.update(outcome=outcome, director=director, approved_on=approved_on,
                       approver_kind=approver_kind(case, director))
    elif kind in (L.ACCESS_COVER, L.INFO_377C):
        package = context.get("package") or package_of(case.id)
        documents = list(package.documents) if package else []
        categories, seen = [], set()
        for document in documents:
            if document.category.id not in seen:
                seen.add(document.category.id)
                categories.append(document.category)
        recipients = sorted({r.name for c in categories for r in c.active_recipients})
        unnamed = sorted({r.name for c in categories for r in c.active_recipients if r.named is False})
        facts.update(documents=tuple(d.title for d in documents), recipients=tuple(recipients),
                     unnamed_recipients=tuple(unnamed), scope=case.assessment_scope or "",
                     student_age=context["student_age"], care_info=(case.care_info or "").strip(),
                     child_interest_checked=case.child_interest_checked_at is not None,
                     categories=tuple(L.CategoryInfo(c.name, c.purpose,
                                                     describe_retention(c.retention_kind, c.retention_months,
                                                                        language), c.source)
                                      for c in categories))
        context.update(documents=documents, categories=categories, package=package,
                       link_days=int(current_app.config["PACKAGE_LINK_DAYS"]))
