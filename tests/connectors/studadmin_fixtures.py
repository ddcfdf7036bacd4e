"""pytest fixtures with a real student administration database (issue 17): ``studadmin_sqlite`` and
``studadmin_pg``. Import them in a test module (``from tests.connectors.studadmin_fixtures import
studadmin_pg, studadmin_sqlite  # noqa: F401``).

Each gives a :class:`StudadminDb`, rebuilt for every test with :data:`STUDENTS`:
``.url`` (the owner: build and inspect), ``.read_url`` (a read-only connection: on PostgreSQL a role with
only SELECT, created per test process with a password; on SQLite the file opened ``mode=ro``),
``.write_url`` (may change rows) and ``.students``. The PostgreSQL database (``dsr_studadmin_<pid>``) and its
role live for the test process and are dropped when it exits; the server is DSR_TEST_PG_ADMIN_URL, else the
server of DSR_TEST_DATABASE_URL, else 127.0.0.1:5432 (tests skip when none answers).
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from tests.connectors.studadmin import Student, build, pg_database

#: The students of every fixture database. S-1001 is 17 (on 5 December 2026), S-1002 14, S-1003 an adult at
#: another school, S-1004 left the school.
STUDENTS = [
    Student("S-1001", "Sanne", "de Boer", dt.date(2009, 5, 14),
            guardians=[("Petra de Boer", "Petra.deBoer@Example.org", "moeder", True),
                       ("Kees de Boer", "kees.deboer@example.org", "vader", False)]),
    Student("S-1002", "Daan", "Jansen", dt.date(2012, 9, 2), class_name="1B1",
            guardians=[("Marloes Jansen", "m.jansen@example.org", "moeder", True)]),
    Student("S-1003", "Eva", "Smit", dt.date(2007, 11, 30), school_code="BBB", class_name="6V1",
            guardians=[("Henk Smit", "henk.smit@example.org", "vader", True)]),
    Student("S-1004", "Noah", "Bakker", dt.date(2010, 2, 20), left_on=dt.date(2025, 7, 15),
            guardians=[("Ilse Bakker", "ilse.bakker@example.org", "moeder", True)]),
]
#: The password of the read-only PostgreSQL role (tests check that no message ever shows it).
READ_PASSWORD = f"ro-Geheim-{os.getpid()}"


@dataclass
class StudadminDb:
    """A built student administration database and the URLs to reach it."""

    url: str
    read_url: str
    write_url: str
    students: list[Student] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return sa.make_url(self.url).get_backend_name()

    def scalar(self, sql: str, **params: object) -> object:
        """One value, read as the owner (to check what a connector did)."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()

    def execute(self, sql: str, **params: object) -> int:
        """Run a statement as the owner and commit; the rows it changed."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                return connection.execute(sa.text(sql), params).rowcount
        finally:
            engine.dispose()

    def count(self, table: str, student_number: str | None = None) -> int:
        """Rows in ``table`` (of one student when given)."""
        if student_number is None:
            return int(self.scalar(f"SELECT count(*) FROM {table}"))  # type: ignore[call-overload]
        column = "student_number" if table == "students" else "student_id"
        where = ("student_number = :n" if table == "students"
                 else f"{column} IN (SELECT id FROM students WHERE student_number = :n)")
        return int(self.scalar(f"SELECT count(*) FROM {table} WHERE {where}", n=student_number))  # type: ignore[call-overload]


def pg_admin_url() -> str:
    """The PostgreSQL server to make the test databases on (its maintenance database)."""
    if os.environ.get("DSR_TEST_PG_ADMIN_URL"):
        return os.environ["DSR_TEST_PG_ADMIN_URL"]
    base = os.environ.get("DSR_TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        return sa.make_url(base).set(database="postgres").render_as_string(hide_password=False)
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def studadmin_sqlite(tmp_path) -> StudadminDb:
    """The database in a SQLite file of this test."""
    path = tmp_path / "studadmin.sqlite"
    url = f"sqlite:///{path}"
    build(url, STUDENTS).dispose()
    return StudadminDb(url, f"sqlite:///file:{path}?mode=ro&uri=true", url, list(STUDENTS))


_PG_SERVER: tuple[str, str, str] | None = None


def _pg_server() -> tuple[str, str, str]:
    """The process's PostgreSQL database and read-only role: made on first use, dropped when the process
    ends (not a fixture of its own, so a test module needs to import only ``studadmin_pg``)."""
    global _PG_SERVER
    if _PG_SERVER is not None:
        return _PG_SERVER
    admin = pg_admin_url()
    engine = sa.create_engine(admin, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server reachable for the student administration database")
    finally:
        engine.dispose()
    name, role = f"dsr_studadmin_{os.getpid()}", f"dsr_studadmin_ro_{os.getpid()}"
    url = pg_database(admin, name)
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with owner.connect() as connection:
        connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        connection.execute(sa.text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{READ_PASSWORD}'"))
    owner.dispose()
    read_url = sa.make_url(url).set(username=role, password=READ_PASSWORD).render_as_string(hide_password=False)
    atexit.register(_drop_pg, admin, name, role)
    _PG_SERVER = (url, role, read_url)
    return _PG_SERVER


def _drop_pg(admin: str, name: str, role: str) -> None:
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


@pytest.fixture
def studadmin_pg() -> StudadminDb:
    """The database on PostgreSQL, rebuilt for this test, with a read-only role that may only SELECT."""
    url, role, read_url = _pg_server()
    build(url, STUDENTS).dispose()
    owner = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with owner.begin() as connection:
        connection.execute(sa.text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        connection.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        connection.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    owner.dispose()
    return StudadminDb(url, read_url, url, list(STUDENTS))
