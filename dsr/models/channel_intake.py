"""A request that staff registered on the desk because it came by letter, e-mail, phone or at the counter
(issue 15 point 1): who entered it and when, who took it, why it was entered with an earlier date, and the
scan or original e-mail, stored encrypted like the requester's uploads.

The case itself holds the channel and the legal date of receipt (``Case.channel``, ``Case.received_on``);
this row holds what only a registration by staff has. The bytes of the document live encrypted in
``dsr.services.storage``; the row keeps the random storage key, the detected type, the size, a hash and a
display name (never used as a path).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow
from .people import User


class ChannelIntake(Model):
    """How a request that did not come through the web form reached the school (one per such case)."""

    __tablename__ = "channel_intakes"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    #: The staff member who entered the request in dsr.
    registered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    registered_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: Who received the request (took the call, spoke to the requester at the counter, opened the letter).
    taken_by: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: Why the request was entered later than it arrived (internal; also in the audit trail).
    late_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: The scan or the original e-mail; all None when none was attached (or after retention removed it).
    file_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    content_type: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    size: so.Mapped[int | None]
    sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    storage_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    registered_by: so.Mapped[User | None] = so.relationship(lazy="joined")
