"""The SQL connector against a real student administration database, on SQLite and on PostgreSQL (issue 17
point 2): every category, the read-only role, a wrong student, the size limit, the timeout, bad statements,
the dry run, idempotent execution, rectification by field and the roster."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa

from dsr.connectors import (
    CategorySpec,
    Change,
    ConnectorError,
    Limits,
    StudentKey,
    TooLarge,
    WrongStudent,
    connector_for,
)
from dsr.connectors.sql import SqlConnector, rectify_statements
from tests.connectors.studadmin import MAPPINGS, ROSTER_SETTINGS
from tests.connectors.studadmin_fixtures import READ_PASSWORD, studadmin_pg, studadmin_sqlite  # noqa: F401

SANNE = StudentKey("S-1001", dt.date(2009, 5, 14), "Sanne de Boer")


@pytest.fixture(params=["sqlite", "pg"])
def studadmin(request):
    """The student administration database on each backend."""
    return request.getfixturevalue(f"studadmin_{request.param}")


def spec(code: str, **overrides) -> CategorySpec:
    """The category's mapping from studadmin.MAPPINGS, with ``overrides``."""
    values = {**MAPPINGS[code], **overrides}
    for name in ("fields", "other_people_fields"):
        if isinstance(values.get(name), str):
            values[name] = tuple(v.strip() for v in values[name].split(",") if v.strip())
    return CategorySpec(code, **values)


def connector(db, limits: Limits | None = None, **credentials) -> SqlConnector:
    urls = {"read_url": db.read_url, "write_url": db.write_url, **credentials}
    built = connector_for("sql", ROSTER_SETTINGS, urls, limits or Limits(timeout_seconds=10))
    assert isinstance(built, SqlConnector)
    return built


# --- collection -----------------------------------------------------------------------------------

EXPECTED = {  # category: (rows of S-1001, columns)
    "inschrijving": (1, ["student_number", "first_name", "last_name", "birth_date", "address", "class_name",
                         "enrolled_on", "left_on"]),
    "cijfers": (2, ["student_number", "subject", "grade", "given_on", "teacher", "teacher_note"]),
    "verzuim": (1, ["student_number", "absent_on", "reason", "excused"]),
    "zorg": (1, ["student_number", "written_on", "author", "note", "classmates_involved"]),
    "financieel": (1, ["student_number", "description", "amount_cents", "paid", "payer_name"]),
}


@pytest.mark.parametrize("code", sorted(MAPPINGS))
def test_collect_every_category(studadmin, code):
    data = connector(studadmin).collect(spec(code), SANNE)
    count, columns = EXPECTED[code]
    assert data.category_code == code and data.columns == columns and len(data.rows) == count
    assert {row["student_number"] for row in data.rows} == {"S-1001"}
    json.dumps(data.rows)  # every value is JSON-friendly


def test_collect_values_are_text_the_package_can_show(studadmin):
    grades = connector(studadmin).collect(spec("cijfers"), SANNE).rows
    assert [(g["subject"], g["given_on"]) for g in grades] == [("Nederlands", "2026-03-01"), ("Wiskunde", "2026-03-01")]
    # PostgreSQL's NUMERIC is a Decimal: exact text; SQLite stores a float.
    assert [str(g["grade"]) for g in grades] == ["7.5", "6.8"]
    student = connector(studadmin).collect(spec("inschrijving"), SANNE).rows[0]
    assert student["birth_date"] == "2009-05-14" and student["left_on"] is None


def test_collect_picks_the_fields(studadmin):
    data = connector(studadmin).collect(spec("cijfers", fields=("subject", "grade", "student_number")), SANNE)
    assert data.columns == ["student_number", "subject", "grade"]
    assert set(data.rows[0]) == {"student_number", "subject", "grade"}
    with pytest.raises(ConnectorError, match="mist de ingestelde velden: cijfer"):
        connector(studadmin).collect(spec("cijfers", fields=("subject", "cijfer")), SANNE)


def test_a_student_without_rows_gives_none(studadmin):
    nobody = StudentKey("S-9999", dt.date(2010, 1, 1))
    assert connector(studadmin).collect(spec("cijfers"), nobody).rows == []


def test_a_row_of_another_student_is_refused(studadmin):
    wrong = spec("cijfers", collect=MAPPINGS["cijfers"]["collect"].replace(
        "s.student_number = :student_number", "s.student_number <> :student_number"))
    with pytest.raises(WrongStudent) as caught:
        connector(studadmin).collect(wrong, SANNE)
    assert "S-100" not in caught.value.message and "Daan" not in caught.value.message
    with pytest.raises(ConnectorError, match="sleutelveld 'leerling'"):
        connector(studadmin).collect(spec("cijfers", key_field="leerling"), SANNE)


