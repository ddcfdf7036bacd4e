"""The school's contacts (issue 17 point 5): the roster sync from a real student administration database
(SQLite and PostgreSQL, through the SQL connector), its retention, a failing source, concurrent syncs, the
scheduler's job on a real RQ worker, the CLI, and the intake match on the case page with its one click."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading

import pytest
import sqlalchemy as sa

from dsr.connectors.credentials import seal_credentials
from dsr.extensions import db
from dsr.jobs import get_queue, redis_connection
from dsr.models import AuditEvent, Case, RosterContact, RosterStudent, System
from dsr.services import roster
from tests.connectors import studadmin
from tests.connectors.studadmin import Student
from tests.helpers import case_version, local_today, login, submit, text_of
from tests.integration.helpers import confirm_address

TODAY = dt.date(2026, 12, 1)
PG_ADMIN = os.environ.get("DSR_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
#: The intake form's default student (tests.helpers.intake_data), as the roster knows them.
BORN = dt.date.today().replace(day=1) - dt.timedelta(days=365 * 12)


def _students(**changes) -> list[Student]:
    students = [
        Student("1001", "Sam", "Jansen", BORN, guardians=[("Alex Jansen", " Alex.Jansen@Example.NL ", "moeder", True),
                                                          ("Kim Jansen", "kim@example.nl", "vader", False)]),
        Student("1002", "Eva", "Smit", dt.date(2011, 5, 4), guardians=[("Bo Smit", "bo@example.nl", "voogd", True)]),
        Student("1003", "Daan", "de Vries", dt.date(2010, 1, 2), guardians=[("Noor de Vries", "noor@example.nl",
                                                                               "ouder", True)]),
        Student("2001", "Lotte", "Bakker", dt.date(2012, 2, 3), school_code="BBB",
                guardians=[("Piet Bakker", "piet@example.nl", "ouder", True)]),
        Student("9001", "Ties", "Mulder", dt.date(2012, 2, 3), school_code="ZZZ",  # no such school in dsr
                guardians=[("Mila Mulder", "mila@example.nl", "ouder", True)]),
    ]
    for number, change in changes.items():
        for student in students:
            if student.student_number == number.lstrip("n"):
                for name, value in change.items():
                    setattr(student, name, value)
    return students


@pytest.fixture(params=["sqlite", "postgresql"])
def source(request, tmp_path):
    """A student administration database (URL), on SQLite or on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'studadmin.sqlite'}"
        return
    try:
        url = studadmin.pg_database(PG_ADMIN, f"dsr_studadmin_f_{os.getpid()}")
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server for the student administration database")
    yield url
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "dsr_studadmin_f_{os.getpid()}" WITH (FORCE)'))
    engine.dispose()


def _build(url: str, students: list[Student]) -> None:
    """The student administration's schema (``studadmin.SCHEMA``) with only what a roster reads: students and
    guardians, with explicit ids. (``studadmin.build`` leaves the ids of its other tables to the database, which
    an INTEGER PRIMARY KEY assigns on SQLite only: on PostgreSQL that is a NOT NULL violation.)"""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("invoices", "care_notes", "absences", "grades", "guardians", "students"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        for statement in studadmin.SCHEMA:
            connection.execute(sa.text(statement))
        connection.execute(sa.text(
            "INSERT INTO students (id, student_number, school_code, first_name, last_name, birth_date, enrolled_on, "
            "left_on) VALUES (:id, :number, :school, :first, :last, :birth, :enrolled, :left_on)"),
            [{"id": n, "number": s.student_number, "school": s.school_code, "first": s.first_name, "last": s.last_name,
              "birth": s.birth_date, "enrolled": dt.date(2021, 8, 23), "left_on": s.left_on}
             for n, s in enumerate(students, start=1)])
        rows = [{"sid": n, "name": name, "email": email, "relation": relation, "gezag": gezag}
                for n, s in enumerate(students, start=1) for name, email, relation, gezag in s.guardians]
        connection.execute(sa.text("INSERT INTO guardians (id, student_id, name, email, relation, gezag) "
                                   "VALUES (:id, :sid, :name, :email, :relation, :gezag)"),
                           [dict(row, id=n) for n, row in enumerate(rows, start=1)])
    engine.dispose()


def _add_source(app, url: str, *, code: str = "LAS", school_id: int | None = None) -> int:
    """The student administration as a roster source in dsr's register (read_url sealed)."""
    with app.app_context():
        system = System(code=code, name="Leerlingadministratie", kind="sql", roster_source=True,
                        settings_json=json.dumps(studadmin.ROSTER_SETTINGS), school_id=school_id,
                        credentials_sealed=seal_credentials({"read_url": url}))
        db.session.add(system)
        db.session.commit()
        return system.id


def _roster(app) -> dict[tuple[str, str], tuple]:
    """(school code, number) -> (name, birth date, left_on, sorted contacts)."""
    with app.app_context():
        found = {}
        for student in db.session.execute(sa.select(RosterStudent)).scalars():
            found[(student.school_id, student.student_number)] = (
                student.name, student.birth_date, student.left_on,
                sorted((c.name, c.email, c.relation, c.gezag) for c in student.contacts))
        db.session.remove()
        return found


def _sync(app, today=TODAY):
    with app.app_context():
        results = roster.run_sync(today)
        db.session.remove()
        return results


def _synced_events(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "roster.synced").order_by(AuditEvent.id)).scalars()]


