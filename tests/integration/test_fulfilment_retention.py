"""When a case file itself expires (R-AC-4, services.retention), fulfilment's personal data goes with it:
package files and titles, letter PDFs, rectification values, decision texts and Art. 19 notes. What was
decided, for which categories and recipients, stays for the statistics."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AccessPackage, Case, Letter, PackageDocument, RecipientTask, RectificationItem, RegisterCategory
from dsr.services.register import seed_register
from dsr.services.retention import REMOVED, purge_expired
from dsr.services.storage import _path as storage_path
from tests.helpers import case_version, login, plain_pdf, step, submit

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)


def _later() -> dt.date:
    return dt.date.today() + dt.timedelta(days=6 * 366)


def test_an_expired_access_case_loses_its_files_and_letters(app, client, people):
    with app.app_context():
        seed_register()
        db.session.commit()
        grades = db.session.execute(sa.select(RegisterCategory.id).where(RegisterCategory.code == "cijfers")).scalar()
    case_id = submit(client, people.school_a)
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    step(staff, app, case_id, "review", decision="grant", reason="Ok.")
    staff.post(f"/zaken/{case_id}/pakket/document", content_type="multipart/form-data",
               data={"file": (io.BytesIO(PDF), "a.pdf"), "category_id": str(grades), "title": "Rapport van Sam"})
    with app.app_context():
        doc_id = db.session.execute(sa.select(PackageDocument.id)).scalar_one()
    staff.post(f"/zaken/{case_id}/pakket/document/{doc_id}/controle",
               data={f"d{doc_id}-third_party": "y", f"d{doc_id}-work_notes": "y"})
    staff.post(f"/zaken/{case_id}/pakket/vrijgeven", data={"confirmed": "y", "version": case_version(app, case_id)})
    assert step(staff, app, case_id, "fulfil", reason="Verstuurd.").status_code == 302
    with app.app_context():
        document = db.session.get(PackageDocument, doc_id)
        letter = db.session.execute(sa.select(Letter).where(Letter.case_id == case_id)).scalar_one()
        files, letter_id = [storage_path(document.storage_key), storage_path(letter.storage_key)], letter.id
        assert all(f.exists() for f in files)
        assert purge_expired(_later()) == [db.session.get(Case, case_id).reference]
    assert not any(f.exists() for f in files)
    with app.app_context():
        document = db.session.get(PackageDocument, doc_id)
        assert document.storage_key is None and document.title == REMOVED and document.sha256
        assert db.session.execute(sa.select(Letter.storage_key)).scalar_one() == ""
        assert db.session.execute(sa.select(AccessPackage.delivered_at)).scalar_one() is not None
    letter_page = staff.get(f"/zaken/{case_id}/brieven/pdf/{letter_id}")
    assert letter_page.status_code == 404


def test_an_expired_rectification_loses_its_values(app, client, people):
    with app.app_context():
        seed_register()
        db.session.commit()
        enrolment = db.session.execute(sa.select(RegisterCategory.id).where(
            RegisterCategory.code == "inschrijving")).scalar()
    case_id = submit(client, people.school_a, right="rectification", data_concerned="Adres",
                     correct_value="Stationsstraat 1")
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    step(staff, app, case_id, "review", decision="grant", reason="Ok.")
    staff.post(f"/zaken/{case_id}/rectificatie", data={
        "category_id": str(enrolment), "kind": "factual", "field": "Adres", "old_value": "Dorpsstraat 3",
        "new_value": "Stationsstraat 1", "evidence": "BRP", "statement": ""})
    staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)})
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask.id)).scalars().all()
    for task_id in tasks:
        staff.post(f"/zaken/{case_id}/art19/{task_id}", data={
            f"t{task_id}-version": case_version(app, case_id), f"t{task_id}-outcome": "done",
            f"t{task_id}-note": "Gemeld aan mevrouw De Vries."})
    assert step(staff, app, case_id, "fulfil", reason="Gewijzigd.").status_code == 302
    with app.app_context():
        purge_expired(_later())
        item = db.session.execute(sa.select(RectificationItem)).scalar_one()
        assert (item.field, item.old_value, item.new_value, item.evidence) == (REMOVED,) * 4
        assert item.category.code == "inschrijving" and item.carried_out_at is not None
        notes = db.session.execute(sa.select(RecipientTask.note, RecipientTask.status)).all()
        assert notes and all(note == REMOVED and status == "done" for note, status in notes)
