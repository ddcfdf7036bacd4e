"""The file-export connector: a CSV or XLSX export of a system that has only an export (issue 17 point 2;
docs/connectors.md).

Settings: ``folder``, a folder under ``DSR_CONNECTOR_EXPORT_DIR`` where the system puts its exports (empty:
staff upload each export); ``export_dir``, that base folder, filled in by the service (``connector_of``) so
this module needs no Flask; ``format`` (``csv``, ``xlsx`` or ``auto``: by the file's first bytes and name);
``key_column``, the column with the student number (a category's ``key_field`` goes first); ``roster_file``,
the roster export. No credentials.

Per category, ``collect`` names the file: a glob pattern inside the folder (the newest matching file wins),
optionally followed by ``sheet:<name>`` for a sheet of an XLSX (``sheet:<name>`` alone: the newest file).
Rows are those whose key column equals the student number; ``fields`` picks columns. CSV: ``;``, ``,`` or
tab (the one the header row has most of), UTF-8 with or without BOM, else Windows-1252. XLSX: read-only,
cell values only (a formula gives the value the spreadsheet stored with it, never the formula, and nothing is
evaluated). An export cannot be changed: ``plan`` and ``execute`` raise :class:`ExportOnly` (a manual task).
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

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
from .values import SizeBudget, check_key, json_value, key_text, parse_date, pick_fields, too_large, truthy

#: An XLSX is a zip: its unpacked size may be this many times the system's byte limit (a zip bomb is refused).
XLSX_UNPACKED_FACTOR = 10
DELIMITERS = (";", ",", "\t")
FORMATS = ("csv", "xlsx", "auto")
#: The roster export: one row per contact, the student's columns repeated (a student without contacts: one
#: row with the contact columns empty). The first four are required.
ROSTER_COLUMNS = ("school_code", "student_number", "name", "birth_date", "enrolled_on", "left_on",
                  "contact_name", "contact_email", "contact_relation", "contact_gezag")
ROSTER_REQUIRED = ROSTER_COLUMNS[:4]


class ExportOnly(ConnectorError):
    """A right cannot be carried out in an export: the services give the system's owner a manual task."""


def resolve_folder(export_dir: str | None, folder: str | None) -> Path:
    """The system's export folder: ``folder`` inside ``export_dir``, never outside it (no absolute path,
    no ``..``, no symbolic link out)."""
    if not (folder or "").strip():
        raise ConnectorError("Dit systeem heeft geen exportmap; upload de export bij de zaak.")
    if not export_dir:
        raise ConnectorError("Er is geen exportmap voor koppelingen ingesteld (DSR_CONNECTOR_EXPORT_DIR).")
    base = Path(export_dir).resolve()
    target = (base / str(folder).strip()).resolve()
    if PurePath(str(folder)).is_absolute() or not target.is_relative_to(base):
        raise ConnectorError("De exportmap van dit systeem ligt buiten de exportmap voor koppelingen.")
    if not target.is_dir():
        raise ConnectorError("De exportmap van dit systeem bestaat niet (meer).", retryable=True)
    return target


def parse_collect(collect: str) -> tuple[str, str]:
    """The ``collect`` of a category as (glob pattern, sheet name); either may be empty."""
    pattern, _, sheet = (collect or "").partition("sheet:")
    return pattern.strip(), sheet.strip()


def newest_file(folder: Path, pattern: str) -> Path:
    """The newest regular file in ``folder`` matching ``pattern`` (no sub-folders); by time, then name."""
    pattern = pattern or "*"
    if "/" in pattern or "\\" in pattern or ".." in pattern:
        raise ConnectorError("Het bestandspatroon mag geen map noemen; alleen een naam met * en ?.")
    found = [p for p in folder.glob(pattern) if p.is_file() and p.resolve().is_relative_to(folder)]
    if not found:
        raise ConnectorError(f"In de exportmap staat geen bestand dat past bij '{pattern}'.")
    return max(found, key=lambda p: (p.stat().st_mtime, p.name))


