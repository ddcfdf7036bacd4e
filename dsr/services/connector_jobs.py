"""The RQ jobs that work in the school's systems (issue 17 points 3 and 4): collect, dry run, carry out.

Each run (``ConnectorRun``: one case, system and purpose) is its own job, with the run's id as its only
argument. A worker first *claims* the run with one ``UPDATE ... WHERE`` on its status (and an expired claim):
two workers never run one run, and a run whose worker died is taken over once its claim has expired
(:func:`redrive_connector_runs` enqueues those, and runs whose job was lost). A claim lasts
:func:`lease_seconds` and is renewed before every category.

Failures: a :class:`ConnectorError` that may pass (a timeout, a 5xx, a refused connection) is tried again
after ``CONNECTOR_RETRY_SECONDS`` (back-off), at most ``CONNECTOR_RETRIES`` times; any other failure ends the
run as failed, with the connector's message for staff (never a credential or a row of data).

Collection stores nothing until every category of a system was read: its documents are stored in one
transaction at the end (``collection.store_collected``), so a failed system never leaves part of its data
in the package. Carrying out commits each category's step as soon as its statement ran, so a crash
resumes at the first category not done and nothing runs twice (the statements are idempotent as well).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, cast

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import CursorResult

from ..connectors import Connector, ConnectorError, StudentKey
from ..extensions import db
from ..jobs import FAILURE_TTL, enqueue_after_commit, get_queue
from ..models import Case, ConnectorRun, ConnectorStep, SystemCategory
from ..models._types import utcnow
from . import audit, collection, execution
from .collection import COLLECT_JOB, EXECUTE_JOB, PLAN_JOB, expect_job, locked_run
from .connector_runs import connector_of, spec_of, student_key
from .transaction import transaction

log = logging.getLogger(__name__)



def job_id(run_id: int, attempt: int = 0) -> str:
    """The RQ job id of a run (``connector-run-<id>``; a retry adds its attempt number)."""
    return f"connector-run-{run_id}" if attempt == 0 else f"connector-run-{run_id}-{attempt}"


def lease_seconds(timeout_seconds: int) -> int:
    """How long a claim lasts: one category's work with room to spare (renewed before each category)."""
    return 2 * max(int(timeout_seconds), 1) + 30


# ---- claims ------------------------------------------------------------------------------------------

