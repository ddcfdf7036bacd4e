"""What the connector services share (issue 17): a system's connector, a category's spec, the student's
key, and completing the Art. 19 task of a system that carried out a right.

Used by collection, execution, manual tasks and the roster sync; imports none of them.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..connectors import CategorySpec, Connector, Limits, StudentKey, connector_for
from ..connectors.credentials import open_credentials
from ..extensions import db
from ..models import Case, ConnectorRun, RecipientTask, System, SystemCategory
from ..models._types import utcnow
from ..models.fulfilment import TASK_DONE, TASK_OPEN
from . import audit


def system_settings(system: System) -> dict[str, Any]:
    """The system's non-secret settings (an unreadable value counts as none)."""
    try:
        value = json.loads(system.settings_json or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def connector_of(system: System) -> Connector:
    """The connector of ``system``, with its credentials opened (inside a job; never log it). A file-export
    system also gets ``export_dir`` (DSR_CONNECTOR_EXPORT_DIR), under which its ``folder`` lies."""
    settings = system_settings(system)
    if system.kind == "file":
        settings["export_dir"] = current_app.config.get("CONNECTOR_EXPORT_DIR")
    return connector_for(system.kind, settings, open_credentials(system.credentials_sealed),
                         Limits(timeout_seconds=system.timeout_seconds, max_bytes=system.max_response_bytes))


def spec_of(mapping: SystemCategory) -> CategorySpec:
    """The mapping as the connectors read it (no session needed)."""
    return CategorySpec(mapping.category.code, mapping.collect, tuple(mapping.field_list), mapping.key_field,
                        tuple(mapping.other_people_field_list), mapping.rectify, mapping.erase, mapping.restrict)


def student_key(case: Case) -> StudentKey:
    """Whose data a case is about, as the connectors ask for it."""
    return StudentKey(case.student_number or "", case.student_birth_date, case.student_name)


def complete_recipient_task(run: ConnectorRun) -> RecipientTask | None:
    """When ``run`` carried out a right in a system that stands for a register recipient (a processor),
    that recipient was told by the act itself: its open Art. 19 task (R-RI-7) is marked done, with a note
    that says how. Inside the caller's transaction; None when there is no such task."""
    system = run.system
    if run.purpose == "collect" or system.recipient_id is None:
        return None
    task = db.session.execute(sa.select(RecipientTask).where(
        RecipientTask.case_id == run.case_id, RecipientTask.recipient_id == system.recipient_id,
        RecipientTask.status == TASK_OPEN)).scalar()
    if task is None:
        return None
    when = utcnow()
    task.status, task.exception_kind, task.resolved_by_id, task.resolved_at = TASK_DONE, None, None, when
    task.note = f"Uitgevoerd in {system.name} via de koppeling van dsr ({when:%d-%m-%Y})."
    case = db.session.get(Case, run.case_id)
    audit.record("fulfilment.task_resolved", case=case, actor_kind="system", reason=task.note,
                 details={"task_id": task.id, "recipient": task.recipient.code, "outcome": TASK_DONE,
                          "exception": None, "system": system.code, "run_id": run.id})
    return task
