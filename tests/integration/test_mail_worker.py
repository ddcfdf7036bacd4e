"""The mail path of issue 16: one live job per mail (the normal path and the re-drive share a job id per
outbox row, and the re-drive adds a job only when none waits or runs), the mail worker (no fork, one SMTP
connection per batch of consecutive mails), and a transaction's jobs enqueued in one Redis round trip."""
from __future__ import annotations

import datetime as dt

import pytest
import redis
import sqlalchemy as sa
from rq.serializers import JSONSerializer

from dsr import jobs
from dsr.extensions import db
from dsr.jobs import AppJob, enqueue_after_commit, get_queue, redis_connection
from dsr.models import OutboxMessage
from dsr.models._types import utcnow
from dsr.notifications.jobs import _job_is_live, deliver, delivery_job_id, mail_queue, redrive_outbox
from dsr.notifications.worker import MailWorker
from dsr.services import audit
from dsr.services.transaction import transaction
from tests.helpers import submit


class _PromptMailWorker(MailWorker):
    """The mail worker, ending its burst without a wait (the same rq 3.0 quirk as conftest's run_jobs), and
    counting the jobs it ran (rq counts them only in Redis, under a key it deletes when the burst ends)."""

    executed = 0

    def execute_job(self, job, queue):
        self.executed += 1
        super().execute_job(job, queue)

    def unsubscribe(self):
        if self.pubsub_thread:
            self.pubsub_thread.stop()
        super().unsubscribe()


@pytest.fixture
def mail_worker(app, monkeypatch):
    """Run the mail queue's jobs with the production mail worker class, in burst mode; returns the worker."""
    monkeypatch.setattr(jobs, "_worker_app", lambda: app)  # the test's app, not one from the environment

    def run(batch_size: int = 100) -> MailWorker:
        with app.app_context():
            worker = _PromptMailWorker([mail_queue()], connection=redis_connection(), job_class=AppJob,
                                       serializer=JSONSerializer)
            worker.mail_batch.size = batch_size
            worker.work(burst=True)
            return worker

    return run


def _rows(app):
    with app.app_context():
        return db.session.execute(
            sa.select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)).all()


def _make_due(app):
    """Every pending row due now and past the re-drive's grace period."""
    with app.app_context():
        past = utcnow() - dt.timedelta(hours=1)
        db.session.execute(sa.update(OutboxMessage).values(created_at=past, next_attempt_at=past))
        db.session.commit()


def _backlog(app, client, people, count: int) -> int:
    """``count`` submissions with no worker running: their mails wait. Returns the number of mails."""
    for n in range(count):
        submit(client, people.school_a, requester_email=f"wacht{n}@example.nl")
    return len(_rows(app))


# --- one live job per mail --------------------------------------------------------------------------


def test_one_job_per_mail_however_often_the_redrive_runs(app, client, people, smtp_server, mail_worker, monkeypatch):
    mails = _backlog(app, client, people, 4)
    _make_due(app)
    smtp_server.clear()
    monkeypatch.setitem(app.config, "OUTBOX_REDRIVE_AFTER_SECONDS", 0)  # no grace: every pending row is a candidate
    with app.app_context():
        added = [redrive_outbox() for _ in range(25)]
        queued = mail_queue().count
    executed = mail_worker().executed
    assert f"{executed / mails:.2f} jobs per mail" == "1.00 jobs per mail"
    assert queued == mails  # the normal path's jobs, under the rows' ids
    assert added == [0] * 25  # they still wait: the re-drive added nothing
    assert len(smtp_server.messages) == mails
    assert {status for status, _ in _rows(app)} == {"sent"}


def test_lost_redis_gets_every_row_redriven_once(app, client, people, smtp_server, redis_server, mail_worker):
    mails = _backlog(app, client, people, 3)
    _make_due(app)
    smtp_server.clear()
    redis_server.client().flushall()  # Redis lost every queued job
    with app.app_context():
        added = [redrive_outbox() for _ in range(10)]
        queued = mail_queue().count
    executed = mail_worker().executed
    assert f"{executed / mails:.2f} jobs per mail" == "1.00 jobs per mail"
    assert queued == mails and added == [mails] + [0] * 9
    assert len(smtp_server.messages) == mails and {status for status, _ in _rows(app)} == {"sent"}


def test_a_job_that_ran_is_replaced_when_its_row_is_due_again(app, client, people, smtp_server, mail_worker):
    smtp_server.stop()
    try:
        mails = _backlog(app, client, people, 1)
        assert mail_worker().executed == mails  # every attempt fails: the jobs finished, the rows wait for a retry
        assert all(status == "pending" and attempts == 1 for status, attempts in _rows(app))
        _make_due(app)
        with app.app_context():
            assert redrive_outbox() == mails  # finished jobs do not block the next try
            assert redrive_outbox() == 0  # the new ones wait
    finally:
        smtp_server.start()
    assert mail_worker().executed == mails
    assert {status for status, _ in _rows(app)} == {"sent"}


