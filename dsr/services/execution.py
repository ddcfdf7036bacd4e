"""Carrying out a granted right in the school's systems (issue 17 point 4): rectification, erasure,
restriction and consent withdrawal.

1. :func:`plan_execution` ("Proefrun"): one run per active system of the school that holds a concerned
   category, one step per category. A system with a statement (or call) for the action in every concerned
   category gets a dry run job (``connector_jobs.run_plan``: for SQL the statements run in a transaction that
   is rolled back, and the rows they would change are shown); any other system is listed as "handmatig".
2. :func:`confirm_execution` ("Doorvoeren"): the planned runs are confirmed; the automatic ones are carried out
   by ``connector_jobs.run_execute``, category by category (:func:`record_step` commits each, so a crash
   resumes at the first category not done); a manual system's owner gets a task.
3. A system that carried it out completes the Art. 19 task of the recipient it stands for
   (``connector_runs.complete_recipient_task``, R-RI-7); ``corrections`` does the same when the task is made
   after the run was done.

Which categories: rectification, the factual ``RectificationItem``s (their field names must match the
system's ``rectify`` lines); erasure, the ``ErasureItem``s to erase (not those of a consent withdrawal);
restriction, the categories of the granted ``RightDecision``; withdrawal, the ``ErasureItem``s with ground
Art. 17(1)(b) (R-CH-8).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..connectors import ActionPlan, Change
from ..connectors.sql import rectify_statements
from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import Case, ConnectorRun, ConnectorStep, ErasureItem, RectificationItem, RegisterCategory, User
from ..models._types import utcnow
from ..workflows import states as S
from ..workflows.rights import WITHDRAWAL_OUTCOMES, decision_grants
from ..workflows.vocabulary import GRANT, PARTIAL
from . import audit, manual_tasks, retention
from .case_access import FulfilmentError, case_for_work, check_version, flush_or_conflict
from .case_records import decision_of, items_of
from .collected_documents import cell_text
from .collection import EXECUTE_JOB, PLAN_JOB, expect_job, locked_run, runs_of, systems_for
from .connector_runs import complete_recipient_task
from .register import categories as register_categories
from .transaction import transaction, transactional

#: The connector action of each purpose (``SystemCategory.rectify`` / ``erase`` / ``restrict``).
ACTION_OF = {"rectification": "rectify", "erasure": "erase", "restriction": "restrict", "withdrawal": "erase"}
#: What the owner of a manual system is asked to confirm.
TASK_KIND = {"rectification": "confirm_rectification", "erasure": "confirm_erasure",
             "restriction": "confirm_restriction", "withdrawal": "confirm_withdrawal"}
#: The most rows of a dry run kept per category to show staff (the count is always complete).
PLAN_ROWS_SHOWN = 50


def concerned_categories(case: Case, purpose: str) -> list[RegisterCategory]:
    """The register categories a granted right concerns, for ``purpose`` (empty when none)."""
    if purpose == "rectification":
        found = [i.category for i in items_of(RectificationItem, case.id) if i.kind == "factual"]
    elif purpose in ("erasure", "withdrawal"):
        withdrawal = purpose == "withdrawal"
        found = [i.category for i in items_of(ErasureItem, case.id)
                 if i.outcome == "erase" and (i.erase_ground == "17_1_b") == withdrawal]
    elif purpose == "restriction":
        decision = decision_of(case.id)
        if case.right != "restriction" or decision is None or not decision_grants(decision.outcome) \
                or decision.outcome in WITHDRAWAL_OUTCOMES:
            return []
        codes = set(decision.codes)
        found = [c for c in register_categories(active_only=False) if c.code in codes]
    else:
        raise ValueError(purpose)
    unique: dict[int, RegisterCategory] = {}
    for category in found:
        unique.setdefault(category.id, category)
    return list(unique.values())


def systems_concerned(case: Case, purpose: str) -> bool:
    """Whether any active system of the case's school holds a category that ``purpose`` concerns."""
    wanted = {c.id for c in concerned_categories(case, purpose)}
    return bool(wanted) and any(m.category_id in wanted for s in systems_for(case) for m in s.mappings)


def changes_for(case: Case, purpose: str, category_id: int) -> list[Change]:
    """The rectifications of one category (field, old and new value); none for the other purposes."""
    if purpose != "rectification":
        return []
    return [Change(i.field, i.old_value, i.new_value) for i in items_of(RectificationItem, case.id)
            if i.kind == "factual" and i.category_id == category_id]


