"""Append-only, hash-chained audit events (R-AC-2)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow
from .people import User

GENESIS = "0" * 64


class AuditEvent(Model):
    """Who did what, when, from which state to which, and why. Never updated or deleted."""

    __tablename__ = "audit_events"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: "requester" for the person who submitted; "system" for jobs; "staff" otherwise.
    actor_kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="staff")
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    from_state: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    to_state: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    details: so.Mapped[str] = so.mapped_column(sa.Text, default="{}")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)

    actor: so.Mapped[User | None] = so.relationship(lazy="joined")

    def canonical(self) -> str:
        """The fields the hash covers, as canonical JSON."""
        return json.dumps(
            {
                "case_id": self.case_id, "actor_id": self.actor_id, "actor_kind": self.actor_kind,
                "action": self.action, "from": self.from_state, "to": self.to_state,
                "reason": self.reason, "details": self.details,
                "at": self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                "prev": self.prev_hash,
            },
            sort_keys=True, ensure_ascii=False,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    @property
    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details or "{}")
