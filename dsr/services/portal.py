"""The requester portal: magic links and the portal session.

The requester has no account. A magic link (itsdangerous, salt "dsr-portal") carries a random nonce;
only its SHA-256 is stored (:class:`~dsr.models.PortalLink`), with an expiry, and it is consumed once
when the link is exchanged for a session bound to that one case. The session is kept on the server
(:mod:`dsr.services.requester_sessions`); the cookie carries only its random id, so signing out and
withdrawing end it for every copy of the cookie.
Mails never carry case content: they say there is news and give a fresh link (docs/security.md).

The rest of the portal: messages and uploads in :mod:`dsr.services.portal_messages`, what the
requester sees of the case and the withdrawal in :mod:`dsr.services.portal_status`. The settings
(``PORTAL_*``) are in :func:`dsr.config.defaults`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, PortalLink, RequesterSession
from ..models._types import utcnow
from ..models.sessions import PORTAL
from ..notifications import queue_mail
from . import audit, requester_sessions
from .address_confirmation import mark_confirmed
from .links import TokenError, external_url, make_token, read_token
from .transaction import transactional

log = logging.getLogger(__name__)

PURPOSE = "portal"
T = TypeVar("T")

#: Requester mails (sent by ``services.cases``) whose text links into the portal.
LINK_MAIL_KINDS = frozenset({"information_requested", "reassessed", "withdrawn", "closed_unverified", "extension",
                             "deadline_moved"})


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# ---- magic links -----------------------------------------------------------------------------------

def _new_link(case: Case, purpose: str, lifetime: dt.timedelta) -> str:
    nonce = secrets.token_urlsafe(24)
    db.session.add(PortalLink(case_id=case.id, nonce_hash=_hash(nonce), purpose=purpose,
                              expires_at=utcnow() + lifetime))
    return external_url("portal.enter", token=make_token(PURPOSE, {"n": nonce}))


def _notice_days() -> int:
    config = current_app.config
    return int(config["PORTAL_NOTICE_LINK_DAYS"] or config["CONFIRM_LINK_MAX_AGE_DAYS"])


def notice_link(case: Case) -> str:
    """A fresh single-use link for a mail that tells the requester there is news (no commit)."""
    return _new_link(case, "notice", dt.timedelta(days=_notice_days()))


def start_url() -> str:
    """The page where a requester asks for a new link (no secret in it)."""
    return external_url("portal.request_link")


def _max_token_age() -> int:
    return max(_notice_days() * 86400, int(current_app.config["PORTAL_LINK_MINUTES"]) * 60)


def exchange(token: str, *, _retry: bool = True) -> Case:
    """Consume a portal link and open a portal session for its case in this browser; return the case,
    or raise :class:`TokenError` (commits).

    The signature and the stored expiry are both checked; the nonce is marked used in one
    conditional UPDATE, so of two racing requests with the same link only one gets a session. The
    session's record is stored in the same commit as the used link.

    Not ``@transactional`` on purpose: it commits (or rolls back) itself, because a staff change at the
    same moment shows up as :class:`StaleDataError` at the commit, and then the whole exchange is tried
    once more from a clean session.
    """
    return _exchange(token, lambda case: requester_sessions.start(PORTAL, case.id), _retry=_retry)[0]


def exchange_detached(token: str) -> tuple[Case, str, RequesterSession]:
    """:func:`exchange` for the API: the same single-use link, checks, confirmation and audit event, but the
    session's id is returned (shown once, carried in the ``X-Portal-Session`` header) instead of set in a
    cookie. Returns the case, the session id and its row; raises :class:`TokenError` (commits)."""
    case, (session_id, row) = _exchange(token, lambda case: requester_sessions.open_detached(PORTAL, case.id),
                                        via="api")
    return case, session_id, row


def _exchange(token: str, open_session: Callable[[Case], T], *, via: str | None = None,
              _retry: bool = True) -> tuple[Case, T]:
    """The exchange itself; ``open_session`` opens the session in the same commit as the used link."""
    payload = read_token(PURPOSE, token, _max_token_age())
    nonce = payload.get("n")
    if not isinstance(nonce, str) or not nonce:
        raise TokenError(expired=False)
    link = db.session.execute(sa.select(PortalLink).where(PortalLink.nonce_hash == _hash(nonce))).scalar()
    if link is None or link.used_at is not None:
        raise TokenError(expired=False)
    now = utcnow()
    if link.expires_at <= now:
        raise TokenError(expired=True)
    # An UPDATE returns a cursor result (the row count); Session.execute is typed for any statement.
    consumed = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(PortalLink).where(PortalLink.id == link.id, PortalLink.used_at.is_(None)).values(used_at=now)
    )).rowcount
    case = db.session.get(Case, link.case_id)
    if consumed != 1 or case is None or case.anonymised_at is not None:
        db.session.rollback()
        raise TokenError(expired=False)
    # The link reached the requester's address: that confirms it, as the receipt link would.
    mark_confirmed(case, via="portal_link")
    audit.record("portal.opened", case=case, actor_kind="requester",
                 details={"link": link.purpose, **({"via": via} if via else {})})
    opened = open_session(case)
    try:
        db.session.commit()
    except StaleDataError:
        # Staff changed the case at this very moment: nothing was stored, so try once more.
        db.session.rollback()
        if not _retry:
            raise
        return _exchange(token, open_session, via=via, _retry=False)
    return case, opened


@transactional
def request_link(reference: str, email: str) -> None:
    """The "Mijn verzoek" page: mail a fresh link if reference and address belong together (one commit).

    The caller shows the same answer either way, so the page does not reveal which references
    exist or which address belongs to them.
    """
    reference = (reference or "").strip().upper()
    case = db.session.execute(sa.select(Case).where(Case.reference == reference)).scalar() if reference else None
    if case is None or case.anonymised_at is not None or not _same_address(case.requester_email, email):
        return
    since = utcnow() - dt.timedelta(hours=1)
    recent = db.session.execute(
        sa.select(sa.func.count(PortalLink.id)).where(
            PortalLink.case_id == case.id, PortalLink.purpose == "request", PortalLink.created_at > since)
    ).scalar_one()
    if recent >= int(current_app.config["PORTAL_LINKS_PER_HOUR"]):
        log.info("portal link limit reached for case %s", case.id)
        return
    minutes = int(current_app.config["PORTAL_LINK_MINUTES"])
    url = _new_link(case, "request", dt.timedelta(minutes=minutes))
    queue_mail("portal_link", case.requester_email, case=case, language=case.language, portal_url=url,
               minutes=minutes)
    audit.record("portal.link_requested", case=case, actor_kind="requester")


def _same_address(stored: str, given: str) -> bool:
    given = (given or "").strip()
    return bool(given) and secrets.compare_digest(stored.strip().casefold().encode(), given.casefold().encode())


# ---- the portal session ----------------------------------------------------------------------------

@transactional
def open_session(case: Case) -> None:
    """Open a portal session for ``case`` in this browser (any earlier portal session of this browser
    ends); for a link that is not a portal link but reached the requester, such as the receipt's
    confirmation link. One commit."""
    requester_sessions.start(PORTAL, case.id)


@transactional
def close_session() -> None:
    """The requester signs out: the session ends for every copy of the cookie; audited. One commit."""
    ended = requester_sessions.end_current(PORTAL, "sign_out")
    case = db.session.get(Case, ended.case_id) if ended is not None else None
    if case is not None:
        audit.record("portal.signed_out", case=case, actor_kind="requester")


@transactional
def session_case() -> Case | None:
    """The case of this browser's live portal session, or None (one commit: the session's last use).

    Ended, idle and too old sessions give None; a timed-out one sets ``g.portal_expired``.
    """
    row = requester_sessions.current(PORTAL)
    if row is None:
        return None
    case = db.session.get(Case, row.case_id)
    if case is None or case.anonymised_at is not None:
        return None
    return case