def _manual_reason(case: Case, run_system: Any, purpose: str, mappings: list[Any]) -> str | None:
    """Why a system cannot carry out ``purpose`` itself (it becomes a manual task), or None."""
    if run_system.kind == "manual":
        return "Dit systeem heeft geen koppeling; de eigenaar krijgt een taak."
    if run_system.kind == "file":
        return "Dit systeem levert alleen een export; de eigenaar krijgt een taak om het door te voeren."
    action = ACTION_OF[purpose]
    for mapping in mappings:
        statement = getattr(mapping, action)
        if not statement.strip():
            return f"Voor '{mapping.category.name}' is geen opdracht ingesteld; de eigenaar krijgt een taak."
        if action == "rectify" and run_system.kind == "sql":
            fields = {c.field for c in changes_for(case, purpose, mapping.category_id)}
            missing = sorted(fields - set(rectify_statements(statement)))
            if missing:
                return (f"Voor het veld {', '.join(missing)} van '{mapping.category.name}' is geen correctie "
                        "ingesteld; de eigenaar krijgt een taak.")
    return None


def _case(user: User, case_id: int, purpose: str) -> tuple[Case, list[RegisterCategory]]:
    if purpose not in ACTION_OF:
        raise FulfilmentError(_("Onbekende handeling."))
    case = case_for_work(user, case_id, states=(S.LEGAL_BASIS_REVIEWED,))
    if case.decision not in (GRANT, PARTIAL):
        raise FulfilmentError(_("Doorvoeren kan na een beslissing 'toewijzen' of 'gedeeltelijk toewijzen'."),
                              form="execute")
    if not (case.student_number or "").strip():
        raise FulfilmentError(_("Vul eerst het leerlingnummer in: de systemen zoeken de leerling op dat nummer."),
                              form="execute")
    categories = concerned_categories(case, purpose)
    if not categories:
        raise FulfilmentError(_("Er is (nog) niets om in de systemen door te voeren."), form="execute")
    return case, categories


@transactional
def plan_execution(user: User, case_id: int, version: int, purpose: str) -> list[ConnectorRun]:
    """"Proefrun": per concerned system a run with its dry run (or "handmatig"); a plan that was not
    confirmed yet is made again. Commits; the dry run jobs are enqueued after the commit."""
    case, categories = _case(user, case_id, purpose)
    check_version(case, version)
    wanted = {c.id for c in categories}
    existing = {r.system_id: r for r in runs_of(case.id, (purpose,))}
    planned: list[ConnectorRun] = []
    for system in systems_for(case):
        mappings = [m for m in system.mappings if m.category_id in wanted]
        run = existing.get(system.id)
        if not mappings or (run is not None and (run.confirmed_by_id or run.status in ("queued", "running"))):
            continue
        if run is None:
            run = ConnectorRun(case_id=case.id, system_id=system.id, purpose=purpose)
            db.session.add(run)
        _set_steps(run, [m.category_id for m in mappings])
        run.requested_by_id, run.attempts, run.error, run.finished_at = user.id, 0, "", None
        reason = _manual_reason(case, system, purpose, mappings)
        run.plan_json = json.dumps({"manual": True, "reason": reason}) if reason else ""
        run.status = "planned" if reason else "queued"
        planned.append(run)
    if not planned:
        raise FulfilmentError(_("Geen systeem (meer) om een proefrun voor te maken."), form="execute")
    # A plan made again gets a new job id: the earlier dry run's job may still be known to RQ.
    _enqueue_runs(planned, "queued", PLAN_JOB, lambda run: f"connector-run-{run.id}-plan-{utcnow():%Y%m%d%H%M%S%f}")
    audit.record("execution.planned", case=case, actor=user,
                 details={"purpose": purpose, "systems": [r.system.code for r in planned],
                          "manual": [r.system.code for r in planned if r.status == "planned"],
                          "categories": sorted(c.code for c in categories)})
    return planned


def _enqueue_runs(runs: list[ConnectorRun], status: str, job: str, job_id: Callable[[ConnectorRun], str]) -> None:
    """Flush (a concurrent change is a conflict), then give each run in ``status`` its job after the commit."""
    flush_or_conflict()
    for run in runs:
        if run.status == status:
            expect_job(run)
            enqueue_after_commit(job, run.id, job_id=job_id(run))


