"""Issue 18: what connects dsr to the school's other IT: staff sign-in through the school's identity
provider (OpenID Connect group mappings), API tokens for integrations and webhook subscriptions.

Secrets are never stored readable: an API token only as its SHA-256 (shown once when created), a webhook's
signing secret sealed under the file keys (``DSR_FILE_KEYS``), the OIDC client secret in the environment.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model, db
from ..workflows.roles import ROLES
from ._types import UTCDateTime, utcnow
from .people import School

sso_group_schools = sa.Table(
    "sso_group_schools",
    db.metadata,
    sa.Column("mapping_id", sa.ForeignKey("sso_group_mappings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("school_id", sa.ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
)


class SsoGroupMapping(Model):
    """One group of the identity provider and what membership gives in dsr: a role and its schools.

    The admin edits this table; a user whose groups match no row gets no account (workflows/sso_access.py
    decides when a user matches several rows).
    """

    __tablename__ = "sso_group_mappings"
    __table_args__ = (sa.CheckConstraint(sa.column("role").in_(ROLES), name="role_valid"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The group's value exactly as the provider sends it in the groups claim (Entra ID: the group's object
    #: id; SURFconext: the membership URN).
    group: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    #: What the admin calls it ("Leerlingadministratie ODK"); shown only to the admin.
    label: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: Moves on with every change, so two admins editing the same row never overwrite each other.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    schools: so.Mapped[list[School]] = so.relationship(secondary=sso_group_schools, lazy="selectin")


api_token_schools = sa.Table(
    "api_token_schools",
    db.metadata,
    sa.Column("token_id", sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("school_id", sa.ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(Model):
    """A token an integration sends as ``Authorization: Bearer …``; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: What the admin calls it ("Rapportage bestuur"); never secret.
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: SHA-256 (hex) of the whole token.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The token's first characters, to recognise it in the list (not enough to use it).
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    #: Space-separated permissions (dsr/api/scopes.py), e.g. "cases:read figures:read".
    scopes: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    last_used_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    schools: so.Mapped[list[School]] = so.relationship(secondary=api_token_schools, lazy="selectin")

    @property
    def school_ids(self) -> frozenset[int]:
        """The schools whose cases and figures this token may read."""
        return frozenset(s.id for s in self.schools)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class WebhookSubscription(Model):
    """An integration's endpoint for case events (received, decided, closed) of some schools."""

    __tablename__ = "webhook_subscriptions"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    #: Space-separated events (services/webhooks.py).
    events: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: The HMAC key, sealed under the file keys; shown once when created.
    secret_sealed: so.Mapped[str] = so.mapped_column(sa.Text)
    #: None: every school; else only this school's cases.
    school_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")


class WebhookDelivery(Model):
    """One event for one subscription: the webhooks' outbox, written with the change that causes it and
    sent (and retried with back-off) by an RQ job, like a mail. The payload holds ids and states only."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(("pending", "sent", "failed")), name="status_valid"),
        sa.Index("ix_webhook_deliveries_pending", "status", "next_attempt_at"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subscription_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    event: so.Mapped[str] = so.mapped_column(sa.String(40))
    payload_json: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending", server_default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    response_status: so.Mapped[int | None] = so.mapped_column()
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
