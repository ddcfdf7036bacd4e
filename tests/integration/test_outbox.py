"""The transactional outbox: Redis or SMTP outages delay mail but lose none, and each goes once."""
from __future__ import annotations

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, OutboxMessage
from dsr.notifications.jobs import deliver, redrive_outbox
from tests.helpers import case_count, submit


def _outbox(app):
    with app.app_context():
        return [(m.kind, m.status, m.attempts) for m in
                db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_submission_survives_redis_outage_and_mail_follows(app, client, people, redis_server, smtp_server, run_jobs):
    redis_server.stop()
    try:
        case_id = submit(client, people.school_a, requester_email="tijdens-storing@example.nl")
        page = client.get("/verzoek/ontvangen")
        assert page.status_code == 200 and "AVG-" in page.get_data(as_text=True)
        assert case_count(app) == 1
        assert all(status == "pending" for _, status, _ in _outbox(app))
    finally:
        redis_server.start()
    # Nothing was queued while Redis was down; the periodic re-drive finds the pending rows.
    run_jobs()
    assert smtp_server.messages == []
    with app.app_context():
        assert redrive_outbox() == len(_outbox(app))
    run_jobs()
    received = [m for m in smtp_server.messages if "tijdens-storing@example.nl" in m["To"]]
    assert len(received) == 1
    assert all(status == "sent" for _, status, _ in _outbox(app))
    # A second re-drive has nothing left to send.
    with app.app_context():
        assert redrive_outbox() == 0
        assert db.session.get(Case, case_id).reference.startswith("AVG-")


def test_smtp_outage_backs_off_and_delivers_later(app, client, people, smtp_server, run_jobs):
    smtp_server.stop()
    try:
        submit(client, people.school_a, requester_email="later@example.nl")
        run_jobs()
        rows = _outbox(app)
        assert rows and all(status == "pending" and attempts == 1 for _, status, attempts in rows)
        with app.app_context():
            first = db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().first()
            assert first.last_error and first.next_attempt_at > first.created_at
            # Backed off: the re-drive leaves it alone until its next attempt is due.
            assert redrive_outbox() == 0
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
            db.session.commit()
    finally:
        smtp_server.start()
    with app.app_context():
        assert redrive_outbox() == len(rows)
    run_jobs()
    assert len([m for m in smtp_server.messages if "later@example.nl" in m["To"]]) == 1
    assert all(status == "sent" for _, status, _ in _outbox(app))


def test_duplicate_jobs_send_once(app, client, people, smtp_server, run_jobs):
    submit(client, people.school_a, requester_email="eenmaal@example.nl")
    with app.app_context():
        receipt_id = db.session.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.kind == "receipt")).scalar_one()
        assert deliver(receipt_id) == "sent"
        assert deliver(receipt_id) == "skipped"
    run_jobs()  # the job enqueued after commit finds it already sent
    assert len([m for m in smtp_server.messages if "eenmaal@example.nl" in m["To"]]) == 1


def test_rollback_queues_and_sends_nothing(app, client, people, smtp_server, run_jobs):
    from dsr.jobs import get_queue
    from dsr.notifications import queue_mail

    case_id = submit(client, people.school_a)
    run_jobs()
    before = _outbox(app)
    smtp_server.clear()
    with app.app_context():
        case = db.session.get(Case, case_id)
        queue_mail("withdrawn", case.requester_email, case=case)
        db.session.rollback()
        assert get_queue(name=app.config["RQ_MAIL_QUEUE"]).count == 0
    run_jobs()
    assert smtp_server.messages == [] and _outbox(app) == before
