"""Roster sync (issue 17 point 6): 20,000 students and 40,000 contacts from a student administration database
(tests/connectors/studadmin.py's schema, on PostgreSQL in the full run) into dsr's roster through the SQL
connector, as the scheduler's job does it. Goal: under 60 s.

Three syncs are timed: the first (every student added), a second with the source unchanged (every row
compared, only the sync time written), and a third after 1 % of the students changed a contact. The ratio puts each
against the direct query in the same run: reading the same rows (students joined with their guardians)
with one SELECT, which is the floor of any sync that reads the source at all.
"""
from __future__ import annotations

import datetime as dt
import json
import time

import sqlalchemy as sa

from tests.connectors import studadmin

from . import loader
from .common import Result, is_postgres, log, prepare_database, vacuum_analyze
from .run import Run

GOAL_SECONDS = 60
SCHOOLS = 20
TODAY = dt.date(2026, 3, 11)
DIRECT = ("SELECT s.school_code, s.student_number, s.first_name, s.last_name, s.birth_date, s.enrolled_on, "
          "s.left_on, g.name, g.email, g.relation, g.gezag FROM students s LEFT JOIN guardians g "
          "ON g.student_id = s.id ORDER BY s.school_code, s.student_number, g.id")


def _source(run: Run) -> str:
    """The student administration database: students and guardians only (what a roster reads), bulk-loaded."""
    url = run.database_url("roster_source")
    if run.fresh and is_postgres(url):
        from dsr.dev.local_services import ensure_database

        ensure_database(url, recreate=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("invoices", "care_notes", "absences", "grades", "guardians", "students"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        for statement in studadmin.SCHEMA:
            connection.execute(sa.text(statement))
    students = run.sizes.roster_students
    loader.bulk_insert(engine, "students", [
        "id", "student_number", "school_code", "first_name", "last_name", "birth_date", "enrolled_on", "left_on"],
        ((n, f"{100000 + n}", f"S{1 + n % SCHOOLS:05d}", f"Leerling{n}", loader.surname(n),
          dt.date(2008, 1, 1) + dt.timedelta(days=n % 3650), dt.date(2021, 8, 23),
          TODAY - dt.timedelta(days=30) if n % 100 == 0 else None) for n in range(1, students + 1)))
    loader.bulk_insert(engine, "guardians", ["id", "student_id", "name", "email", "relation", "gezag"],
                       ((2 * n - k, n, f"Ouder{k} {loader.surname(n)}", f"ouder{k}.{n}@example.nl",
                         "moeder" if k else "vader", k == 1 or n % 3 != 0)
                        for n in range(1, students + 1) for k in (1, 0)))
    vacuum_analyze(engine, "students", "guardians")
    engine.dispose()
    return url


def _direct(url: str) -> tuple[float, int]:
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        rows = len(connection.execute(sa.text(DIRECT)).all())
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, rows


def _change_contacts(url: str, every: int) -> int:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        changed = connection.execute(sa.text(
            "UPDATE guardians SET email = 'nieuw.' || email WHERE relation = 'moeder' AND student_id % :every = 1"),
            {"every": every}).rowcount
    engine.dispose()
    return changed


def run_roster_sync(run: Run) -> list[Result]:
    from dsr.connectors.credentials import seal_credentials
    from dsr.extensions import db
    from dsr.models import RosterContact, RosterStudent, System
    from dsr.services.roster import run_sync

    source = _source(run)
    app = run.make_app(run.database_url("roster"))
    prepare_database(app, fresh=run.fresh)
    with app.app_context():
        loader.bulk_insert(db.engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(SCHOOLS))
        db.session.add(System(code="LAS", name="Leerlingadministratie", kind="sql", roster_source=True,
                              settings_json=json.dumps(studadmin.ROSTER_SETTINGS),
                              credentials_sealed=seal_credentials({"read_url": source})))
        db.session.commit()

    def sync() -> tuple[float, object]:
        with app.app_context():
            started = time.perf_counter()
            [result] = run_sync(TODAY)
            seconds = time.perf_counter() - started
            db.session.remove()
        if result.status != "done":
            raise RuntimeError(f"roster sync {result.status}: {result.error}")
        return seconds, result

    direct, rows = _direct(source)
    first, added = sync()
    unchanged, same = sync()
    changed_rows = _change_contacts(source, 100)
    changed, updated = sync()
    direct_again, _ = _direct(source)
    direct = min(direct, direct_again)
    with app.app_context():
        students = db.session.execute(sa.select(sa.func.count()).select_from(RosterStudent)).scalar_one()
        contacts = db.session.execute(sa.select(sa.func.count()).select_from(RosterContact)).scalar_one()
        db.session.remove()  # the session gives its connection back before the pool is disposed
        db.engine.dispose()
    log(f"roster: {students:,} students and {contacts:,} contacts; direct SELECT {direct:.2f}s ({rows:,} rows), "
        f"syncs {first:.1f}s / {unchanged:.1f}s / {changed:.1f}s")
    detail = (f"{students:,} students, {contacts:,} contacts in the roster; direct SELECT of the same rows "
              f"{direct:.2f} s")
    results = [Result(
        name="Roster sync, first", figure="seconds (all students added)", value=first, goal=f"< {GOAL_SECONDS} s",
        met=first < GOAL_SECONDS and added.added == students,
        detail=f"{detail}; {first / direct:.1f}× the direct SELECT; added {added.added:,}")]
    results.append(Result(
        name="Roster sync, unchanged source", figure="seconds (every row compared, only synced_at written)",
        value=unchanged, goal=f"< {GOAL_SECONDS} s", met=unchanged < GOAL_SECONDS and same.updated == 0,
        detail=f"{unchanged / direct:.1f}× the direct SELECT; updated {same.updated}"))
    results.append(Result(
        name="Roster sync, 1 % of the contacts changed", figure="seconds", value=changed,
        goal=f"< {GOAL_SECONDS} s", met=changed < GOAL_SECONDS and updated.updated == changed_rows,
        detail=f"{changed / direct:.1f}× the direct SELECT; {changed_rows} contacts changed, "
               f"{updated.updated} students updated"))
    return results
