"""Issue 13 (helper b): no working link at rest in the outbox. An unsent mail keeps its links encrypted
under the file keys (``links_sealed``); a sent mail keeps a neutral text instead of each link and the
SHA-256 of its plain-text part as sent (``sent_text_sha256``). Mails sent before this release lose
their links here; unsent ones lose them when they are sent (docs/security.md, "Secrets at rest").

Revision ID: i13_b_outbox_at_rest
Revises: i13_d_sessions
Create Date: 2026-12-10 10:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i13_b_outbox_at_rest'
down_revision = 'i13_d_sessions'
branch_labels = None
depends_on = None

# Frozen copies (a migration does not import the app): the mail's URL pattern and the neutral text.
_URL = re.compile(r"https?://[^\s<>\"]+")
_ANCHOR = re.compile(r'<a href="https?://[^\s<>"]+">[^<]*</a>')
_SENT_LINK_TEXT = "[link verwijderd na verzending]"


def _scrub_sent_mails() -> None:
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('status', sa.String),
                      sa.column('body_text', sa.Text), sa.column('body_html', sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.body_text, outbox.c.body_html)
                              .where(outbox.c.status == 'sent')).all()
    for row_id, text, html in rows:
        new_text = _URL.sub(_SENT_LINK_TEXT, text)
        new_html = _URL.sub(_SENT_LINK_TEXT, _ANCHOR.sub(_SENT_LINK_TEXT, html))
        if (new_text, new_html) != (text, html):
            connection.execute(sa.update(outbox).where(outbox.c.id == row_id)
                               .values(body_text=new_text, body_html=new_html))


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('links_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sent_text_sha256', sa.String(length=64), nullable=True))
    _scrub_sent_mails()


def downgrade():
    # The scrubbed links of sent mails do not come back (that is the point); the columns go.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sent_text_sha256')
        batch_op.drop_column('links_sealed')
