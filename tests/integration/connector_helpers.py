"""Helpers of the collection and execution tests (issue 17 points 3 and 4): a student administration database
(tests/connectors/studadmin.py) and systems in dsr's register that point to it."""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from dsr.connectors.credentials import seal_credentials
from dsr.extensions import db
from dsr.models import Case, ConnectorRun, RegisterCategory, System, SystemCategory
from tests.connectors import studadmin

NUMBER = "20231234"
OTHER = "20239999"


def students(birth: dt.date) -> list[studadmin.Student]:
    """The case's student and a classmate (whose rows must never reach the package)."""
    return [studadmin.Student(NUMBER, "Sam", "Jansen", birth, guardians=[("Alex Jansen", "alex@example.nl",
                                                                           "ouder", True)]),
            studadmin.Student(OTHER, "Daan", "Jansen", birth)]


def student_db(tmp_path, birth: dt.date, name: str = "studadmin.sqlite") -> str:
    """A student administration database on SQLite in ``tmp_path``; its URL."""
    url = f"sqlite:///{tmp_path / name}"
    studadmin.build(url, students(birth)).dispose()
    return url


def add_system(app, code: str, *, read_url: str, write_url: str | None = None, mappings: dict | None = None,
               kind: str = "sql", school_id: int | None = None, recipient_code: str | None = None,
               timeout_seconds: int = 20, owner_email: str = "") -> int:
    """A system with ``mappings`` ({category code: SystemCategory fields}); studadmin's by default."""
    with app.app_context():
        categories = {c.code: c for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
        recipient_id = None
        if recipient_code:
            recipient_id = next(r.id for c in categories.values() for r in c.recipients if r.code == recipient_code)
        credentials = {"read_url": read_url, "write_url": write_url or read_url} if kind == "sql" else {}
        system = System(code=code, name=f"Systeem {code}", kind=kind, school_id=school_id,
                        settings_json=json.dumps({}), owner_name="Eigenaar", owner_email=owner_email,
                        credentials_sealed=seal_credentials(credentials) if credentials else None,
                        recipient_id=recipient_id, timeout_seconds=timeout_seconds)
        for category_code, fields in (studadmin.MAPPINGS if mappings is None else mappings).items():
            system.mappings.append(SystemCategory(category=categories[category_code], **fields))
        db.session.add(system)
        db.session.commit()
        return system.id


def set_student_number(app, case_id: int, number: str = NUMBER) -> None:
    with app.app_context():
        db.session.get(Case, case_id).student_number = number
        db.session.commit()


def runs(app, case_id: int, purpose: str | None = None) -> list[ConnectorRun]:
    """The case's runs with their steps and system loaded, detached."""
    with app.app_context():
        query = sa.select(ConnectorRun).where(ConnectorRun.case_id == case_id).order_by(ConnectorRun.id)
        if purpose:
            query = query.where(ConnectorRun.purpose == purpose)
        found = db.session.execute(query).scalars().all()
        for run in found:
            _ = run.system, [s.category.code for s in run.steps]
            db.session.expunge(run)
        return found


PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_base() -> str:
    """The PostgreSQL server for student administration databases: the suite's own when it runs on
    PostgreSQL, else the local one."""
    import os

    url = os.environ.get("DSR_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else PG_BASE


def pg_student_db(name: str, birth: dt.date, count: int = 0) -> str:
    """studadmin's database on PostgreSQL (its child tables given serial ids, which PostgreSQL does not make
    from INTEGER PRIMARY KEY as SQLite does), with the case's student, a classmate and ``count`` more
    students; its URL (without a password)."""
    url = studadmin.pg_database(pg_base(), name)
    schema = studadmin.SCHEMA
    studadmin.SCHEMA = [s.replace("id INTEGER PRIMARY KEY", "id SERIAL PRIMARY KEY") for s in schema]
    try:
        extra = [studadmin.Student(f"3{n:07d}", "Leerling", f"Nummer {n}", birth) for n in range(count)]
        studadmin.build(url, students(birth) + extra).dispose()
    finally:
        studadmin.SCHEMA = schema
    return url


def drop_pg(name: str) -> None:
    admin = sa.create_engine(pg_base(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
