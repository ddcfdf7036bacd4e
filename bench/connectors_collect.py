"""Collection from 5 systems for one case (issue 17 point 6): "Gegevens verzamelen" pressed (the service the
button calls) to the last package document stored, with 2 production RQ workers (``rq worker`` with
``dsr.jobs.AppWorker``, as in the Procfile) taking the jobs, against running the same queries directly.

Each of the 5 systems is a SQL system on a student administration database (tests/connectors/studadmin.py's
schema, with many students) holding the 5 categories of its queries; the case is a granted access request of
full scope, so every system answers 5 categories, each stored as a redacted PDF and CSV (50 documents).
The direct baseline runs the same 25 queries in this process, one connection per system, and only fetches the
rows. How the jobs spread over the workers is counted from the finished jobs' worker names.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import time

import sqlalchemy as sa

from . import loader
from .common import ROOT, Result, is_postgres, log, prepare_database, stop_process
from .mail import FORKING_WORKER, worker_command
from .run import Run

SYSTEMS = 5
WORKERS = 2
GOAL_SECONDS = 10.0
NUMBER = "20231234"


def _students(url: str, count: int) -> None:
    """studadmin's schema at ``url`` with the case's student and ``count`` others (PostgreSQL gets serial
    ids for the child tables, which it does not make from INTEGER PRIMARY KEY as SQLite does)."""
    from tests.connectors import studadmin

    birth = dt.date(2012, 1, 1)
    students = [studadmin.Student(NUMBER, "Sam", "Jansen", birth, guardians=[("Alex Jansen", "alex@example.nl",
                                                                            "ouder", True)])]
    students += [studadmin.Student(f"3{n:07d}", "Leerling", f"Nummer {n}", birth) for n in range(count)]
    schema = studadmin.SCHEMA
    if is_postgres(url):
        studadmin.SCHEMA = [s.replace("id INTEGER PRIMARY KEY", "id SERIAL PRIMARY KEY") for s in schema]
    try:
        engine = studadmin.build(url, students)
    finally:
        studadmin.SCHEMA = schema
    if is_postgres(url):
        with engine.begin() as connection:
            for table in ("guardians", "grades", "absences", "care_notes", "invoices"):
                connection.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_{table}_student ON {table} (student_id)"))
            connection.execute(sa.text("ANALYZE"))
    engine.dispose()


def _setup(app, student_url: str) -> tuple[int, int]:
    """A school, a staff member, a reviewed access request of full scope and 5 systems; (user id, case id)."""
    from dsr.connectors.credentials import seal_credentials
    from dsr.extensions import db
    from dsr.models import Case, RegisterCategory, System, SystemCategory
    from dsr.services.people import create_user
    from dsr.services.register import seed_register
    from tests.connectors import studadmin

    with app.app_context():
        loader.bulk_insert(db.engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(1))
        seed_register()
        user = create_user("staff@bench.test", "Staff Bench", "staff", "bench-password-2026", ["S00001"])
        db.session.commit()  # before the bulk insert's own connection (SQLite: one writer at a time)
        today = dt.date.today()
        loader.bulk_insert(db.engine, "cases", loader.CASE_COLUMNS,
                           [loader.case_row(1, 1, "legal_basis_reviewed", today, today + dt.timedelta(days=30))])
        case = db.session.get(Case, 1)
        case.right, case.decision, case.assessment_scope, case.student_number = "access", "grant", "full", NUMBER
        categories = {c.code: c for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
        for n in range(1, SYSTEMS + 1):
            system = System(code=f"sys{n}", name=f"Systeem {n}", kind="sql",
                            credentials_sealed=seal_credentials({"read_url": student_url}))
            for code, fields in studadmin.MAPPINGS.items():
                system.mappings.append(SystemCategory(category=categories[code], **fields))
            db.session.add(system)
        db.session.commit()
        ids = (user.id, case.id)
        db.session.remove()
    return ids


def _direct(student_url: str) -> float:
    """The same 25 queries, run directly: one connection per system, rows fetched."""
    from tests.connectors import studadmin

    started = time.perf_counter()
    for _system in range(SYSTEMS):
        engine = sa.create_engine(student_url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            for fields in studadmin.MAPPINGS.values():
                connection.execute(sa.text(fields["collect"]), {"student_number": NUMBER}).fetchall()
        engine.dispose()
    return time.perf_counter() - started


def _collect(app, user_id: int, case_id: int, timeout: float = 120) -> tuple[float, set[str], int]:
    """Press the button (the service), wait for every run to end; seconds, worker names, documents."""
    from rq.job import Job

    from dsr.extensions import db
    from dsr.jobs import redis_connection
    from dsr.models import Case, ConnectorRun, PackageDocument, User
    from dsr.services.collection import start_collection

    with app.app_context():
        user, version = db.session.get(User, user_id), db.session.get(Case, case_id).version
        started = time.perf_counter()
        created = start_collection(user, case_id, version)
        run_ids = [r.id for r in created]
        db.session.remove()
        deadline = time.monotonic() + timeout
        while True:
            statuses = db.session.execute(sa.select(ConnectorRun.status).where(ConnectorRun.id.in_(run_ids))
                                          ).scalars().all()
            db.session.remove()
            if all(s in ("done", "failed") for s in statuses):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"collection did not end within {timeout:.0f}s: {statuses}")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if any(s != "done" for s in statuses):
            errors = db.session.execute(sa.select(ConnectorRun.error)).scalars().all()
            raise RuntimeError(f"a system failed: {errors}")
        documents = db.session.execute(sa.select(sa.func.count(PackageDocument.id))).scalar_one()
        workers = {Job.fetch(f"connector-run-{run_id}", connection=redis_connection()).worker_name or ""
                   for run_id in run_ids}
        db.session.remove()
    return seconds, workers, documents


def run_connectors_collect(run: Run) -> list[Result]:
    """The collection benchmark (one case, 5 systems, 2 workers) against the direct queries."""
    import redis as redis_lib
    from rq import Worker

    students = run.sizes.collect_students
    files = tempfile.mkdtemp(prefix="dsr-bench-collect-")
    url = run.database_url("connectors_collect")
    app = run.make_app(url, FILE_STORAGE=files)
    prepare_database(app, fresh=run.fresh)
    student_url = run.database_url("studadmin")
    if is_postgres(student_url) and run.fresh:
        from dsr.dev.local_services import ensure_database

        ensure_database(student_url, recreate=True)
    log(f"connectors_collect: student administration with {students} students")
    _students(student_url, students)
    user_id, case_id = _setup(app, student_url)
    connection = redis_lib.Redis.from_url(run.services.redis_url)
    connection.flushdb()
    procs = [subprocess.Popen(worker_command(run.services.redis_url, FORKING_WORKER),
                              env=run.process_env(url, DSR_FILE_STORAGE=files), cwd=ROOT, start_new_session=True,
                              stdout=run.log_file or subprocess.DEVNULL, stderr=subprocess.STDOUT)
             for _ in range(WORKERS)]
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=connection)) < WORKERS:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise RuntimeError("rq workers did not start")
            time.sleep(0.1)
        direct = _direct(student_url)
        seconds, workers, documents = _collect(app, user_id, case_id)
    finally:
        for proc in procs:
            stop_process(proc)
    with app.app_context():
        from dsr.extensions import db

        db.session.remove()  # the session gives its connection back before the pool is disposed
        db.engine.dispose()
    ratio = seconds / direct if direct else 0.0
    expected = 2 * SYSTEMS * 5
    detail = (f"{SYSTEMS} systems x 5 categories on {'PostgreSQL' if is_postgres(student_url) else 'SQLite'} "
              f"({students} students): {seconds:.2f}s press to last document stored ({documents} documents, "
              f"{expected} expected), {len(workers)} of {WORKERS} workers took jobs; the same "
              f"{SYSTEMS * 5} queries directly: {direct * 1000:.0f} ms (ratio {ratio:.0f}x)")
    return [
        Result("Collection from 5 systems", "seconds, press to last document stored", seconds,
               f"< {GOAL_SECONDS:.0f} s", seconds < GOAL_SECONDS and documents == expected, detail),
        Result("Collection vs direct queries", "dsr collection / the same queries directly", ratio, "", None,
               f"jobs over {len(workers)} worker(s): " + ", ".join(sorted(w[:8] for w in workers))),
    ]
