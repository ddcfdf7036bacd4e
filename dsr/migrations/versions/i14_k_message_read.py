"""Issue 14 (helper k): the portal shows whether staff have read the requester's messages and uploads.
``read_at`` on case_messages and case_uploads, set when a staff member first opens the case page after
the message or upload came in (audited as "portal.read").

Revision ID: i14_k_message_read
Revises: i13_a_audit_keyed
Create Date: 2026-12-14 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import dsr.models._types


# revision identifiers, used by Alembic.
revision = 'i14_k_message_read'
down_revision = 'i13_a_audit_keyed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', dsr.models._types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('case_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', dsr.models._types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('case_uploads', schema=None) as batch_op:
        batch_op.drop_column('read_at')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_column('read_at')
