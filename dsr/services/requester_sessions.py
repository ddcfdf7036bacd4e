"""Server-side sessions for the requester's portal and the student's consent page.

The requester and the student have no account; a magic link opens a session. The session cookie is
signed but not secret to whoever holds a copy of it, so it carries only a random session id; the
database keeps the id's SHA-256 with what it opens and its times (:class:`~dsr.models.RequesterSession`).
Every portal and consent page looks the row up (:func:`current`), so:

- signing out, withdrawing the request (portal) or the consent (consent page), a replaced consent
  request and the anonymisation of the case end the session for every copy of the cookie;
- the idle and absolute timeouts are measured on the server's clock and the row's times, not on
  timestamps in the cookie.

Why the database and not Redis with a TTL: the session must end for certain when the requester signs
out or withdraws; a database row is written in the same transaction as the withdrawal itself and is
gone with the case (cascade, anonymisation), while a Redis key could outlive a rollback or vanish with
a Redis restart. The cost is one indexed lookup and one UPDATE per portal page, which the portal's
traffic (a handful of requesters at a time) easily carries.

Nothing here commits: the portal and consent services that call it own the transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, g, session

from ..extensions import db
from ..models import Case, RequesterSession
from ..models._types import utcnow
from ..models.sessions import CONSENT, PORTAL
from . import retention

#: The cookie key per purpose; its value is the random session id (never a case or request id).
COOKIE_KEYS = {PORTAL: "portal_session", CONSENT: "consent_session"}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _timeouts(purpose: str) -> tuple[dt.timedelta, dt.timedelta]:
    """(idle, absolute) for a purpose. The consent page has its own idle time and shares the portal's
    absolute lifetime: both are pages a person without an account reaches through a mailed link."""
    config = current_app.config
    idle = config["CONSENT_SESSION_IDLE_SECONDS"] if purpose == CONSENT else config["PORTAL_SESSION_IDLE_SECONDS"]
    return dt.timedelta(seconds=int(idle)), dt.timedelta(seconds=int(config["PORTAL_SESSION_ABSOLUTE_SECONDS"]))


def start(purpose: str, case_id: int, consent_request_id: int | None = None) -> None:
    """Open a session of ``purpose`` in this browser (no commit).

    An earlier session of the same purpose in this browser is ended first ("replaced"): one browser,
    one session per purpose, and a fresh id at every sign-in (no fixation).
    """
    end_current(purpose, "replaced")
    session[COOKIE_KEYS[purpose]] = _open(purpose, case_id, consent_request_id)[0]


def open_detached(purpose: str, case_id: int) -> tuple[str, RequesterSession]:
    """Open a session whose id the caller keeps itself, not in this browser's cookie: the API's
    ``X-Portal-Session`` header (dsr/api/portal.py). Returns the id (shown once) and the row; no commit."""
    return _open(purpose, case_id, None)


def _open(purpose: str, case_id: int, consent_request_id: int | None) -> tuple[str, RequesterSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = RequesterSession(token_hash=_hash(token), purpose=purpose, case_id=case_id,
                           consent_request_id=consent_request_id, created_at=now, last_seen_at=now)
    db.session.add(row)
    return token, row


def expires_at(row: RequesterSession) -> dt.datetime:
    """When the session ends at the latest (the absolute timeout; the idle timeout may end it sooner)."""
    return row.created_at + _timeouts(row.purpose)[1]


def idle_seconds(purpose: str) -> int:
    """After how many seconds without use a session of ``purpose`` ends."""
    return int(_timeouts(purpose)[0].total_seconds())


def current(purpose: str) -> RequesterSession | None:
    """This browser's live session of ``purpose``, its last use moved to now (no commit); else None.

    A session that was ended, timed out or never existed is forgotten by the browser too; a timed-out
    one sets ``g.<purpose>_expired`` so that the page can say why.
    """
    token = session.get(COOKIE_KEYS[purpose])
    if not isinstance(token, str) or not token:
        return None
    row, timed_out = live(purpose, token)
    if row is None:
        session.pop(COOKIE_KEYS[purpose], None)
        if timed_out:
            setattr(g, f"{purpose}_expired", True)
    return row


def live(purpose: str, token: str) -> tuple[RequesterSession | None, bool]:
    """The live session of ``purpose`` with id ``token``, its last use moved to now (no commit), and
    whether it timed out: ``(row, False)``, or ``(None, True)`` when idle or too old, or ``(None, False)``
    when ended or unknown."""
    row = db.session.execute(sa.select(RequesterSession).where(
        RequesterSession.token_hash == _hash(token), RequesterSession.purpose == purpose)).scalar()
    if row is None or row.ended_at is not None:
        return None, False
    now = utcnow()
    idle, absolute = _timeouts(purpose)
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        return None, True
    row.last_seen_at = now
    return row, False


def end_current(purpose: str, reason: str) -> RequesterSession | None:
    """End this browser's session of ``purpose`` for every copy of the cookie (no commit).

    Returns the ended row (None if there was no live one), so that the caller can audit it.
    """
    token = session.pop(COOKIE_KEYS[purpose], None)
    if not isinstance(token, str) or not token:
        return None
    return end(purpose, token, reason)


def end(purpose: str, token: str, reason: str) -> RequesterSession | None:
    """End the session of ``purpose`` with id ``token`` if it has not ended (no commit); the ended row or None."""
    row = db.session.execute(sa.select(RequesterSession).where(
        RequesterSession.token_hash == _hash(token), RequesterSession.purpose == purpose,
        RequesterSession.ended_at.is_(None))).scalar()
    if row is not None:
        row.ended_at, row.end_reason = utcnow(), reason
    return row


def end_all(reason: str, *, case_id: int, purpose: str = PORTAL, consent_request_id: int | None = None) -> None:
    """End every live session of a case (of ``purpose``), or of one consent request (no commit)."""
    query = sa.update(RequesterSession).where(RequesterSession.case_id == case_id,
                                              RequesterSession.purpose == purpose,
                                              RequesterSession.ended_at.is_(None))
    if consent_request_id is not None:
        query = query.where(RequesterSession.consent_request_id == consent_request_id)
    # This browser's cookie may still name an ended session: the next lookup finds it ended and drops it.
    db.session.execute(query.values(ended_at=utcnow(), end_reason=reason))


@retention.on_anonymise
def _forget_sessions(case: Case) -> None:
    """R-AC-4: an anonymised case has no sessions left (its rows are deleted, which ends them)."""
    db.session.execute(sa.delete(RequesterSession).where(RequesterSession.case_id == case.id))
