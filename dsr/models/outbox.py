"""The transactional outbox: a mail is a row written with the change that causes it."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMessage(Model):
    """A rendered mail waiting to be sent by an RQ job (or re-driven by the sweep)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_((PENDING, SENT, FAILED)), name="status_valid"),
        sa.Index("ix_outbox_pending", "status", "next_attempt_at"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    #: Template name, e.g. "receipt", "decision_refused", "reminder".
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: The mail's parts; never with a working link: while unsent each link is a mark whose URL is in
    #: ``links_sealed``, once sent a neutral text (dsr/notifications/sealed_links.py).
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    #: The links of an unsent mail, encrypted under the file keys (not in the database); None once sent.
    links_sealed: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: SHA-256 (hex) of the plain-text part as it was sent, links included; set when sent.
    sent_text_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: Earliest time a (re)try may run; back-off after SMTP errors.
    next_attempt_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: A sender holds the row until then, so the re-drive does not send it a second time meanwhile.
    claimed_until: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    @property
    def message_id(self) -> str:
        """Stable Message-ID: a duplicate delivery after a crash is recognisable as the same mail."""
        return f"<outbox-{self.id}@dsr>"
