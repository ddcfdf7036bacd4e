"""The requester's case status through the API (issue 18 point 4): the portal's session and status page.

A "Mijn verzoek" link is exchanged as the portal does (:func:`dsr.services.portal.exchange_detached`: single
use, the same checks and audit event); the session is the portal's own kind of session (a
:class:`~dsr.models.RequesterSession` with purpose "portal", the same idle and absolute timeouts), whose id
the caller carries in a header instead of a cookie. The status holds the facts the portal's status page
shows (dsr/views/portal.py ``_status_page``), from the same functions; never a staff note or anything else
the page would not show. Every call with a session is audited as the requester.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case
from ..models.sessions import PORTAL
from ..templating import long_date
from ..workflows.vocabulary import INFORMATION_KINDS, RIGHT_LABELS
from . import audit, portal, portal_progress, portal_status, requester_sessions
from .case_clock import clock_pause, information_answer_by
from .transaction import transactional


@dataclass(frozen=True)
class OpenedSession:
    """A new portal session for the API: its id (shown once), when it ends at the latest, its idle time."""

    session: str
    expires_at: dt.datetime
    idle_seconds: int


class SessionGone(Exception):
    """No live portal session has this id: ended (signed out, withdrawn), unknown, or timed out."""

    def __init__(self, timed_out: bool) -> None:
        super().__init__("timed out" if timed_out else "no session")
        self.timed_out = timed_out


def open_session(token: str) -> OpenedSession:
    """Exchange a "Mijn verzoek" link for a portal session (commits; :class:`TokenError` for a bad link)."""
    _case, session_id, row = portal.exchange_detached(token)
    return OpenedSession(session_id, requester_sessions.expires_at(row), requester_sessions.idle_seconds(PORTAL))


def _live_case(session_id: str) -> Case:
    row, timed_out = requester_sessions.live(PORTAL, session_id)
    case = db.session.get(Case, row.case_id) if row is not None else None
    if case is None or case.anonymised_at is not None:
        raise SessionGone(timed_out)
    return case


@transactional
def status(session_id: str, lang: str) -> dict[str, Any]:
    """The status page's facts for the case of a live session, in ``lang``; audited; one commit.

    Raises :class:`SessionGone` (nothing stored) when the session is not live.
    """
    case = _live_case(session_id)
    audit.record("portal.status_read", case=case, actor_kind="requester", details={"via": "api"})
    with force_locale(lang):
        return status_facts(case, lang)


@transactional
def sign_out(session_id: str) -> None:
    """End a live session (the portal's sign-out, for every holder of the id); audited; one commit.

    Raises :class:`SessionGone` when the session is not live.
    """
    case = _live_case(session_id)
    requester_sessions.end(PORTAL, session_id, "sign_out")
    audit.record("portal.signed_out", case=case, actor_kind="requester", details={"via": "api"})


def status_facts(case: Case, lang: str) -> dict[str, Any]:
    """What the status page shows of ``case``, as data: the state in plain words, the timeline, the deadline
    (while the case is in the queue, as on the page), the question to the requester and the letters sent.
    Texts in the current language (``lang`` for the dates in sentences)."""
    label, meaning = portal_status.state_words(case)
    progress = portal_progress.progress(case, lang)
    in_queue = bool(case.in_queue)
    return {
        "reference": case.reference,
        "language": lang,
        "state": {"label": str(label), "meaning": str(meaning), "open": in_queue},
        "right": {"key": case.right, "label": RIGHT_LABELS[case.right]},
        "school": case.school.name,
        "received_on": case.received_on.isoformat(),
        "deadline": {
            "due_on": case.due_on.isoformat(),
            "sentence": progress.sentence,
            "explanation": progress.explanation,
        } if in_queue else None,
        "deadline_history": [{"text": line.text, "reason": line.reason} for line in progress.history],
        "steps": [{"key": step.key, "label": step.label, "status": step.status, "status_label": step.status_label,
                   "waiting_for_requester": bool(step.waiting_for_requester)} for step in progress.steps],
        "information_requested": _question(case),
        "letters": [{"title": letter.title, "sent_at": letter.sent_at.isoformat() if letter.sent_at else None}
                    for letter in portal_status.letters(case)],
    }


def _question(case: Case) -> dict[str, Any] | None:
    """What the school asked the requester, as the page's "Wat wij van u nodig hebben" says it; None if nothing."""
    if not (case.state == "awaiting_requester" and case.info_kind):
        return None
    pause = clock_pause(case)
    answer_by = information_answer_by(case)
    needed = portal_status.INFORMATION_NEEDED.get(case.info_kind)
    what = str(needed) if needed is not None else INFORMATION_KINDS.get(case.info_kind, "")
    if pause.paused:
        clock = str(portal_status.PAUSE_TEXT.get(pause.reason, ""))
    else:  # the page's sentence (templates/portal/status.html), the same msgid
        clock = _("Deze vraag houdt de termijn niet tegen: wij antwoorden uiterlijk op %(date)s.",
                  date=long_date(case.due_on))
    return {
        "kind": case.info_kind,
        "what": what,
        "reason": case.info_reason or None,
        "answer_by": answer_by.isoformat() if answer_by else None,
        "clock_paused": bool(pause.paused),
        "clock": clock,
    }
