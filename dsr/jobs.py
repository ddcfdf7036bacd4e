"""RQ plumbing: the Redis connection, the queue, enqueue-after-commit and the job class.

Jobs receive ids only (never ORM objects or personal data: failed jobs sit in Redis for a long
time). A job is enqueued only after the transaction that caused it has committed; if Redis is down
at that moment nothing is lost, because the outbox and deadline sweeps re-drive from the database.
"""
from __future__ import annotations

import functools
import logging
import time

import redis
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from .extensions import db

log = logging.getLogger(__name__)
_PENDING_KEY = "dsr_rq_pending"
#: How long a failed job stays in Redis for the operations page (a week).
FAILURE_TTL = 7 * 24 * 3600


def redis_connection(app: Flask | None = None) -> redis.Redis:
    """The app's Redis client (short timeouts: an outage must not hang a web request)."""
    app = app or current_app
    conn = app.extensions.get("dsr_redis")
    if conn is None:
        conn = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=3, health_check_interval=30
        )
        app.extensions["dsr_redis"] = conn
    return conn


def get_queue(app: Flask | None = None, name: str | None = None) -> Queue:
    """A dsr job queue (JSON-serialised jobs, :class:`AppJob` so jobs run in an app context): ``name``, or
    the general queue ``RQ_QUEUE`` when None."""
    app = app or current_app
    return Queue(name or app.config["RQ_QUEUE"], connection=redis_connection(app), job_class=AppJob,
                 serializer=JSONSerializer)


def enqueue_after_commit(func, *args, job_id: str | None = None, queue_name: str | None = None) -> None:
    """Enqueue ``func(*args)`` on queue ``queue_name`` (None: ``RQ_QUEUE``) once the current transaction
    commits; drop it on rollback."""
    db.session().info.setdefault(_PENDING_KEY, []).append((func, args, job_id, queue_name))


def _enqueue_pending(session: sa.orm.Session) -> None:
    """After a commit: enqueue the transaction's jobs in one Redis round trip (one pipeline, whatever
    queues they go to). Two jobs with the same id (a mail queued twice in one transaction) are one job."""
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending or not has_app_context():
        return
    by_queue: dict[str | None, list] = {}
    seen: set[str] = set()
    for func, args, job_id, queue_name in pending:
        if job_id is not None:
            if job_id in seen:
                continue
            seen.add(job_id)
        by_queue.setdefault(queue_name, []).append(
            Queue.prepare_data(func, args, job_id=job_id, failure_ttl=FAILURE_TTL))
    try:
        with redis_connection().pipeline() as pipe:
            for queue_name, datas in by_queue.items():
                get_queue(name=queue_name).enqueue_many(datas, pipeline=pipe)
            pipe.execute()
    except redis.RedisError as exc:
        # The database already holds the work; the periodic re-drive will enqueue it later.
        log.warning("Redis unavailable, %d job(s) left for the re-drive: %s", len(pending), type(exc).__name__)


def _drop_pending(session: sa.orm.Session, *args) -> None:
    session.info.pop(_PENDING_KEY, None)


def discard_pending(session: sa.orm.Session) -> None:
    """Forget the jobs queued for after the commit: the transaction boundary calls this when it rolls back,
    because SQLAlchemy's ``after_rollback`` does not fire for a transaction that never reached the database."""
    _drop_pending(session)


def install_session_hooks() -> None:
    """Register the after-commit/after-rollback listeners (idempotent)."""
    if not sa.event.contains(sa.orm.Session, "after_commit", _enqueue_pending):
        sa.event.listen(sa.orm.Session, "after_commit", _enqueue_pending)
        sa.event.listen(sa.orm.Session, "after_rollback", _drop_pending)


@functools.cache
def _worker_app() -> Flask:
    from . import create_app  # the app factory imports every part of dsr, this module too: only at run time

    return create_app()


def worker_app() -> Flask:
    """The app a worker process builds once and runs every job in (the same one for the whole process)."""
    return _worker_app()


