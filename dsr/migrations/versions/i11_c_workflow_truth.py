"""Issue 11 (helper c): the clock pause's Recital 63 flag, the explanation to the requester apart from the
internal note to the approver, the four-eyes approval route and appointed approver, and the flag for a
decision letter still to send (the queue's partial indexes now include those cases).

Revision ID: i11_c_workflow_truth
Revises: i11_a_consent_retention
Create Date: 2026-12-04 09:13:33.108014

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i11_c_workflow_truth'
down_revision = 'i11_a_consent_retention'
branch_labels = None
depends_on = None

_OPEN = ("state IN ('submitted', 'awaiting_requester', 'identity_checked', 'legal_basis_reviewed', "
         "'awaiting_director')")
# The model's predicate as each dialect renders it (SQLite compares booleans with 1), so the planner
# matches the queue's WHERE clause to the partial index exactly.
_QUEUE_PG = _OPEN + " OR letter_pending"
_QUEUE_SQLITE = _OPEN + " OR letter_pending = 1"


def _indexes(batch_op, pg: str, lite: str) -> None:
    batch_op.create_index('ix_cases_open_due', ['due_on', 'id'], unique=False,
                          postgresql_where=sa.text(pg), sqlite_where=sa.text(lite))
    batch_op.create_index('ix_cases_open_school_due', ['school_id', 'due_on', 'id'], unique=False,
                          postgresql_where=sa.text(pg), sqlite_where=sa.text(lite))


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('info_large_data', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('requester_explanation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('approval_route', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('appointed_approver_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('letter_pending', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_cases_appointed_approver_id_users'), 'users',
                                    ['appointed_approver_id'], ['id'])
        batch_op.drop_index('ix_cases_open_school_due')
        batch_op.drop_index('ix_cases_open_due')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        _indexes(batch_op, _QUEUE_PG, _QUEUE_SQLITE)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_school_due')
        batch_op.drop_index('ix_cases_open_due')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        _indexes(batch_op, _OPEN, _OPEN)
        batch_op.drop_constraint(batch_op.f('fk_cases_appointed_approver_id_users'), type_='foreignkey')
        batch_op.drop_column('letter_pending')
        batch_op.drop_column('appointed_approver_id')
        batch_op.drop_column('approval_route')
        batch_op.drop_column('requester_explanation')
        batch_op.drop_column('info_large_data')