def test_sync_fills_the_roster_and_a_second_sync_follows_the_source(app, people, source):
    _build(source, _students())
    _add_source(app, source)
    [result] = _sync(app)
    assert (result.status, result.added, result.updated, result.removed, result.skipped) == ("done", 4, 0, 0, 1)
    found = _roster(app)
    a, b = people.school_a, people.school_b
    assert set(found) == {(a, "1001"), (a, "1002"), (a, "1003"), (b, "2001")}  # ZZZ is no school of dsr: skipped
    assert found[(a, "1001")] == ("Sam Jansen", BORN, None, [
        ("Alex Jansen", "alex.jansen@example.nl", "parent", True), ("Kim Jansen", "kim@example.nl", "parent", False)])
    assert found[(a, "1002")][3] == [("Bo Smit", "bo@example.nl", "guardian", True)]

    # The source drops a student, changes a guardian's address and a name: the roster follows, nothing else moves.
    students = [s for s in _students() if s.student_number != "1003"]
    students[1].guardians = [("Bo Smit", "bo.smit@example.nl", "voogd", True)]
    students[0].last_name = "Jansen-Smit"
    _build(source, students)
    [second] = _sync(app)
    assert (second.added, second.updated, second.removed, second.skipped) == (0, 2, 1, 1)
    found = _roster(app)
    assert set(found) == {(a, "1001"), (a, "1002"), (b, "2001")}
    assert found[(a, "1002")][3] == [("Bo Smit", "bo.smit@example.nl", "guardian", True)]
    assert found[(a, "1001")][0] == "Sam Jansen-Smit"
    with app.app_context():  # the removed student's contacts went with them
        assert db.session.execute(sa.select(sa.func.count()).select_from(RosterContact)).scalar_one() == 4

    # A third sync of the same source changes nothing; each sync is audited once, with counts only.
    [third] = _sync(app)
    assert (third.added, third.updated, third.removed) == (0, 0, 0)
    events = _synced_events(app)
    assert [e["added"] for e in events] == [4, 0, 0] and events[1]["removed"] == 1
    assert all(set(e) == {"system", "added", "updated", "removed", "skipped", "expired"} for e in events)


def test_a_system_of_one_school_writes_only_that_school(app, people, tmp_path):
    url = f"sqlite:///{tmp_path / 'one.sqlite'}"
    _build(url, _students())
    _add_source(app, url, school_id=people.school_b)
    [result] = _sync(app)
    assert (result.added, result.skipped) == (1, 4)
    assert set(_roster(app)) == {(people.school_b, "2001")}


