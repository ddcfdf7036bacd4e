"""A file-export system's export uploaded by staff for one case (issue 17 point 2, "File export"): its run waits
for the upload, only the case's student's rows become documents (redacted), a bad file is a clear message at the
field with nothing stored, and the form carries the case's version and its CSRF token."""
from __future__ import annotations

import io
import json
import re

import openpyxl
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, System
from dsr.services import storage
from dsr.workflows.redaction import REDACTED
from tests.helpers import case_version, signed_in, text_of
from tests.integration.connector_helpers import NUMBER, OTHER, add_system, runs, set_student_number
from tests.integration.helpers import documents_of, pdf_text, reviewed_case

MAPPINGS = {
    "cijfers": {"collect": "cijfers*.csv", "key_field": "leerlingnummer",
                "fields": "leerlingnummer,vak,cijfer,opmerking_docent", "other_people_fields": "opmerking_docent"},
}
HEADER = ["leerlingnummer", "vak", "cijfer", "opmerking_docent", "klasgenoot"]
ROWS = [[NUMBER, "Nederlands", "7,5", "Zit naast Daan Jansen", "Daan Jansen"],
        [OTHER, "Nederlands", "5,9", "Zit naast Sam", "Sam Jansen"],
        [NUMBER, "Wiskunde", "6,8", "", "Eva Smit"]]


def _csv() -> bytes:
    lines = [";".join(HEADER)] + [";".join(r) for r in ROWS]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _case_with_export_system(app, client, people):
    case_id, staff = reviewed_case(app, client, people, age=12)
    set_student_number(app, case_id)
    system_id = add_system(app, "cijferexport", read_url="", kind="file", mappings=MAPPINGS)
    with app.app_context():  # no folder: staff upload the export for each case
        db.session.get(System, system_id).settings_json = json.dumps({"format": "auto", "key_column": ""})
        db.session.commit()
    staff.post(f"/zaken/{case_id}/verzamelen", data={"version": case_version(app, case_id)})
    return case_id, staff


def _upload(staff, app, case_id, run_id, data: bytes, name: str, version=None):
    return staff.post(f"/zaken/{case_id}/koppelingen/{run_id}/export", content_type="multipart/form-data",
                      data={"version": case_version(app, case_id) if version is None else version,
                            "export": (io.BytesIO(data), name)})


def test_a_file_system_without_a_folder_waits_for_the_export_and_keeps_only_the_students_rows(
        app, client, people, register, run_jobs):
    case_id, staff = _case_with_export_system(app, client, people)
    [run] = runs(app, case_id, "collect")
    assert run.status == "waiting"
    run_jobs()  # no job of its own: nothing to read until staff upload the export
    assert runs(app, case_id, "collect")[0].status == "waiting"
    page = text_of(staff.get(f"/zaken/{case_id}/koppelingen"))
    assert "Wacht op de export" in page and "Export inlezen" in page

    answer = _upload(staff, app, case_id, run.id, _csv(), "cijfers-export.csv")
    assert answer.status_code == 302
    [run] = runs(app, case_id, "collect")
    assert run.status == "done" and [s.row_count for s in run.steps] == [2]
    pdf, csv_doc = documents_of(app, case_id)
    with app.app_context():
        csv_text = storage.load(csv_doc.storage_key).decode("utf-8-sig")
        pdf_bytes = storage.load(pdf.storage_key)
    assert OTHER not in csv_text and "5,9" not in csv_text  # the classmate's row never taken
    assert "Daan Jansen" not in csv_text and REDACTED in csv_text  # other people's field redacted
    assert "klasgenoot" not in csv_text and "Eva Smit" not in csv_text  # only the configured fields
    assert "Wiskunde" in pdf_text(pdf_bytes) and "Daan Jansen" not in pdf_text(pdf_bytes)
    assert pdf.third_party_checked_at is None  # staff still confirm every document
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "collection.system_done")).scalars()
        details = json.loads(event.details)
        assert details["source"] == "upload" and details["rows"] == {"cijfers": 2}
        assert event.actor_id == people.staff_a
    # Done: no second upload.
    again = _upload(staff, app, case_id, run.id, _csv(), "cijfers-export.csv")
    assert again.status_code == 422 and "al klaar" in text_of(again)


def test_an_xlsx_export_works_the_same(app, client, people, register):
    case_id, staff = _case_with_export_system(app, client, people)
    [run] = runs(app, case_id, "collect")
    assert _upload(staff, app, case_id, run.id, _xlsx(), "cijfers.xlsx").status_code == 302
    [run] = runs(app, case_id, "collect")
    assert run.status == "done" and [s.row_count for s in run.steps] == [2]


def test_a_bad_export_is_a_message_at_the_field_and_stores_nothing(app, client, people, register):
    case_id, staff = _case_with_export_system(app, client, people)
    [run] = runs(app, case_id, "collect")
    no_key = b"vak;cijfer\r\nNederlands;7,5\r\n"
    for data, name, expected in ((no_key, "cijfers.csv", "sleutelkolom"),
                                 (b"PK\x03\x04 broken", "cijfers.xlsx", ""),
                                 (b"", "leeg.csv", "Kies het exportbestand")):
        answer = _upload(staff, app, case_id, run.id, data, name)
        page = text_of(answer)
        assert answer.status_code == 422, name
        assert 'data-export-error' in answer.get_data(as_text=True) and expected in page
        assert documents_of(app, case_id) == []
        assert runs(app, case_id, "collect")[0].status == "waiting"
    stale = _upload(staff, app, case_id, run.id, _csv(), "cijfers.csv", version=case_version(app, case_id) - 1)
    assert stale.status_code == 409 and documents_of(app, case_id) == []


def test_another_schools_staff_cannot_upload(app, client, people, register):
    case_id, _staff = _case_with_export_system(app, client, people)
    [run] = runs(app, case_id, "collect")
    other = signed_in(app, people, "staff_b")
    assert _upload(other, app, case_id, run.id, _csv(), "cijfers.csv").status_code == 404
    assert documents_of(app, case_id) == []


def test_the_upload_form_needs_its_csrf_token(app, csrf_app, client, people, register):
    case_id, staff = _case_with_export_system(app, client, people)
    [run] = runs(app, case_id, "collect")
    browser = csrf_app.test_client()
    browser.set_cookie("session", staff.get_cookie("session").value)  # the same signed-in staff member
    page = browser.get(f"/zaken/{case_id}/koppelingen").get_data(as_text=True)
    assert _upload(browser, app, case_id, run.id, _csv(), "cijfers.csv").status_code == 400
    form = page.split("data-export-upload")[1].split("</form>")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = browser.post(f"/zaken/{case_id}/koppelingen/{run.id}/export", content_type="multipart/form-data",
                          data={"version": case_version(app, case_id), "csrf_token": token,
                                "export": (io.BytesIO(_csv()), "cijfers.csv")})
    assert answer.status_code == 302 and runs(app, case_id, "collect")[0].status == "done"
