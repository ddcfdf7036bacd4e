"""Collecting a student's data from the school's systems for an access request (issue 17 point 3).

After the legal review, staff press "Gegevens verzamelen" (:func:`start_collection`): dsr makes one run per
active system of the case's school that holds a category within the assessed scope, with one step per such
category, and enqueues one job per run (``connector_jobs.run_collect``). Nothing outside the scope is ever
asked of a system: for a parent of a 17-year-old only the learning-result categories are queried.

When a system has answered for every category, :func:`store_collected` redacts other people's fields
(``workflows.redaction``) and stores each category as a readable PDF with the raw CSV beside it, in one
transaction: a system that fails leaves nothing in the package. Staff still confirm each document's checks
before the package is released, as for an upload. A failed system says what failed; staff retry it
(:func:`retry_run`) or upload its export by hand.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..connectors import CategoryData, ConnectorError
from ..errors import NotFound
from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import AccessPackage, Case, ConnectorRun, ConnectorStep, System, SystemCategory, User
from ..models._types import utcnow
from ..workflows.redaction import redact_rows
from ..workflows.scope import categories_in_scope
from ..workflows.vocabulary import REFUSE
from . import audit, manual_tasks, storage
from .case_access import ConflictError, FulfilmentError, check_version, flush_or_conflict, get_visible_case
from .clock import local_today
from .collected_documents import category_csv, category_pdf
from .connector_runs import system_settings
from .packages import PACKAGE_STATES, package_for_edit, store_document
from .register import categories as register_categories
from .transaction import transaction, transactional

#: How long after its job was enqueued a queued run is left alone by the re-drive (the job may still wait
#: for a free worker); ``claimed_until`` of a queued or confirmed run holds that moment.
JOB_GRACE_SECONDS = 120

#: The jobs of a run (``connector_jobs`` imports this module, so they are named, not imported).
COLLECT_JOB = "dsr.services.connector_jobs.run_collect"
PLAN_JOB = "dsr.services.connector_jobs.run_plan"
EXECUTE_JOB = "dsr.services.connector_jobs.run_execute"


def runs_of(case_id: int, purposes: tuple[str, ...] | None = None) -> list[ConnectorRun]:
    """The connector runs of a case (optionally of some purposes), in the order they were made."""
    query = sa.select(ConnectorRun).where(ConnectorRun.case_id == case_id).order_by(ConnectorRun.id)
    if purposes:
        query = query.where(ConnectorRun.purpose.in_(purposes))
    return list(db.session.execute(query).scalars())


def locked_run(run_id: int) -> ConnectorRun:
    """The run, locked for the rest of the transaction (PostgreSQL: ``FOR UPDATE OF connector_runs``, as its
    eager-loaded system and recipient sit on the nullable side of an outer join), read fresh."""
    return db.session.execute(sa.select(ConnectorRun).where(ConnectorRun.id == run_id)
                              .with_for_update(of=ConnectorRun).execution_options(populate_existing=True)
                              ).scalar_one()


def systems_for(case: Case) -> list[System]:
    """The active systems that may hold data of the case's school (every school's, or this one's)."""
    return list(db.session.execute(sa.select(System).where(
        System.active.is_(True), sa.or_(System.school_id.is_(None), System.school_id == case.school_id))
        .order_by(System.name)).scalars())


def expect_job(run: ConnectorRun, delay: int = 0) -> None:
    """Mark a queued or confirmed run as having a job on its way (due in ``delay`` seconds): the re-drive
    (``connector_jobs.redrive_connector_runs``) enqueues it again only when that job has not run in time."""
    run.claimed_until = utcnow() + dt.timedelta(seconds=delay + JOB_GRACE_SECONDS)


def _enqueue(run: ConnectorRun, suffix: str = "") -> None:
    expect_job(run)
    enqueue_after_commit(COLLECT_JOB, run.id, job_id=f"connector-run-{run.id}{suffix}")