def _claim(run_id: int, *, ready: tuple[str, ...], executing: bool) -> int | None:
    """Take ``run_id`` for this worker if it is in a ``ready`` status, or running with an expired claim;
    commits and returns the attempt number, or None when it is not ours to run."""
    run = db.session.get(ConnectorRun, run_id)
    if run is None:
        return None
    now = utcnow()
    lease = dt.timedelta(seconds=lease_seconds(run.system.timeout_seconds))
    confirmed = ConnectorRun.confirmed_by_id.is_not(None) if executing else ConnectorRun.confirmed_by_id.is_(None)
    with transaction():  # the claim is committed on its own, before any work in the system
        result = db.session.execute(
            sa.update(ConnectorRun)
            .where(ConnectorRun.id == run_id, confirmed,
                   sa.or_(ConnectorRun.status.in_(ready),
                          sa.and_(ConnectorRun.status == "running", ConnectorRun.claimed_until < now)))
            .values(status="running", attempts=ConnectorRun.attempts + 1, claimed_until=now + lease,
                    started_at=sa.func.coalesce(ConnectorRun.started_at, now), error="")
            .execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount != 1:  # an UPDATE returns a cursor result
        return None
    db.session.expire_all()
    return db.session.get_one(ConnectorRun, run_id).attempts


def renew(run_id: int, attempt: int) -> None:
    """Extend this worker's claim before the next category; :class:`LostClaim` if another worker took it."""
    run = db.session.get_one(ConnectorRun, run_id)
    until = utcnow() + dt.timedelta(seconds=lease_seconds(run.system.timeout_seconds))
    with transaction():
        result = db.session.execute(
            sa.update(ConnectorRun).where(ConnectorRun.id == run_id, ConnectorRun.status == "running",
                                          ConnectorRun.attempts == attempt)
            .values(claimed_until=until).execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount != 1:
        raise LostClaim(run_id)


class LostClaim(Exception):
    """Another worker took the run over (this one was too slow); this worker stops without writing."""


def still_ours(run: ConnectorRun, attempt: int) -> bool:
    """Inside the finishing transaction: the run is still this worker's attempt."""
    return run.status == "running" and run.attempts == attempt


# ---- retries ----------------------------------------------------------------------------------------

def _retry_delay(attempt: int) -> int | None:
    """Seconds before the next try after failed attempt ``attempt``, or None when the retries are used up."""
    retries = int(current_app.config["CONNECTOR_RETRIES"])
    if attempt > retries:
        return None
    waits = list(current_app.config["CONNECTOR_RETRY_SECONDS"]) or [0]
    return int(waits[min(attempt - 1, len(waits) - 1)])


def enqueue_later(func: str, run_id: int, attempt: int, delay: int) -> None:
    """Enqueue the next try of a run (after the commit that recorded the failure): at once, or after
    ``delay`` seconds through the workers' scheduler (``rq worker --with-scheduler``)."""
    queue = get_queue()
    if delay <= 0:
        queue.enqueue(func, run_id, job_id=job_id(run_id, attempt), failure_ttl=FAILURE_TTL)
    else:
        queue.enqueue_in(dt.timedelta(seconds=delay), func, run_id, job_id=job_id(run_id, attempt),
                         failure_ttl=FAILURE_TTL)


def _failed(run_id: int, attempt: int, exc: ConnectorError, func: str, back_to: str) -> None:
    """Record a failed attempt: back to ``back_to`` for a retry when it may pass and retries are left, else
    ``failed``; audited."""
    delay = _retry_delay(attempt) if exc.retryable else None
    with transaction():
        run = locked_run(run_id)
        if not still_ours(run, attempt):
            return
        run.error, run.claimed_until = exc.message, None
        case = db.session.get_one(Case, run.case_id)
        details = {"system": run.system.code, "run_id": run.id, "purpose": run.purpose, "attempt": attempt,
                   "categories": [s.category.code for s in run.steps], "retry_in_seconds": delay}
        if delay is None:
            run.status, run.finished_at = "failed", utcnow()
        else:
            run.status = back_to
            expect_job(run, delay)
        if run.purpose == "collect":  # literal action names: the history's sentences are checked against them
            audit.record("collection.system_failed", case=case, actor_kind="system", reason=exc.message,
                         details=details)
        else:
            audit.record("execution.system_failed", case=case, actor_kind="system", reason=exc.message,
                         details=details)
    if delay is not None:
        try:
            enqueue_later(func, run_id, attempt, delay)
        except redis.RedisError as exc:  # the run waits as queued: the re-drive enqueues it after its grace period
            log.warning("connector run %d: retry not enqueued (%s); left for the re-drive", run_id,
                        type(exc).__name__)


def _guarded(run_id: int, attempt: int, func: str, back_to: str, work: Callable[[], None]) -> None:
    """Run ``work``; a connector failure is recorded as the run's (retried or failed), and any other error
    too, by its class only (its text may hold data)."""
    try:
        work()
    except LostClaim:
        log.warning("connector run %d: claim taken over by another worker; stopping", run_id)
    except ConnectorError as exc:
        db.session.rollback()
        _failed(run_id, attempt, exc, func, back_to)
    except Exception as exc:
        db.session.rollback()
        log.error("connector run %d failed: %s", run_id, type(exc).__name__)
        _failed(run_id, attempt, ConnectorError(f"Onverwachte fout in dsr ({type(exc).__name__}); "
                                                "de beheerder kan de logboeken nakijken."), func, back_to)


def _mapping_of(run: ConnectorRun, step: ConnectorStep) -> SystemCategory:
    mapping = db.session.execute(sa.select(SystemCategory).where(
        SystemCategory.system_id == run.system_id, SystemCategory.category_id == step.category_id)).scalar()
    if mapping is None:
        raise ConnectorError(f"'{step.category.code}' is niet meer gekoppeld aan {run.system.name}.")
    return mapping


def _opened(run_id: int) -> tuple[ConnectorRun, Case, Connector, StudentKey]:
    """The claimed run, its case, its system's connector (credentials opened) and the student's key."""
    run = db.session.get_one(ConnectorRun, run_id)
    case = db.session.get_one(Case, run.case_id)
    return run, case, connector_of(run.system), student_key(case)


# ---- the jobs ---------------------------------------------------------------------------------------------

def run_collect(run_id: int) -> str:
    """Job: read every category of the run from its system, then store them as package documents."""
    attempt = _claim(run_id, ready=("queued",), executing=False)
    if attempt is None:
        return "not claimed"

    def work() -> None:
        run, case, connector, key = _opened(run_id)
        results: dict[int, Any] = {}
        for step in run.steps:
            renew(run_id, attempt)
            results[step.id] = connector.collect(spec_of(_mapping_of(run, step)), key)
        collection.store_collected(run_id, attempt, results)

    _guarded(run_id, attempt, COLLECT_JOB, "queued", work)
    return "done"


def run_plan(run_id: int) -> str:
    """Job: the dry run of a run's action in its system (nothing changes); the plan is stored on the run."""
    attempt = _claim(run_id, ready=("queued",), executing=False)
    if attempt is None:
        return "not claimed"

    def work() -> None:
        run, case, connector, key = _opened(run_id)
        action = execution.ACTION_OF[run.purpose]
        plans = {}
        for step in run.steps:
            renew(run_id, attempt)
            mapping = _mapping_of(run, step)
            plans[step.category.code] = connector.plan(action, spec_of(mapping), key,
                                                       execution.changes_for(case, run.purpose, step.category_id))
        execution.store_plan(run_id, attempt, plans)

    _guarded(run_id, attempt, PLAN_JOB, "queued", work)
    return "done"


def run_execute(run_id: int) -> str:
    """Job: carry out a confirmed run, category by category; each step is committed as soon as it ran, so
    a crash resumes at the first category not done."""
    attempt = _claim(run_id, ready=("confirmed",), executing=True)
    if attempt is None:
        return "not claimed"

    def work() -> None:
        run, case, connector, key = _opened(run_id)
        action = execution.ACTION_OF[run.purpose]
        for step in [s for s in run.steps if s.done_at is None]:
            renew(run_id, attempt)
            mapping = _mapping_of(run, step)
            count = connector.execute(action, spec_of(mapping), key,
                                      execution.changes_for(case, run.purpose, step.category_id))
            execution.record_step(run_id, attempt, step.id, count)
        execution.finish_execution(run_id, attempt)

    _guarded(run_id, attempt, EXECUTE_JOB, "confirmed", work)
    return "done"


def enqueue_run(run: ConnectorRun, *, suffix: str = "") -> None:
    """Inside a transaction: the run's job, enqueued after the commit (ids only; ``suffix`` makes the job id
    of a later try differ from the first, whose job may still sit in Redis)."""
    func = COLLECT_JOB if run.purpose == "collect" else EXECUTE_JOB if run.confirmed_by_id else PLAN_JOB
    enqueue_after_commit(func, run.id, job_id=job_id(run.id) + suffix)


def redrive_connector_runs() -> list[int]:
    """Periodic: enqueue again the runs a worker left behind: queued or confirmed runs whose job did not run
    in time (Redis was down at the commit, or the job was lost), and running ones whose claim expired (the
    worker died). A run claimed meanwhile is skipped by the claim itself. Returns the run ids enqueued."""
    now = utcnow()
    runs = db.session.execute(sa.select(ConnectorRun).where(sa.or_(
        sa.and_(ConnectorRun.status.in_(("queued", "confirmed")),
                sa.or_(ConnectorRun.claimed_until.is_(None), ConnectorRun.claimed_until < now)),
        sa.and_(ConnectorRun.status == "running", ConnectorRun.claimed_until < now))).order_by(ConnectorRun.id)
    ).scalars().all()
    with transaction():
        for run in runs:
            if run.status != "running":
                expect_job(run)
            enqueue_run(run, suffix=f"-redrive-{now:%Y%m%d%H%M%S}")
    return [r.id for r in runs]
