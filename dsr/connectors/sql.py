"""The SQL connector: any database SQLAlchemy can reach (issue 17 point 2; docs/connectors.md).

Credentials (sealed): ``read_url``, the SQLAlchemy URL of a read-only role, used for collection and the
roster; ``write_url``, used only to carry out a decided right and for its dry run (in a transaction that is
rolled back). Both hold a password, so neither is ever put in a message. Settings: ``roster_students`` and
``roster_contacts``, the roster queries of a roster source.

Per category (``SystemCategory``): ``collect`` is a SELECT with named parameters only (``:student_number``,
``:birth_date``, ``:student_name``; never text pasted into SQL); ``erase`` and ``restrict`` are statements
with the same parameters; ``rectify`` has one line per field, ``field: UPDATE ... SET column = :new_value
WHERE ...`` (also ``:old_value``). Statements must be idempotent: run a second time they change 0 rows
(a retry after a crash runs them again).

Bounds: ``Limits.timeout_seconds`` per statement (PostgreSQL ``statement_timeout``, SQLite a progress
handler; other databases only their driver's own timeouts) and ``Limits.max_bytes`` on the rows of one
answer (:class:`TooLarge`; reading stops there and nothing is kept). Values come back as ``values.json_value``
makes them. Reading connections are read-only in the session as well (PostgreSQL ``SET TRANSACTION READ
ONLY``, SQLite ``PRAGMA query_only``), on top of the read-only role.
"""
from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from .base import (
    ActionPlan,
    CategoryData,
    CategorySpec,
    Change,
    ConnectorError,
    Limits,
    RosterContactEntry,
    RosterEntry,
    StudentKey,
)
from .values import SizeBudget, check_key, json_value, parse_date, pick_fields, truthy

__all__ = ["SqlConnector", "check_key", "rectify_statements"]

#: The parameters a statement may name: the student's key, and for a rectification the values.
KEY_PARAMS = frozenset({"student_number", "birth_date", "student_name"})
CHANGE_PARAMS = KEY_PARAMS | {"new_value", "old_value"}
ROSTER_STUDENT_COLUMNS = ("school_code", "student_number", "name", "birth_date", "enrolled_on", "left_on")
ROSTER_CONTACT_COLUMNS = ("school_code", "student_number", "name", "email", "relation", "gezag")

_RECTIFY_LINE = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*:\s*(\S.*)$")


def rectify_statements(spec: str) -> dict[str, str]:
    """The ``rectify`` column as {field: statement}: one ``field: statement`` per line (blank lines and
    lines that do not start with a field name and a colon are ignored)."""
    statements = {}
    for line in (spec or "").splitlines():
        match = _RECTIFY_LINE.match(line)
        if match:
            statements[match.group(1)] = match.group(2).strip()
    return statements