def systems_to_collect(case: Case) -> list[tuple[System, list[SystemCategory]]]:
    """The systems not asked yet that hold a category within the case's assessed scope, with those
    categories' mappings."""
    in_scope = {c.id for c in categories_in_scope(case.assessment_scope, register_categories())}
    asked = {r.system_id for r in runs_of(case.id, ("collect",))}
    found = []
    for system in systems_for(case):
        mappings = [m for m in system.mappings if m.category_id in in_scope]
        if mappings and system.id not in asked:
            found.append((system, mappings))
    return found


def awaits_upload(system: System) -> bool:
    """A file-export system without a folder: staff upload its export for the case by hand."""
    return system.kind == "file" and not str(system_settings(system).get("folder") or "").strip()


@transactional
def start_collection(user: User, case_id: int, version: int) -> list[ConnectorRun]:
    """"Gegevens verzamelen": one run per concerned system without one yet, each with a step per category
    within the assessed scope; the jobs are enqueued after the commit. Commits."""
    case, _package = package_for_edit(user, case_id)
    if not (case.student_number or "").strip():
        raise FulfilmentError(_("Vul eerst het leerlingnummer in: de systemen zoeken de leerling op dat nummer."),
                              form="collect")
    check_version(case, version)
    created: list[ConnectorRun] = []
    codes: set[str] = set()
    for system, mappings in systems_to_collect(case):
        codes.update(m.category.code for m in mappings)
        run = ConnectorRun(case_id=case.id, system_id=system.id, purpose="collect", status="queued",
                           requested_by_id=user.id, attempts=0)
        run.steps = [ConnectorStep(category_id=m.category_id) for m in mappings]
        db.session.add(run)
        created.append(run)
    if not created:
        raise FulfilmentError(_("Er is geen systeem (meer) om uit te verzamelen: elk systeem met gegevens binnen "
                                "de omvang van dit verzoek is al gevraagd. Een mislukt systeem probeert u opnieuw "
                                "bij dat systeem."), form="collect")
    try:
        flush_or_conflict()
    except sa.exc.IntegrityError as exc:  # a colleague pressed the button at the same moment
        db.session.rollback()
        raise ConflictError() from exc
    for run in created:
        if run.system.kind == "manual":
            run.status = "waiting"
            manual_tasks.open_task(run, "deliver")
        elif awaits_upload(run.system):
            run.status = "waiting"  # staff upload the system's export (services.collected_exports)
        else:
            _enqueue(run)
    audit.record("collection.started", case=case, actor=user,
                 details={"systems": [r.system.code for r in created], "scope": case.assessment_scope,
                          "categories": sorted(codes)})
    return created


@transactional
def retry_run(user: User, case_id: int, run_id: int, version: int) -> ConnectorRun:
    """Try a failed run again (collection, dry run or carrying out); its automatic retries start over.
    Steps already done stay done. Commits."""
    case = get_visible_case(user, case_id)
    run = db.session.get(ConnectorRun, run_id)
    if run is None or run.case_id != case.id:
        raise NotFound(run_id)
    if run.status != "failed":
        raise FulfilmentError(_("Alleen een mislukt systeem kan opnieuw worden geprobeerd."), form="runs")
    if case.state not in PACKAGE_STATES:
        raise FulfilmentError(_("Dit kan niet meer in deze status van het verzoek."), form="runs")
    check_version(case, version)
    run.status = "confirmed" if run.confirmed_by_id else "queued"
    run.error, run.attempts, run.finished_at = "", 0, None
    expect_job(run)
    flush_or_conflict()
    func = COLLECT_JOB if run.purpose == "collect" else EXECUTE_JOB if run.confirmed_by_id else PLAN_JOB
    enqueue_after_commit(func, run.id, job_id=f"connector-run-{run.id}-retry-{utcnow():%Y%m%d%H%M%S%f}")
    audit.record("collection.retried" if run.purpose == "collect" else "execution.retried", case=case, actor=user,
                 details={"system": run.system.code, "run_id": run.id, "purpose": run.purpose})
    return run


# ---- storing what a system answered (inside the job) ------------------------------------------------------

