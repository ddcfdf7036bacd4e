"""The operations page for admins (and the privacy officer): the job queues (general and mail), failed jobs with a retry
button, outbox rows pending or failed with a "retry now" button, and the scheduler's last runs.

Admins must not read case content: outbox rows are shown by id, kind, status and attempts only —
never recipient, subject or body — and e-mail addresses are masked in any error text shown. If Redis
is down the database parts still render, with a note.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import cast

import redis
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from ..jobs import AppJob, get_queue, redis_connection
from ..models._types import utcnow
from ..scheduler import LAST_RUN_KEY, periodic_jobs
from ..services import operations, operations_pages
from ..workflows.roles import ADMIN, PRIVACY_OFFICER

log = logging.getLogger(__name__)
bp = Blueprint("operations", __name__, url_prefix="/beheer/systeem")

#: How many failed jobs and outbox rows the page lists (newest failures / most urgent rows first).
LIST_LIMIT = 100
JOB_LABELS = {
    "redrive_outbox": _l("Mail opnieuw aanbieden"),
    "send_staff_digests": _l("Nieuwe verzoeken melden aan medewerkers (overzicht per medewerker)"),
    "sweep_deadlines": _l("Termijnbewaking (herinneringen, te laat)"),
    "purge_expired": _l("Bewaartermijnen (dossiers anonimiseren)"),
    "purge_packages": _l("Inzagepakketten verwijderen (6 maanden na verzending)"),
    "audit_checkpoint": _l("Auditlog: ondertekend controlepunt vastleggen"),
    "mail_audit_checkpoint": _l("Auditlog: controlepunt mailen aan de privacyfunctionaris"),
    "sync_roster": _l("Leerlingen en contacten bijwerken uit de leerlingadministratie"),
    "redrive_connector_runs": _l("Koppelingen: verzamel- en uitvoertaken opnieuw aanbieden die bleven hangen"),
    "redrive_webhooks": _l("Webhooks: berichten opnieuw aanbieden (nieuwe poging of verloren taak)"),
}
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_EMAIL = re.compile(r"[^\s@'\"<>(),;:\[\]{}]+@[^\s@'\"<>(),;:\[\]{}]+")


@bp.before_request
@login_required
def _admins_and_privacy_officer_only():
    if current_user.role not in (ADMIN, PRIVACY_OFFICER):
        abort(403)


def mask(text: str | None, limit: int = 300) -> str:
    """Error text with every e-mail address masked (an SMTP refusal names its recipient), shortened."""
    text = _EMAIL.sub("[adres]", text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_line(exc_string: str | None) -> str:
    """The exception type and message: the last line of a traceback, never the traceback itself."""
    lines = [line.strip() for line in (exc_string or "").strip().splitlines() if line.strip()]
    return mask(lines[-1]) if lines else "(geen foutmelding bewaard)"


@dataclass(frozen=True)
class FailedJob:
    id: str
    function: str
    args: str
    failed_at: dt.datetime | None
    error: str


@dataclass(frozen=True)
class SchedulerRun:
    name: str
    label: str
    interval: float
    last_run: dt.datetime | None
    late: bool


@dataclass
class QueueState:
    """One queue's counts: waiting, running, scheduled, failed."""

    name: str
    queued: int
    started: int
    scheduled: int
    failed_count: int


@dataclass
class RedisPart:
    #: The general queue (sweeps, announcements) and the mail queue (one job per mail), in that order.
    queues: list[QueueState]
    #: The failed jobs of both queues, newest first.
    failed: list[FailedJob]
    last_runs: dict[str, float]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _failed_jobs(registry: FailedJobRegistry, connection) -> list[FailedJob]:
    ids = registry.get_job_ids(0, LIST_LIMIT - 1, desc=True)
    found = []
    for job in AppJob.fetch_many(ids, connection=connection, serializer=JSONSerializer):
        if job is None:  # expired between the listing and the fetch
            continue
        try:
            result = job.latest_result()
            function, args = job.func_name or "?", ", ".join(mask(repr(a), 40) for a in job.args)
        except Exception:  # noqa: BLE001 - a job whose data cannot be read is still listed
            result, function, args = None, "(onleesbaar)", ""
        found.append(FailedJob(
            id=job.id, function=function.rsplit(".", 1)[-1], args=args,
            failed_at=_aware(job.ended_at or (result.created_at if result else None)),
            error=error_line(result.exc_string if result is not None else None),
        ))
    return found


