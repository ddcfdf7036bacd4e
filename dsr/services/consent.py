"""Student consent (R-CH-3, R-CH-4): specific, written, revocable, recorded with scope and date.

When a parent asks about a student of 18 or older (or of 16–17 beyond the learning results), staff
send the student a consent request at the student's own address. The student answers through a
magic link (salt "dsr-consent"); the link stays usable until it expires so that the student can
change the answer later with the same link, until the package for the parent is released (then only
a withdrawal remains, GDPR Art. 7(3)). Every move is a conditional UPDATE from the answer the student
saw. The answer sets ``case.student_consent``, which the
legal assessment reads; a consent for the learning results only narrows the assessment to them.
If consent is lost while the case is reviewed or waits for the director, the case goes back to
review (the workflow's ``reassess``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, ConsentRequest, User
from ..models._types import utcnow
from ..models.portal import (
    CANCELLED,
    CONSENT_SCOPES,
    DECLINED,
    GIVEN,
    PENDING,
    WITHDRAWN,
)
from ..models.sessions import CONSENT
from ..notifications import queue_mail
from ..workflows import policy
from ..workflows import states as S
from ..workflows.labels import Labels
from ..workflows.roles import STAFF
from . import audit, consent_preview, requester_sessions
from .clock import local_today
from .links import TokenError, external_url, make_token, read_token
from .people import users_for_school
from .steps import take_step
from .transaction import transactional

PURPOSE = "consent"
#: Audit actor kind for the student answering (neither the requester nor staff).
ACTOR_KIND = "student"
#: Labels for the pages, in the reader's language (looked up as text, translated at each lookup).
SCOPE_LABELS = Labels({"full": _l("alles waar om gevraagd is"), "learning_results": _l("alleen de leerresultaten")})
STATUS_LABELS = Labels({PENDING: _l("Wacht op antwoord"), GIVEN: _l("Toestemming gegeven"),
                          DECLINED: _l("Geen toestemming"), WITHDRAWN: _l("Toestemming ingetrokken"),
                          CANCELLED: _l("Vervangen door een nieuw verzoek")})
#: States in which a review may have relied on the consent: losing it sends the case back.
REVIEWED_STATES = (S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR)

T = TypeVar("T")


class ConsentError(ValueError):
    """Not possible now; ``message`` is shown to the person acting."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def student_age(case: Case, on: dt.date | None = None) -> int:
    """The student's age in years on ``on`` (default: today in the school's timezone)."""
    return policy.age_on(case.student_birth_date, on or local_today())


def scopes_for(case: Case, on: dt.date | None = None) -> tuple[str, ...]:
    """What the student can consent to: for 16–17 the parent already gets the learning results,
    so only "everything" adds something; from 18 both scopes mean something (R-CH-3/4)."""
    return CONSENT_SCOPES if student_age(case, on) >= 18 else ("full",)


def request_problem(case: Case, on: dt.date | None = None) -> str | None:
    """Why no consent request can be sent for this case now, or None."""
    if not case.is_open:
        return _("Het verzoek is afgesloten; een toestemmingsverzoek is niet meer mogelijk.")
    if case.requester_role not in ("parent", "guardian", "carer") or case.subject == "requester":
        return _("Alleen nodig als een ouder, voogd of verzorger het verzoek doet over de gegevens van de leerling.")
    if student_age(case, on) < 16:
        return _("De leerling is jonger dan 16: een ouder met gezag heeft geen toestemming van de leerling nodig.")
    return None


def requests_for(case: Case) -> list[ConsentRequest]:
    """Every consent request of ``case``, oldest first (for the case page)."""
    return list(db.session.execute(
        sa.select(ConsentRequest).where(ConsentRequest.case_id == case.id).order_by(ConsentRequest.id)).scalars())


def given_consent(case: Case) -> ConsentRequest | None:
    """The consent the student gave through dsr and did not withdraw (the newest), if any."""
    return db.session.execute(
        sa.select(ConsentRequest).where(ConsentRequest.case_id == case.id, ConsentRequest.status == GIVEN)
        .order_by(ConsentRequest.id.desc()).limit(1)).scalar()


