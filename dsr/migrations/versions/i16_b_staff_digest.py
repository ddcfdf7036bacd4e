"""Issue 16 point 4 (fewer mails per request): staff hear of new requests in a digest. Each user's choice
(digest or every request at once) and the time of their last digest; each case's announcement time; the
cases waiting for a user's next digest.

Cases that exist already count as announced (they were, by a mail of their own), so the digest job's re-drive
of unannounced cases leaves them alone.

Revision ID: i16_b_staff_digest
Revises: i16_c_audit_chains
Create Date: 2026-12-04 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import dsr.models._types


# revision identifiers, used by Alembic.
revision = 'i16_b_staff_digest'
down_revision = 'i16_c_audit_chains'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_notices', sa.String(length=10), server_default='digest', nullable=False))
        batch_op.add_column(sa.Column('digest_sent_at', dsr.models._types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_announced_at', dsr.models._types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_staff_announced_at'), ['staff_announced_at'], unique=False)
    op.execute("UPDATE cases SET staff_announced_at = created_at")
    op.create_table('staff_notices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', dsr.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_staff_notices_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'case_id', name=op.f('pk_staff_notices'))
    )
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notices_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notices_case_id'))
    op.drop_table('staff_notices')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_staff_announced_at'))
        batch_op.drop_column('staff_announced_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('digest_sent_at')
        batch_op.drop_column('case_notices')
