"""Issue 13 (helper a): the keyed audit chain. Each event stores the id of the key that signed it (legacy
events: "sha256"), the keyed digest of its free text, and when that text was redacted; and the database
refuses UPDATE and DELETE of audit events, except the redaction (triggers; the statements are copied here,
not imported, so this file means the same whatever the models say later).

Revision ID: i13_a_audit_keyed
Revises: i13_b_outbox_at_rest
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i13_a_audit_keyed'
down_revision = 'i13_b_outbox_at_rest'
branch_labels = None
depends_on = None

_KEPT = ("id", "case_id", "actor_id", "actor_kind", "action", "from_state", "to_state", "created_at",
         "prev_hash", "hash", "key_id", "text_digest")


def _redaction_only(same):
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in _KEPT)
    return ("OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.reason = '' "
            f"AND NEW.details = '{{}}' AND {kept}")


_GUARD = {
    "postgresql": (
        f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_redaction_only('IS NOT DISTINCT FROM')} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ),
    "sqlite": (
        "CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END",
        f"CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events "
        f"WHEN NOT ({_redaction_only('IS')}) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END",
    ),
}
_UNGUARD = {
    "postgresql": ("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"),
    "sqlite": ("DROP TRIGGER IF EXISTS audit_events_append_only_delete",
               "DROP TRIGGER IF EXISTS audit_events_append_only_update"),
}


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), server_default='sha256', nullable=False))
        batch_op.add_column(sa.Column('text_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True))
    for statement in _GUARD.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in _UNGUARD.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('text_digest')
        batch_op.drop_column('key_id')
