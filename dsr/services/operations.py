"""The operations page's actions (admins and the privacy officer): put a failed job back on the queue,
give a failed mail another try. Both are audited; each is one transaction."""
from __future__ import annotations

from typing import Any, cast

import redis
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from ..errors import NotFound
from ..extensions import db
from ..jobs import AppJob, get_queue, redis_connection
from ..models import OutboxMessage, User
from ..models._types import utcnow
from ..models.outbox import FAILED, PENDING
from ..notifications.jobs import enqueue_delivery
from . import audit
from .transaction import transactional


class OperationRefused(Exception):
    """The action is not possible now (nothing failed any more, Redis is down); nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transactional
def retry_job(user: User, job_id: str) -> None:
    """Put a failed job back on the queue; audited (the audit event commits with the requeue)."""
    gone = _("Deze taak staat niet (meer) bij de mislukte taken; er is niets gedaan.")
    try:
        connection = redis_connection()
        # A failed job of the general queue or of the mail queue (the page lists both).
        registries = [FailedJobRegistry(queue=queue, job_class=AppJob)
                      for queue in (get_queue(), get_queue(name=current_app.config["RQ_MAIL_QUEUE"]))]
        registry = next((r for r in registries if job_id in r), None)
        if registry is None:
            raise OperationRefused(gone)
        job = AppJob.fetch(job_id, connection=connection, serializer=JSONSerializer)
        audit.record("ops.job_retried", actor=user,
                     details={"job_id": job_id, "function": (job.func_name or "").rsplit(".", 1)[-1]})
        registry.requeue(job)
    except (InvalidJobOperation, NoSuchJobError) as exc:
        raise OperationRefused(gone) from exc
    except redis.RedisError as exc:
        raise OperationRefused(_("Redis is niet bereikbaar; de taak kan nu niet opnieuw worden gestart.")) from exc


@transactional
def retry_outbox(user: User, outbox_id: int) -> None:
    """Give a failed mail another try now: pending again, due now, a send job after the commit; audited.

    :class:`NotFound` for an unknown row, :class:`OperationRefused` when it has not failed (any more).
    """
    status = db.session.execute(sa.select(OutboxMessage.status).where(OutboxMessage.id == outbox_id)).scalar()
    if status is None:
        raise NotFound(outbox_id)
    # Only a row that is failed at this moment moves (a concurrent retry or re-drive wins once).
    # An UPDATE returns a cursor result (the row count); Session.execute is typed for any statement.
    done = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == FAILED)
        .values(status=PENDING, next_attempt_at=utcnow(), claimed_until=None)
    ))
    if done.rowcount != 1:
        raise OperationRefused(_("Bericht %(message)s is niet mislukt (meer); er is niets gedaan.", message=outbox_id))
    audit.record("ops.outbox_retried", actor=user, details={"outbox_id": outbox_id})
    # If Redis is down now, the row is pending and due: the periodic re-drive sends it later.
    enqueue_delivery(outbox_id)
