"""The requester portal and student consent: magic-link nonces, the message thread with the school,
the requester's uploads, and the student's consent requests (R-CH-3/4).

Nothing here holds an identity document (R-ID-2): the upload form offers no such option, and the
page says so. Uploaded bytes live encrypted in ``dsr.services.storage``; a row keeps only the random
storage key, the detected type, the size, a hash and a display name (never used as a path).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow
from .people import User

#: Why a portal link was made: "request" (the "Mijn verzoek" page) or "notice" (a link in a mail
#: about news on the case). Only the lifetime and the per-case rate limit differ.
LINK_PURPOSES = ("request", "notice")
AUTHOR_KINDS = ("requester", "staff")

PENDING, GIVEN, DECLINED, WITHDRAWN, CANCELLED = "pending", "given", "declined", "withdrawn", "cancelled"
CONSENT_STATUSES = (PENDING, GIVEN, DECLINED, WITHDRAWN, CANCELLED)
#: What the student allows the parent to receive: everything asked, or the learning results only.
CONSENT_SCOPES = ("full", "learning_results")


class PortalLink(Model):
    """A single-use magic link into the portal; only the SHA-256 of its random nonce is stored."""

    __tablename__ = "portal_links"
    __table_args__ = (sa.CheckConstraint(sa.column("purpose").in_(LINK_PURPOSES), name="purpose_valid"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    nonce_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(10))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime())
    #: Set when the link is exchanged for a session; a used link never works again.
    used_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())


class CaseMessage(Model):
    """One message in the thread between the requester and the school."""

    __tablename__ = "case_messages"
    __table_args__ = (sa.CheckConstraint(sa.column("author_kind").in_(AUTHOR_KINDS), name="author_kind_valid"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: The staff member who wrote it; None for the requester.
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: When a staff member first opened the case page after a requester's message came in (the portal
    #: shows it); None while unread, and always None for staff messages.
    read_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    author: so.Mapped[User | None] = so.relationship(lazy="joined")


class CaseUpload(Model):
    """A file the requester uploaded (e.g. an extract of the gezagsregister), stored encrypted."""

    __tablename__ = "case_uploads"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: Shown to people and used in Content-Disposition only; never a path.
    file_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Detected from the content (magic bytes), not taken from the browser.
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    size: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: Random key in the encrypted store; None once the file was removed (retention).
    storage_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    uploaded_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: When a staff member first opened the case page after the upload came in; None while unseen.
    read_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())


class ConsentRequest(Model):
    """A request to the student (16+) for written consent that a parent may receive their data.

    The answer is recorded with its scope and date; it can be withdrawn later (R-CH-3/4). The
    student's address is kept here only, not on the case.
    """

    __tablename__ = "consent_requests"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(CONSENT_STATUSES), name="status_valid"),
        sa.CheckConstraint(sa.or_(sa.column("scope").is_(None), sa.column("scope").in_(CONSENT_SCOPES)),
                           name="scope_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    student_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    nonce_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=PENDING)
    scope: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    requested_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    requested_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    answered_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    withdrawn_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    requested_by: so.Mapped[User | None] = so.relationship(lazy="joined")
