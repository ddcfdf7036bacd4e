"""Webhooks (issue 18 point 6), the outbox: a delivery row per subscription written in the transaction of
the case's state change, and the RQ job that POSTs it, signed, with retries and a periodic re-drive.

Like a mail (notifications/jobs.py): the row is the source of truth, the job only carries its id
(``webhook-<row id>``) and is enqueued after the commit, a job claims its row with one conditional UPDATE
before sending, a failure waits the next of ``WEBHOOK_RETRY_SECONDS`` and after the last the row is failed
(shown to the admin, who can try it again). Delivery is at least once: a crash between the POST and the
commit sends it again, with the same ``X-DSR-Delivery`` id, so a receiver can drop the duplicate.

The payload holds ids and states only (no name, address, birth date or free text): a receiver that
needs more reads the case through the API, with a token scoped to its schools.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, cast

import httpx
import redis
import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import current_app
from rq import Queue

from ..crypto import file_keys
from ..extensions import db
from ..jobs import FAILURE_TTL, enqueue_after_commit, get_queue
from ..models import Case, WebhookDelivery, WebhookSubscription
from ..models._types import utcnow
from ..workflows.webhook_events import events_for, parse_events, signature, url_problem
from .transaction import transaction

log = logging.getLogger(__name__)
PENDING, SENT, FAILED = "pending", "sent", "failed"
#: A claimed row is left alone by the re-drive this much longer than the POST may take.
CLAIM_MARGIN_SECONDS = 60
#: Job states in which a delivery's job is still to run: the re-drive adds no second one. A "started" job
#: of an unclaimed row is not among them: it died before its claim, or its claim ran out; the claim itself
#: keeps two jobs from sending the same row.
_WAITING = {b"queued", b"deferred", b"scheduled"}


def allow_local_http() -> bool:
    """http:// to this machine is allowed in the demo and the tests only; production endpoints are https."""
    return bool(current_app.config.get("DEMO") or current_app.config.get("TESTING"))


def seal_secret(secret: str) -> str:
    """A subscription's signing secret, sealed under the file keys (``DSR_FILE_KEYS``)."""
    return file_keys().encrypt(secret.encode()).decode()


def open_secret(sealed: str) -> str:
    """The signing secret of a subscription (only inside the delivery job)."""
    return file_keys().decrypt(sealed.encode()).decode()


def rotate_secret(sealed: str) -> str:
    """The same secret under the newest file key."""
    return file_keys().rotate(sealed.encode()).decode()


def payload(delivery_id: int, event: str, case: Case, occurred_at: dt.datetime) -> dict[str, Any]:
    """What a receiver gets: ids and states only, never personal data or free text."""
    return {"id": delivery_id, "event": event, "occurred_at": occurred_at.isoformat(timespec="seconds"),
            "case": {"id": case.id, "reference": case.reference, "school": case.school.code,
                     "state": case.state, "right": case.right}}


def record_case_events(action: str, case: Case, from_state: str | None, to_state: str | None) -> list[int]:
    """Write the deliveries an audited state change of ``case`` causes, in the caller's transaction (so a
    rollback writes none), and enqueue their jobs for after the commit. Returns the new rows' ids."""
    events = events_for(action, from_state, to_state)
    if not events:
        return []
    subscriptions = db.session.execute(
        sa.select(WebhookSubscription)
        .where(WebhookSubscription.active.is_(True),
               sa.or_(WebhookSubscription.school_id.is_(None), WebhookSubscription.school_id == case.school_id))
        .order_by(WebhookSubscription.id)
    ).scalars().all()
    ids: list[int] = []
    now = utcnow()
    for event in events:
        for subscription in subscriptions:
            if event not in parse_events(subscription.events):
                continue
            row = WebhookDelivery(subscription_id=subscription.id, event=event, payload_json="{}",
                                  status=PENDING, attempts=0, created_at=now, next_attempt_at=now)
            db.session.add(row)
            db.session.flush()  # the row's id goes into its own payload
            row.payload_json = json.dumps(payload(row.id, event, case, now), sort_keys=True)
            enqueue_delivery(row.id)
            ids.append(row.id)
    return ids


def delivery_job_id(delivery_id: int) -> str:
    """The id of a delivery's job, the same for the first try, the retries and the re-drive."""
    return f"webhook-{delivery_id}"


def enqueue_delivery(delivery_id: int) -> None:
    """Enqueue the delivery's job on the general queue once the transaction commits."""
    enqueue_after_commit(deliver, delivery_id, job_id=delivery_job_id(delivery_id))


def _claim_for() -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) + CLAIM_MARGIN_SECONDS)


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    """Atomically take a pending, unclaimed row (counting the attempt); False if it is sent, failed or
    held by another job."""
    with transaction():  # committed before the POST, so the claim holds against any other job
        result = cast(sa.CursorResult[Any], db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == PENDING,
                   sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
            .values(claimed_until=now + _claim_for(), attempts=WebhookDelivery.attempts + 1)
        ))
    return result.rowcount == 1


