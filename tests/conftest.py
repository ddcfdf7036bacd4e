"""Fixtures in the style of Flask's tutorial, on real parts: a real database (SQLite by default,
PostgreSQL with DSR_TEST_DATABASE_URL), a private redis-server, and an aiosmtpd server.

They start when a test first asks for them (directly or through ``client``, ``people``, ``live``, ...). A test
that asks for none of them, such as the pure rule tests in tests/workflows, starts no app, no Redis and no
database. Helpers that are not fixtures live in tests/helpers.py."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from dsr.dev.local_mail import SmtpSink
from dsr.dev.local_services import LocalRedis
from dsr.extensions import db
from dsr.jobs import AppJob, get_queue, redis_connection
from dsr.models import RegisterCategory, School
from dsr.security import limiter
from dsr.services.people import create_user
from dsr.services.register import seed_register
from dsr.services.signin import enrol_with_secret
from tests.helpers import PASSWORD, SHARED_STATE, audit_guard_lifted, make_test_app, totp_secret_for


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile each translations/*/LC_MESSAGES/*.po whose .mo is missing or older (what `make
    translations` does), so the suite runs from a fresh clone; the .mo files are never committed."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from dsr.config import TRANSLATIONS_DIR

    for po in sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.stem}.{os.getpid()}.mo")  # concurrent runs never read half a file
        with partial.open("wb") as target:
            write_mo(target, catalog)  # fuzzy entries are left out, as pybabel compile does
        os.replace(partial, mo)


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server for the whole run (flushed before each test)."""
    server = LocalRedis().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def _database_url(tmp_path_factory) -> str:
    return os.environ.get("DSR_TEST_DATABASE_URL") or \
        "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def file_storage(tmp_path_factory) -> str:
    """The run's own folder for stored files (uploads, packages, letters), never the demo's instance/."""
    return str(tmp_path_factory.mktemp("files"))


@pytest.fixture(scope="session")
def app(database_url, redis_server, smtp_server, file_storage):
    """The application under test, with a fresh schema for the run."""
    app = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=file_storage)
    # The limiter's storage and strategy for this suite's Redis, restored before every test.
    app.extensions["dsr_test_rate_limits"] = (limiter._storage, limiter._limiter)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def csrf_app(database_url, redis_server, smtp_server, file_storage, app):
    """The same database and services with CSRF protection switched on."""
    csrf = make_test_app(database_url, redis_server, smtp_server, WTF_CSRF_ENABLED=True, FILE_STORAGE=file_storage)
    yield csrf
    with csrf.app_context():
        db.engine.dispose()  # PostgreSQL: no connection may outlive the run


@pytest.fixture(autouse=True)
def _clean_state(request):
    """A test that uses the app, the database, Redis or the SMTP server (directly or through another
    fixture) starts with empty tables, an empty Redis and an empty mailbox. Any other test starts none of
    them: a pure rule test costs what its own code costs."""
    if SHARED_STATE.isdisjoint(request.fixturenames):
        yield
        return
    app = request.getfixturevalue("app")
    redis_server = request.getfixturevalue("redis_server")
    smtp_server = request.getfixturevalue("smtp_server")
    if not redis_server.running:
        redis_server.start()
    if not smtp_server.running:
        smtp_server.start()
    redis_server.client().flushall()
    _forget_rate_limits(app)
    smtp_server.clear()
    app.extensions.pop("test_sessions", None)
    yield
    with app.app_context():
        db.session.rollback()
        # audit_events refuses DELETE (a trigger, as in production): the cleanup lifts the guard for its own
        # transaction (DDL, which both databases roll back and commit like any other statement).
        with audit_guard_lifted(db.session.connection()):
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
    # The signed audit checkpoints of this test (dsr/services/audit_checkpoints.py) go with its audit events
    # (only in the run's own file folder: an app without one would use the demo's instance/).
    if app.config.get("FILE_STORAGE"):
        shutil.rmtree(Path(app.config["FILE_STORAGE"]) / "audit", ignore_errors=True)