def limit_assessment(case: Case, assessment: policy.Assessment, on: dt.date) -> policy.Assessment:
    """Narrow a full grant to the learning results when that is all the student consented to."""
    if (not case.student_consent or assessment.scope != "full"
            or case.requester_role not in ("parent", "guardian", "carer")):
        return assessment
    if case.id is None or policy.age_on(case.student_birth_date, on) < 16:
        return assessment
    consent = given_consent(case)
    if consent is None or consent.scope != "learning_results":
        return assessment
    grounds = tuple(dict.fromkeys(assessment.grounds + ("R-CH-4", "R-CH-7")))
    when = consent.answered_at.strftime("%d-%m-%Y") if consent.answered_at else ""
    return policy.Assessment(
        outcome="partial", scope="learning_results", grounds=grounds,
        sentences=(*assessment.sentences, _l(
            "De leerling heeft op %(date)s toestemming gegeven voor alleen de leerresultaten; de rest van het "
            "dossier valt buiten die toestemming.", date=when)),
    )


# ---- staff: send a request ------------------------------------------------------------------------

@transactional
def send_request(user: User, case: Case, student_email: str) -> ConsentRequest:
    """Send the student a consent request (a pending one is replaced; commits)."""
    problem = request_problem(case)
    if problem:
        raise ConsentError(problem)
    address = student_email.strip()
    if address.casefold() == case.requester_email.strip().casefold():
        raise ConsentError(_("Dit is het adres van de aanvrager. De toestemming moet van de leerling zelf komen: "
                             "gebruik het eigen adres van de leerling."))
    db.session.execute(sa.update(ConsentRequest)
                       .where(ConsentRequest.case_id == case.id, ConsentRequest.status == PENDING)
                       .values(status=CANCELLED))
    requester_sessions.end_all("cancelled", case_id=case.id, purpose=CONSENT)  # the old link's sessions too
    nonce = secrets.token_urlsafe(24)
    consent_request = ConsentRequest(case_id=case.id, student_email=address, nonce_hash=_hash(nonce),
                                     status=PENDING, requested_by_id=user.id, requested_at=utcnow())
    db.session.add(consent_request)
    db.session.flush()
    audit.record("consent.requested", case=case, actor=user, details={"consent_request_id": consent_request.id})
    days = int(current_app.config["CONSENT_LINK_MAX_AGE_DAYS"])
    url = external_url("consent.enter", token=make_token(PURPOSE, {"c": consent_request.id, "n": nonce}))
    # The student's own language is not known: the mail goes in the language of the request.
    queue_mail("consent_request", address, case=case, language=case.language, consent_url=url, days=days)
    return consent_request


# ---- the student: open, answer, withdraw ----------------------------------------------------------

def open_request(token: str) -> ConsentRequest:
    """The consent request a link belongs to, or :class:`TokenError` (tampered, expired, replaced)."""
    payload = read_token(PURPOSE, token, int(current_app.config["CONSENT_LINK_MAX_AGE_DAYS"]) * 86400)
    nonce, request_id = payload.get("n"), payload.get("c")
    if not isinstance(nonce, str) or not isinstance(request_id, int):
        raise TokenError(expired=False)
    consent_request = db.session.execute(
        sa.select(ConsentRequest).where(ConsentRequest.nonce_hash == _hash(nonce))).scalar()
    if consent_request is None or consent_request.id != request_id or consent_request.status == CANCELLED:
        raise TokenError(expired=False)
    case = db.session.get(Case, consent_request.case_id)
    if case is None or case.anonymised_at is not None:
        raise TokenError(expired=False)
    return consent_request


@transactional
def open_session(consent_request: ConsentRequest) -> None:
    """Open a consent session for one consent request in this browser (after its link was opened).

    The session is kept on the server (:mod:`dsr.services.requester_sessions`); the cookie holds only
    its random id. One commit.
    """
    requester_sessions.start(CONSENT, consent_request.case_id, consent_request.id)


@transactional
def close_session() -> None:
    """The student signs out: the session ends for every copy of the cookie; audited. One commit."""
    ended = requester_sessions.end_current(CONSENT, "sign_out")
    case = db.session.get(Case, ended.case_id) if ended is not None else None
    if ended is not None and case is not None:
        audit.record("consent.signed_out", case=case, actor_kind=ACTOR_KIND,
                     details={"consent_request_id": ended.consent_request_id})