def _package_for_run(case: Case) -> AccessPackage:
    """The case's package, when documents may still be added to it (else a ConnectorError for the run)."""
    if case.state not in PACKAGE_STATES or case.decision == REFUSE:
        raise ConnectorError("Het verzoek is intussen verder (of geweigerd); er is niets opgeslagen.")
    package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case.id)).scalar()
    if package is None:
        package = AccessPackage(case_id=case.id)
        db.session.add(package)
        db.session.flush()
    if package.released or package.delivered:
        raise ConnectorError("Het pakket is intussen vrijgegeven; haal de vrijgave terug en probeer het opnieuw.")
    return package


def store_collected(run_id: int, attempt: int, results: dict[int, CategoryData]) -> None:
    """Store every category of a run as package documents (redacted PDF and CSV) and mark the run done, in
    one transaction; the files stored are deleted again if it fails. Nothing is stored when the run is no
    longer this worker's attempt."""
    stored: list[str] = []
    try:
        with transaction():
            run = locked_run(run_id)
            if run.status != "running" or run.attempts != attempt:
                return
            case = db.session.get_one(Case, run.case_id)
            user = db.session.get(User, run.requested_by_id) if run.requested_by_id else None
            if user is None:
                raise ConnectorError("Wie de verzameling startte, bestaat niet meer; start haar opnieuw.")
            store_results(run, case, user, results, stored)
    except Exception:
        for key in stored:
            storage.delete(key)  # never leave an orphaned file behind
        raise


def store_results(run: ConnectorRun, case: Case, user: User, results: dict[int, CategoryData], stored: list[str],
                  *, uploaded_by: User | None = None) -> None:
    """Inside the caller's transaction: every step's rows, redacted, as package documents; the run done and
    audited (``uploaded_by``: a member of staff uploaded the system's export). ConnectorError when the package
    can no longer take documents."""
    package = _package_for_run(case)
    counts: dict[str, int] = {}
    redacted_total = 0
    for step in run.steps:
        data = results[step.id]
        mapping = db.session.execute(sa.select(SystemCategory).where(
            SystemCategory.system_id == run.system_id,
            SystemCategory.category_id == step.category_id)).scalar_one()
        rows, redacted = redact_rows(data.rows, mapping.other_people_field_list)
        redacted_total += redacted
        documents = _store_category(case, package, user, run, step, data.columns, rows, stored)
        step.done_at, step.row_count, step.error = utcnow(), len(rows), ""
        step.document_ids = ",".join(str(d) for d in documents)
        counts[step.category.code] = len(rows)
    run.status, run.finished_at, run.claimed_until, run.error = "done", utcnow(), None, ""
    details = {"system": run.system.code, "run_id": run.id, "rows": counts, "redacted_values": redacted_total}
    if uploaded_by is None:
        audit.record("collection.system_done", case=case, actor_kind="system", details=details)
    else:
        audit.record("collection.system_done", case=case, actor=uploaded_by, details={**details, "source": "upload"})


def _store_category(case: Case, package: AccessPackage, user: User, run: ConnectorRun, step: ConnectorStep,
                    columns: list[str], rows: list[dict[str, Any]], stored: list[str]) -> list[int]:
    """One category as its PDF and CSV documents; their ids."""
    category, system = step.category, run.system
    pdf = category_pdf(category=category.name, system=system.name, collected_on=local_today(),
                       reference=case.reference or "", columns=columns, rows=rows)
    title = f"{category.name} - {system.name}"
    ids = []
    try:
        for data, extension, suffix in ((pdf, "pdf", ""), (category_csv(columns, rows), "csv", " (CSV)")):
            document = store_document(case, package, user, data=data, filename=f"export.{extension}",
                                      category_id=category.id, title=title + suffix, stored=stored)
            ids.append(document.id)
    except FulfilmentError as exc:  # out of scope after a re-assessment, or too large for a package
        raise ConnectorError(f"'{category.name}': {exc.message}") from exc
    return ids