def test_retention_of_students_who_left(app, people, tmp_path):
    """Left more than ROSTER_RETENTION_DAYS (90) ago: not added, and removed once the period passes."""
    url = f"sqlite:///{tmp_path / 'left.sqlite'}"
    _build(url, _students(n1002={"left_on": TODAY - dt.timedelta(days=91)},
                                   n1003={"left_on": TODAY - dt.timedelta(days=30)}))
    _add_source(app, url)
    [result] = _sync(app)
    assert (result.added, result.expired) == (3, 1)
    a = people.school_a
    assert (a, "1002") not in _roster(app) and _roster(app)[(a, "1003")][2] == TODAY - dt.timedelta(days=30)
    # 61 days later the student who left 30 days before has passed the period too: pruned, not re-added.
    [later] = _sync(app, TODAY + dt.timedelta(days=61))
    assert (later.added, later.expired) == (0, 2)
    assert set(_roster(app)) == {(a, "1001"), (people.school_b, "2001")}
    with app.app_context():
        pruned = [json.loads(e.details) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "roster.pruned")).scalars()]
    assert pruned == [{"expired": 1, "orphaned": 0}]


def test_a_failing_source_keeps_the_roster_and_logs_no_data(app, people, tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'failing.sqlite'}"
    _build(url, _students())
    system_id = _add_source(app, url)
    _sync(app)
    before = _roster(app)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # the contacts' table goes missing halfway through the source's schema
        connection.execute(sa.text("DROP TABLE guardians"))
    engine.dispose()
    caplog.set_level(logging.INFO, logger="dsr")
    [result] = _sync(app)
    assert result.status == "failed" and "roster" in result.error and "ongeldig" in result.error
    assert _roster(app) == before
    logged = caplog.text
    assert "LAS" in logged and "failed" in logged
    for secret_or_data in (url, str(tmp_path), "Jansen", "alex.jansen", "1001"):
        assert secret_or_data not in logged
    assert len(_synced_events(app)) == 1  # only the sync that worked

    # A source that is switched off as roster source: its rows go at the next sync (no source keeps them).
    with app.app_context():
        db.session.get(System, system_id).roster_source = False
        db.session.commit()
    assert _sync(app) == [] and _roster(app) == {}


def test_two_syncs_never_interleave(app, people, tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.sqlite'}"
    _build(url, _students())
    _add_source(app, url)
    with app.app_context():  # a sync elsewhere holds the lock: this one does nothing
        lock = redis_connection().lock(roster.LOCK_NAME, timeout=60)
        assert lock.acquire(blocking=False)
    assert [r.status for r in _sync(app)] == ["busy"]
    assert _roster(app) == {}
    lock.release()

    results, errors = [], []

    def run():
        try:
            results.extend(_sync(app))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert {r.status for r in results} <= {"done", "busy"} and any(r.status == "done" for r in results)
    assert len(_roster(app)) == 4
    assert sum(e["added"] for e in _synced_events(app)) == 4  # never added twice


def test_the_scheduler_job_and_the_cli(app, people, tmp_path, run_jobs, redis_server):
    url = f"sqlite:///{tmp_path / 'job.sqlite'}"
    _build(url, _students())
    _add_source(app, url)
    with app.app_context():
        get_queue().enqueue(roster.sync_roster)  # as the scheduler does (JSON serializer, app context)
    run_jobs()
    assert len(_roster(app)) == 4

    result = app.test_cli_runner().invoke(args=["dsr", "roster-sync"])
    assert result.exit_code == 0, result.output
    assert "LAS: done; added 0, updated 0, removed 0, skipped 1" in result.output
    assert "Jansen" not in result.output

    redis_server.stop()  # no lock without Redis: nothing is done, and the command says why (the next test restarts it)
    result = app.test_cli_runner().invoke(args=["dsr", "roster-sync"])
    assert result.exit_code == 1 and "Redis is not reachable" in result.output


# --- the case page ---------------------------------------------------------------------------------------------


@pytest.fixture
def synced(app, people, tmp_path):
    url = f"sqlite:///{tmp_path / 'intake.sqlite'}"
    _build(url, _students())
    _add_source(app, url)
    _sync(app, local_today())


def _case(client, people, run_jobs, **overrides) -> int:
    data = {"student_number": "1001", "requester_email": "alex.jansen@example.nl", **overrides}
    case_id = submit(client, people.school_a, **data)
    run_jobs()
    return case_id


def test_known_contact_with_gezag_is_confirmed_with_one_click(app, client, people, run_jobs, smtp_server, synced):
    case_id = _case(client, people, run_jobs, requester_email="Alex.Jansen@example.nl")
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert 'data-roster="known_with_gezag"' in page and "data-roster-awaits-confirmation" in page
    assert "/identiteit/leerlingadministratie" not in page  # anyone can type a parent's address on the form
    early = staff.post(f"/zaken/{case_id}/identiteit/leerlingadministratie",
                       data={"version": case_version(app, case_id)})
    assert early.status_code == 409

    confirm_address(client, smtp_server, run_jobs, "Alex.Jansen@example.nl")  # the requester opens the link
    client = staff
    page = text_of(client.get(f"/zaken/{case_id}"))
    assert 'data-roster="known_with_gezag"' in page
    assert "Bekend contact met gezag volgens de leerlingadministratie" in page
    assert "data-roster-differences" not in page and "data-roster-awaits-confirmation" not in page
    response = client.post(f"/zaken/{case_id}/identiteit/leerlingadministratie",
                           data={"version": case_version(app, case_id)})
    assert response.status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.state, case.verification_method, case.parental_authority) == (
            "identity_checked", "known_contact", True)
        event = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "transition.verify_identity")).scalar_one()
        assert json.loads(event.details) == {"method": "known_contact", "authority": "yes", "proposed_by": "roster"}
        assert event.actor_id == people.staff_a
    page = text_of(client.get(f"/zaken/{case_id}"))
    assert "data-roster=" not in page  # the identity is checked: the panel is gone

    # Clicking again (a stale page) records nothing more.
    again = client.post(f"/zaken/{case_id}/identiteit/leerlingadministratie", data={"version": 1})
    assert again.status_code == 409


