"""Issue 16 point 6 (helper c): one audit chain per school. Each event gets its ``chain`` (the school id of
its case, 0 for the organisation chain) and the ``form`` of its signature (1: keyed without the chain,
2: keyed with the chain). Every event before this migration belongs to the one chain there was: chain 0,
form 1. The append-only guard now keeps both columns too (the statements are copied here, not imported,
so this file means the same whatever the models say later).

Revision ID: i16_c_audit_chains
Revises: i16_e_queue_counts
Create Date: 2026-12-04 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i16_c_audit_chains'
down_revision = 'i16_e_queue_counts'
branch_labels = None
depends_on = None

_KEPT_BEFORE = ("id", "case_id", "actor_id", "actor_kind", "action", "from_state", "to_state", "created_at",
                "prev_hash", "hash", "key_id", "text_digest")
_KEPT_AFTER = _KEPT_BEFORE + ("chain", "form")


def _redaction_only(kept_columns, same):
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in kept_columns)
    return ("OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.reason = '' "
            f"AND NEW.details = '{{}}' AND {kept}")


def _guard(dialect, kept_columns):
    if dialect == "postgresql":
        return (
            f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_redaction_only(kept_columns, 'IS NOT DISTINCT FROM')} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        )
    if dialect == "sqlite":
        return (
            "CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END",
            f"CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events "
            f"WHEN NOT ({_redaction_only(kept_columns, 'IS')}) "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END",
        )
    return ()


_UNGUARD = {
    "postgresql": ("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"),
    "sqlite": ("DROP TRIGGER IF EXISTS audit_events_append_only_delete",
               "DROP TRIGGER IF EXISTS audit_events_append_only_update"),
}


def upgrade():
    dialect = op.get_bind().dialect.name
    # SQLite's batch mode copies the table (and loses its triggers): lift the guard and put it back after.
    for statement in _UNGUARD.get(dialect, ()):
        op.execute(statement)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('form', sa.SmallInteger(), server_default=sa.text('1'), nullable=False))
        batch_op.create_index('ix_audit_events_chain_id', ['chain', 'id'], unique=False)
    for statement in _guard(dialect, _KEPT_AFTER):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in _UNGUARD.get(dialect, ()):
        op.execute(statement)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_chain_id')
        batch_op.drop_column('form')
        batch_op.drop_column('chain')
    for statement in _guard(dialect, _KEPT_BEFORE):
        op.execute(statement)