def decode_csv(data: bytes) -> str:
    """The text of a CSV: UTF-8 (a BOM is dropped), else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConnectorError("Het CSV-bestand is geen UTF-8 en geen Windows-1252; sla het op als UTF-8.")


def csv_records(data: bytes) -> Iterator[list[Any]]:
    """The records of a CSV, the header first; the delimiter is the one the header has most of."""
    text = decode_csv(data)
    if "\x00" in text:
        raise ConnectorError("Het CSV-bestand is onleesbaar (het bevat binaire gegevens).")
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=lambda d: (header_line.count(d), d == ";"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error:
        raise ConnectorError(f"Het CSV-bestand is onleesbaar vanaf regel {reader.line_num}.") from None


def xlsx_records(data: bytes, sheet: str, max_unpacked: int) -> Iterator[list[Any]]:
    """The rows of a sheet of an XLSX (the first sheet when ``sheet`` is empty), values only."""
    import openpyxl  # type: ignore[import-untyped]  # only workers that read an XLSX export load it

    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ConnectorError("Het XLSX-bestand is onleesbaar (geen geldig Excel-bestand).") from None
    if unpacked > max_unpacked:
        raise too_large("XLSX (uitgepakt)", max_unpacked)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; all mean the same to staff
        raise ConnectorError("Het XLSX-bestand is onleesbaar (geen geldig Excel-bestand).") from None
    try:
        if sheet and sheet not in workbook.sheetnames:
            raise ConnectorError(f"Het XLSX-bestand heeft geen werkblad '{sheet}'.")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        try:
            for row in worksheet.iter_rows(values_only=True):
                yield [_cell(value) for value in row]
        except ConnectorError:
            raise
        except Exception:
            raise ConnectorError("Het XLSX-bestand is onleesbaar (een werkblad is beschadigd).") from None
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    # A date cell comes back as a date-time at midnight: show it as the date it is.
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return json_value(value)


def table(records: Iterator[list[Any]]) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """The header row's names and the rows as (row number, {column: value}); empty rows are skipped, a
    column without a name is ignored, a row wider than the header (with values) is an error."""
    try:
        first = next(records)
    except StopIteration:
        raise ConnectorError("Het exportbestand is leeg.") from None
    header = [str(h if h is not None else "").strip().lstrip("\ufeff") for h in first]
    named = [h for h in header if h]
    if not named:
        raise ConnectorError("Het exportbestand heeft geen kopregel met kolomnamen.")
    doubles = sorted({h for h in named if named.count(h) > 1})
    if doubles:
        raise ConnectorError("De kopregel van het exportbestand noemt kolommen dubbel: " + ", ".join(doubles) + ".")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, record in enumerate(records, start=2):
            if all(v is None or str(v).strip() == "" for v in record):
                continue
            if len(record) > len(header) and any(str(v or "").strip() for v in record[len(header):]):
                raise ConnectorError(f"Rij {number} van het exportbestand heeft meer kolommen dan de kopregel.")
            values = list(record) + [""] * (len(header) - len(record))
            yield number, {h: ("" if v is None else v) for h, v in zip(header, values, strict=False) if h}

    return named, rows()


class FileConnector:
    """Selects a student's rows from a system's CSV or XLSX export."""

    def __init__(self, settings: Mapping[str, Any], credentials: Mapping[str, Any], limits: Limits):
        self.settings = settings
        self.limits = limits
        self.format = str(settings.get("format") or "auto").lower()
        if self.format not in FORMATS:
            raise ConnectorError(f"Onbekend exportformaat '{self.format}' (csv, xlsx of auto).")

    def _records(self, data: bytes, filename: str, sheet: str) -> Iterator[list[Any]]:
        if len(data) > self.limits.max_bytes:
            raise too_large(filename or "export", self.limits.max_bytes)
        kind = self.format
        if kind == "auto":
            xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))
            kind = "xlsx" if xlsx else "csv"
        if kind == "xlsx":
            return xlsx_records(data, sheet, self.limits.max_bytes * XLSX_UNPACKED_FACTOR)
        return csv_records(data)

    def _file(self, pattern: str) -> Path:
        path = newest_file(resolve_folder(self.settings.get("export_dir"), self.settings.get("folder")), pattern)
        if path.stat().st_size > self.limits.max_bytes:
            raise too_large(path.name, self.limits.max_bytes)
        return path

    def collect(self, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The student's rows from the newest export in the folder that matches the category's pattern."""
        pattern, _ = parse_collect(mapping.collect)
        path = self._file(pattern)
        return self.collect_bytes(path.read_bytes(), path.name, mapping, key)

    def collect_bytes(self, data: bytes, filename: str, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The student's rows from an export staff uploaded (``filename`` helps tell CSV from XLSX)."""
        _, sheet = parse_collect(mapping.collect)
        key_column = mapping.key_field or str(self.settings.get("key_column") or "")
        if not key_column:
            raise ConnectorError(f"Voor '{mapping.category_code}' is geen sleutelkolom ingesteld.")
        columns, rows = table(self._records(data, filename, sheet))
        if key_column not in columns:
            raise ConnectorError(f"De sleutelkolom '{key_column}' staat niet in de kopregel van het exportbestand.")
        wanted = key.student_number.strip()
        budget = SizeBudget(self.limits.max_bytes, mapping.category_code)
        selected = []
        for _, row in rows:
            if key_text(row[key_column]) == wanted:
                budget.add(row)
                selected.append(row)
        check_key(CategorySpec(mapping.category_code, key_field=key_column), key, selected)
        columns, selected = pick_fields(mapping, columns, selected)
        return CategoryData(mapping.category_code, columns, selected)

    def plan(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> ActionPlan:
        """An export cannot be changed: :class:`ExportOnly`."""
        raise _export_only()

    def execute(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> int:
        """An export cannot be changed: :class:`ExportOnly`."""
        raise _export_only()

    def roster(self) -> Iterator[RosterEntry]:
        """The roster from the newest file matching ``roster_file`` in the folder (``ROSTER_COLUMNS``)."""
        pattern, _ = parse_collect(str(self.settings.get("roster_file") or ""))
        if not pattern:
            raise ConnectorError("Dit systeem heeft geen rosterbestand ingesteld.")
        path = newest_file(resolve_folder(self.settings.get("export_dir"), self.settings.get("folder")), pattern)
        return self.roster_bytes(path.read_bytes(), path.name)

    def roster_bytes(self, data: bytes, filename: str) -> Iterator[RosterEntry]:
        """The roster from an export (not bounded by ``max_bytes``: a whole roster is far larger than one
        student's answer). Dates ISO or Dutch (``31-12-2009``); ``contact_gezag`` ja/nee, 1/0, true/false."""
        _, sheet = parse_collect(str(self.settings.get("roster_file") or ""))
        unbounded = FileConnector(self.settings, {}, Limits(self.limits.timeout_seconds, max(len(data), 1)))
        columns, rows = table(unbounded._records(data, filename, sheet))
        missing = [c for c in ROSTER_REQUIRED if c not in columns]
        if missing:
            raise ConnectorError("Het rosterbestand mist de kolommen: " + ", ".join(missing) + ".")
        students: dict[tuple[str, str], dict[str, Any]] = {}
        for number, row in rows:
            school, student = key_text(row["school_code"]), key_text(row["student_number"])
            if not school or not student:
                raise ConnectorError(f"Rij {number} van het rosterbestand heeft geen school of leerlingnummer.")
            entry = students.get((school, student))
            if entry is None:
                birth = parse_date(row["birth_date"], f"Rij {number} van het rosterbestand: geboortedatum")
                if birth is None:
                    raise ConnectorError(f"Rij {number} van het rosterbestand heeft geen geboortedatum.")
                entry = students[(school, student)] = dict(
                    name=str(row["name"]).strip(), birth=birth, contacts=[],
                    enrolled=parse_date(row.get("enrolled_on"), f"Rij {number}: inschrijfdatum"),
                    left=parse_date(row.get("left_on"), f"Rij {number}: uitschrijfdatum"))
            name = str(row.get("contact_name") or "").strip()
            email = str(row.get("contact_email") or "").strip().lower()
            if name or email:
                contact = RosterContactEntry(name, email, str(row.get("contact_relation") or "").strip(),
                                             truthy(row.get("contact_gezag"), f"Rij {number}: contact_gezag"))
                if contact not in entry["contacts"]:
                    entry["contacts"].append(contact)
        for (school, student), e in students.items():
            yield RosterEntry(school, student, e["name"], e["birth"], e["enrolled"], e["left"], tuple(e["contacts"]))


def _export_only() -> ExportOnly:
    return ExportOnly("Een export kan niet worden gewijzigd; hiervoor is een handmatige taak voor de eigenaar "
                      "van het systeem nodig.")