class AppJob(Job):
    """Runs each job inside a fresh app context (and so with a fresh database session)."""

    @property
    def func(self):
        func = super().func

        @functools.wraps(func)
        def in_app_context(*args, **kwargs):
            # The app behind the proxy (typed as Flask, so the checker does not know the proxy's method).
            app = current_app._get_current_object() if has_app_context() else _worker_app()  # type: ignore[attr-defined]
            with app.app_context():
                return func(*args, **kwargs)

        return in_app_context


_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


class OutlivesRedisOutages:
    """Mixed into dsr's workers (:class:`AppWorker`, :class:`MailWorker`): they outlive Redis outages.

    RQ retries only its wait for the next job; a Redis error while a job runs (or in the heartbeat,
    suspension check or maintenance around it) ends ``rq worker`` with "found an unhandled exception,
    quitting", and mail stops until someone restarts it. Here the worker waits for Redis instead and
    carries on. The job it was running may be lost from RQ's books; the database is the source of
    truth, and the outbox re-drive and the periodic sweeps pick up whatever it was doing.
    """

    #: Longest pause between attempts to reach Redis again (RQ's default is a minute).
    max_connection_wait_time = 5.0

    def _wait_for_redis(self, what: str, exc: Exception) -> None:
        log.warning("worker %s: Redis unavailable during %s (%s); waiting for it", self.name, what,  # type: ignore[attr-defined]
                    type(exc).__name__)
        delay = 0.5
        while True:
            time.sleep(delay)
            try:
                self.connection.ping()  # type: ignore[attr-defined]
            except _REDIS_DOWN:
                delay = min(2 * delay, self.max_connection_wait_time)
                continue
            log.warning("worker %s: Redis is back", self.name)  # type: ignore[attr-defined]
            return

    def execute_job(self, job, queue):
        try:
            super().execute_job(job, queue)  # type: ignore[misc]
        except _REDIS_DOWN as exc:
            self._wait_for_redis(f"job {job.id}", exc)

    def dequeue_job_and_maintain_ttl(self, *args, **kwargs):
        # RQ marks the worker idle before its own reconnect loop starts, so an outage at that moment
        # would end the worker; wait for Redis and listen again instead.
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(*args, **kwargs)  # type: ignore[misc]
            except _REDIS_DOWN as exc:
                self._wait_for_redis("the wait for the next job", exc)

    def heartbeat(self, *args, **kwargs):
        try:
            return super().heartbeat(*args, **kwargs)  # type: ignore[misc]
        except _REDIS_DOWN as exc:
            self._wait_for_redis("the heartbeat", exc)
            return super().heartbeat(*args, **kwargs)  # type: ignore[misc]

    def check_for_suspension(self, *args, **kwargs):
        try:
            return super().check_for_suspension(*args, **kwargs)  # type: ignore[misc]
        except _REDIS_DOWN as exc:
            self._wait_for_redis("the suspension check", exc)
            return super().check_for_suspension(*args, **kwargs)  # type: ignore[misc]

    def run_maintenance_tasks(self, *args, **kwargs):
        try:
            return super().run_maintenance_tasks(*args, **kwargs)  # type: ignore[misc]
        except _REDIS_DOWN as exc:  # maintenance runs again later; skip it this time
            self._wait_for_redis("maintenance", exc)


class AppWorker(OutlivesRedisOutages, Worker):
    """The general worker (sweeps, purges, checkpoints): builds the app once in its parent, so forked
    work-horses inherit it instead of building it again for every job (``rq worker --worker-class
    dsr.jobs.AppWorker``). It outlives Redis outages (:class:`OutlivesRedisOutages`). It does not
    listen on the mail queue: mail is ``notifications.worker.MailWorker``'s (docs/reliability.md says why)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = _worker_app()
        with app.app_context():
            # Configure the ORM mappers once here: otherwise every forked work-horse does it again
            # for every job (~0.1 s of CPU per mail, most of a job's cost).
            sa.orm.configure_mappers()
            db.engine.dispose()  # no connection may cross the fork
