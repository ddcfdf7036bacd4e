"""A mail sent just before the database went away (a PostgreSQL restart) is still recorded as sent
once the database is back within the claim, so the re-drive does not send it a second time."""
from __future__ import annotations

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import OutboxMessage
from dsr.notifications.jobs import deliver
from dsr.notifications.mailer import mail
from tests.helpers import submit


def _break_commits_after_send(monkeypatch, failures: int) -> None:
    real_send, real_commit = mail.send, db.session.commit
    left = {"n": 0}

    def commit():
        if left["n"]:
            left["n"] -= 1
            raise sa.exc.OperationalError("COMMIT", {},
                                          Exception("terminating connection due to administrator command"))
        return real_commit()

    def send(message):
        real_send(message)
        left["n"] = failures  # the database goes away right after the SMTP server said 250

    monkeypatch.setattr(mail, "send", send)
    monkeypatch.setattr(db.session, "commit", commit)


def _receipt_id(email: str) -> int:
    return db.session.execute(sa.select(OutboxMessage.id).where(
        OutboxMessage.kind == "receipt", OutboxMessage.recipient == email)).scalar_one()


def test_sent_mail_is_recorded_after_a_short_outage(app, client, people, smtp_server, monkeypatch):
    submit(client, people.school_a, requester_email="herstart@example.nl")
    with app.app_context():
        outbox_id = _receipt_id("herstart@example.nl")
        _break_commits_after_send(monkeypatch, failures=3)
        assert deliver(outbox_id) == "sent"
        monkeypatch.undo()
        row = db.session.get(OutboxMessage, outbox_id)
        assert (row.status, row.attempts, row.claimed_until) == ("sent", 1, None)
        assert deliver(outbox_id) == "skipped"
    assert len([m for m in smtp_server.messages if m["To"] == "herstart@example.nl"]) == 1


def test_an_outage_longer_than_the_claim_leaves_it_pending(app, client, people, smtp_server, monkeypatch):
    """Then the mail goes again (at-least-once), with the same Message-ID."""
    submit(client, people.school_a, requester_email="lang@example.nl")
    monkeypatch.setitem(app.config, "OUTBOX_CLAIM_SECONDS", 1)
    with app.app_context():
        outbox_id = _receipt_id("lang@example.nl")
        _break_commits_after_send(monkeypatch, failures=1000)
        try:
            deliver(outbox_id)
        except sa.exc.OperationalError:
            pass
        else:
            raise AssertionError("deliver should give up when its claim ends")
        monkeypatch.undo()
        db.session.rollback()
        row = db.session.get(OutboxMessage, outbox_id)
        assert (row.status, row.attempts) == ("pending", 1)
        row.claimed_until = None  # the claim ran out
        db.session.commit()
        assert deliver(outbox_id) == "sent"
    copies = [m for m in smtp_server.messages if m["To"] == "lang@example.nl"]
    assert len(copies) == 2 and copies[0]["Message-ID"] == copies[1]["Message-ID"]
