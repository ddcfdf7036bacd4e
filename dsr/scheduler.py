"""The periodic scheduler: ``flask --app wsgi dsr scheduler`` enqueues the sweeps on time.

Why not ``rq cron``: in RQ 3.0 it enqueues with the default pickle serializer and plain job class,
ignoring ``--serializer``/``--job-class``, and it has no leader election. This loop enqueues through
:func:`dsr.jobs.get_queue` (JSON, app context) and holds a Redis lock, so a second scheduler started
by mistake stands by instead of enqueueing the same sweeps again.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
import uuid

import redis
from flask import Flask
from redis.exceptions import LockError
from redis.lock import Lock

from .jobs import get_queue, redis_connection
from .notifications.jobs import redrive_outbox
from .services.audit_checkpoints import audit_checkpoint, mail_audit_checkpoint
from .services.connector_jobs import redrive_connector_runs
from .services.deadlines import sweep_deadlines
from .services.packages import purge_packages
from .services.retention import purge_expired
from .services.roster import sync_roster
from .services.staff_digest import send_staff_digests
from .services.webhook_jobs import redrive_webhooks

log = logging.getLogger(__name__)
LOCK_NAME = "dsr:scheduler:leader"
LOCK_TTL = 30
#: Redis hash: periodic job name -> Unix time it was last enqueued (shown on the operations page).
LAST_RUN_KEY = "dsr:scheduler:last_run"
#: (job, interval in seconds). Mail re-drive every minute; deadline sweep hourly; retention daily; a signed
#: audit checkpoint hourly, mailed to the privacy officers daily (docs/security.md); staff digests of new
#: requests every minute (each member gets at most one per STAFF_DIGEST_MINUTES: services/staff_digest.py).
PERIODIC = [(redrive_outbox, 60), (send_staff_digests, 60), (sweep_deadlines, 3600), (purge_expired, 24 * 3600),
            (purge_packages, 24 * 3600),  # access packages: files deleted 6 months after delivery (R-AC-4)
            (audit_checkpoint, 3600), (mail_audit_checkpoint, 24 * 3600),
            (sync_roster, 24 * 3600),  # the school's contacts from the student administration (issue 17)
            (redrive_connector_runs, 60),  # connector runs whose job was lost or whose worker died (issue 17)
            (redrive_webhooks, 60)]  # webhook deliveries due for a retry, or whose job was lost (issue 18)
#: The config key that overrides each job's interval (``DSR_SCHEDULER_REDRIVE_SECONDS`` etc.).
INTERVAL_KEYS = {"redrive_outbox": "SCHEDULER_REDRIVE_SECONDS", "sweep_deadlines": "SCHEDULER_SWEEP_SECONDS",
                 "purge_expired": "SCHEDULER_PURGE_SECONDS", "purge_packages": "SCHEDULER_PACKAGE_PURGE_SECONDS",
                 "audit_checkpoint": "SCHEDULER_AUDIT_CHECKPOINT_SECONDS",
                 "mail_audit_checkpoint": "SCHEDULER_AUDIT_MAIL_SECONDS",
                 "send_staff_digests": "SCHEDULER_DIGEST_SECONDS", "sync_roster": "SCHEDULER_ROSTER_SECONDS",
                 "redrive_connector_runs": "SCHEDULER_REDRIVE_SECONDS",
                 "redrive_webhooks": "SCHEDULER_REDRIVE_SECONDS"}


def periodic_jobs(config) -> list:
    """:data:`PERIODIC` with the intervals the app config sets (e.g. short ones in fault tests)."""
    jobs = []
    for func, interval in PERIODIC:
        configured = config.get(INTERVAL_KEYS[func.__name__])
        jobs.append((func, float(configured) if configured else interval))
    return jobs


class Scheduler:
    """Enqueue each periodic job when due, while holding the leader lock."""

    def __init__(self, app: Flask, periodic=None, tick: float = 1.0):
        self.app, self.tick = app, tick
        self.periodic = list(periodic or periodic_jobs(app.config))
        self.next_due = {func.__name__: 0.0 for func, _ in self.periodic}
        self.stopping = threading.Event()
        self.lock: Lock | None = None
        self.name = uuid.uuid4().hex[:8]

    def is_leader(self) -> bool:
        """Take or keep the leader lock; False while another scheduler holds it."""
        if self.lock is None:
            self.lock = redis_connection(self.app).lock(LOCK_NAME, timeout=LOCK_TTL, blocking=False)
        if self.lock.owned():
            self.lock.reacquire()
            return True
        return bool(self.lock.acquire(blocking=False))

    def run_once(self, now: float | None = None) -> list[str]:
        """Enqueue the jobs that are due now; returns their names."""
        now = time.time() if now is None else now
        if not self.is_leader():
            return []
        queue, enqueued = get_queue(self.app), []
        for func, interval in self.periodic:
            if now >= self.next_due[func.__name__]:
                queue.enqueue(func, job_timeout=int(max(interval, 300)), failure_ttl=7 * 24 * 3600)
                self.next_due[func.__name__] = now + interval
                enqueued.append(func.__name__)
        if enqueued:
            redis_connection(self.app).hset(LAST_RUN_KEY, mapping={name: f"{now:.3f}" for name in enqueued})
        return enqueued

    def run(self) -> None:
        """Loop until SIGINT/SIGTERM; Redis outages are waited out, not fatal."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("scheduler %s started", self.name)
        while not self.stopping.is_set():
            try:
                for name in self.run_once():
                    log.info("enqueued %s", name)
            except (redis.RedisError, LockError) as exc:
                self.lock = None
                log.warning("scheduler waiting for Redis: %s", type(exc).__name__)
            self.stopping.wait(self.tick)
        if self.lock is not None and self.lock.owned():
            try:
                self.lock.release()
            except (redis.RedisError, LockError):
                pass
        log.info("scheduler %s stopped", self.name)