def _set_steps(run: ConnectorRun, category_ids: list[int]) -> None:
    """The run's steps are exactly ``category_ids`` (kept steps stay; a plan made again may differ)."""
    for step in [s for s in run.steps if s.category_id not in category_ids]:
        run.steps.remove(step)
    have = {s.category_id for s in run.steps}
    run.steps.extend(ConnectorStep(category_id=c) for c in category_ids if c not in have)


def plan_of(run: ConnectorRun) -> dict[str, Any]:
    """The stored dry run of a run (empty while it is not made)."""
    try:
        value = json.loads(run.plan_json or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def store_plan(run_id: int, attempt: int, plans: dict[str, ActionPlan]) -> None:
    """Inside the dry run job: keep what would change per category, and wait for staff to confirm."""
    with transaction():
        run = locked_run(run_id)
        if run.status != "running" or run.attempts != attempt:
            return
        categories = {}
        for code, plan in plans.items():
            rows = [{k: cell_text(v) for k, v in row.items()} for row in plan.rows[:PLAN_ROWS_SHOWN]]
            categories[code] = {"rows": plan.row_count, "shown": rows, "description": plan.description}
        run.plan_json = json.dumps({"manual": False, "categories": categories})
        run.status, run.claimed_until = "planned", None
        audit.record("execution.plan_ready", case=db.session.get_one(Case, run.case_id), actor_kind="system",
                     details={"system": run.system.code, "run_id": run.id, "purpose": run.purpose,
                              "rows": {code: plan.row_count for code, plan in plans.items()}})


@transactional
def confirm_execution(user: User, case_id: int, version: int, purpose: str) -> list[ConnectorRun]:
    """"Doorvoeren": carry out every planned run (jobs after the commit); a manual system's owner gets a
    task. Refused while a dry run is still going. Commits."""
    case, _categories = _case(user, case_id, purpose)
    runs = runs_of(case.id, (purpose,))
    if any(r.status in ("queued", "running") and not r.confirmed_by_id for r in runs):
        raise FulfilmentError(_("De proefrun is nog bezig; wacht tot elk systeem klaar is."), form="execute")
    planned = [r for r in runs if r.status == "planned"]
    if not planned:
        raise FulfilmentError(_("Er is geen proefrun om te bevestigen."), form="execute")
    check_version(case, version)
    for run in planned:
        run.confirmed_by_id, run.attempts, run.error = user.id, 0, ""
        if plan_of(run).get("manual"):
            run.status = "waiting"
            manual_tasks.open_task(run, TASK_KIND[purpose])
        else:
            run.status = "confirmed"
    _enqueue_runs(planned, "confirmed", EXECUTE_JOB, lambda run: f"connector-run-{run.id}-execute")
    audit.record("execution.confirmed", case=case, actor=user,
                 details={"purpose": purpose, "systems": [r.system.code for r in planned],
                          "manual": [r.system.code for r in planned if r.status == "waiting"]})
    return planned


def record_step(run_id: int, attempt: int, step_id: int, count: int) -> None:
    """Inside the execution job: one category carried out (committed at once: a crash after this never
    runs it again)."""
    with transaction():
        run = locked_run(run_id)
        if run.status != "running" or run.attempts != attempt:
            return
        step = db.session.get_one(ConnectorStep, step_id)
        step.done_at, step.row_count, step.error = utcnow(), count, ""
        audit.record("execution.step_done", case=db.session.get_one(Case, run.case_id), actor_kind="system",
                     details={"system": run.system.code, "run_id": run.id, "purpose": run.purpose,
                              "category": step.category.code, "rows": count})


def finish_execution(run_id: int, attempt: int) -> None:
    """Inside the execution job: every category done; the run is done and the recipient's Art. 19 task
    completed (R-RI-7)."""
    with transaction():
        run = locked_run(run_id)
        if run.status != "running" or run.attempts != attempt:
            return
        run.status, run.finished_at, run.claimed_until, run.error = "done", utcnow(), None, ""
        task = complete_recipient_task(run)
        audit.record("execution.system_done", case=db.session.get_one(Case, run.case_id), actor_kind="system",
                     details={"system": run.system.code, "run_id": run.id, "purpose": run.purpose,
                              "rows": {s.category.code: s.row_count for s in run.steps},
                              "task_completed": task.id if task else None})


@retention.on_anonymise
def _forget_plans(case: Case) -> None:
    """A dry run shows the student's rows as they were: they go with the case file (the counts per category
    stay in the steps)."""
    db.session.execute(sa.update(ConnectorRun).where(ConnectorRun.case_id == case.id).values(plan_json=""))
