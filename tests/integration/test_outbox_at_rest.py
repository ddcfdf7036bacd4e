"""No working link rests in the database (issue 13 point 2): an unsent mail keeps its links sealed under
the file keys, a sent one keeps a neutral text and a digest; the mail that arrives has working links, and
the re-drive still sends a waiting mail with working links."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import OutboxMessage
from dsr.notifications.jobs import redrive_outbox
from tests.helpers import link_in, submit
from tests.integration.db_search import find_in_database, urls_in_database
from tests.integration.helpers import body, mails_to, path_of

BASE = "http://dsr.test"  # PUBLIC_BASE_URL of the test app: every link dsr makes starts with it


def _app_urls() -> list[tuple[str, str]]:
    return [(where, url) for where, url in urls_in_database() if url.startswith(BASE)]


def _token(link: str) -> str:
    return path_of(link).rstrip("/").rsplit("/", 1)[-1]


def test_a_sent_mail_leaves_no_working_link_in_the_database(app, client, people, smtp_server, run_jobs):
    submit(client, people.school_a, requester_email="rust@example.nl")
    run_jobs()
    [receipt] = mails_to(smtp_server, "rust@example.nl", "Bevestig uw e-mailadres")
    link = link_in(body(receipt))
    assert link.startswith(BASE) and len(_token(link)) > 20
    with app.app_context():
        assert find_in_database(_token(link)) == [], "the token that arrived is nowhere in the database"
        assert _app_urls() == [], "no link of dsr is stored at all, so none can be tried"
        row = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt")).scalar_one()
        assert row.status == "sent" and row.links_sealed is None
        assert "[link verwijderd na verzending]" in row.body_text and "⟦" not in row.body_text
        assert "[link verwijderd na verzending]" in row.body_html and "<a href" not in row.body_html
        # The digest is of the text part as sent, with "\n" line endings (SMTP carries "\r\n").
        sent_text = body(receipt).replace("\r\n", "\n")
        assert row.sent_text_sha256 == hashlib.sha256(sent_text.encode()).hexdigest()
    assert client.get(path_of(link)).status_code == 200, "the mailed link works"


def test_a_waiting_mail_holds_no_working_link_and_the_redrive_sends_a_working_one(
        app, client, people, smtp_server, run_jobs):
    smtp_server.stop()
    try:
        submit(client, people.school_a, requester_email="wacht@example.nl")
        run_jobs()  # SMTP is down: every mail stays pending
        with app.app_context():
            rows = db.session.execute(sa.select(OutboxMessage)).scalars().all()
            assert rows and all(row.status == "pending" for row in rows)
            assert _app_urls() == [], "a waiting mail holds no link of dsr in readable form"
            receipt = next(row for row in rows if row.kind == "receipt")
            assert "⟦link 1⟧" in receipt.body_text and receipt.links_sealed
            assert "/bevestigen/" not in receipt.links_sealed, "the sealed links are encrypted"
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
            db.session.commit()
    finally:
        smtp_server.start()
    with app.app_context():
        assert redrive_outbox() == len(rows)
    run_jobs()
    [mail] = mails_to(smtp_server, "wacht@example.nl", "Bevestig uw e-mailadres")
    link = link_in(body(mail))
    assert "/bevestigen/" in link and "⟦" not in body(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{link}" ' in html, "the button opens exactly the mailed link"
    with app.app_context():
        assert find_in_database(_token(link)) == [] and _app_urls() == []
    assert client.get(path_of(link)).status_code == 200, "the re-driven mail's link works"
