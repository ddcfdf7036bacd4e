"""RQ jobs that send outbox rows: claim, send, mark sent; back off on SMTP trouble; re-drive."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from typing import Any, cast

import redis
import sqlalchemy as sa
from flask import current_app
from flask_mail import Message
from rq import Queue
from rq.intermediate_queue import IntermediateQueue
from rq.utils import utcparse

from ..extensions import db
from ..jobs import FAILURE_TTL, enqueue_after_commit, get_queue
from ..models import OutboxMessage
from ..models._types import utcnow
from ..models.outbox import FAILED, PENDING, SENT
from .mailer import send
from .sealed_links import digest, scrub, unseal

log = logging.getLogger(__name__)
#: After this many failed attempts a row is marked failed and shown on the operations page.
MAX_ATTEMPTS = 12
#: How long a sent mail's job keeps trying to record it as sent while the database is away (it
#: stops earlier when its claim ends; either way well inside RQ's default job timeout of 180 s).
MARK_SENT_MAX_SECONDS = 120


def _backoff(attempts: int) -> dt.timedelta:
    cap = current_app.config["OUTBOX_MAX_BACKOFF_SECONDS"]
    return dt.timedelta(seconds=min(cap, 30 * 2 ** max(attempts - 1, 0)))


def _claim(outbox_id: int, now: dt.datetime) -> bool:
    """Atomically take a pending, unclaimed row; False if sent, failed or held by another sender."""
    claim_for = dt.timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    # An UPDATE returns a CursorResult (with rowcount); Session.execute is typed with the general Result.
    result = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.status == PENDING,
            sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + claim_for, attempts=OutboxMessage.attempts + 1)
    ))
    db.session.commit()
    return result.rowcount == 1


def deliver(outbox_id: int) -> str:
    """Send one outbox row. At-least-once: a crash between send and commit can send it twice,
    with the same Message-ID. Returns "sent", "skipped" or "retry" (for logs and tests)."""
    claimed_at = utcnow()
    if not _claim(outbox_id, claimed_at):
        return "skipped"
    row = db.session.get_one(OutboxMessage, outbox_id)  # just claimed, so it exists
    try:
        text, html = unseal(row.body_text, row.body_html, row.links_sealed)
        message = Message(subject=row.subject, recipients=[row.recipient], body=text, html=html)
        message.msgId = row.message_id
        send(message)
    except Exception as exc:  # noqa: BLE001 - any failure must be recorded on the row, never lost
        if not isinstance(exc, (smtplib.SMTPException, OSError)):
            log.error("mail %s cannot be sent: %s", outbox_id, type(exc).__name__)
        now = utcnow()
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        row.claimed_until = None
        row.next_attempt_at = now + _backoff(row.attempts)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FAILED
        db.session.commit()
        log.warning("mail %s not sent (attempt %s): %s", outbox_id, row.attempts, type(exc).__name__)
        return "retry"
    claim_ends = claimed_at + dt.timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    kept_text, kept_html = scrub(row.body_text, row.body_html)
    _mark_sent(outbox_id, claim_ends, {"body_text": kept_text, "body_html": kept_html, "links_sealed": None,
                                       "sent_text_sha256": digest(text)})
    return "sent"


def _mark_sent(outbox_id: int, claim_ends: dt.datetime, kept: dict[str, str | None]) -> None:
    """Record a delivered mail, keeping ``kept`` (the scrubbed parts and digest) instead of its links.
    If the database is away for a moment (a restart), keep trying while our claim still holds, so
    nobody sends the mail again meanwhile; only an outage that outlasts the claim (or
    MARK_SENT_MAX_SECONDS) leaves the row pending, and then it goes a second time."""
    give_up = min(claim_ends, utcnow() + dt.timedelta(seconds=MARK_SENT_MAX_SECONDS))
    delay = 0.25
    while True:
        try:
            db.session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                .values(status=SENT, sent_at=utcnow(), claimed_until=None, last_error=None, **kept)
            )
            db.session.commit()
            return
        except sa.exc.DBAPIError as exc:
            db.session.rollback()
            if not (isinstance(exc, sa.exc.OperationalError) or exc.connection_invalidated):
                raise
            if utcnow() + dt.timedelta(seconds=delay) >= give_up:
                log.error("mail %s was sent but cannot be marked sent: %s", outbox_id, type(exc).__name__)
                raise
            log.warning("mail %s sent; database unavailable, marking it sent again in %.2fs", outbox_id, delay)
            time.sleep(delay)
            delay = min(2 * delay, 5.0)


def pending_due(now: dt.datetime, limit: int = 500) -> list[int]:
    """Ids of pending rows whose (re)try is due and that nobody holds."""
    grace = dt.timedelta(seconds=current_app.config["OUTBOX_REDRIVE_AFTER_SECONDS"])
    return list(db.session.execute(
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.created_at <= now - grace,
            sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ).scalars())


#: Job states in which a mail's job is still waiting to run: enqueueing another would only add work.
_WAITING = {b"queued", b"deferred", b"scheduled"}


def delivery_job_id(outbox_id: int) -> str:
    """The id of the send job of one outbox row, the same for the normal path and the re-drive: with
    it the re-drive sees whether the row's job is still waiting or running."""
    return f"outbox-{outbox_id}"


