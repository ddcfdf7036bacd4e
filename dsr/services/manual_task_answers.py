"""The owner answers a manual task through its link (issue 17 point 2): delivers the student's data per
category (PDF, CSV or XLSX; an XLSX becomes CSV), says a category holds nothing of this student, or confirms
that a right was carried out. One commit per answer; the link stops working once it is answered.

Delivered files become documents of the case's access package, checked by content like a staff upload
(``package_uploads``) and marked as delivered by the owner (no staff member uploaded them: ``uploaded_by_id``
is empty and the title says so). Staff still confirm each document's checks before release (R-EX-2, R-EX-3).
A confirmation completes the Art. 19 task of the processor the system stands for (R-RI-7).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import AccessPackage, Case, ConnectorStep, ManualTask, PackageDocument, RegisterCategory
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows.scope import category_problem
from . import audit, storage
from .case_access import FulfilmentError
from .connector_runs import complete_recipient_task
from .links import external_url
from .manual_tasks import TaskLinkError, staff_to_notify, task_of_link
from .package_uploads import detect_type
from .transaction import transaction

#: The most cells an XLSX export may have (its compressed size is bounded by UPLOAD_MAX_BYTES; this bounds
#: what it unpacks to).
MAX_XLSX_CELLS = 500_000
_ZIP_MAGIC = b"PK\x03\x04"


class AnswerError(FulfilmentError):
    """The answer is refused; ``field`` is the form field the message belongs to."""


@dataclass(frozen=True)
class CategoryAnswer:
    """What the owner gave for one category: a file, or ``none`` (this system holds nothing of the student)."""

    category_id: int
    data: bytes = b""
    filename: str = ""
    none: bool = False


def case_of(task: ManualTask) -> Case:
    """The case a task belongs to."""
    return db.session.get_one(Case, task.case_id)


def categories_of(task: ManualTask, case: Case) -> list[RegisterCategory]:
    """The categories a task is about: the system's categories, for a delivery only those within the
    assessed scope (a parent of a 17-year-old: learning results only)."""
    categories = [m.category for m in task.system.mappings if m.category.active]
    if task.kind == "deliver":
        categories = [c for c in categories if not category_problem(case.assessment_scope, c)]
    return categories


def xlsx_to_csv(data: bytes) -> list[tuple[str, bytes]]:
    """Each non-empty sheet of an XLSX export as (sheet name, UTF-8 CSV); :class:`AnswerError` if unreadable."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # why: large, needed only for an XLSX answer

    if not data.startswith(_ZIP_MAGIC):
        raise AnswerError(_("De inhoud van het bestand is geen Excel-bestand (XLSX). Exporteer het opnieuw."),
                          field="file")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise AnswerError(_("Het Excel-bestand kan niet worden gelezen. Exporteer het opnieuw als XLSX of CSV."),
                          field="file") from exc
    sheets, cells = [], 0
    try:
        for sheet in book.worksheets:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            rows = 0
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_XLSX_CELLS:
                    raise AnswerError(_("Het Excel-bestand is te groot. Stuur alleen de gegevens van deze leerling."),
                                      field="file")
                if any(v not in (None, "") for v in row):
                    writer.writerow(["" if v is None else v for v in row])
                    rows += 1
            if rows:
                sheets.append((str(sheet.title), out.getvalue().encode("utf-8")))
    finally:
        book.close()
    if not sheets:
        raise AnswerError(_("Het Excel-bestand is leeg."), field="file")
    return sheets


def _package(case: Case) -> AccessPackage:
    package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case.id)).scalar()
    if package is None:
        package = AccessPackage(case_id=case.id)
        db.session.add(package)
        db.session.flush()
    if package.released or package.delivered:
        raise AnswerError(_("De school heeft het pakket al afgerond. Neem contact op met de school."), field="file")
    return package


def _store(case: Case, package: AccessPackage, category: RegisterCategory, task: ManualTask, data: bytes,
           filename: str, stored: list[str], sheet: str = "") -> int:
    """Check and store one delivered file as a package document; returns its id."""
    content_type = detect_type(data, filename)
    key = storage.store(data)
    stored.append(key)
    title = _("%(category)s uit %(system)s (aangeleverd door de eigenaar)", category=category.name,
              system=task.system.name) + (f" – {sheet}" if sheet else "")
    document = PackageDocument(package=package, category=category, title=title[:200], content_type=content_type,
                               size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                               uploaded_by_id=None, uploaded_at=utcnow())
    db.session.add(document)
    db.session.flush()
    audit.record("package.document_added", case=case, actor_kind="owner",
                 details={"document_id": document.id, "category": category.code, "content_type": content_type,
                          "size": len(data), "system": task.system.code, "task_id": task.id})
    return document.id