# --- read-only ------------------------------------------------------------------------------------

def test_the_read_only_sqlite_url_cannot_write(studadmin_sqlite):
    with pytest.raises(ConnectorError, match="alleen mag lezen"):
        connector(studadmin_sqlite, write_url=studadmin_sqlite.read_url).execute("erase", spec("cijfers"), SANNE)
    assert studadmin_sqlite.count("grades") == 8
    assert len(connector(studadmin_sqlite).collect(spec("cijfers"), SANNE).rows) == 2


def test_the_read_only_role_cannot_write_and_collects(studadmin_pg):
    engine = sa.create_engine(studadmin_pg.read_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError) as denied:
            connection.execute(sa.text("DELETE FROM grades"))
        assert getattr(denied.value.orig, "sqlstate", None) == "42501"  # insufficient_privilege
        with engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError):
            connection.execute(sa.text("CREATE TABLE stolen (x INTEGER)"))
    finally:
        engine.dispose()
    assert len(connector(studadmin_pg).collect(spec("cijfers"), SANNE).rows) == 2
    # Given the read-only URL as its write URL, a connector cannot erase either.
    with pytest.raises(ConnectorError, match="onvoldoende rechten") as caught:
        connector(studadmin_pg, write_url=studadmin_pg.read_url).execute("erase", spec("cijfers"), SANNE)
    assert READ_PASSWORD not in caught.value.message
    assert studadmin_pg.count("grades") == 8


WRITING = {  # a collect query that writes (PostgreSQL reads through a cursor: only a SELECT can write there)
    "sqlite": "DELETE FROM grades WHERE student_id IN (SELECT id FROM students WHERE student_number = "
              ":student_number) RETURNING subject",
    "postgresql": "SELECT CAST(:student_number AS VARCHAR(20)) AS student_number, nextval('written') AS written",
}


def test_the_read_connection_is_read_only_even_for_a_role_that_may_write(studadmin):
    # Collection through the owner's URL still cannot change anything (BEGIN READ ONLY / query_only).
    writing = spec("cijfers", collect=WRITING[studadmin.backend])
    if studadmin.backend == "postgresql":
        studadmin.execute("CREATE SEQUENCE IF NOT EXISTS written")
    with pytest.raises(ConnectorError, match="alleen mag lezen") as caught:
        connector(studadmin, read_url=studadmin.url).collect(writing, SANNE)
    assert not caught.value.retryable
    assert studadmin.count("grades", "S-1001") == 2
    if studadmin.backend == "postgresql":
        studadmin.execute("DROP SEQUENCE written")


# --- bounds ---------------------------------------------------------------------------------------

def test_an_answer_over_the_size_limit_is_refused_whole(studadmin):
    with pytest.raises(TooLarge, match="groter dan de grens"):
        connector(studadmin, Limits(max_bytes=300)).collect(spec("cijfers"), SANNE)
    assert len(connector(studadmin, Limits(max_bytes=2_000)).collect(spec("cijfers"), SANNE).rows) == 2


def test_reading_stops_at_the_size_limit(studadmin):
    endless = spec("cijfers", key_field="student_number", collect=(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000000) "
        "SELECT CAST(:student_number AS VARCHAR(20)) AS student_number, i FROM n"))
    started = time.monotonic()
    with pytest.raises(TooLarge):
        connector(studadmin, Limits(timeout_seconds=30, max_bytes=50_000)).collect(endless, SANNE)
    assert time.monotonic() - started < 5  # 20 million rows were not read


SLOW = {
    "pg": "SELECT s.student_number, pg_sleep(5) AS slept FROM students s WHERE s.student_number = :student_number",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000000) "
              "SELECT :student_number AS student_number, count(*) AS slept FROM n",
}


@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_a_slow_query_stops_at_the_timeout(request, backend):
    db = request.getfixturevalue(f"studadmin_{backend}")
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="tijdgrens") as caught:
        connector(db, Limits(timeout_seconds=0.5)).collect(spec("cijfers", collect=SLOW[backend]), SANNE)
    assert caught.value.retryable and time.monotonic() - started < 4