def mail_queue() -> Queue:
    """The queue of send jobs (``RQ_MAIL_QUEUE``), emptied by the mail worker."""
    return get_queue(name=current_app.config["RQ_MAIL_QUEUE"])


def enqueue_delivery(outbox_id: int) -> None:
    """Enqueue the send job of outbox row ``outbox_id`` on the mail queue once the transaction commits."""
    enqueue_after_commit(deliver, outbox_id, job_id=delivery_job_id(outbox_id),
                         queue_name=current_app.config["RQ_MAIL_QUEUE"])


def _job_is_live(status: bytes | None, started_at: bytes | None, live_since: dt.datetime) -> bool:
    """Whether a row's job (its status and start in Redis) still waits or runs, so the re-drive leaves it.

    A started job is live only while it may still be about to claim the row: the re-drive looks only at
    unclaimed rows, and a job claims its row first thing, for OUTBOX_CLAIM_SECONDS. A job that started
    before that and holds no claim died with its worker (killed mid-send), whatever Redis still says.
    """
    if status in _WAITING:
        return True
    if status == b"started" and started_at:
        return utcparse(started_at.decode()) > live_since
    return False


#: Redis key marking when the re-drive first saw a mail's job "queued" but no longer in its queue: taken
#: off it by a worker (RQ's intermediate list) and not started. A live worker starts it within
#: milliseconds; a worker killed at that moment leaves it there, and RQ clears it only at its next
#: maintenance, many minutes later.
_DEQUEUED_SEEN = "dsr:outbox:dequeued-seen:{}"


def _dequeued_but_dead(conn, job_ids: list[str], now: dt.datetime, claim: dt.timedelta) -> set[str]:
    """Of these jobs (status queued, not in their queue), those first seen so more than a claim ago."""
    with conn.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.set(_DEQUEUED_SEEN.format(job_id), f"{now.timestamp():.3f}", nx=True,
                     ex=int(4 * claim.total_seconds()) + 60)
            pipe.get(_DEQUEUED_SEEN.format(job_id))
        answers = pipe.execute()
    seen = answers[1::2]
    return {job_id for job_id, first in zip(job_ids, seen, strict=True)
            if first is not None and now.timestamp() - float(first) > claim.total_seconds()}


def redrive_outbox() -> int:
    """Periodic: enqueue a send job for every pending row the normal path did not deliver.

    A row whose job still waits in the queue (queued, deferred, scheduled) or runs (started, see
    :func:`_job_is_live`) is left alone: a backlog is not a loss, and one live job per mail is the
    most there should be. A finished, failed, dead or vanished job (Redis lost) is replaced, under
    the same id; so is a job a worker took off the queue and died before starting (seen so for longer
    than a claim). Returns the number of jobs enqueued.
    """
    now = utcnow()
    ids = pending_due(now)
    if not ids:
        return 0
    claim = dt.timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    try:
        queue = mail_queue()
        job_class, conn = queue.job_class, queue.connection
        with conn.pipeline(transaction=False) as pipe:
            for outbox_id in ids:
                pipe.hmget(job_class.key_for(delivery_job_id(outbox_id)), ["status", "started_at"])
            found = pipe.execute()
        queued = [delivery_job_id(i) for i, (status, _) in zip(ids, found, strict=True) if status == b"queued"]
        dead: set[str] = set()
        if queued:
            # The sync client's answer is the list itself (redis-py types it for the asyncio client too).
            waiting = {job_id.decode() for job_id in cast(list[bytes], conn.lrange(queue.key, 0, -1))}
            dequeued = [job_id for job_id in queued if job_id not in waiting]
            if dequeued:
                dead = _dequeued_but_dead(conn, dequeued, now, claim)
        todo, stale = [], []
        for outbox_id, (status, started_at) in zip(ids, found, strict=True):
            job_id = delivery_job_id(outbox_id)
            if _job_is_live(status, started_at, now - claim) and job_id not in dead:
                continue
            todo.append(outbox_id)
            if status is not None:
                stale.append(job_id)
        if not todo:
            return 0
        with conn.pipeline() as pipe:
            # An earlier job of the row goes first (registries, queue and RQ's intermediate list too),
            # so the new one starts clean and RQ's own clean-up never mistakes it for the old one.
            for job in job_class.fetch_many(stale, connection=conn, serializer=queue.serializer):
                if job is not None:
                    job.delete(pipeline=pipe)
                    pipe.lrem(IntermediateQueue.get_intermediate_queue_key(queue.key), 0, job.id)
                    pipe.delete(_DEQUEUED_SEEN.format(job.id))
            queue.enqueue_many([Queue.prepare_data(deliver, (outbox_id,), job_id=delivery_job_id(outbox_id),
                                                   failure_ttl=FAILURE_TTL) for outbox_id in todo], pipeline=pipe)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("re-drive could not reach Redis: %s", type(exc).__name__)
        return 0
    return len(todo)
