"""The requester portal: magic links and the portal session.

The requester has no account. A magic link (itsdangerous, salt "dsr-portal") carries a random nonce;
only its SHA-256 is stored (:class:`~dsr.models.PortalLink`), with an expiry, and it is consumed once
when the link is exchanged for a session bound to that one case (``session["portal_case_id"]``).
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
import time
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, g, session
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Case, PortalLink
from ..models._types import utcnow
from ..notifications import queue_mail
from . import audit
from .address_confirmation import mark_confirmed
from .links import TokenError, external_url, make_token, read_token
from .transaction import transactional

log = logging.getLogger(__name__)

PURPOSE = "portal"
SESSION_KEY = "portal_case_id"
_STARTED, _SEEN = "portal_started_at", "portal_seen_at"

#: Requester mails (sent by ``services.cases``) whose text links into the portal.
LINK_MAIL_KINDS = frozenset({"information_requested", "reassessed", "withdrawn", "closed_unverified", "extension"})


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
    """Consume a portal link; return its case, or raise :class:`TokenError` (commits).

    The signature and the stored expiry are both checked; the nonce is marked used in one
    conditional UPDATE, so of two racing requests with the same link only one gets a session.

    Not ``@transactional`` on purpose: it commits (or rolls back) itself, because a staff change at the
    same moment shows up as :class:`StaleDataError` at the commit, and then the whole exchange is tried
    once more from a clean session.
    """
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
    audit.record("portal.opened", case=case, actor_kind="requester", details={"link": link.purpose})
    try:
        db.session.commit()
    except StaleDataError:
        # Staff changed the case at this very moment: nothing was stored, so try once more.
        db.session.rollback()
        if not _retry:
            raise
        return exchange(token, _retry=False)
    return case


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

def open_session(case: Case) -> None:
    """Bind this browser's session to ``case`` (any earlier portal case is forgotten)."""
    now = time.time()
    session[SESSION_KEY] = case.id
    session[_STARTED] = session[_SEEN] = now


def close_session() -> None:
    """Forget this browser's portal case (signing out, or a timed-out or closed session)."""
    for key in (SESSION_KEY, _STARTED, _SEEN):
        session.pop(key, None)


def session_case() -> Case | None:
    """The case this browser's portal session is bound to, or None (idle/absolute timeouts apply)."""
    case_id = session.get(SESSION_KEY)
    if not case_id:
        return None
    now = time.time()
    started, seen = session.get(_STARTED, 0), session.get(_SEEN, 0)
    if now - seen > int(current_app.config["PORTAL_SESSION_IDLE_SECONDS"]) or \
            now - started > int(current_app.config["PORTAL_SESSION_ABSOLUTE_SECONDS"]):
        close_session()
        g.portal_expired = True
        return None
    case = db.session.get(Case, case_id)
    if case is None or case.anonymised_at is not None:
        close_session()
        return None
    session[_SEEN] = now
    return case