def test_a_started_job_counts_as_live_only_while_it_may_still_claim_its_row():
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    live_since = now - dt.timedelta(seconds=300)  # OUTBOX_CLAIM_SECONDS ago

    def stamp(moment: dt.datetime) -> bytes:  # as rq writes started_at
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()

    for waiting in (b"queued", b"deferred", b"scheduled"):
        assert _job_is_live(waiting, None, live_since)
    assert _job_is_live(b"started", stamp(now - dt.timedelta(seconds=2)), live_since)  # about to claim
    assert not _job_is_live(b"started", stamp(now - dt.timedelta(seconds=301)), live_since)  # its worker died
    for gone in (b"finished", b"failed", b"stopped", b"canceled", None):
        assert not _job_is_live(gone, None, live_since)


# --- the mail worker ----------------------------------------------------------------------------------


def test_the_mail_worker_sends_a_run_of_mails_over_one_connection(app, client, people, smtp_server, mail_worker):
    mails = _backlog(app, client, people, 6)
    assert mails >= 6  # a receipt each (staff hear of requests from their digest)
    smtp_server.clear()
    worker = mail_worker()
    assert worker.executed == mails  # still one job per mail
    assert worker.mail_batch.opened == 1 and not worker.mail_batch.open  # one connection, closed when idle
    assert len(smtp_server.messages) == mails
    with app.app_context():
        ids = {row.message_id for row in db.session.execute(sa.select(OutboxMessage)).scalars()}
    assert {m["Message-ID"] for m in smtp_server.messages} == ids  # each with its own Message-ID, once
    assert {status for status, _ in _rows(app)} == {"sent"}


def test_the_mail_worker_starts_a_new_connection_after_a_batch(app, client, people, smtp_server, mail_worker):
    mails = _backlog(app, client, people, 5)
    smtp_server.clear()
    worker = mail_worker(batch_size=2)
    assert worker.mail_batch.opened == -(-mails // 2)  # ceil(mails / 2)
    assert len(smtp_server.messages) == mails


def test_an_smtp_error_ends_the_connection_and_the_next_mail_opens_a_new_one(app, client, people, smtp_server,
                                                                             mail_worker):
    mails = _backlog(app, client, people, 2)
    smtp_server.stop()
    try:
        worker = mail_worker()
        assert worker.executed == mails and worker.mail_batch.opened == 0  # every connect refused
        assert all(status == "pending" and attempts == 1 for status, attempts in _rows(app))
    finally:
        smtp_server.start()
    smtp_server.clear()
    _make_due(app)
    with app.app_context():
        assert redrive_outbox() == mails
    worker = mail_worker()
    assert worker.mail_batch.opened == 1 and len(smtp_server.messages) == mails
    assert {status for status, _ in _rows(app)} == {"sent"}


# --- one Redis round trip per transaction ---------------------------------------------------------------


class _CountingConnection(redis.Connection):
    """A real Redis connection that counts the times it writes to the server: one per round trip (a
    pipeline sends all its commands at once)."""

    sends = 0

    def send_packed_command(self, command, check_health=True):
        type(self).sends += 1
        return super().send_packed_command(command, check_health)


def test_a_transactions_jobs_go_to_redis_in_one_round_trip(app, redis_server):
    with app.app_context():
        counting = redis.Redis.from_url(app.config["REDIS_URL"], connection_class=_CountingConnection)
        app.extensions["dsr_redis"] = counting
        try:
            with transaction():  # once first: rq asks the server's version once per client
                audit.record("mail.queued", actor_kind="system")
                enqueue_after_commit(redrive_outbox)
            before = _CountingConnection.sends
            with transaction():
                audit.record("mail.queued", actor_kind="system")
                for outbox_id in (101, 102, 103):  # three mails and a general job, on two queues
                    enqueue_after_commit(deliver, outbox_id, job_id=delivery_job_id(outbox_id),
                                         queue_name=app.config["RQ_MAIL_QUEUE"])
                enqueue_after_commit(redrive_outbox)
            assert _CountingConnection.sends - before == 1
            assert [job.id for job in mail_queue().jobs] == ["outbox-101", "outbox-102", "outbox-103"]
            assert [job.func_name for job in get_queue().jobs][-1].endswith("redrive_outbox")
        finally:
            app.extensions["dsr_redis"] = None
            counting.close()


def test_a_job_taken_off_the_queue_by_a_worker_that_died_is_replaced(app, client, people, smtp_server, mail_worker,
                                                                      monkeypatch):
    """A worker killed between taking a job off the queue and starting it leaves the job "queued" in RQ's
    intermediate list, where RQ looks again only at its next maintenance; the re-drive replaces it once
    it has been seen there for longer than a claim."""
    mails = _backlog(app, client, people, 1)
    _make_due(app)
    smtp_server.clear()
    with app.app_context():
        queue, conn = mail_queue(), redis_connection()
        stranded = conn.lmove(queue.key, f"{queue.key}:intermediate", "LEFT", "RIGHT").decode()  # as rq dequeues
        assert stranded.startswith("outbox-") and queue.fetch_job(stranded).get_status() == "queued"
        assert redrive_outbox() == 0  # first seen: it may be a live worker about to start it
        monkeypatch.setitem(app.config, "OUTBOX_CLAIM_SECONDS", 0)  # a claim's time later
        assert redrive_outbox() == 1  # the stranded one is replaced; the others still wait in the queue
        assert conn.llen(f"{queue.key}:intermediate") == 0 and queue.count == mails
    assert mail_worker().executed == mails
    assert len(smtp_server.messages) == mails and {status for status, _ in _rows(app)} == {"sent"}