@transactional
def session_request() -> ConsentRequest | None:
    """The consent request of this browser's live consent session, or None (one commit: the last use).

    Ended, idle and too old sessions give None (a timed-out one sets ``g.consent_expired``), and so
    does a request replaced by a newer one.
    """
    row = requester_sessions.current(CONSENT)
    if row is None or row.consent_request_id is None:
        return None
    consent_request = db.session.get(ConsentRequest, row.consent_request_id)
    if consent_request is None or consent_request.status == CANCELLED:
        return None
    return consent_request


@dataclass(frozen=True)
class SystemActor:
    """dsr itself sending a case back to review after consent was lost (audited as "system")."""

    school_ids: frozenset[int]
    id: None = None
    role: str = STAFF
    case_id: None = field(default=None)


def _move(request_id: int, from_status: str, values: dict[str, Any]) -> bool:
    """Move a consent request from one status to the next; False if someone else already did."""
    result = db.session.execute(
        sa.update(ConsentRequest).where(ConsentRequest.id == request_id, ConsentRequest.status == from_status)
        .values(**values))
    return cast(CursorResult[Any], result).rowcount == 1  # an UPDATE returns a cursor result


def _retrying(work: Callable[[], T]) -> T:
    """Run ``work`` in its own transaction; retry when staff changed the case at the same moment."""
    for attempt in range(3):
        try:
            return work()
        except StaleDataError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


#: Statuses from which the student may still answer or change the answer (until the package is released).
ANSWERABLE = (PENDING, GIVEN, DECLINED, WITHDRAWN)


def change_problem(case: Case, consent_request: ConsentRequest) -> str | None:
    """Why the student cannot answer or change the answer now, or None (addressed with "je")."""
    if consent_request.status not in ANSWERABLE:
        return _("Dit verzoek is vervangen door een nieuw verzoek. Gebruik de link uit de nieuwste e-mail.")
    released = consent_preview.release_lock(case)
    if released is not None:
        return _("De school heeft de gegevens voor je ouder op %(date)s klaargezet. Daarom kun je je antwoord "
                 "niet meer veranderen: wat je ouder krijgt, staat vast.", date=released.strftime("%d-%m-%Y"))
    if not case.is_open:
        return _("Het verzoek van je ouder is afgerond. Je antwoord is niet meer nodig en kan niet meer veranderen.")
    return None


def _next_values(consent_request: ConsentRequest, choice: str, now: dt.datetime) -> dict[str, Any] | None:
    """The columns for moving to ``choice``; None when ``choice`` is the answer already recorded."""
    if choice == "declined":
        if consent_request.status == PENDING:
            return {"status": DECLINED, "scope": None, "answered_at": now}
        if consent_request.status == GIVEN:  # a "no" after a "yes" is a withdrawal (Art. 7(3))
            return {"status": WITHDRAWN, "withdrawn_at": now}
        return None  # already no (declined or withdrawn)
    if consent_request.status == GIVEN and consent_request.scope == choice:
        return None
    return {"status": GIVEN, "scope": choice, "answered_at": now, "withdrawn_at": None}


