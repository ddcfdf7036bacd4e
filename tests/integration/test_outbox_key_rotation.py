"""A mail waiting in the outbox keeps working links through a rotation of the file keys: rotate-file-keys
re-seals its links under the newest key, so the old key can go before the mail is sent."""
from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet

from dsr.extensions import db
from dsr.models import OutboxMessage
from dsr.notifications.jobs import redrive_outbox
from tests.helpers import link_in, submit
from tests.integration.helpers import body, mails_to, path_of


def test_rotation_reseals_the_links_of_waiting_mails(app, client, people, smtp_server, run_jobs):
    old_keys = app.config["FILE_KEYS"]
    smtp_server.stop()
    try:
        submit(client, people.school_a, requester_email="sleutel@example.nl")
        run_jobs()  # SMTP is down: the mails wait, their links sealed under the old key
        new = Fernet.generate_key().decode()
        app.config["FILE_KEYS"] = [new, *old_keys]
        result = app.test_cli_runner().invoke(args=["dsr", "rotate-file-keys"])
        assert result.exit_code == 0 and "mail(s) with links" in result.output, result.output
        app.config["FILE_KEYS"] = [new]  # the old key is gone
        with app.app_context():
            waiting = db.session.execute(sa.select(sa.func.count()).where(
                OutboxMessage.links_sealed.is_not(None))).scalar_one()
            assert waiting and f"{waiting} mail(s) with links" in result.output
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
            db.session.commit()
    finally:
        smtp_server.start()
    try:
        with app.app_context():
            redrive_outbox()
        run_jobs()
        [receipt] = mails_to(smtp_server, "sleutel@example.nl", "Bevestig uw e-mailadres")
        assert client.get(path_of(link_in(body(receipt)))).status_code == 200
    finally:
        app.config["FILE_KEYS"] = old_keys
