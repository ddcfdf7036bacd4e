"""Issue 16 point 7 (the privacy officer's all-schools queue): a partial index on the open cases for the
queue's tabs, so the per-state counts and the "letter still to send" count across every school are
index-only scans of the cases still to answer, not of every case.

Revision ID: i16_e_queue_counts
Revises: i15_b_queue_search
Create Date: 2026-12-04 22:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i16_e_queue_counts'
down_revision = 'i15_b_queue_search'
branch_labels = None
depends_on = None

# The queue's predicate as each dialect renders it (SQLite compares booleans with 1), the same text as the
# other partial indexes on the queue (i11_c_workflow_truth); copied, so this file means the same whatever
# the models say later.
_OPEN = ("state IN ('submitted', 'awaiting_requester', 'identity_checked', 'legal_basis_reviewed', "
         "'awaiting_director')")
_QUEUE_PG = _OPEN + " OR letter_pending"
_QUEUE_SQLITE = _OPEN + " OR letter_pending = 1"


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_counts', ['letter_pending', 'state', 'school_id'], unique=False,
                              postgresql_where=sa.text(_QUEUE_PG), sqlite_where=sa.text(_QUEUE_SQLITE))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_counts')
