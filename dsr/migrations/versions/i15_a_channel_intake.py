"""Issue 15 (helper a): requests from any channel. Staff register a request that came by letter, e-mail,
phone or at the counter; ``channel_intakes`` keeps who entered it, who took it, why it was entered later
than it arrived, and the encrypted scan or original e-mail (one row per such case).

Revision ID: i15_a_channel_intake
Revises: i15_0_desk_foundation
Create Date: 2026-12-04 19:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import dsr.models._types


# revision identifiers, used by Alembic.
revision = 'i15_a_channel_intake'
down_revision = 'i15_0_desk_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channel_intakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', dsr.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sa.String(length=200), nullable=False),
    sa.Column('late_reason', sa.Text(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('storage_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_channel_intakes_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_channel_intakes_registered_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_intakes')),
    sa.UniqueConstraint('case_id', name=op.f('uq_channel_intakes_case_id'))
    )


def downgrade():
    op.drop_table('channel_intakes')
