"""How an HTTP/JSON system's category is written down, read by the HTTP connector (issue 17 point 2).

Pure text handling, no network: the path templates with their placeholders, the ``rows:`` line of a
collection, the calls that carry out a right, and dotted paths into JSON. docs/connectors.md describes the
syntax for the privacy officer; in short:

``collect``::

    /ims/oneroster/gradebook/v1p2/results?filter=student.sourcedId='{student_number}'
    rows: results
    not_found: empty

``erase`` / ``restrict`` (one call per line, an optional JSON body after the path)::

    DELETE /ims/oneroster/rostering/v1p2/users/{student_number}

``rectify`` (one line per field, the body with ``"{new_value}"``)::

    familyName: PATCH /ims/oneroster/rostering/v1p2/users/{student_number} {"familyName": "{new_value}"}

Placeholders are exactly ``{student_number}``, ``{birth_date}``, ``{student_name}`` (and in a rectify
body ``{new_value}``, ``{old_value}``); there is no other formatting. In a path a value is URL-quoted, in a
body it is escaped as the inside of a JSON string.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .base import ConnectorError

PLACEHOLDER = re.compile(r"\{(student_number|birth_date|student_name|new_value|old_value)\}")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Options a collect spec may have after its path.
COLLECT_OPTIONS = ("rows", "not_found")


@dataclass(frozen=True)
class CollectSpec:
    """A category's collection: the path template, where the rows are in the answer (a dotted path; empty:
    the answer's only collection), and whether a 404 means "no data of this student" (``not_found: empty``)."""

    path: str
    rows: str = ""
    not_found_empty: bool = False


@dataclass(frozen=True)
class Call:
    """One configured call: method, path template and an optional JSON body template."""

    method: str
    path: str
    body: str = ""

    def describe(self) -> str:
        """The call as written (placeholders by name, never a value or a credential)."""
        return f"{self.method} {self.path}" + (f" {self.body}" if self.body else "")


def fill_path(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its URL-quoted value."""
    return PLACEHOLDER.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), template)


def fill_body(template: str, values: Mapping[str, str]) -> Any:
    """The JSON body of ``template``, each placeholder replaced as the inside of a JSON string."""
    text = PLACEHOLDER.sub(lambda m: json.dumps(values.get(m.group(1), ""))[1:-1], template)
    try:
        return json.loads(text)
    except ValueError:  # the text holds the student's values: no chained exception to log
        raise ConnectorError("De JSON-body van een ingestelde opdracht is ongeldig; controleer de "
                             "koppeling.") from None


def parse_collect(text: str, category: str) -> CollectSpec:
    """The ``collect`` column: a path (the line that starts with ``/``) and option lines ``name: value``."""
    path, options = "", {}
    for line in _lines(text):
        if line.startswith("/"):
            if path:
                raise ConnectorError(f"'{category}' heeft meer dan één pad om gegevens op te halen.")
            path = line
            continue
        name, sep, value = line.partition(":")
        if not sep or name.strip() not in COLLECT_OPTIONS:
            raise ConnectorError(f"Regel niet begrepen in de ophaalinstelling van '{category}': "
                                 f"verwacht een pad dat met / begint, of {', '.join(COLLECT_OPTIONS)}.")
        options[name.strip()] = value.strip()
    if not path:
        raise ConnectorError(f"'{category}' heeft geen pad om gegevens op te halen.")
    return CollectSpec(path, options.get("rows", ""), options.get("not_found", "") == "empty")


def parse_call(text: str, category: str) -> Call:
    """One ``METHOD /path [json body]`` line."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or parts[0].upper() not in METHODS or not parts[1].startswith("/"):
        raise ConnectorError(f"Opdracht niet begrepen voor '{category}': verwacht 'METHODE /pad' "
                             f"(METHODE is {', '.join(METHODS)}).")
    return Call(parts[0].upper(), parts[1], parts[2] if len(parts) == 3 else "")


def parse_calls(text: str, category: str) -> list[Call]:
    """The ``erase`` or ``restrict`` column: one call per line."""
    return [parse_call(line, category) for line in _lines(text)]


def parse_rectify(text: str, category: str) -> dict[str, Call]:
    """The ``rectify`` column: ``field: METHOD /path {body}`` per line, as {field: call}."""
    calls = {}
    for line in _lines(text):
        name, sep, call = line.partition(":")
        if not sep or not name.strip():
            raise ConnectorError(f"Correctieregel niet begrepen voor '{category}': verwacht "
                                 "'veld: METHODE /pad {json}'.")
        calls[name.strip()] = parse_call(call, category)
    return calls


def dig(value: Any, path: str) -> Any:
    """The value at the dotted ``path`` (``student.sourcedId``); None where a part is missing."""
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def rows_at(document: Any, path: str, category: str) -> tuple[list[dict[str, Any]], bool]:
    """The rows of an answer, and whether they are a collection (paged) rather than one object.

    ``path`` empty: a list answer, or the only member of an object answer (OneRoster's ``{"users": [...]}``
    or ``{"user": {...}}``). An object counts as one row."""
    if path:
        found = dig(document, path)
    elif isinstance(document, list):
        found = document
    elif isinstance(document, dict) and len(document) == 1:
        found = next(iter(document.values()))
    else:
        found = None
    if isinstance(found, dict):
        return [found], False
    if isinstance(found, list) and all(isinstance(r, dict) for r in found):
        return found, True
    raise ConnectorError(f"Het antwoord voor '{category}' heeft niet de verwachte vorm"
                         f"{f' (geen lijst bij {path!r})' if path else ''}; controleer de regel 'rows:'.")


def cell(value: Any) -> Any:
    """A JSON value as one cell: text, numbers, booleans and null as they are; a list or object as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def select(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows: the ``fields`` (dotted paths, the column names) or else every top-level key."""
    columns = list(fields)
    if not columns:
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    return columns, [{c: cell(dig(row, c)) for c in columns} for row in rows]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip() and not line.strip().startswith("#")]