class SqlConnector:
    """Reads and changes a student's rows with the configured statements."""

    def __init__(self, settings: Mapping[str, Any], credentials: Mapping[str, Any], limits: Limits):
        self.settings = settings
        self.credentials = credentials
        self.limits = limits
        self._deadline = 0.0

    # --- connections ------------------------------------------------------------------------------

    def _engine(self, which: str) -> sa.Engine:
        url = self.credentials.get(which)
        if not url:
            raise ConnectorError(f"De koppeling heeft geen {'lees' if which == 'read_url' else 'schrijf'}"
                                 "verbinding ingesteld.")
        try:  # a malformed URL: say so without repeating it (it holds the password)
            parsed = sa.make_url(str(url))
            backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
            seconds = max(self.limits.timeout_seconds, 0.001)
            connect_args: dict[str, Any] = {}
            if backend == "postgresql" and driver in ("psycopg", "psycopg2"):
                # connect_args replace the URL's own ``options`` (e.g. ``-csearch_path=...``): keep them.
                own = parsed.query.get("options") or ""
                own = " ".join(own) if isinstance(own, tuple) else own
                connect_args = {"options": f"{own} -c statement_timeout={max(1, int(seconds * 1000))}".strip(),
                                "connect_timeout": max(2, math.ceil(seconds))}
                parsed = parsed.difference_update_query(["options"])
            elif backend == "sqlite":
                connect_args = {"timeout": seconds}
            engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args=connect_args)
        except Exception:
            raise ConnectorError("De databaseverbinding van dit systeem is ongeldig (controleer de URL en het "
                                 "stuurprogramma).") from None
        if backend == "sqlite":
            read_only = which == "read_url"
            sa.event.listen(engine, "connect", lambda conn, _record: self._sqlite_setup(conn, read_only))
        return engine

    def _sqlite_setup(self, dbapi_connection: Any, read_only: bool) -> None:
        # SQLite has no statement timeout: a progress handler stops a statement that passes the deadline.
        dbapi_connection.set_progress_handler(lambda: 1 if time.monotonic() > self._deadline else 0, 10_000)
        if read_only:
            dbapi_connection.execute("PRAGMA query_only = ON")

    @contextmanager
    def _connection(self, which: str, what: str) -> Iterator[sa.Connection]:
        engine = self._engine(which)
        self._deadline = time.monotonic() + self.limits.timeout_seconds
        try:
            with engine.connect() as connection:
                if which == "read_url" and engine.dialect.name == "postgresql":
                    connection.execution_options(postgresql_readonly=True)  # BEGIN READ ONLY
                yield connection
        except sa.exc.SQLAlchemyError as exc:
            # ``from None``: the driver's error holds the statement's parameters (the student's key), and
            # a traceback in a worker's log must not show them.
            raise self._error(exc, what) from None
        finally:
            engine.dispose()

    def _error(self, exc: sa.exc.SQLAlchemyError, what: str) -> ConnectorError:
        """A staff-readable error: the driver's error class and SQLSTATE, never the statement, its values
        or the URL."""
        orig = getattr(exc, "orig", None) or exc
        name = type(orig).__name__
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        text = str(orig).lower() if isinstance(exc, sa.exc.OperationalError) else ""
        if sqlstate == "57014" or text.startswith("interrupted"):
            return ConnectorError(f"'{what}' duurde langer dan de tijdgrens van dit systeem "
                                  f"({self.limits.timeout_seconds:g} s); niets is overgenomen.", retryable=True)
        if sqlstate == "25006" or "readonly" in text:
            return ConnectorError(f"De query van '{what}' probeert te schrijven via een verbinding die alleen "
                                  "mag lezen (een verzamelquery leest alleen; een wijziging gaat via write_url).")
        if sqlstate == "42501":
            return ConnectorError(f"De databasegebruiker van dit systeem mag '{what}' niet uitvoeren "
                                  "(onvoldoende rechten).")
        code = f", SQLSTATE {sqlstate}" if sqlstate else ""
        if isinstance(exc, sa.exc.StatementError) and not isinstance(exc, sa.exc.DBAPIError):
            return ConnectorError(f"De query van '{what}' is ongeldig ({name}).")
        # A statement that is wrong stays wrong; a lost connection, a lock or a busy server may pass.
        config = isinstance(exc, (sa.exc.ProgrammingError, sa.exc.IntegrityError, sa.exc.DataError,
                                  sa.exc.NotSupportedError)) or "syntax error" in text or "no such" in text
        if config:
            return ConnectorError(f"De query van '{what}' is ongeldig of past niet bij de database "
                                  f"({name}{code}).")
        return ConnectorError(f"De database van dit systeem gaf een fout bij '{what}' ({name}{code}); "
                              "later opnieuw proberen kan helpen.", retryable=True)

    def _text(self, statement: str, allowed: frozenset[str], what: str) -> sa.TextClause:
        if not (statement or "").strip():
            raise ConnectorError(f"Voor '{what}' is geen query ingesteld.")
        clause = sa.text(statement)
        unknown = sorted(set(clause.compile().params) - allowed)
        if unknown:
            raise ConnectorError(f"De query van '{what}' gebruikt onbekende parameters: "
                                 + ", ".join(":" + u for u in unknown) + " (toegestaan: "
                                 + ", ".join(":" + a for a in sorted(allowed)) + ").")
        return clause

    def _read(self, result: sa.CursorResult[Any], what: str,
              budget: SizeBudget | None) -> tuple[list[str], list[dict[str, Any]]]:
        if not result.returns_rows:
            raise ConnectorError(f"De query van '{what}' geeft geen rijen terug (is het een SELECT?).")
        columns = list(result.keys())
        if len(set(columns)) != len(columns):
            raise ConnectorError(f"De query van '{what}' geeft twee kolommen met dezelfde naam; geef ze elk "
                                 "een eigen naam (AS).")
        rows = []
        for raw in result:
            row = {c: json_value(v) for c, v in zip(columns, raw, strict=True)}
            if budget is not None:
                budget.add(row)
            rows.append(row)
        return columns, rows

    # --- the interface ----------------------------------------------------------------------------

    def collect(self, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The rows the category's SELECT returns for the student, through the read-only connection."""
        what = mapping.category_code
        clause = self._text(mapping.collect, KEY_PARAMS, what)
        budget = SizeBudget(self.limits.max_bytes, what)
        with self._connection("read_url", what) as connection:
            streaming = connection.execution_options(stream_results=True, max_row_buffer=500)
            with streaming.execute(clause, key.params()) as result:
                columns, rows = self._read(result, what, budget)
        check_key(mapping, key, rows)
        columns, rows = pick_fields(mapping, columns, rows)
        return CategoryData(what, columns, rows)

    def _statements(self, action: str, mapping: CategorySpec,
                    changes: Sequence[Change]) -> list[tuple[sa.TextClause, dict[str, str]]]:
        what = mapping.category_code
        if action == "rectify":
            by_field = rectify_statements(mapping.rectify)
            missing = [c.field for c in changes if c.field not in by_field]
            if missing:
                raise ConnectorError(f"Voor deze velden van '{what}' is geen correctie ingesteld: "
                                     + ", ".join(missing) + ".")
            return [(self._text(by_field[c.field], CHANGE_PARAMS, what),
                     {"new_value": c.new_value, "old_value": c.old_value}) for c in changes]
        if action not in ("erase", "restrict"):
            raise ConnectorError(f"Onbekende handeling '{action}'.")
        statement = mapping.erase if action == "erase" else mapping.restrict
        if not statement.strip():
            raise ConnectorError(f"Voor '{what}' is geen {action}-opdracht ingesteld.")
        return [(self._text(statement, KEY_PARAMS, what), {})]

    def _run(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change],
             *, commit: bool) -> tuple[int, list[dict[str, Any]]]:
        what = mapping.category_code
        statements = self._statements(action, mapping, changes)
        budget = SizeBudget(self.limits.max_bytes, what) if not commit else None
        count, rows = 0, []
        with self._connection("write_url", what) as connection:
            transaction = connection.begin()
            try:
                for clause, extra in statements:
                    result = connection.execute(clause, {**key.params(), **extra})
                    if result.returns_rows:
                        _, returned = self._read(result, what, budget)
                        count += len(returned)
                        if not commit:
                            rows.extend(returned)
                    else:
                        count += max(result.rowcount, 0)
                if commit:
                    transaction.commit()
                else:
                    transaction.rollback()  # the dry run changes nothing
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise
        return count, rows

    def plan(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> ActionPlan:
        """The dry run: the statements run through the write connection in a transaction that is rolled
        back. The count is always known; the rows only when a statement has RETURNING (PostgreSQL, and
        SQLite 3.35+)."""
        count, rows = self._run(action, mapping, key, changes, commit=False)
        return ActionPlan(mapping.category_code, action, count, rows,
                          description=f"{count} rij(en) in '{mapping.category_code}'")

    def execute(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> int:
        """Run the statements in one transaction and commit; the rows changed (0 the second time: the
        statements are written to be idempotent, docs/connectors.md)."""
        return self._run(action, mapping, key, changes, commit=True)[0]

    def roster(self) -> Iterator[RosterEntry]:
        """Students (``roster_students``: school_code, student_number, name, birth_date, enrolled_on,
        left_on) with their contacts (``roster_contacts``: school_code, student_number, name, email,
        relation, gezag), through the read-only connection. Not bounded by ``max_bytes`` (a whole roster
        is far larger than one student's answer); the reading, not the caller's work, is bounded by the timeout."""
        students_sql, contacts_sql = self.settings.get("roster_students"), self.settings.get("roster_contacts")
        if not students_sql:
            raise ConnectorError("Dit systeem heeft geen roster-query ingesteld.")
        students_clause = self._text(students_sql, frozenset(), "roster_students")
        contacts_clause = self._text(contacts_sql, frozenset(), "roster_contacts") if contacts_sql else None
        # Read whole, then hand on: the sync writes dsr's own database between entries, and that time must
        # not count against this system's timeout (nor hold its connection).
        entries: list[RosterEntry] = []
        with self._connection("read_url", "roster") as connection:
            contacts: dict[tuple[str, str], list[RosterContactEntry]] = {}
            if contacts_clause is not None:
                with connection.execute(contacts_clause) as result:
                    _require(result, ROSTER_CONTACT_COLUMNS, "roster_contacts")
                    for n, row in enumerate(result.mappings(), start=1):
                        contacts.setdefault((str(row["school_code"]), str(row["student_number"])), []).append(
                            RosterContactEntry(str(row["name"] or ""), str(row["email"] or "").strip().lower(),
                                               str(row["relation"] or ""),
                                               truthy(row["gezag"], f"roster_contacts rij {n}: gezag")))
            streaming = connection.execution_options(stream_results=True, max_row_buffer=1000)
            with streaming.execute(students_clause) as result:
                _require(result, ROSTER_STUDENT_COLUMNS, "roster_students")
                for n, row in enumerate(result.mappings(), start=1):
                    school, number = str(row["school_code"]), str(row["student_number"])
                    where = f"roster_students rij {n}"
                    birth = parse_date(row["birth_date"], f"{where}: geboortedatum")
                    if birth is None:
                        raise ConnectorError(f"{where}: de leerling heeft geen geboortedatum.")
                    entries.append(RosterEntry(school, number, str(row["name"] or ""), birth,
                                               parse_date(row["enrolled_on"], f"{where}: inschrijfdatum"),
                                               parse_date(row["left_on"], f"{where}: uitschrijfdatum"),
                                               tuple(contacts.get((school, number), ()))))
        yield from entries


def _require(result: sa.CursorResult[Any], columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in result.keys()]
    if missing:
        raise ConnectorError(f"De query '{what}' mist de kolommen: " + ", ".join(missing) + ".")
