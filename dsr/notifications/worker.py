"""The mail worker: sends the mail queue's jobs in its own process, consecutive mails over one SMTP
connection (docs/reliability.md, "The mail path")."""
from __future__ import annotations

import redis
import sqlalchemy as sa
from rq import SimpleWorker

from ..jobs import OutlivesRedisOutages, worker_app
from .mailer import MailBatch, batching


class MailWorker(OutlivesRedisOutages, SimpleWorker):
    """The mail worker (``rq worker --worker-class dsr.notifications.worker.MailWorker ... dsr-mail``): runs
    the send jobs in its own process, without a work-horse per job, and sends consecutive mails over one SMTP
    connection (:class:`~dsr.notifications.mailer.MailBatch`).

    A mail job is short and safe to run in-process: it claims a row, sends it and marks it sent, and
    a crash in the middle is what the claim and the re-drive already cover. Forking for each one cost
    most of its CPU. The connection stays open while jobs keep coming; it is closed when the queue is
    empty after a job (idle), after :attr:`batch_size` mails, or on any SMTP error (the next mail
    opens a new one).
    """

    #: Mails sent over one SMTP connection before it is closed and a new one opened.
    batch_size = 100

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = worker_app()
        with app.app_context():
            sa.orm.configure_mappers()
        self.mail_batch = MailBatch(self.batch_size)

    def execute_job(self, job, queue):
        try:
            with batching(self.mail_batch):
                super().execute_job(job, queue)
        finally:
            if self.mail_batch.open and self._queues_idle():
                self.mail_batch.close()

    def _queues_idle(self) -> bool:
        """True when no job waits on any of this worker's queues (or Redis cannot tell: close then)."""
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.llen(queue.key)
                return not any(pipe.execute())
        except redis.RedisError:
            return True

    def teardown(self):
        # The end of work() (a warm shutdown, the end of a burst): say goodbye to the relay.
        self.mail_batch.close()
        super().teardown()