def _redis_part() -> RedisPart:
    connection = redis_connection()
    connection.ping()
    # redis-py types its commands for the sync and the asyncio client at once (ResponseT); this
    # client is the sync one, so the answer is the dict itself.
    last_runs = cast(dict[bytes, bytes], connection.hgetall(LAST_RUN_KEY))
    states, failed = [], []
    for queue in (get_queue(), get_queue(name=current_app.config["RQ_MAIL_QUEUE"])):
        registry = FailedJobRegistry(queue=queue, job_class=AppJob)
        states.append(QueueState(
            name=queue.name, queued=queue.count,
            started=StartedJobRegistry(queue=queue).get_job_count(cleanup=False),
            scheduled=ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False),
            failed_count=registry.count))
        failed.extend(_failed_jobs(registry, connection))
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    failed.sort(key=lambda job: job.failed_at or oldest, reverse=True)
    return RedisPart(queues=states, failed=failed[:LIST_LIMIT],
                     last_runs={k.decode(): float(v) for k, v in last_runs.items()})


def _scheduler_runs(last_runs: dict[str, float], now: dt.datetime) -> list[SchedulerRun]:
    runs = []
    for func, interval in periodic_jobs(current_app.config):
        stamp = last_runs.get(func.__name__)
        last = dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp is not None else None
        # Late: more than two intervals (and a minute's slack) without a run.
        late = last is None or (now - last).total_seconds() > 2 * interval + 60
        runs.append(SchedulerRun(func.__name__, JOB_LABELS.get(func.__name__, func.__name__), interval, last, late))
    return runs


@bp.route("/")
def index():
    """The page: database parts always, Redis parts when Redis answers."""
    try:
        redis_part, redis_error = _redis_part(), None
    except redis.RedisError as exc:
        log.warning("operations page without Redis: %s", type(exc).__name__)
        redis_part, redis_error = None, type(exc).__name__
    now = utcnow()
    return render_template(
        "operations/index.html", redis_part=redis_part, redis_error=redis_error,
        outbox=operations_pages.outbox_rows(LIST_LIMIT), outbox_counts=operations_pages.outbox_counts(),
        scheduler=_scheduler_runs(redis_part.last_runs, now) if redis_part else [],
        now=now, mask=mask, limit=LIST_LIMIT,
    )


@bp.errorhandler(operations.OperationRefused)
def _refused(exc: operations.OperationRefused):
    """A retry the service refused (nothing changed): the page again, with the reason."""
    flash(exc.message)
    return redirect(url_for("operations.index"))


@bp.route("/taken/<job_id>/opnieuw", methods=["POST"])
def retry_job(job_id: str):
    """Put a failed job back on the queue (audited)."""
    if not _JOB_ID.match(job_id):
        abort(404)
    operations.retry_job(current_user, job_id)
    flash(_("Taak %(job)s staat weer in de wachtrij.", job=job_id))
    return redirect(url_for("operations.index"))


@bp.route("/mail/<int:outbox_id>/opnieuw", methods=["POST"])
def retry_outbox(outbox_id: int):
    """Give a failed mail another try now (audited); an unknown row is the 404 page."""
    operations.retry_outbox(current_user, outbox_id)
    flash(_("Bericht %(message)s wordt opnieuw verstuurd.", message=outbox_id))
    return redirect(url_for("operations.index"))
