"""A file-export system's export, uploaded by staff for one case (issue 17 point 2, "File export").

Some systems only export: a CSV or XLSX file with every student's rows. When such a system has no folder
that dsr reads (``settings.folder``), its run waits for staff to upload the export on the progress page.
dsr keeps only the rows of the case's student (selected by the key column; another student's row is never
taken), redacts other people's fields and stores each category as a PDF with the CSV beside it, exactly as
a collection job does. The uploaded file itself is not stored: it holds other students' data.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..connectors import CategoryData, ConnectorError
from ..connectors.files import FileConnector
from ..extensions import db
from ..models import ConnectorRun, User
from . import storage
from .case_access import FulfilmentError, check_version, flush_or_conflict
from .collection import store_results
from .connector_runs import connector_of, spec_of, student_key
from .packages import package_for_edit
from .transaction import transaction

#: Runs that may take an upload: waiting for one, or failed (a folder that could not be read).
UPLOAD_STATUSES = ("waiting", "failed")


def collect_from_export(user: User, case_id: int, run_id: int, version: int, *, data: bytes,
                        filename: str) -> ConnectorRun:
    """Take the case's student's rows from an export staff uploaded for a file-export system's run, and store
    them as the run's documents. One commit; :class:`FulfilmentError` at the field ``export`` when the file
    cannot be used (nothing is stored then)."""
    form = f"export-{run_id}"
    if not data:
        raise FulfilmentError(_("Kies het exportbestand (CSV of XLSX) van dit systeem."), field="export", form=form)
    if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
        raise FulfilmentError(_("Het bestand is te groot."), field="export", form=form)
    stored: list[str] = []
    try:
        with transaction():
            case, _package = package_for_edit(user, case_id)
            run = db.session.get(ConnectorRun, run_id)
            if run is None or run.case_id != case.id or run.purpose != "collect" or run.system.kind != "file":
                raise FulfilmentError(_("Dit systeem neemt geen exportbestand aan."), form=form)
            if run.status not in UPLOAD_STATUSES:
                raise FulfilmentError(_("Dit systeem is al klaar of nog bezig."), form=form)
            check_version(case, version)
            connector, key = connector_of(run.system), student_key(case)
            if not isinstance(connector, FileConnector):  # the kind was checked above; this tells mypy
                raise FulfilmentError(_("Dit systeem neemt geen exportbestand aan."), form=form)
            results: dict[int, CategoryData] = {}
            for step in run.steps:
                mapping = next((m for m in run.system.mappings if m.category_id == step.category_id), None)
                if mapping is None:
                    raise FulfilmentError(_("'%(category)s' is niet meer gekoppeld aan dit systeem.",
                                            category=step.category.name), form=form)
                try:
                    results[step.id] = connector.collect_bytes(data, filename or "", spec_of(mapping), key)
                except ConnectorError as exc:
                    raise FulfilmentError(exc.message, field="export", form=form) from exc
            try:
                store_results(run, case, user, results, stored, uploaded_by=user)
            except ConnectorError as exc:
                raise FulfilmentError(exc.message, field="export", form=form) from exc
            flush_or_conflict()
    except Exception:
        for key_ in stored:
            storage.delete(key_)  # never leave an orphaned file behind
        raise
    return run
