"""The queue's tabs (issue 16 point 7): the per-state counts and the "letter still to send" count, for a
staff member (their school) and for the privacy officer (every school), and on PostgreSQL the partial
index that keeps the privacy officer's counts as cheap as the open cases, whatever the closed history."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from bench import loader
from dsr.extensions import db
from dsr.workflows import states as S
from tests.helpers import login, submit
from tests.integration.helpers import set_case_columns

#: One tab: its link's status (or ``brief=1``) and the count shown in it.
TAB = re.compile(r'<a href="/zaken/\?(status=[a-z_]+|brief=1)"[^>]*>[^<]*<span class="count">(\d+)</span>')

#: (school key, state, letter_pending) of the cases each test makes: open states in both schools, closed
#: cases (never counted), and decided cases whose letter is still to send (counted in their own tab only).
CASES = [
    ("school_a", S.SUBMITTED, False), ("school_a", S.SUBMITTED, False), ("school_a", S.AWAITING_DIRECTOR, False),
    ("school_a", S.FULFILLED, False), ("school_a", S.REFUSED, True),
    ("school_b", S.SUBMITTED, False), ("school_b", S.IDENTITY_CHECKED, False), ("school_b", S.FULFILLED, True),
    ("school_b", S.REFUSED, False), ("school_b", S.AWAITING_REQUESTER, False),
]


def _make_cases(app, client, people) -> None:
    for school, state, letter_pending in CASES:
        case_id = submit(client, getattr(people, school))
        set_case_columns(app, case_id, state=state, letter_pending=letter_pending)


def _tabs(page: str) -> dict[str, int]:
    return {key: int(number) for key, number in TAB.findall(page)}


def _expected(schools: set[str]) -> dict[str, int]:
    """The tabs as the cases above should fill them for a user who sees ``schools``."""
    mine = [(state, pending) for school, state, pending in CASES if school in schools]
    tabs = {f"status={state}": sum(1 for s, _ in mine if s == state) for state in S.OPEN_STATES}
    tabs["brief=1"] = sum(1 for s, pending in mine if pending and s not in S.OPEN_STATES)
    return tabs


@pytest.mark.parametrize(("who", "schools"), [("privacy", {"school_a", "school_b"}), ("staff_a", {"school_a"}),
                                               ("staff_b", {"school_b"})])
def test_tabs_count_the_open_cases_of_the_schools_one_sees(app, client, people, who, schools):
    _make_cases(app, client, people)
    user = app.test_client()
    login(user, people.email[who])
    response = user.get("/zaken/")
    assert response.status_code == 200
    assert _tabs(response.get_data(as_text=True)) == _expected(schools)


# --- PostgreSQL: the index the privacy officer's counts rely on ---------------------------------------------------


def _postgres(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans and the partial index's definition are PostgreSQL's (DSR_TEST_DATABASE_URL)")


def test_the_open_counts_index_is_in_the_catalogue(app):
    _postgres(app)
    with app.app_context():
        definition = db.session.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'cases' AND schemaname = current_schema() "
            "AND indexname = 'ix_cases_open_counts'")).scalar_one_or_none()
    assert definition is not None, "ix_cases_open_counts is missing"
    # The flag first (its count is a range), then the state; only the cases still to answer.
    assert "(letter_pending, state, school_id)" in definition, definition
    assert "WHERE" in definition and "letter_pending" in definition.partition("WHERE")[2], definition


def _count_statements(app, client) -> list[tuple[str, dict]]:
    """The statements of one queue page that count cases."""
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/zaken/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return [(statement, params) for statement, params in seen if "count(" in statement and "FROM cases" in statement]


def test_the_privacy_officers_counts_read_only_the_open_cases_index(app, client, people):
    """Both counts of the all-schools queue are index-only scans of ix_cases_open_counts: without it the
    per-state count reads ix_cases_queue from end to end (every case of every school, closed ones too) and
    the letter count visits every open case's row (bench/queue.py measured both at 1,000,000 cases)."""
    _postgres(app)
    _make_cases(app, client, people)
    with app.app_context():
        engine = db.engine
        school_id = people.school_a
    # A history of closed cases, as a running school has: with only the handful above, reading any index
    # whole costs the planner about the same, and its choice turned on the statistics of the moment.
    today = dt.date.today()
    loader.bulk_insert(engine, "cases", loader.CASE_COLUMNS,
                       (loader.case_row(case_id, school_id, S.FULFILLED, today, today)
                        for case_id in range(50_000, 53_000)))
    # Statistics and a visibility map as a running database has them (autovacuum); the tiny table would
    # otherwise be read whole, so the other plans are switched off for the check.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE cases")
    officer = app.test_client()
    login(officer, people.email["privacy"])
    statements = _count_statements(app, officer)
    assert len(statements) == 2, [s for s, _ in statements]
    with engine.connect() as conn:
        # A pooled connection: start from the server's defaults, whatever an earlier test of the run set on it.
        conn.exec_driver_sql("RESET ALL")
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        # A plain index scan of another open-cases index, filtering on state, costs about the same on a table this
        # small, and the planner's pick flipped under load (CI, 5 December): the check is that the counts CAN be
        # answered from ix_cases_open_counts alone.
        conn.exec_driver_sql("SET enable_indexscan = off")
        for statement, params in statements:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
            assert "Index Only Scan using ix_cases_open_counts" in plan, plan
        conn.rollback()
