"""Issue 15 (the staff desk): a case can be assigned to a staff member, and every user has a language
for their pages and the mails dsr sends them.

Revision ID: i15_0_desk_foundation
Revises: i14_k_message_read
Create Date: 2026-12-04 19:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i15_0_desk_foundation'
down_revision = 'i14_k_message_read'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_assigned_to_id_users'), 'users', ['assigned_to_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_cases_assigned_to', ['assigned_to_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='nl', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_assigned_to')
        batch_op.drop_constraint(batch_op.f('fk_cases_assigned_to_id_users'), type_='foreignkey')
        batch_op.drop_column('assigned_to_id')