@transactional
def answer(request_id: int, choice: str) -> ConsentRequest:
    """Record the student's answer, or a change of it: consent with a scope, or "declined" (commits).

    The answer can change until the package for the parent is released (R-CH-4: specific and revocable;
    docs/legal.md). Each move is a conditional UPDATE from the status and scope the student saw, so two
    tabs cannot both change it. A change of an earlier answer while the case is reviewed sends it back to
    review: the review rested on the old answer.
    """

    def answer_once() -> ConsentRequest:
        consent_request = db.session.get_one(ConsentRequest, request_id)
        case = db.session.get_one(Case, consent_request.case_id)
        problem = change_problem(case, consent_request)
        if problem:
            raise ConsentError(problem)
        if choice != "declined" and choice not in scopes_for(case):
            raise ConsentError(_("Kies een van de antwoorden."))
        before_status, before_scope = consent_request.status, consent_request.scope
        values = _next_values(consent_request, choice, utcnow())
        if values is None:
            return consent_request  # the same answer again: nothing changes
        same = sa.and_(ConsentRequest.id == consent_request.id, ConsentRequest.status == before_status,
                       ConsentRequest.scope.is_(None) if before_scope is None
                       else ConsentRequest.scope == before_scope)
        result = db.session.execute(sa.update(ConsentRequest).where(same).values(**values))
        if cast(CursorResult[Any], result).rowcount != 1:
            raise ConsentError(_("Je antwoord is net al veranderd, bijvoorbeeld in een ander venster. "
                                 "Bekijk hieronder wat nu is vastgelegd."))  # the decorator rolls back
        db.session.refresh(consent_request)
        had_consent = case.student_consent
        case.student_consent = consent_request.status == GIVEN
        details = {"consent_request_id": consent_request.id, "scope": consent_request.scope}
        if before_status != PENDING:
            details["previous"] = before_scope if before_status == GIVEN else before_status
        if consent_request.status == GIVEN:
            with force_locale("nl"):  # the audit trail is written in Dutch, whatever the student reads
                scope = SCOPE_LABELS[choice]
            audit.record("consent.given", case=case, actor_kind=ACTOR_KIND,
                         reason=f"Toestemming van de leerling: {scope}.", details=details)
        elif consent_request.status == WITHDRAWN:
            audit.record("consent.withdrawn", case=case, actor_kind=ACTOR_KIND,
                         reason="De leerling heeft de toestemming ingetrokken.", details=details)
        else:
            audit.record("consent.declined", case=case, actor_kind=ACTOR_KIND,
                         reason="De leerling geeft geen toestemming.", details=details)
        if before_status != PENDING:
            _consent_lost(case, "Het antwoord van de leerling is veranderd")
        elif had_consent and consent_request.status != GIVEN:
            _consent_lost(case, "De leerling geeft geen toestemming (meer)")
        _tell_staff(case, consent_request.status)
        # Committed here on purpose, inside the retry: a StaleDataError (staff moved the case at the
        # same moment) surfaces at this flush/commit, and _retrying must see it to run the answer again.
        db.session.commit()
        return consent_request

    return _retrying(answer_once)


@transactional
def withdraw(request_id: int) -> ConsentRequest:
    """The student withdraws a consent given earlier (commits)."""

    def withdraw_once() -> ConsentRequest:
        consent_request = db.session.get_one(ConsentRequest, request_id)
        case = db.session.get_one(Case, consent_request.case_id)
        if not _move(consent_request.id, GIVEN, {"status": WITHDRAWN, "withdrawn_at": utcnow()}):
            raise ConsentError(_("Er is geen gegeven toestemming om in te trekken."))  # the decorator rolls back
        db.session.refresh(consent_request)
        case.student_consent = False
        audit.record("consent.withdrawn", case=case, actor_kind=ACTOR_KIND,
                     reason="De leerling heeft de toestemming ingetrokken.",
                     details={"consent_request_id": consent_request.id, "scope": consent_request.scope})
        _consent_lost(case, "De leerling heeft de toestemming ingetrokken")
        _tell_staff(case, WITHDRAWN)
        # Withdrawn is final for this request: its sessions end, every copy of the cookie with them.
        requester_sessions.end_all("withdrawn", case_id=case.id, purpose=CONSENT,
                                   consent_request_id=consent_request.id)
        # Committed inside the retry on purpose (see answer): a StaleDataError must reach _retrying.
        db.session.commit()
        return consent_request

    return _retrying(withdraw_once)


def _consent_lost(case: Case, why: str) -> None:
    """R-CH-4: a review that may rest on the consent is done again (no commit)."""
    if case.state not in REVIEWED_STATES:
        return
    actor = SystemActor(school_ids=frozenset({case.school_id}))
    reason = f"{why}. Het verzoek moet opnieuw worden beoordeeld, zonder die toestemming (R-CH-4)."
    # conflict=None: a stale version goes up to _retrying, which runs the whole answer again.
    take_step(case, "reassess", actor, {"reason": reason, "today": local_today()}, actor_kind="system",
              details={"cause": "consent"}, conflict=None)


def _tell_staff(case: Case, event: str) -> None:
    """Mail the school's staff that the student answered (``event`` is the new status)."""
    case_url = external_url("staff.case", case_id=case.id)
    for user in users_for_school(case.school_id, (STAFF,)):
        queue_mail("staff_consent", user.email, case=case, user=user, case_url=case_url, event=event)