def test_differences_and_unknown_requesters_are_shown_never_confirmed(app, client, people, run_jobs, synced):
    other_birth = (BORN - dt.timedelta(days=40)).isoformat()
    differs = _case(client, people, run_jobs, student_birth_date=other_birth)
    unknown = _case(client, people, run_jobs, requester_email="someone@example.nl")
    without = _case(client, people, run_jobs, requester_email="kim@example.nl")
    absent = _case(client, people, run_jobs, student_number="4444")
    login(client, people.email["staff_a"])

    page = text_of(client.get(f"/zaken/{differs}"))
    assert 'data-roster="facts_differ"' in page and 'data-difference="birth_date"' in page
    assert (BORN - dt.timedelta(days=40)).strftime("%d-%m-%Y") in page and BORN.strftime("%d-%m-%Y") in page
    assert "/identiteit/leerlingadministratie" not in page
    refused = client.post(f"/zaken/{differs}/identiteit/leerlingadministratie",
                          data={"version": case_version(app, differs)})
    assert refused.status_code == 409 and "noemt de aanvrager niet" in text_of(refused)
    with app.app_context():
        assert db.session.get(Case, differs).state == "submitted"

    page = text_of(client.get(f"/zaken/{unknown}"))
    assert 'data-roster="requester_unknown"' in page and "/identiteit/leerlingadministratie" not in page
    page = text_of(client.get(f"/zaken/{without}"))
    assert 'data-roster="known_without_gezag"' in page and 'data-difference="gezag"' in page  # stated yes
    assert "/identiteit/leerlingadministratie" not in page
    page = text_of(client.get(f"/zaken/{absent}"))
    assert 'data-roster="not_found"' in page


def test_other_schools_and_non_casework_roles_are_refused(app, client, people, run_jobs, synced):
    case_id = _case(client, people, run_jobs)
    other = app.test_client()
    login(other, people.email["staff_b"])
    assert other.post(f"/zaken/{case_id}/identiteit/leerlingadministratie",
                      data={"version": case_version(app, case_id)}).status_code == 404
    admin = app.test_client()
    login(admin, people.email["admin"])
    assert admin.post(f"/zaken/{case_id}/identiteit/leerlingadministratie",
                      data={"version": case_version(app, case_id)}).status_code == 403
    with app.app_context():
        assert db.session.get(Case, case_id).state == "submitted"


def test_the_panel_in_english(app, client, people, run_jobs, synced):
    case_id = _case(client, people, run_jobs, student_birth_date=(BORN - dt.timedelta(days=3)).isoformat())
    login(client, people.email["staff_a"])
    assert client.post("/taal", data={"lang": "en", "next": "/"}).status_code == 303
    page = text_of(client.get(f"/zaken/{case_id}"))
    assert "Student found, but the details differ" in page and "Date of birth" in page
