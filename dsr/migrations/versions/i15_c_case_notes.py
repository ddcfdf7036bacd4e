"""Issue 15 (helper c): internal notes on a case, append-only, read only by the users who may see the case
(case_notes; deleted when the case is anonymised).

Revision ID: i15_c_case_notes
Revises: i15_a_channel_intake
Create Date: 2026-12-04 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import dsr.models._types


# revision identifiers, used by Alembic.
revision = 'i15_c_case_notes'
down_revision = 'i15_a_channel_intake'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', dsr.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case_created', ['case_id', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case_created')
    op.drop_table('case_notes')
