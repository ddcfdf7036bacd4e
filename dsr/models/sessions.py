"""Server-side records of the requester's portal sessions and the student's consent sessions.

The browser's (signed) session cookie carries only a random session id; the row keeps its SHA-256,
what it opens (one case, or one consent request of that case), when it began, when it was last used
and when it was ended. Every portal and consent request looks the row up, so signing out, withdrawing
or anonymising ends the session for every copy of the cookie, and the idle and absolute timeouts are
measured on the server, not on timestamps the cookie carries (docs/security.md, "Sessions").
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow

PORTAL, CONSENT = "portal", "consent"
SESSION_PURPOSES = (PORTAL, CONSENT)
#: Why a session was ended before its timeouts: signed out, the request or consent withdrawn, a new
#: session in the same browser, the consent request replaced.
END_REASONS = ("sign_out", "withdrawn", "replaced", "cancelled")


class RequesterSession(Model):
    """One portal or consent session; only the SHA-256 of its random id is stored."""

    __tablename__ = "requester_sessions"
    __table_args__ = (
        sa.CheckConstraint(sa.column("purpose").in_(SESSION_PURPOSES), name="purpose_valid"),
        sa.CheckConstraint(sa.or_(sa.column("end_reason").is_(None), sa.column("end_reason").in_(END_REASONS)),
                           name="end_reason_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(10))
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: The consent request a consent session answers; None for a portal session.
    consent_request_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("consent_requests.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: Set when the session was ended on purpose; a timed-out session is recognised by its times.
    ended_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(10))