def test_the_urls_own_connection_options_are_kept_beside_the_timeout(studadmin_pg):
    """A URL may carry libpq options (``options=-csearch_path=...``, a schema of its own): the connector's
    statement timeout is added to them, never put in their place (it was: UndefinedTable in the bench smoke)."""
    with sa.create_engine(studadmin_pg.write_url, poolclass=sa.pool.NullPool).begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA IF NOT EXISTS eigen_schema"))
    separator = "&" if "?" in studadmin_pg.read_url else "?"
    url = f"{studadmin_pg.read_url}{separator}options=-csearch_path%3Deigen_schema"
    mapping = CategorySpec("inschrijving", collect="SELECT :student_number AS student_number, "
                           "current_setting('search_path') AS path, current_setting('statement_timeout') AS timeout",
                           key_field="student_number")
    [row] = connector(studadmin_pg, Limits(timeout_seconds=7), read_url=url).collect(mapping, SANNE).rows
    assert (row["path"], row["timeout"]) == ("eigen_schema", "7s")


# --- bad statements and errors ------------------------------------------------------------------------

def test_a_malformed_statement_is_a_clear_error_that_retrying_will_not_fix(studadmin):
    for collect in ("SELEC student_number FROM students WHERE student_number = :student_number",
                    "SELECT student_number FROM leerlingen WHERE student_number = :student_number"):
        with pytest.raises(ConnectorError, match="ongeldig") as caught:
            connector(studadmin).collect(spec("inschrijving", collect=collect), SANNE)
        assert not caught.value.retryable


def test_only_named_parameters_of_the_key(studadmin):
    with pytest.raises(ConnectorError, match=r"onbekende parameters: :naam"):
        connector(studadmin).collect(spec("inschrijving", collect="SELECT * FROM students WHERE first_name = :naam"),
                                     SANNE)
    # A student number that looks like SQL is only ever a value.
    sly = StudentKey("S-1001' OR '1'='1", dt.date(2009, 5, 14))
    assert connector(studadmin).collect(spec("inschrijving"), sly).rows == []


def test_errors_never_show_the_url_its_password_or_a_value(studadmin_pg):
    secret = "Wachtwoord-Zeer-Geheim"
    unreachable = f"postgresql+psycopg://dsr:{secret}@127.0.0.1:1/studadmin"
    failures = [
        (dict(read_url=unreachable), spec("cijfers")),
        (dict(read_url=f"postgresql+nosuchdriver://dsr:{secret}@db/x"), spec("cijfers")),
        (dict(read_url=f"://dsr:{secret}@@"), spec("cijfers")),
        (dict(read_url=f"sqlite:////nonexistent/{secret}/x.sqlite"), spec("cijfers")),
        ({}, spec("cijfers", collect="SELECT student_number, 1/0 AS x FROM students WHERE student_number = "
                                     ":student_number AND first_name = 'Sanne'")),
        ({}, spec("cijfers", collect="SELECT CAST(:student_number AS INTEGER) AS student_number")),
        ({}, spec("cijfers", collect=MAPPINGS["cijfers"]["collect"].replace("=", "<>"))),
    ]
    messages = []
    for credentials, mapping in failures:
        with pytest.raises(ConnectorError) as caught:
            connector(studadmin_pg, Limits(timeout_seconds=3), **credentials).collect(mapping, SANNE)
        assert caught.value.__cause__ is None  # no driver error (with the parameters) chained to it
        assert caught.value.__context__ is None or caught.value.__suppress_context__
        messages.append(caught.value.message)
    text = "\n".join(messages)
    for leak in (secret, READ_PASSWORD, "S-1001", "Sanne", "Daan", "Boer", "Nederlands", "127.0.0.1", "studadmin"):
        assert leak not in text, leak
    assert messages[0].endswith("later opnieuw proberen kan helpen.")


# --- carrying out -----------------------------------------------------------------------------------

ERASED = [("cijfers", "grades", 2), ("verzuim", "absences", 1), ("zorg", "care_notes", 1),
          ("financieel", "invoices", 1)]


@pytest.mark.parametrize(("code", "table", "rows"), ERASED)
def test_the_dry_run_changes_nothing_and_execution_runs_once(studadmin, code, table, rows):
    before = studadmin.count(table)
    plan = connector(studadmin).plan("erase", spec(code), SANNE)
    assert (plan.category_code, plan.action, plan.row_count) == (code, "erase", rows)
    assert studadmin.count(table) == before
    assert connector(studadmin).execute("erase", spec(code), SANNE) == rows
    assert studadmin.count(table, "S-1001") == 0 and studadmin.count(table) == before - rows
    assert connector(studadmin).execute("erase", spec(code), SANNE) == 0  # a retry changes nothing more
    assert connector(studadmin).plan("erase", spec(code), SANNE).row_count == 0


def test_the_dry_run_shows_the_rows_with_returning(studadmin):
    returning = spec("cijfers", erase=MAPPINGS["cijfers"]["erase"] + " RETURNING subject, grade")
    plan = connector(studadmin).plan("erase", returning, SANNE)
    assert plan.row_count == 2 and sorted(r["subject"] for r in plan.rows) == ["Nederlands", "Wiskunde"]
    assert studadmin.count("grades", "S-1001") == 2
    assert connector(studadmin).execute("erase", returning, SANNE) == 2
    assert connector(studadmin).execute("erase", returning, SANNE) == 0


