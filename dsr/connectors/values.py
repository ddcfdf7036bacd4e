"""Values as the connectors hand them on (issue 17): every value JSON-friendly and readable in the PDF and
CSV of a package, the size of an answer bounded, and the key of every row checked.

The rule for values (docs/connectors.md): ``None``, ``bool``, ``int`` and ``str`` stay as they are; a
``Decimal`` becomes its exact text (``"7.5"``), a date ``"2026-03-01"``, a date-time ISO 8601 to the second
(``"2026-03-01T08:30:00"``, with its offset when it has one), a time ``"08:30:00"``; a finite float stays a
float (a NaN or infinity becomes its text); bytes become text when they are UTF-8, else ``"base64:…"``;
anything else its ``str()``. SQLite has no booleans: its 0 and 1 come back as they are.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .base import CategorySpec, ConnectorError, StudentKey, TooLarge, WrongStudent


def json_value(value: Any) -> Any:
    """``value`` as a JSON scalar (the rule in the module's doc)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode("ascii")
    return str(value)


class SizeBudget:
    """Counts the serialised size of the rows of one answer; :class:`TooLarge` as soon as it passes
    ``max_bytes``, so a huge answer is never read to its end and never handed on in part."""

    def __init__(self, max_bytes: int, what: str):
        self.max_bytes, self.what, self.used = max_bytes, what, 0

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one row (as JSON, UTF-8)."""
        self.used += len(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8")) + 1
        if self.used > self.max_bytes:
            raise too_large(self.what, self.max_bytes)


def too_large(what: str, max_bytes: int) -> TooLarge:
    """The error of an answer over the system's limit (nothing of it is kept)."""
    limit = f"{max_bytes:,}".replace(",", ".")
    return TooLarge(f"Het antwoord voor '{what}' is groter dan de grens van dit systeem ({limit} bytes); "
                    "niets is overgenomen. Verhoog de grens of beperk de query.")


def pick_fields(mapping: CategorySpec, columns: Sequence[str],
                rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Only the mapping's ``fields`` (in the order of the answer); all columns when it names none. A field
    the answer lacks is a clear error: a package never silently misses a column."""
    rows = list(rows)
    if not mapping.fields:
        return list(columns), rows
    missing = [f for f in mapping.fields if f not in columns]
    if missing:
        raise ConnectorError(f"Het antwoord voor '{mapping.category_code}' mist de ingestelde velden: "
                             + ", ".join(missing) + ".")
    kept = [c for c in columns if c in mapping.fields]
    return kept, [{c: r.get(c) for c in kept} for r in rows]


def key_text(value: Any) -> str:
    """A key as text to compare: stripped, and a whole-number float (a spreadsheet's 1001.0) as ``1001``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def check_key(mapping: CategorySpec, key: StudentKey, rows: Iterable[Mapping[str, Any]]) -> None:
    """:class:`WrongStudent` when a row's ``key_field`` is not the student number asked for; a clear error
    when the answer has no such field. Nothing of the rows is put in the message."""
    if not mapping.key_field:
        return
    wanted = key.student_number.strip()
    for row in rows:
        if mapping.key_field not in row:
            raise ConnectorError(f"Het sleutelveld '{mapping.key_field}' ontbreekt in het antwoord voor "
                                 f"'{mapping.category_code}'.")
        if key_text(row[mapping.key_field]) != wanted:
            raise WrongStudent(f"'{mapping.category_code}' gaf gegevens van een andere leerling terug dan "
                               "gevraagd; niets is overgenomen.")


TRUE_WORDS = frozenset({"1", "true", "t", "ja", "j", "yes", "y", "x", "waar"})
FALSE_WORDS = frozenset({"", "0", "false", "f", "nee", "n", "no", "onwaar"})


def truthy(value: Any, what: str) -> bool:
    """A yes/no value from a database or an export (``ja``/``nee``, 1/0, true/false, ``x``); an unknown
    word is a clear error rather than a guess (``gezag`` decides what a contact may see)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    text = key_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConnectorError(f"{what}: geen ja/nee-waarde.")


DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")


def parse_date(value: Any, what: str) -> dt.date | None:
    """A date from a database or an export: a date (or date-time), ISO ``2026-03-01`` (a time after it is
    ignored) or Dutch ``01-03-2026``; empty is None; anything else a clear error (without the value)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise ConnectorError(f"{what}: geen geldige datum.")
