"""Append-only, keyed hash-chained audit events (R-AC-2).

Each event is chained to its predecessor and signed with HMAC-SHA256 under a key outside the database
(``DSR_AUDIT_KEYS``; the signing is in :mod:`dsr.services.audit_keys`). The signature covers a keyed
digest of the free text (``reason`` and ``details``) rather than the text itself, so retention can blank
the text of an anonymised case (``redacted_at``) and the chain still verifies. Events written before
the keys existed keep their plain SHA-256 hash (key id :data:`LEGACY_KEY_ID`).

There is one chain per school plus the organisation chain 0 (issue 16 point 6): an event links to the
previous event of its own ``chain``, so schools append in parallel. Events signed since then (``form`` 2,
:func:`chained_canonical`) also sign their chain; the events before it (form 1, all in chain 0) keep
verifying with :func:`keyed_canonical`.

The table refuses UPDATE and DELETE in the database itself (triggers below, installed by the migration
``i13_a_audit_keyed`` and by ``create_all``), except the one redaction an anonymisation needs.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow
from .people import User

GENESIS = "0" * 64
#: The key id of events hashed with plain SHA-256, before the keyed chain (migration i13_a_audit_keyed).
LEGACY_KEY_ID = "sha256"
#: The organisation chain: events without a case (and every event from before the chains per school).
ORGANISATION_CHAIN = 0
#: Signed forms of a keyed event: 1 = :func:`keyed_canonical` (no chain), 2 = :func:`chained_canonical`.
FORM_KEYED, FORM_CHAINED = 1, 2
#: What the redaction leaves in the free-text columns.
REDACTED_REASON, REDACTED_DETAILS = "", "{}"


class AuditFields(Protocol):
    """The columns the canonical forms read: an :class:`AuditEvent` or a plain row of the same names."""

    case_id: int | None
    actor_id: int | None
    actor_kind: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str
    details: str
    created_at: dt.datetime
    prev_hash: str
    key_id: str
    text_digest: str | None


class ChainedFields(AuditFields, Protocol):
    """The fields of a form-2 event: those of :class:`AuditFields` and its chain."""

    chain: int


def _at(event: AuditFields) -> str:
    return event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def legacy_canonical(event: AuditFields) -> str:
    """The fields a legacy (plain SHA-256) hash covers, as canonical JSON: unchanged since before the keys."""
    return json.dumps(
        {
            "case_id": event.case_id, "actor_id": event.actor_id, "actor_kind": event.actor_kind,
            "action": event.action, "from": event.from_state, "to": event.to_state,
            "reason": event.reason, "details": event.details, "at": _at(event), "prev": event.prev_hash,
        },
        sort_keys=True, ensure_ascii=False,
    )


def keyed_canonical(event: AuditFields) -> str:
    """The fields a keyed event's HMAC covers: everything but the free text, whose keyed digest stands in
    for it (so the text can be blanked later), and but ``redacted_at``."""
    return json.dumps(
        {
            "case_id": event.case_id, "actor_id": event.actor_id, "actor_kind": event.actor_kind,
            "action": event.action, "from": event.from_state, "to": event.to_state,
            "text": event.text_digest, "at": _at(event), "prev": event.prev_hash, "key": event.key_id,
        },
        sort_keys=True, ensure_ascii=False,
    )


def chained_canonical(event: ChainedFields) -> str:
    """The fields a form-2 event's HMAC covers: those of :func:`keyed_canonical` plus its chain and form, so
    an event cannot be moved to another school's chain, nor passed off as a form-1 event."""
    return json.dumps(
        {
            "case_id": event.case_id, "actor_id": event.actor_id, "actor_kind": event.actor_kind,
            "action": event.action, "from": event.from_state, "to": event.to_state,
            "text": event.text_digest, "at": _at(event), "prev": event.prev_hash, "key": event.key_id,
            "chain": event.chain, "form": FORM_CHAINED,
        },
        sort_keys=True, ensure_ascii=False,
    )


def text_canonical(reason: str, details: str) -> str:
    """The free text the keyed ``text_digest`` covers."""
    return json.dumps(["audit-text", reason, details], ensure_ascii=False)


