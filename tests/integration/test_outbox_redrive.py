"""The re-drive adds no second job for a row whose job still waits in the queue (a backlog is not
a loss), but replaces a job that ran, failed or vanished with Redis."""
from __future__ import annotations

import sqlalchemy as sa

from dsr.extensions import db
from dsr.jobs import get_queue
from dsr.models import OutboxMessage
from dsr.notifications.jobs import redrive_outbox
from tests.helpers import submit


def _rows(app):
    with app.app_context():
        return db.session.execute(sa.select(OutboxMessage.status, OutboxMessage.attempts)).all()


def _mail_jobs() -> int:
    """The send jobs in the queue (each request also queues its staff announcement: issue 16)."""
    return sum(job.func_name.endswith(".deliver") for job in get_queue().jobs)


def _make_due(app):
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
        db.session.commit()


def test_backlog_is_not_multiplied_by_the_redrive(app, client, people, smtp_server, run_jobs):
    for n in range(3):
        submit(client, people.school_a, requester_email=f"wacht{n}@example.nl")
    rows = len(_rows(app))
    with app.app_context():
        queued = _mail_jobs()
        assert queued == rows  # the after-commit jobs, not yet run (a backlog)
        assert redrive_outbox() == rows  # older than the grace period: one re-drive job each
        assert redrive_outbox() == 0 and redrive_outbox() == 0  # still waiting: nothing added
        assert _mail_jobs() == 2 * rows
    run_jobs()
    assert len(smtp_server.messages) == rows  # each sent once; the spare jobs found it sent
    assert {status for status, _ in _rows(app)} == {"sent"}
    with app.app_context():
        assert redrive_outbox() == 0


def test_finished_or_lost_jobs_are_replaced(app, client, people, smtp_server, redis_server, run_jobs):
    smtp_server.stop()
    try:
        submit(client, people.school_a, requester_email="opnieuw@example.nl")
        rows = len(_rows(app))
        with app.app_context():
            assert redrive_outbox() == rows
        run_jobs()  # every attempt fails: the re-drive jobs finished, the rows wait for a retry
        assert all(status == "pending" and attempts >= 1 for status, attempts in _rows(app))
        _make_due(app)
        with app.app_context():
            assert redrive_outbox() == rows  # finished jobs do not block the next try
            redis_server.client().flushall()  # Redis lost every queued job
            assert redrive_outbox() == rows
            assert _mail_jobs() == rows
    finally:
        smtp_server.start()
    run_jobs()
    assert len([m for m in smtp_server.messages if m["To"] == "opnieuw@example.nl"]) == 1
    assert {status for status, _ in _rows(app)} == {"sent"}
