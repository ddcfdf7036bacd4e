"""A crash halfway through carrying out an erasure (issue 17 point 4): a real RQ worker process is killed
(SIGKILL, with its work-horse) while the second category's statement runs on PostgreSQL; after its claim has
expired a new worker resumes the run. The first category's statement is not run again (a counter table
proves it) and the run ends done."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import ConnectorRun, ConnectorStep
from dsr.services import connector_jobs
from tests.connectors import studadmin
from tests.helpers import AUDIT_KEY, FILE_KEY
from tests.integration.connector_helpers import add_system, runs
from tests.integration.test_execution import erasure_case, post

ROOT = Path(__file__).resolve().parents[2]
PG_BASE = os.environ.get("DSR_TEST_DATABASE_URL", "")
if not PG_BASE.startswith("postgresql"):
    PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

COUNT = "UPDATE run_counter SET n = n + 1 WHERE name = '{name}' AND CAST(:student_number AS TEXT) IS NOT NULL"
#: The second category's statement first sleeps as long as the nap table says (the test sets it to 0 later).
SLOW = COUNT + " AND (SELECT true FROM pg_sleep((SELECT seconds FROM nap)))"


@pytest.fixture
def pg_students():
    """A database on PostgreSQL with a counter and a nap table (the statements of this test need no more);
    its URL and engine."""
    try:
        url = studadmin.pg_database(PG_BASE, f"dsr_crash_{os.getpid()}")
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server for the student administration database")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE run_counter (name VARCHAR(20) PRIMARY KEY, n INTEGER NOT NULL)"))
        connection.execute(sa.text("INSERT INTO run_counter VALUES ('cijfers', 0), ('verzuim', 0)"))
        connection.execute(sa.text("CREATE TABLE nap (seconds INTEGER NOT NULL)"))
        connection.execute(sa.text("INSERT INTO nap VALUES (60)"))
    yield url, engine
    engine.dispose()
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "dsr_crash_{os.getpid()}" WITH (FORCE)'))
    admin.dispose()


def _worker(app, redis_server) -> subprocess.Popen:
    """``rq worker`` as in production (the Procfile's), on the test's database, Redis and files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update({"PYTHONPATH": str(ROOT), "DSR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "DSR_REDIS_URL": redis_server.url, "DSR_SECRET_KEY": app.config["SECRET_KEY"],
                "DSR_FILE_KEYS": json.dumps([FILE_KEY]), "DSR_AUDIT_KEYS": json.dumps([AUDIT_KEY]),
                "DSR_FILE_STORAGE": app.config["FILE_STORAGE"], "DSR_PUBLIC_BASE_URL": "http://dsr.test"})
    rq = Path(sys.executable).with_name("rq")
    return subprocess.Popen(
        [str(rq), "worker", "--url", redis_server.url, "--worker-class", "dsr.jobs.AppWorker",
         "--job-class", "dsr.jobs.AppJob", "--serializer", "json", app.config["RQ_QUEUE"]],
        cwd=ROOT, env=env, start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def _wait(what, condition, seconds: float = 60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_halfway_resumes_at_the_first_category_not_done(
        app, client, people, register, redis_server, run_jobs, pg_students):
    url, engine = pg_students
    case_id, staff = erasure_case(app, client, people)
    mappings = {"cijfers": {**studadmin.MAPPINGS["cijfers"], "erase": COUNT.format(name="cijfers")},
                "verzuim": {**studadmin.MAPPINGS["verzuim"], "erase": SLOW.format(name="verzuim")}}
    add_system(app, "magister", read_url=url, mappings=mappings, timeout_seconds=1)
    with engine.begin() as connection:  # the dry run must not sleep: it is not what this test is about
        connection.execute(sa.text("UPDATE nap SET seconds = 0"))
    post(staff, app, case_id, "erasure", "proefrun")
    run_jobs()
    [planned] = runs(app, case_id, "erasure")
    assert planned.status == "planned", planned.error
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE nap SET seconds = 60"))
    assert post(staff, app, case_id, "erasure", "bevestigen").status_code == 302

    worker = _worker(app, redis_server)
    try:
        def first_done() -> bool:
            with app.app_context():
                done = db.session.execute(sa.select(sa.func.count(ConnectorStep.id)).where(
                    ConnectorStep.done_at.is_not(None))).scalar_one()
                db.session.remove()
                return done == 1

        def sleeping() -> bool:
            with engine.connect() as connection:
                return bool(connection.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%' "
                    "AND pid <> pg_backend_pid()")).scalar_one())

        _wait("the first category", first_done)
        _wait("the second category's statement", sleeping)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse, mid-statement
        worker.wait(10)

    [run] = runs(app, case_id, "erasure")
    assert run.status == "running" and run.attempts == 1
    assert {s.category.code: s.done_at is not None for s in run.steps} == {"cijfers": True, "verzuim": False}
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE nap SET seconds = 0"))
        # The dead worker's session is ended by the server; its uncommitted statement never counted.
        connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"))

    with app.app_context():
        assert connector_jobs.redrive_connector_runs() == []  # the claim has not expired yet: nobody takes it over
        # Time passes: the dead worker's claim expires.
        db.session.execute(sa.update(ConnectorRun).values(claimed_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        db.session.commit()
        assert connector_jobs.redrive_connector_runs() == [run.id]
        db.session.remove()
    run_jobs()

    [run] = runs(app, case_id, "erasure")
    assert run.status == "done" and run.attempts == 2, run.error
    with engine.connect() as connection:
        assert dict(connection.execute(sa.text("SELECT name, n FROM run_counter")).all()) == \
            {"cijfers": 1, "verzuim": 1}