def _claim(token: str, note: str) -> tuple[ManualTask, Case]:
    """The task of ``token``, marked answered first of all: a compare-and-set on ``answered_at``, so of two
    answers at the same moment (a double click, two colleagues; on any database) exactly one goes on and the
    others get :class:`TaskLinkError` ("used"). A refused answer rolls the mark back with everything else."""
    task = task_of_link(token)
    result = db.session.execute(sa.update(ManualTask).where(ManualTask.id == task.id, ManualTask.answered_at.is_(None))
                                .values(answered_at=utcnow(), answer_note=note)
                                .execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        raise TaskLinkError("used")
    db.session.refresh(task)
    return task, db.session.get_one(Case, task.case_id)


def _finish(task: ManualTask, case: Case, note: str, steps: dict[int, tuple[int | None, str]]) -> None:
    """Mark the (claimed) task's run done (one step per category), audit it, tell the staff."""
    now = task.answered_at or utcnow()
    existing = {s.category_id: s for s in task.run.steps}
    for category_id, (rows, documents) in steps.items():
        step = existing.get(category_id) or ConnectorStep(run=task.run, category_id=category_id)
        step.done_at, step.row_count, step.document_ids, step.error = now, rows, documents, ""
        db.session.add(step)
    task.run.status, task.run.finished_at, task.run.error = "done", now, ""
    db.session.flush()
    audit.record("manual_task.answered", case=case, actor_kind="owner",
                 details={"task_id": task.id, "run_id": task.run_id, "system": task.system.code, "kind": task.kind,
                          "categories": sorted(steps), "note": bool(note)})
    case_url = external_url("staff.case", case_id=case.id)
    for user in staff_to_notify(case):
        queue_mail("staff_owner_answered", user.email, case=case, user=user, task=task, system=task.system,
                   case_url=case_url)


def deliver(token: str, answers: list[CategoryAnswer], note: str) -> ManualTask:
    """The owner delivers the student's data: a file or "none" for every category of the task; one commit.
    Raises :class:`TaskLinkError` for a used or replaced link, :class:`AnswerError` for a refused file."""
    stored: list[str] = []
    try:
        with transaction():
            task, case = _claim(token, note)
            if task.kind != "deliver":
                raise TaskLinkError("invalid")
            given = {a.category_id: a for a in answers}
            steps: dict[int, tuple[int | None, str]] = {}
            package = None
            for category in categories_of(task, case):
                answer = given.get(category.id)
                field = f"file_{category.id}"
                if answer is None or (not answer.none and not answer.data):
                    raise AnswerError(_("Stuur een bestand, of vink aan dat er geen gegevens van deze leerling "
                                        "zijn."), field=field)
                if answer.none:
                    steps[category.id] = (0, "")
                    continue
                package = package or _package(case)
                name = answer.filename.lower()
                try:
                    if name.endswith(".xlsx"):
                        files = [("export.csv", csv_data, sheet) for sheet, csv_data in xlsx_to_csv(answer.data)]
                    else:
                        files = [(answer.filename, answer.data, "")]
                    ids = [_store(case, package, category, task, d, n, stored, s) for n, d, s in files]
                except FulfilmentError as exc:
                    raise AnswerError(str(exc), field=field) from exc
                steps[category.id] = (None, ",".join(str(i) for i in ids))
            _finish(task, case, note, steps)
    except Exception:
        for key in stored:
            storage.delete(key)  # never leave an orphaned file behind
        raise
    return task


def confirm(token: str, done_on: dt.date, note: str) -> ManualTask:
    """The owner confirms that the right was carried out on ``done_on``; completes the processor's Art. 19
    task; one commit."""
    with transaction():
        task, case = _claim(token, note)
        if task.kind == "deliver":
            raise TaskLinkError("invalid")
        if done_on > utcnow().date() + dt.timedelta(days=1):
            raise AnswerError(_("Die datum ligt in de toekomst."), field="done_on")
        steps: dict[int, tuple[int | None, str]] = {c.id: (None, "") for c in categories_of(task, case)}
        _finish(task, case, note, steps)
        audit.record("manual_task.confirmed", case=case, actor_kind="owner",
                     details={"task_id": task.id, "system": task.system.code, "done_on": done_on.isoformat()})
        complete_recipient_task(task.run)
    return task
