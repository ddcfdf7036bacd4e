"""The SQL connector: any database SQLAlchemy can reach (issue 17 point 2).

Settings (``System.settings_json``): ``roster_students`` and ``roster_contacts``, the roster queries of a
roster source (docs/connectors.md). Credentials: ``read_url``, the SQLAlchemy URL of a read-only role used
for collection, the dry run and the roster; ``write_url``, used only to carry out a decided right (both
with their password, so both are secret).

Per category (``SystemCategory``): ``collect`` is a SELECT with named parameters (``:student_number``,
``:birth_date``, ``:student_name``); ``erase`` and ``restrict`` are statements with the same parameters;
``rectify`` has one line per field, ``field: UPDATE ... SET column = :new_value WHERE ...``. A dry run runs
the statement in a transaction that is rolled back and reports the rows it would change.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
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
    WrongStudent,
)


def rectify_statements(spec: str) -> dict[str, str]:
    """The ``rectify`` column as {field: statement}: one ``field: statement`` per line."""
    statements = {}
    for line in (spec or "").splitlines():
        name, sep, statement = line.partition(":")
        if sep and name.strip() and statement.strip():
            statements[name.strip()] = statement.strip()
    return statements


class SqlConnector:
    """Reads and changes a student's rows with the configured statements."""

    def __init__(self, settings: Mapping[str, Any], credentials: Mapping[str, Any], limits: Limits):
        self.settings = settings
        self.credentials = credentials
        self.limits = limits

    def _engine(self, which: str) -> sa.Engine:
        url = self.credentials.get(which)
        if not url:
            raise ConnectorError(f"De koppeling heeft geen {'lees' if which == 'read_url' else 'schrijf'}-"
                                 "verbinding ingesteld.")
        try:
            return sa.create_engine(url, poolclass=sa.pool.NullPool)
        except Exception as exc:  # a malformed URL: say so without repeating it (it holds the password)
            raise ConnectorError("De databaseverbinding van dit systeem is ongeldig.") from exc

    def _params(self, key: StudentKey, **extra: str) -> dict[str, Any]:
        return {**key.params(), **extra}

    def _rows(self, result: sa.CursorResult[Any]) -> tuple[list[str], list[dict[str, Any]]]:
        columns = list(result.keys())
        return columns, [dict(zip(columns, row, strict=True)) for row in result]

    def collect(self, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The rows the category's SELECT returns for the student."""
        engine = self._engine("read_url")
        try:
            with engine.connect() as connection:
                columns, rows = self._rows(connection.execute(sa.text(mapping.collect), self._params(key)))
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"De query van '{mapping.category_code}' mislukte: "
                                 f"{_kind(exc)}.", retryable=True) from exc
        finally:
            engine.dispose()
        check_key(mapping, key, rows)
        if mapping.fields:
            columns = [c for c in columns if c in mapping.fields]
            rows = [{c: r[c] for c in columns} for r in rows]
        return CategoryData(mapping.category_code, columns, rows)

    def _statements(self, action: str, mapping: CategorySpec, changes: Sequence[Change]) -> list[tuple[str, dict]]:
        if action == "rectify":
            by_field = rectify_statements(mapping.rectify)
            missing = [c.field for c in changes if c.field not in by_field]
            if missing:
                raise ConnectorError("Voor deze velden is geen correctie ingesteld: " + ", ".join(missing) + ".")
            return [(by_field[c.field], {"new_value": c.new_value, "old_value": c.old_value}) for c in changes]
        statement = {"erase": mapping.erase, "restrict": mapping.restrict}[action]
        if not statement.strip():
            raise ConnectorError(f"Voor '{mapping.category_code}' is geen {action}-opdracht ingesteld.")
        return [(statement, {})]

    def _run(self, which: str, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change],
             *, commit: bool) -> tuple[int, list[dict[str, Any]]]:
        engine = self._engine(which)
        count, rows = 0, []
        try:
            with engine.connect() as connection:
                transaction = connection.begin()
                try:
                    for statement, extra in self._statements(action, mapping, changes):
                        result = connection.execute(sa.text(statement), self._params(key, **extra))
                        if result.returns_rows:
                            _, returned = self._rows(result)
                            rows.extend(returned)
                            count += len(returned)
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
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"De opdracht voor '{mapping.category_code}' mislukte: "
                                 f"{_kind(exc)}.", retryable=True) from exc
        finally:
            engine.dispose()
        return count, rows

    def plan(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> ActionPlan:
        """Run the statements in a transaction that is rolled back: the rows they would change (a statement
        with RETURNING lists them; else only the count is known)."""
        count, rows = self._run("write_url", action, mapping, key, changes, commit=False)
        return ActionPlan(mapping.category_code, action, count, rows,
                          description=f"{count} rij(en) in '{mapping.category_code}'")

    def execute(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> int:
        """Run the statements and commit; the rows changed (0 the second time: the statements are written
        to be idempotent, docs/connectors.md)."""
        return self._run("write_url", action, mapping, key, changes, commit=True)[0]

    def roster(self) -> Iterator[RosterEntry]:
        """Students (``roster_students``: school_code, student_number, name, birth_date, enrolled_on,
        left_on) with their contacts (``roster_contacts``: student_number, school_code, name, email,
        relation, gezag), both ordered by school and student number."""
        students_sql, contacts_sql = self.settings.get("roster_students"), self.settings.get("roster_contacts")
        if not students_sql:
            raise ConnectorError("Dit systeem heeft geen roster-query ingesteld.")
        engine = self._engine("read_url")
        try:
            with engine.connect() as connection:
                contacts: dict[tuple[str, str], list[RosterContactEntry]] = {}
                if contacts_sql:
                    for row in connection.execute(sa.text(contacts_sql)).mappings():
                        contacts.setdefault((str(row["school_code"]), str(row["student_number"])), []).append(
                            RosterContactEntry(row["name"], (row["email"] or "").strip().lower(),
                                               row["relation"], bool(row["gezag"])))
                for row in connection.execute(sa.text(students_sql)).mappings():
                    school, number = str(row["school_code"]), str(row["student_number"])
                    yield RosterEntry(school, number, row["name"], _birth(row["birth_date"]),
                                      _date(row["enrolled_on"]), _date(row["left_on"]),
                                      tuple(contacts.get((school, number), ())))
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"De roster-query mislukte: {_kind(exc)}.",
                                 retryable=True) from exc
        finally:
            engine.dispose()


def _kind(exc: Exception) -> str:
    """The driver's error class (e.g. ``UndefinedTable``): what failed, without the statement or its values."""
    return type(getattr(exc, "orig", None) or exc).__name__


def _birth(value: Any) -> dt.date:
    date = _date(value)
    if date is None:
        raise ConnectorError("Een leerling in de roster heeft geen geboortedatum.")
    return date


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def check_key(mapping: CategorySpec, key: StudentKey, rows: list[dict[str, Any]]) -> None:
    """:class:`WrongStudent` when a row's ``key_field`` is not the student number asked for."""
    if not mapping.key_field:
        return
    for row in rows:
        if mapping.key_field not in row:
            raise ConnectorError(f"Het sleutelveld '{mapping.key_field}' ontbreekt in het antwoord voor "
                                 f"'{mapping.category_code}'.")
        if str(row[mapping.key_field]) != key.student_number:
            raise WrongStudent(f"'{mapping.category_code}' gaf gegevens van een andere leerling terug dan gevraagd; "
                               "niets is overgenomen.")