class _NotSent(Exception):
    """A try that did not reach a 2xx answer; its message goes on the row (no payload, no secret)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Attempt:
    """What one try needs, read after the claim so that no transaction stays open during the POST."""

    delivery_id: int
    event: str
    body: bytes
    attempts: int
    url: str
    secret_sealed: str
    active: bool


def _post(attempt: _Attempt) -> int:
    """POST the payload, signed; the answer's status when it is 2xx, else :class:`_NotSent`."""
    problem = url_problem(attempt.url, allow_local_http=allow_local_http())
    if problem is not None:
        raise _NotSent(f"address not allowed ({problem})")
    try:
        secret = open_secret(attempt.secret_sealed)
    except InvalidToken as exc:
        raise _NotSent("the signing secret cannot be opened with DSR_FILE_KEYS") from exc
    headers = {"Content-Type": "application/json", "X-DSR-Event": attempt.event,
               "X-DSR-Delivery": str(attempt.delivery_id), "User-Agent": "dsr-webhooks",
               "X-DSR-Signature": signature(secret, int(time.time()), attempt.body)}
    try:
        # No redirects followed: a signed payload goes to the address the admin set, nowhere else.
        with httpx.Client(timeout=float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]),
                          follow_redirects=False, trust_env=False) as client:
            response = client.post(attempt.url, content=attempt.body, headers=headers)
    except httpx.HTTPError as exc:
        raise _NotSent(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise _NotSent(f"HTTP {response.status_code}", response.status_code)
    return response.status_code


def _read(delivery_id: int) -> _Attempt:
    row = db.session.get_one(WebhookDelivery, delivery_id)  # just claimed, so it exists
    subscription = db.session.get_one(WebhookSubscription, row.subscription_id)  # the row goes with it
    attempt = _Attempt(row.id, row.event, row.payload_json.encode(), row.attempts, subscription.url,
                       subscription.secret_sealed, subscription.active)
    # End the read transaction: none stays open (idle in transaction) while the receiver takes its time.
    db.session.rollback()
    return attempt


def _update(delivery_id: int, **values: Any) -> None:
    """Record a try's outcome on the row (if it is still there: removing a webhook removes its rows)."""
    with transaction():
        db.session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                           .values(claimed_until=None, **values).execution_options(synchronize_session=False))


def deliver(delivery_id: int) -> str:
    """The job: send one delivery row. Returns "sent", "retry", "failed" or "skipped" (for logs and tests)."""
    if not _claim(delivery_id, utcnow()):
        return "skipped"
    attempt = _read(delivery_id)
    try:
        if not attempt.active:
            raise _NotSent("subscription switched off")
        status = _post(attempt)
    except _NotSent as exc:
        return _not_sent(attempt, str(exc), exc.status)
    _update(delivery_id, status=SENT, response_status=status, sent_at=utcnow(), last_error=None)
    return "sent"


def _not_sent(attempt: _Attempt, error: str, status: int | None) -> str:
    """Record a failed try: the next one after the next wait of WEBHOOK_RETRY_SECONDS, or failed after the last
    (or at once when the webhook was switched off meanwhile)."""
    waits = list(current_app.config["WEBHOOK_RETRY_SECONDS"])
    final = not attempt.active or attempt.attempts > len(waits)
    later = {} if final else {"next_attempt_at": utcnow() + dt.timedelta(seconds=waits[attempt.attempts - 1])}
    _update(attempt.delivery_id, status=FAILED if final else PENDING, last_error=error[:500],
            response_status=status, **later)
    log.warning("webhook delivery %s not sent (attempt %s): %s", attempt.delivery_id, attempt.attempts, error[:100])
    return "failed" if final else "retry"


def due_deliveries(now: dt.datetime, limit: int = 500) -> list[int]:
    """Ids of pending rows whose (re)try is due and that no job holds."""
    grace = dt.timedelta(seconds=current_app.config["OUTBOX_REDRIVE_AFTER_SECONDS"])
    return list(db.session.execute(
        sa.select(WebhookDelivery.id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now,
               WebhookDelivery.created_at <= now - grace,
               sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)
    ).scalars())


def redrive_webhooks() -> int:
    """Periodic: enqueue a job for every due pending delivery: its retry after a failed try, or its first
    try when the job was lost (Redis down at the commit, Redis emptied, a worker killed). A row whose job
    still waits or runs is left alone; a finished or vanished job is replaced under the same id. Returns
    the number of jobs enqueued (``OUTBOX_REDRIVE_AFTER_SECONDS`` leaves the newest rows to their own job)."""
    ids = due_deliveries(utcnow())
    if not ids:
        return 0
    try:
        queue = get_queue()
        job_class, conn = queue.job_class, queue.connection
        with conn.pipeline(transaction=False) as pipe:
            for delivery_id in ids:
                pipe.hget(job_class.key_for(delivery_job_id(delivery_id)), "status")
            statuses = pipe.execute()
        todo = [i for i, status in zip(ids, statuses, strict=True) if status not in _WAITING]
        stale = [delivery_job_id(i) for i, status in zip(ids, statuses, strict=True)
                 if i in todo and status is not None]
        if not todo:
            return 0
        with conn.pipeline() as pipe:
            for job in job_class.fetch_many(stale, connection=conn, serializer=queue.serializer):
                if job is not None:
                    job.delete(pipeline=pipe)
            queue.enqueue_many([Queue.prepare_data(deliver, (i,), job_id=delivery_job_id(i), failure_ttl=FAILURE_TTL)
                                for i in todo], pipeline=pipe)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("webhook re-drive could not reach Redis: %s", type(exc).__name__)
        return 0
    return len(todo)