class AuditEvent(Model):
    """Who did what, when, from which state to which, and why. Never updated or deleted (only the free
    text of an anonymised case is blanked, see :func:`dsr.services.audit.redact_case_text`)."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_chain_id", "chain", "id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The chain the event belongs to: its case's school id, or :data:`ORGANISATION_CHAIN`.
    chain: so.Mapped[int] = so.mapped_column(sa.Integer, server_default=sa.text("0"), default=ORGANISATION_CHAIN)
    #: Which canonical form the signature covers (:data:`FORM_KEYED` or :data:`FORM_CHAINED`).
    form: so.Mapped[int] = so.mapped_column(sa.SmallInteger, server_default=sa.text("1"), default=FORM_KEYED)
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
    #: Which key of DSR_AUDIT_KEYS signed this event (first 8 hex of its SHA-256), or "sha256" (legacy).
    key_id: so.Mapped[str] = so.mapped_column(sa.String(16), server_default=LEGACY_KEY_ID)
    #: HMAC of the free text under the event's key; the signature covers this instead of the text.
    text_digest: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: When retention blanked ``reason`` and ``details`` (the case was anonymised).
    redacted_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    actor: so.Mapped[User | None] = so.relationship(lazy="joined")

    def canonical(self) -> str:
        """The legacy canonical form (see :func:`legacy_canonical`)."""
        return legacy_canonical(self)

    def compute_hash(self) -> str:
        """The legacy plain SHA-256 hash of this event (events before the keyed chain)."""
        return hashlib.sha256(legacy_canonical(self).encode()).hexdigest()

    @property
    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details or "{}")


# --- the database refuses UPDATE and DELETE ---------------------------------------------------------------
#: The columns a redaction must leave as they are (all but reason, details and redacted_at).
KEPT_COLUMNS = ("id", "case_id", "actor_id", "actor_kind", "action", "from_state", "to_state", "created_at",
                "prev_hash", "hash", "key_id", "text_digest", "chain", "form")
TRIGGER = "audit_events_append_only"


def _redaction_only(same: str) -> str:
    """SQL that is true for the one allowed UPDATE: blank the free text and set redacted_at, once."""
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in KEPT_COLUMNS)
    return (f"OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.reason = '{REDACTED_REASON}' "
            f"AND NEW.details = '{REDACTED_DETAILS}' AND {kept}")


#: PostgreSQL: one trigger function for both operations. TRUNCATE is not a row operation and is not caught;
#: the application's role has no TRUNCATE privilege (docs/deployment.md).
POSTGRESQL_GUARD = (
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_redaction_only('IS NOT DISTINCT FROM')} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
    f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON audit_events "
    f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
)
POSTGRESQL_UNGUARD = (f"DROP TRIGGER IF EXISTS {TRIGGER} ON audit_events", f"DROP FUNCTION IF EXISTS {TRIGGER}()")
SQLITE_GUARD = (
    f"CREATE TRIGGER {TRIGGER}_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END",
    f"CREATE TRIGGER {TRIGGER}_update BEFORE UPDATE ON audit_events WHEN NOT ({_redaction_only('IS')}) "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END",
)
SQLITE_UNGUARD = (f"DROP TRIGGER IF EXISTS {TRIGGER}_delete", f"DROP TRIGGER IF EXISTS {TRIGGER}_update")


def guard_statements(dialect: str) -> tuple[str, ...]:
    """The statements that install the append-only guard on ``dialect`` (none for other databases)."""
    return {"postgresql": POSTGRESQL_GUARD, "sqlite": SQLITE_GUARD}.get(dialect, ())


def unguard_statements(dialect: str) -> tuple[str, ...]:
    """The statements that remove it again (for the table's owner: tests and a downgrade)."""
    return {"postgresql": POSTGRESQL_UNGUARD, "sqlite": SQLITE_UNGUARD}.get(dialect, ())


@sa.event.listens_for(AuditEvent.__table__, "after_create")
def _install_guard(target: sa.Table, connection: sa.Connection, **_kw: object) -> None:
    """``create_all`` (the test suite, a fresh demo) gets the same guard as a migrated database."""
    for statement in guard_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
