"""Collection from the school's systems (issue 17 point 3): "Gegevens verzamelen" on an access request, only
within the assessed scope, one RQ job per system, redaction of other people's data in the PDF and the CSV,
a failed system that stores nothing and is retried, the progress page, and who may press the buttons."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, ConnectorRun, ConnectorStep
from dsr.services import storage
from dsr.workflows.redaction import REDACTED
from tests.connectors import studadmin
from tests.helpers import case_version, local_today, signed_in, text_of
from tests.integration.connector_helpers import add_system, runs, set_student_number, student_db
from tests.integration.helpers import check, documents_of, pdf_text, release, reviewed_case


def _birth(age: int) -> dt.date:
    today = local_today()
    return dt.date(today.year - age, 1, 1)


def _collect(staff, app, case_id, version=None):
    return staff.post(f"/zaken/{case_id}/verzamelen",
                      data={"version": case_version(app, case_id) if version is None else version})


def _audit(app, case_id, action):
    with app.app_context():
        return [json.loads(e.details) for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


def _file(app, document) -> bytes:
    with app.app_context():
        return storage.load(document.storage_key)


@pytest.fixture
def full_case(app, client, people, register, tmp_path):
    """A parent's granted access request for a 12-year-old (full scope), the student number known, and the
    student administration system connected; returns (case id, staff client, student database URL)."""
    case_id, staff = reviewed_case(app, client, people, age=12)
    set_student_number(app, case_id)
    url = student_db(tmp_path, _birth(12))
    add_system(app, "magister", read_url=url)
    return case_id, staff, url


def test_a_parent_of_a_17_year_old_gets_only_learning_results_the_other_queries_never_run(
        app, client, people, register, tmp_path, run_jobs):
    """R-CH-3/R-CH-7: scope learning_results. Every non-learning category points to a table that does not
    exist: had any of those queries run, the system would have failed."""
    case_id, staff = reviewed_case(app, client, people, age=17, decision="partial", grounds=["student_16"])
    set_student_number(app, case_id)
    url = student_db(tmp_path, _birth(17))
    mappings = {code: {**fields, "collect": f"SELECT * FROM never_asked_{code} WHERE x = :student_number"}
                for code, fields in studadmin.MAPPINGS.items() if code != "cijfers"}
    mappings["cijfers"] = studadmin.MAPPINGS["cijfers"]
    add_system(app, "magister", read_url=url, mappings=mappings)

    response = _collect(staff, app, case_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/zaken/{case_id}/koppelingen")
    [run] = runs(app, case_id)
    assert run.status == "queued" and [s.category.code for s in run.steps] == ["cijfers"]
    run_jobs()
    [run] = runs(app, case_id)
    assert run.status == "done", run.error
    docs = documents_of(app, case_id)
    assert [d.category_id for d in docs] == [register["cijfers"]] * 2
    assert [d.content_type for d in docs] == ["application/pdf", "text/csv"]
    assert [e["categories"] for e in _audit(app, case_id, "collection.started")] == [["cijfers"]]
    assert _audit(app, case_id, "collection.system_done")[0]["rows"] == {"cijfers": 2}


def test_collection_redacts_other_peoples_data_in_the_pdf_and_the_csv(app, full_case, register, run_jobs):
    case_id, staff, _url = full_case
    assert _collect(staff, app, case_id).status_code == 302
    run_jobs()
    [run] = runs(app, case_id)
    assert run.status == "done", run.error
    docs = documents_of(app, case_id)
    by_category = {}
    for doc in docs:
        by_category.setdefault(doc.category_id, []).append(doc)
    assert set(by_category) == {register[c] for c in studadmin.MAPPINGS}
    assert all(len(pair) == 2 for pair in by_category.values())

    pdf_doc, csv_doc = by_category[register["cijfers"]]
    pdf = pdf_text(_file(app, pdf_doc))
    assert "Cijfers, rapporten, overgang en studieadvies" in pdf and "Systeem magister" in pdf
    assert "Nederlands" in pdf and "Wiskunde" in pdf
    assert "Daan Jansen" not in pdf and "afgeschermd" in pdf  # the teacher's private note
    csv = _file(app, csv_doc).decode("utf-8-sig")
    assert "teacher_note" in csv and "Daan Jansen" not in csv and REDACTED in csv
    assert csv.count(REDACTED) == 2

    zorg_pdf, zorg_csv = by_category[register["zorg"]]
    assert "Eva Smit" not in pdf_text(_file(app, zorg_pdf))
    assert "Eva Smit" not in _file(app, zorg_csv).decode("utf-8-sig")
    assert "Gesprek over planning" in pdf_text(_file(app, zorg_pdf))  # the student's own data stays
    # The classmate's own rows were never asked for.
    assert all("20239999" not in _file(app, d).decode("latin-1") for d in docs if d.content_type == "text/csv")

    # Staff still confirm each document before release, as today: nothing was checked automatically.
    assert all(d.third_party_checked_at is None and d.work_notes_checked_at is None for d in docs)
    blocked = release(staff, app, case_id)
    assert blocked.status_code == 409 and "R-EX-2" in text_of(blocked)
    for doc in docs:
        check(staff, case_id, doc.id)
    released = release(staff, app, case_id)
    assert released.status_code == 302, re.findall(r'role="alert">(.*?)</div>', text_of(released), re.S)
    with app.app_context():
        steps = db.session.execute(sa.select(ConnectorStep)).scalars().all()
        assert all(s.done_at and len(s.document_ids.split(",")) == 2 for s in steps)


def test_a_system_answering_with_another_students_rows_fails_and_stores_nothing(app, full_case, run_jobs):
    case_id, staff, url = full_case
    # A second system whose grade query forgets the WHERE: it returns the classmate's rows too.
    broken = {"cijfers": {**studadmin.MAPPINGS["cijfers"],
                          "collect": "SELECT s.student_number, g.subject, g.grade FROM grades g "
                                     "JOIN students s ON s.id = g.student_id WHERE :student_number IS NOT NULL"}}
    add_system(app, "elo", read_url=url, mappings=broken)
    assert _collect(staff, app, case_id).status_code == 302
    run_jobs()
    by_code = {r.system.code: r for r in runs(app, case_id)}
    assert by_code["magister"].status == "done"
    failed = by_code["elo"]
    assert failed.status == "failed" and "andere leerling" in failed.error and failed.attempts == 1  # not retried
    assert all(s.done_at is None and s.document_ids == "" for s in failed.steps)
    # Only the good system's documents are in the package: none of the failed one (no silent partial package).
    assert len(documents_of(app, case_id)) == 2 * len(studadmin.MAPPINGS)
    page = text_of(staff.get(f"/zaken/{case_id}/koppelingen"))
    assert "andere leerling" in page and "Opnieuw proberen" in page
    assert _audit(app, case_id, "collection.system_failed")[0]["system"] == "elo"


def test_a_passing_failure_is_retried_with_back_off_and_staff_can_retry_a_failed_system(
        app, full_case, run_jobs, tmp_path):
    """The database is missing at first (a retryable error): the job tries again CONNECTOR_RETRIES times,
    then the run fails; once the database is there, "Opnieuw proberen" collects it."""
    case_id, staff, _url = full_case
    later = {"verzuim": studadmin.MAPPINGS["verzuim"]}
    add_system(app, "later", read_url=f"sqlite:///file:{tmp_path / 'later.sqlite'}?mode=ro&uri=true",
               mappings=later)
    app.config.update(CONNECTOR_RETRIES=2, CONNECTOR_RETRY_SECONDS=[0])
    try:
        assert _collect(staff, app, case_id).status_code == 302
        run_jobs()
    finally:
        app.config.update(CONNECTOR_RETRIES=3, CONNECTOR_RETRY_SECONDS=[10, 60, 300])
    failed = {r.system.code: r for r in runs(app, case_id)}["later"]
    assert failed.status == "failed" and failed.attempts == 3 and "OperationalError" in failed.error
    assert [d["retry_in_seconds"] for d in _audit(app, case_id, "collection.system_failed")] == [0, 0, None]

    studadmin.build(f"sqlite:///{tmp_path / 'later.sqlite'}", []).dispose()
    response = staff.post(f"/zaken/{case_id}/koppelingen/{failed.id}/opnieuw",
                          data={"version": case_version(app, case_id)})
    assert response.status_code == 302
    run_jobs()
    again = {r.system.code: r for r in runs(app, case_id)}["later"]
    assert again.status == "done" and again.attempts == 1 and again.steps[0].row_count == 0
    # A system with no rows still says so in the package (an empty table is an answer too).
    assert _audit(app, case_id, "collection.retried")[0]["system"] == "later"


def test_the_progress_page_refreshes_only_while_a_system_is_busy(app, full_case, run_jobs):
    case_id, staff, _url = full_case
    case_page = staff.get(f"/zaken/{case_id}")
    assert "Gegevens verzamelen" in text_of(case_page) and "Refresh" not in case_page.headers
    _collect(staff, app, case_id)
    busy = staff.get(f"/zaken/{case_id}/koppelingen")
    assert busy.status_code == 200 and busy.headers["Refresh"] == "3"
    assert "In de wachtrij" in text_of(busy) and "laadt zichzelf" in text_of(busy)
    assert "Refresh" not in staff.get(f"/zaken/{case_id}").headers  # the case page with its forms never reloads
    run_jobs()
    settled = staff.get(f"/zaken/{case_id}/koppelingen")
    assert "Refresh" not in settled.headers and "Klaar" in text_of(settled)
    assert "2 rij(en)" in text_of(settled)
    assert "data-collect" not in settled.get_data(as_text=True)  # every system was asked: no button any more
    assert text_of(settled).count('name="version"') == 0  # nothing left to press (no failed system)


def test_pressing_twice_asks_no_system_twice_and_a_stale_page_gets_409(app, full_case, run_jobs):
    case_id, staff, _url = full_case
    stale = case_version(app, case_id)
    assert _collect(staff, app, case_id).status_code == 302
    assert _collect(staff, app, case_id, version=stale).status_code == 409
    again = _collect(staff, app, case_id)
    assert again.status_code == 422 and "al gevraagd" in text_of(again)
    run_jobs()
    assert len(runs(app, case_id)) == 1 and len(documents_of(app, case_id)) == 2 * len(studadmin.MAPPINGS)


def test_two_workers_never_run_one_run(app, full_case):
    """The claim: of two workers that take the same run, one collects and the other does nothing."""
    from dsr.services import connector_jobs

    case_id, staff, _url = full_case
    _collect(staff, app, case_id)
    [run] = runs(app, case_id)
    with app.app_context():
        first = connector_jobs._claim(run.id, ready=("queued",), executing=False)
        db.session.remove()
        second = connector_jobs._claim(run.id, ready=("queued",), executing=False)
        db.session.remove()
        assert first == 1 and second is None
        assert connector_jobs.run_collect(run.id) == "not claimed"  # the job of the second worker
        db.session.remove()
        # Once the first worker's claim has expired (it died), the run is taken over.
        db.session.execute(sa.update(ConnectorRun).values(claimed_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        db.session.commit()
        assert connector_jobs.run_collect(run.id) == "done"
        db.session.remove()
    [run] = runs(app, case_id)
    assert run.status == "done" and run.attempts == 2


def test_no_student_number_no_collection_and_other_schools_and_roles_are_refused(app, people, full_case):
    case_id, staff, _url = full_case
    other_school = signed_in(app, people, "staff_b")
    assert other_school.post(f"/zaken/{case_id}/verzamelen", data={"version": case_version(app, case_id)}
                             ).status_code == 404
    assert other_school.get(f"/zaken/{case_id}/koppelingen").status_code == 404
    admin = signed_in(app, people, "admin")
    assert admin.post(f"/zaken/{case_id}/verzamelen", data={"version": case_version(app, case_id)}
                      ).status_code == 403
    set_student_number(app, case_id, "")
    refused = _collect(staff, app, case_id)
    assert refused.status_code == 422 and "leerlingnummer" in text_of(refused)
    assert runs(app, case_id) == []


def test_the_collect_form_needs_its_csrf_token(app, csrf_app, people, full_case):
    case_id, staff, _url = full_case
    browser = csrf_app.test_client()
    browser.set_cookie("session", staff.get_cookie("session").value)  # the same signed-in staff member
    page = browser.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert browser.post(f"/zaken/{case_id}/verzamelen",
                        data={"version": case_version(app, case_id)}).status_code == 400
    form = page.split('data-collect')[0].rsplit("<form", 1)[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert browser.post(f"/zaken/{case_id}/verzamelen",
                        data={"version": case_version(app, case_id), "csrf_token": token}).status_code == 302


def test_a_run_whose_job_was_lost_is_redriven_after_its_grace_period(app, full_case, redis_server, run_jobs):
    """Redis lost the job (flushed here): the periodic re-drive leaves the run alone while its job may still
    be waiting for a worker, and enqueues it again after that."""
    from dsr.scheduler import PERIODIC
    from dsr.services import connector_jobs

    assert connector_jobs.redrive_connector_runs in [func for func, _interval in PERIODIC]
    case_id, staff, _url = full_case
    _collect(staff, app, case_id)
    redis_server.client().flushall()
    [run] = runs(app, case_id)
    with app.app_context():
        assert connector_jobs.redrive_connector_runs() == []
        db.session.execute(sa.update(ConnectorRun).values(claimed_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        db.session.commit()
        assert connector_jobs.redrive_connector_runs() == [run.id]
        assert connector_jobs.redrive_connector_runs() == []  # enqueued: left alone for its grace period again
        db.session.remove()
    run_jobs()
    [run] = runs(app, case_id)
    assert run.status == "done" and run.attempts == 1


def test_the_job_names_the_services_enqueue_are_the_jobs():
    """collection and execution enqueue the jobs by name (connector_jobs imports them): the names resolve."""
    from werkzeug.utils import import_string

    from dsr.services import collection, connector_jobs

    assert import_string(collection.COLLECT_JOB) is connector_jobs.run_collect
    assert import_string(collection.PLAN_JOB) is connector_jobs.run_plan
    assert import_string(collection.EXECUTE_JOB) is connector_jobs.run_execute


def test_without_connected_systems_the_case_page_shows_no_systems_section(app, client, people, register):
    case_id, staff = reviewed_case(app, client, people, age=12)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Inzagepakket" in page and "Systemen van de school" not in page
