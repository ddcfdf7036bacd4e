"""Issue 15 point 2 (the queue finds things): trigram indexes for the search on PostgreSQL, and one school's
cases in every state by deadline, and the cases a director was appointed to approve (the OR in the director's
visible cases).

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it (docs/deployment.md).
On SQLite the search indexes are plain indexes on the same columns (the models declare them so).

Revision ID: i15_b_queue_search
Revises: i15_f_user_admin
Create Date: 2026-12-04 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i15_b_queue_search'
down_revision = 'i15_f_user_admin'
branch_labels = None
depends_on = None

SEARCHED_COLUMNS = ("reference", "student_name", "student_number", "requester_name", "requester_email")


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_school_due', ['school_id', 'due_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_appointed_approver', ['appointed_approver_id'], unique=False)
        for column in SEARCHED_COLUMNS:
            batch_op.create_index(f'ix_cases_search_{column}', [column], unique=False, postgresql_using='gin',
                                  postgresql_ops={column: 'public.gin_trgm_ops'})
    # A whole e-mail address is looked up exactly (its trigrams are too common for the trigram index).
    op.create_index('ix_cases_requester_email_lower', 'cases', [sa.text('lower(requester_email)')], unique=False)


def downgrade():
    op.drop_index('ix_cases_requester_email_lower', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for column in SEARCHED_COLUMNS:
            batch_op.drop_index(f'ix_cases_search_{column}')
        batch_op.drop_index('ix_cases_appointed_approver')
        batch_op.drop_index('ix_cases_school_due')
