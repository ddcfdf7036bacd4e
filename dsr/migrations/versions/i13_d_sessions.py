"""Issue 13 point 5: server-side portal and consent sessions, so that signing out, withdrawing and
anonymising end every copy of the session cookie, and the timeouts are measured on the server.

Revision ID: i13_d_sessions
Revises: i11_c_workflow_truth
Create Date: 2026-12-11 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import dsr.models._types


# revision identifiers, used by Alembic.
revision = 'i13_d_sessions'
down_revision = 'i11_c_workflow_truth'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('requester_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('consent_request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', dsr.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', dsr.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', dsr.models._types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=10), nullable=True),
    sa.CheckConstraint("purpose IN ('portal', 'consent')", name=op.f('ck_requester_sessions_purpose_valid')),
    sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('sign_out', 'withdrawn', 'replaced', 'cancelled')",
                       name=op.f('ck_requester_sessions_end_reason_valid')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_requester_sessions_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_request_id'], ['consent_requests.id'],
                            name=op.f('fk_requester_sessions_consent_request_id_consent_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requester_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_requester_sessions_token_hash'))
    )
    with op.batch_alter_table('requester_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requester_sessions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requester_sessions_consent_request_id'), ['consent_request_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('requester_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requester_sessions_consent_request_id'))
        batch_op.drop_index(batch_op.f('ix_requester_sessions_case_id'))
    op.drop_table('requester_sessions')
