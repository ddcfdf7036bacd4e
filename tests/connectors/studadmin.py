"""A plausible student administration database (issue 17): students, guardians, grades, absences, care
notes and invoices, on SQLite or PostgreSQL, for the SQL connector's tests and the benchmarks.

``build(url, students)`` creates the schema and fills it; ``mappings()`` gives the queries dsr is
configured with for the default register's categories. Everything here is ordinary SQL both databases run.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import sqlalchemy as sa

SCHEMA = [
    """CREATE TABLE students (
        id INTEGER PRIMARY KEY, student_number VARCHAR(20) NOT NULL UNIQUE, school_code VARCHAR(10) NOT NULL,
        first_name VARCHAR(100) NOT NULL, last_name VARCHAR(100) NOT NULL, birth_date DATE NOT NULL,
        address VARCHAR(200) NOT NULL DEFAULT '', class_name VARCHAR(20) NOT NULL DEFAULT '',
        enrolled_on DATE, left_on DATE, restricted BOOLEAN NOT NULL DEFAULT FALSE)""",
    """CREATE TABLE guardians (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        name VARCHAR(200) NOT NULL, email VARCHAR(254) NOT NULL, relation VARCHAR(20) NOT NULL,
        gezag BOOLEAN NOT NULL)""",
    """CREATE TABLE grades (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        subject VARCHAR(50) NOT NULL, grade NUMERIC(3, 1) NOT NULL, given_on DATE NOT NULL,
        teacher VARCHAR(100) NOT NULL, teacher_note TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE absences (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        absent_on DATE NOT NULL, reason VARCHAR(100) NOT NULL, excused BOOLEAN NOT NULL)""",
    """CREATE TABLE care_notes (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        written_on DATE NOT NULL, author VARCHAR(100) NOT NULL, note TEXT NOT NULL,
        classmates_involved TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE invoices (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        description VARCHAR(200) NOT NULL, amount_cents INTEGER NOT NULL, paid BOOLEAN NOT NULL,
        payer_name VARCHAR(200) NOT NULL)""",
]

#: dsr's configuration for the default register's categories: (category code, collect, key field,
#: other people's fields, erase statement). Every statement is idempotent (a second run changes 0 rows).
MAPPINGS = {
    "inschrijving": dict(
        collect="SELECT student_number, first_name, last_name, birth_date, address, class_name, enrolled_on, "
                "left_on FROM students WHERE student_number = :student_number",
        key_field="student_number",
        rectify="address: UPDATE students SET address = :new_value WHERE student_number = :student_number "
                "AND address <> :new_value\n"
                "last_name: UPDATE students SET last_name = :new_value WHERE student_number = :student_number "
                "AND last_name <> :new_value",
        restrict="UPDATE students SET restricted = TRUE WHERE student_number = :student_number "
                 "AND restricted = FALSE"),
    "cijfers": dict(
        collect="SELECT s.student_number, g.subject, g.grade, g.given_on, g.teacher, g.teacher_note "
                "FROM grades g JOIN students s ON s.id = g.student_id WHERE s.student_number = :student_number "
                "ORDER BY g.given_on, g.subject",
        key_field="student_number", other_people_fields="teacher_note",
        erase="DELETE FROM grades WHERE student_id IN "
              "(SELECT id FROM students WHERE student_number = :student_number)"),
    "verzuim": dict(
        collect="SELECT s.student_number, a.absent_on, a.reason, a.excused FROM absences a "
                "JOIN students s ON s.id = a.student_id WHERE s.student_number = :student_number "
                "ORDER BY a.absent_on",
        key_field="student_number",
        erase="DELETE FROM absences WHERE student_id IN "
              "(SELECT id FROM students WHERE student_number = :student_number)"),
    "zorg": dict(
        collect="SELECT s.student_number, c.written_on, c.author, c.note, c.classmates_involved FROM care_notes c "
                "JOIN students s ON s.id = c.student_id WHERE s.student_number = :student_number "
                "ORDER BY c.written_on",
        key_field="student_number", other_people_fields="classmates_involved",
        erase="DELETE FROM care_notes WHERE student_id IN "
              "(SELECT id FROM students WHERE student_number = :student_number)"),
    "financieel": dict(
        collect="SELECT s.student_number, i.description, i.amount_cents, i.paid, i.payer_name FROM invoices i "
                "JOIN students s ON s.id = i.student_id WHERE s.student_number = :student_number ORDER BY i.id",
        key_field="student_number",
        erase="DELETE FROM invoices WHERE student_id IN "
              "(SELECT id FROM students WHERE student_number = :student_number)"),
}

#: The roster queries of this database (``System.settings_json`` of a roster source).
ROSTER_SETTINGS = {
    "roster_students": "SELECT school_code, student_number, first_name || ' ' || last_name AS name, birth_date, "
                       "enrolled_on, left_on FROM students ORDER BY school_code, student_number",
    "roster_contacts": "SELECT s.school_code, s.student_number, g.name, g.email, g.relation, g.gezag "
                       "FROM guardians g JOIN students s ON s.id = g.student_id "
                       "ORDER BY s.school_code, s.student_number, g.id",
}


@dataclass
class Student:
    """One student to put in the database, with a guardian and a few rows in every table."""

    student_number: str
    first_name: str
    last_name: str
    birth_date: dt.date
    school_code: str = "AAA"
    class_name: str = "4H2"
    guardians: list[tuple[str, str, str, bool]] = field(default_factory=list)  # name, email, relation, gezag
    left_on: dt.date | None = None


INSERTS = {
    "students": "INSERT INTO students (id, student_number, school_code, first_name, last_name, birth_date, address, "
                "class_name, enrolled_on, left_on) VALUES (:id, :number, :school, :first, :last, :birth, :address, "
                ":class_name, :enrolled, :left_on)",
    "guardians": "INSERT INTO guardians (id, student_id, name, email, relation, gezag) "
                 "VALUES (:id, :sid, :name, :email, :relation, :gezag)",
    "grades": "INSERT INTO grades (id, student_id, subject, grade, given_on, teacher, teacher_note) "
              "VALUES (:id, :sid, :subject, :grade, :on, 'J. de Vries', :note)",
    "absences": "INSERT INTO absences (id, student_id, absent_on, reason, excused) "
                "VALUES (:id, :sid, :on, 'ziek', TRUE)",
    "care_notes": "INSERT INTO care_notes (id, student_id, written_on, author, note, classmates_involved) "
                  "VALUES (:id, :sid, :on, 'Zorgcoördinator', 'Gesprek over planning', 'Daan Jansen, Eva Smit')",
    "invoices": "INSERT INTO invoices (id, student_id, description, amount_cents, paid, payer_name) "
                "VALUES (:id, :sid, 'Ouderbijdrage 2025-2026', 7500, TRUE, :payer)",
}


def build(url: str, students: list[Student]) -> sa.Engine:
    """Create the schema at ``url`` (dropping an earlier one) and fill it; the engine is returned. The rows
    go in per table in one batch, so a benchmark's 20,000 students take seconds."""
    rows: dict[str, list[dict[str, object]]] = {table: [] for table in INSERTS}
    # Explicit ids: ``INTEGER PRIMARY KEY`` numbers itself on SQLite only.
    ids = {table: itertools.count(1) for table in INSERTS}
    for n, s in enumerate(students, start=1):
        rows["students"].append(
            {"id": next(ids["students"]), "number": s.student_number, "school": s.school_code,
             "first": s.first_name, "last": s.last_name, "birth": s.birth_date, "address": f"Schoolstraat {n}, Almere",
             "class_name": s.class_name, "enrolled": dt.date(2021, 8, 23), "left_on": s.left_on})
        for name, email, relation, gezag in s.guardians:
            rows["guardians"].append({"id": next(ids["guardians"]), "sid": n, "name": name, "email": email,
                                      "relation": relation, "gezag": gezag})
        for subject, grade in (("Nederlands", 7.5), ("Wiskunde", 6.8)):
            rows["grades"].append({"id": next(ids["grades"]), "sid": n, "subject": subject, "grade": grade,
                                   "on": dt.date(2026, 3, 1), "note": f"Privé: {s.first_name} zit naast Daan Jansen"})
        rows["absences"].append({"id": next(ids["absences"]), "sid": n, "on": dt.date(2026, 2, 10)})
        rows["care_notes"].append({"id": next(ids["care_notes"]), "sid": n, "on": dt.date(2026, 1, 15)})
        rows["invoices"].append({"id": next(ids["invoices"]), "sid": n,
                                 "payer": s.guardians[0][0] if s.guardians else "onbekend"})
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ("invoices", "care_notes", "absences", "grades", "guardians", "students"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        for statement in SCHEMA:
            connection.execute(sa.text(statement))
        for table, statement in INSERTS.items():
            if rows[table]:
                connection.execute(sa.text(statement), rows[table])
    return engine


def pg_database(base_url: str, name: str) -> str:
    """Create (or recreate) the PostgreSQL database ``name`` on the server of ``base_url``; its URL."""
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