def test_restriction_is_idempotent(studadmin):
    assert connector(studadmin).plan("restrict", spec("inschrijving"), SANNE).row_count == 1
    assert not studadmin.scalar("SELECT restricted FROM students WHERE student_number = 'S-1001'")
    assert connector(studadmin).execute("restrict", spec("inschrijving"), SANNE) == 1
    assert studadmin.scalar("SELECT restricted FROM students WHERE student_number = 'S-1001'")
    assert connector(studadmin).execute("restrict", spec("inschrijving"), SANNE) == 0
    assert not studadmin.scalar("SELECT restricted FROM students WHERE student_number = 'S-1002'")


def test_rectification_by_field(studadmin):
    changes = [Change("address", "Schoolstraat 1, Almere", "Dorpsweg 3, Almere"),
               Change("last_name", "de Boer", "de Boer-Visser")]
    assert connector(studadmin).plan("rectify", spec("inschrijving"), SANNE, changes).row_count == 2
    assert studadmin.scalar("SELECT address FROM students WHERE student_number = 'S-1001'") == "Schoolstraat 1, Almere"
    assert connector(studadmin).execute("rectify", spec("inschrijving"), SANNE, changes) == 2
    assert studadmin.scalar("SELECT last_name FROM students WHERE student_number = 'S-1001'") == "de Boer-Visser"
    assert studadmin.scalar("SELECT address FROM students WHERE student_number = 'S-1002'") == "Schoolstraat 2, Almere"
    assert connector(studadmin).execute("rectify", spec("inschrijving"), SANNE, changes) == 0
    with pytest.raises(ConnectorError, match="geen correctie ingesteld: birth_date"):
        connector(studadmin).plan("rectify", spec("inschrijving"), SANNE, [Change("birth_date", "", "2009-05-15")])


def test_a_failing_statement_changes_nothing(studadmin):
    # The second statement fails: the first one's change is rolled back with it.
    broken = spec("inschrijving", rectify="address: UPDATE students SET address = :new_value "
                                           "WHERE student_number = :student_number\n"
                                           "last_name: UPDATE leerlingen SET naam = :new_value")
    changes = [Change("address", "", "Elders 1"), Change("last_name", "", "X")]
    with pytest.raises(ConnectorError):
        connector(studadmin).execute("rectify", broken, SANNE, changes)
    assert studadmin.scalar("SELECT address FROM students WHERE student_number = 'S-1001'") == "Schoolstraat 1, Almere"
    with pytest.raises(ConnectorError, match="geen erase-opdracht"):
        connector(studadmin).execute("erase", spec("inschrijving"), SANNE)


def test_rectify_lines():
    assert rectify_statements("address: UPDATE s SET a = :new_value\n\n  last_name :UPDATE s SET l = :x\n"
                              "UPDATE zonder veld") == {"address": "UPDATE s SET a = :new_value",
                                                        "last_name": "UPDATE s SET l = :x"}


# --- the roster -----------------------------------------------------------------------------------

def test_the_roster(studadmin):
    roster = list(connector(studadmin).roster())
    assert [(r.school_code, r.student_number) for r in roster] == [
        ("AAA", "S-1001"), ("AAA", "S-1002"), ("AAA", "S-1004"), ("BBB", "S-1003")]
    sanne = roster[0]
    assert (sanne.name, sanne.birth_date, sanne.enrolled_on, sanne.left_on) == (
        "Sanne de Boer", dt.date(2009, 5, 14), dt.date(2021, 8, 23), None)
    assert [(c.name, c.email, c.relation, c.gezag) for c in sanne.contacts] == [
        ("Petra de Boer", "petra.deboer@example.org", "moeder", True),
        ("Kees de Boer", "kees.deboer@example.org", "vader", False)]
    assert roster[2].left_on == dt.date(2025, 7, 15)


def test_a_roster_query_without_its_columns_is_a_clear_error(studadmin):
    settings = {"roster_students": "SELECT student_number, first_name AS name FROM students"}
    bad = connector_for("sql", settings, {"read_url": studadmin.read_url}, Limits())
    with pytest.raises(ConnectorError, match="mist de kolommen: school_code, birth_date, enrolled_on, left_on"):
        list(bad.roster())
    with pytest.raises(ConnectorError, match="geen roster-query"):
        list(connector_for("sql", {}, {"read_url": studadmin.read_url}, Limits()).roster())