def _forget_rate_limits(app) -> None:
    """Every test counts sign-ins and posts from zero, in the suite's own Redis.

    Flask-Limiter keeps one storage per process and the last app initialised wins: a test that builds
    another app (the reliability suite's, on its own Redis) leaves the limiter counting where this
    fixture never flushes, and after a test that stopped Redis it counts in process memory until its
    back-off re-check finds Redis again. Either way the counts leaked into later tests' sign-ins
    ("Te veel pogingen"), so the suite's storage is put back and the in-memory fallback cleared."""
    storage, strategy = app.extensions["dsr_test_rate_limits"]
    limiter._storage, limiter._limiter = storage, strategy
    limiter.enabled = True
    fallback = getattr(limiter, "_fallback_storage", None)
    if fallback is not None:
        fallback.reset()
    limiter._storage_dead = False  # Redis is running again (checked above)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def people(app):
    """Two schools; for school A two staff and two directors, for B one of each; a privacy officer."""
    with app.app_context():
        a = School(code="AAA", name="School A", phone="036 111 11 11",
                   visiting_address="Schoolstraat 1, 1311 AA Almere")
        b = School(code="BBB", name="School B", phone="036 222 22 22",
                   visiting_address="Schoolstraat 2, 1311 AB Almere")
        db.session.add_all([a, b])
        db.session.flush()
        spec = {
            "staff_a": ("staff-a@asg.test", "staff", ["AAA"]),
            "staff_a2": ("staff-a2@asg.test", "staff", ["AAA"]),
            "director_a": ("director-a@asg.test", "director", ["AAA"]),
            "director_a2": ("director-a2@asg.test", "director", ["AAA"]),
            "staff_b": ("staff-b@asg.test", "staff", ["BBB"]),
            "director_b": ("director-b@asg.test", "director", ["BBB"]),
            "privacy": ("ibp@asg.test", "privacy_officer", []),
            "admin": ("admin@asg.test", "admin", []),
        }
        ids = {"school_a": a.id, "school_b": b.id}
        for key, (email, role, schools) in spec.items():
            user = create_user(email, key.replace("_", " ").title(), role, PASSWORD, schools)
            enrol_with_secret(user, totp_secret_for(email))  # every staff role signs in with TOTP
            ids[key] = user.id
        emails = {key: email for key, (email, _, _) in spec.items()}
        db.session.commit()
    return type("People", (), {**ids, "email": emails})


@pytest.fixture
def register(app):
    """ASG's default processing register (docs/legal.md §6), as ``{category code: id}``, with the supplier placeholder
    replaced by named demo suppliers (as ``make run`` does), so letters can name every recipient."""
    from dsr.dev.demo import name_demo_suppliers

    with app.app_context():
        seed_register()
        name_demo_suppliers()
        db.session.commit()
        ids = {c.code: c.id for c in db.session.execute(db.select(RegisterCategory)).scalars()}
        db.session.remove()
    return ids


class _PromptSimpleWorker(SimpleWorker):
    """RQ's SimpleWorker, ending its burst without a wait. rq 3.0 unsubscribes from the worker's command
    channel and only then stops the thread that listens on it: when the server's reply wakes the thread
    first, the thread waits for the next message (60 s) and the worker's join gives up after 1 s, at every
    ``run_jobs()``. Stopping the thread first lets the reply end it at once; everything else is rq's own."""

    def unsubscribe(self):
        if self.pubsub_thread:
            self.pubsub_thread.stop()
        super().unsubscribe()


@pytest.fixture
def run_jobs(app):
    """Run every queued job with a real RQ worker (SimpleWorker: no fork) on the real Redis."""

    def run() -> int:
        with app.app_context():
            queues = [get_queue(), get_queue(name=app.config["RQ_MAIL_QUEUE"])]  # general and mail jobs
            worker = _PromptSimpleWorker(queues, connection=redis_connection(), job_class=AppJob,
                                         serializer=JSONSerializer)
            worker.work(burst=True)
            return worker.successful_job_count if hasattr(worker, "successful_job_count") else 0

    return run
