"""What every connector kind offers, and what it gives back (issue 17 point 2).

A connector reads one register category of one student from one system (``collect``), shows what
carrying out a right would change there without changing it (``plan``, the dry run), carries it out
(``execute``), and, for a roster source, reads the school's students and contacts (``roster``).

Connectors know nothing of cases, sessions or the web: the services (``services.collection``,
``services.execution``, ``services.roster``) call them inside RQ jobs and record the results. Every failure
is a :class:`ConnectorError` with a message staff can read; it never carries a credential or a row of data.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectorError(Exception):
    """One system failed. ``message`` says what, for staff (no credentials, no personal data);
    ``retryable`` is True when trying again later may work (a timeout, a 5xx, a refused connection)."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class WrongStudent(ConnectorError):
    """The system answered with a row of another student than the one asked for (checked by key)."""


class TooLarge(ConnectorError):
    """The answer was larger than the system's limit (``System.max_response_bytes``)."""


@dataclass(frozen=True)
class StudentKey:
    """Whose data: what dsr knows of the student from the case, as named parameters for queries and
    path templates (``:student_number``, ``{student_number}``, ``:birth_date``, ``:student_name``)."""

    student_number: str
    birth_date: dt.date
    student_name: str = ""

    def params(self) -> dict[str, str]:
        """The key as text parameters (dates as ISO 8601)."""
        return {"student_number": self.student_number, "birth_date": self.birth_date.isoformat(),
                "student_name": self.student_name}


@dataclass(frozen=True)
class CategorySpec:
    """A category in a system, as the connector needs it (copied from ``models.SystemCategory``, so
    connectors need no database session)."""

    category_code: str
    collect: str = ""
    fields: tuple[str, ...] = ()
    key_field: str = ""
    other_people_fields: tuple[str, ...] = ()
    rectify: str = ""
    erase: str = ""
    restrict: str = ""


@dataclass(frozen=True)
class Change:
    """One rectification: a field of a category, its old and its new value (``RectificationItem``)."""

    field: str
    old_value: str
    new_value: str


@dataclass
class CategoryData:
    """The rows of one category for one student, with the columns in order."""

    category_code: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class ActionPlan:
    """What carrying out a right in one category would change: how many rows (or objects), and those rows
    as they are now when the system can show them (a SQL statement with RETURNING, an HTTP GET first)."""

    category_code: str
    action: str
    row_count: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: What dsr would send or run, with parameters by name, never with a credential.
    description: str = ""


@dataclass(frozen=True)
class RosterEntry:
    """One student with their contacts, as a roster source reports them."""

    school_code: str
    student_number: str
    name: str
    birth_date: dt.date
    enrolled_on: dt.date | None
    left_on: dt.date | None
    contacts: tuple[RosterContactEntry, ...] = ()


@dataclass(frozen=True)
class RosterContactEntry:
    name: str
    email: str
    relation: str
    gezag: bool


#: The actions a connector can carry out; each maps to a ``SystemCategory`` column.
ACTIONS = ("rectify", "erase", "restrict")


class Connector(Protocol):
    """The interface of every kind. ``settings`` are the system's non-secret settings (JSON),
    ``credentials`` its opened secrets, ``limits`` its timeout and size limit."""

    def collect(self, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The student's rows of one category; :class:`WrongStudent` if a row's key differs."""

    def plan(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> ActionPlan:
        """The dry run: what ``action`` would change, without changing it."""

    def execute(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> int:
        """Carry out ``action``; the number of rows (or objects) changed. Idempotent: run again after a
        crash, it changes nothing more."""

    def roster(self) -> Iterator[RosterEntry]:
        """Every student with their contacts (roster sources only)."""


@dataclass(frozen=True)
class Limits:
    """A system's bounds: seconds per call and bytes per answer."""

    timeout_seconds: float = 20
    max_bytes: int = 10_000_000


ConnectorSettings = Mapping[str, Any]
