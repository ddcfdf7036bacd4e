"""The file-export connector with real CSV and XLSX files (issue 17 point 2): delimiters and encodings, the key
column, fields, sheets, the export folder (newest file wins, never outside it), bad and huge files, the roster
export, and the values helpers every connector shares."""
from __future__ import annotations

import codecs
import datetime as dt
import decimal
import io
import json
import os
import uuid
import zipfile

import openpyxl
import pytest

from dsr.connectors import CategorySpec, ConnectorError, Limits, StudentKey, TooLarge, connector_for
from dsr.connectors.files import ExportOnly, FileConnector, parse_collect
from dsr.connectors.values import json_value, parse_date, truthy
from dsr.models import System
from dsr.services.connector_runs import connector_of

SANNE = StudentKey("S-1001", dt.date(2009, 5, 14), "Sanne de Boer")
HEADER = ["leerlingnummer", "vak", "cijfer", "docent"]
ROWS = [["S-1001", "Nederlands", "7,5", "J. de Vries"], ["S-1002", "Nederlands", "6,1", "J. de Vries"],
        ["S-1001", "Wiskunde", "6,8", "M. Öztürk"], ["S-1003", "Wiskunde", "8,0", "M. Öztürk"]]
GRADES = CategorySpec("cijfers", key_field="leerlingnummer")


def csv_bytes(delimiter: str = ";", encoding: str = "utf-8", bom: bool = False,
              header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return codecs.BOM_UTF8 + data if bom else data


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def files(limits: Limits | None = None, **settings) -> FileConnector:
    built = connector_for("file", settings, {}, limits or Limits())
    assert isinstance(built, FileConnector)
    return built


# --- CSV ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("delimiter", "encoding", "bom"), [
    (";", "utf-8", True), (";", "utf-8", False), (",", "utf-8", True), ("\t", "utf-8", False),
    (";", "cp1252", False), ("\t", "cp1252", False)])
def test_csv_rows_of_the_student(delimiter, encoding, bom):
    rows = [[v.replace(",", ".") if delimiter == "," else v for v in row] for row in ROWS]
    data = files().collect_bytes(csv_bytes(delimiter, encoding, bom, rows=rows), "cijfers.csv", GRADES, SANNE)
    assert data.columns == HEADER
    assert [(r["vak"], r["docent"]) for r in data.rows] == [("Nederlands", "J. de Vries"), ("Wiskunde", "M. Öztürk")]


def test_csv_quoted_values_and_fields():
    data = csv_bytes(rows=[['"S-1001"', '"Nederlands; mondeling"', "7,5", '"J. ""Jan"" de Vries"']])
    picked = CategorySpec("cijfers", key_field="leerlingnummer", fields=("vak", "docent"))
    result = files().collect_bytes(data, "x.csv", picked, SANNE)
    assert result.columns == ["vak", "docent"]
    assert result.rows == [{"vak": "Nederlands; mondeling", "docent": 'J. "Jan" de Vries'}]
    with pytest.raises(ConnectorError, match="mist de ingestelde velden: cijfer_oud"):
        files().collect_bytes(data, "x.csv", CategorySpec("cijfers", key_field="leerlingnummer",
                                                          fields=("vak", "cijfer_oud")), SANNE)


def test_the_key_column_from_the_system_or_the_category():
    assert len(files(key_column="leerlingnummer").collect_bytes(csv_bytes(), "x.csv", CategorySpec("cijfers"),
                                                                SANNE).rows) == 2
    with pytest.raises(ConnectorError, match="geen sleutelkolom ingesteld"):
        files().collect_bytes(csv_bytes(), "x.csv", CategorySpec("cijfers"), SANNE)
    with pytest.raises(ConnectorError, match="sleutelkolom 'llnr' staat niet in de kopregel"):
        files(key_column="llnr").collect_bytes(csv_bytes(), "x.csv", CategorySpec("cijfers"), SANNE)
    # A student who is not in the export has no rows; nobody else's rows come along.
    assert files().collect_bytes(csv_bytes(), "x.csv", GRADES, StudentKey("S-9", dt.date(2010, 1, 1))).rows == []


BAD_CSV = [
    (b"", "leeg"),
    (b"\n\n", "geen kopregel"),
    (b"a;b;a\n1;2;3\n", "dubbel: a"),
    (b"leerlingnummer;vak\nS-1001;Nederlands;extra\n", "Rij 2 .* meer kolommen"),
    (b"leerlingnummer;vak\nS-1001;\"Nederlands\n", "onleesbaar vanaf regel"),
    (b"leerlingnummer;vak\x00\nS-1001;x\n", "binaire gegevens"),
    (b"leerlingnummer;vak\nS-1001;\x81\x8d\n", "geen UTF-8 en geen Windows-1252"),
]


@pytest.mark.parametrize(("data", "message"), BAD_CSV)
def test_a_bad_csv_is_a_clear_error(data, message):
    with pytest.raises(ConnectorError, match=message) as caught:
        files().collect_bytes(data, "x.csv", CategorySpec("cijfers", key_field="leerlingnummer"), SANNE)
    assert "S-1001" not in caught.value.message and "Nederlands" not in caught.value.message


def test_an_empty_trailing_column_and_short_rows_are_read():
    data = b"leerlingnummer;vak;cijfer;\nS-1001;Nederlands\n;;;\nS-1001;Wiskunde;6,8;\n"
    result = files().collect_bytes(data, "x.csv", GRADES, SANNE)
    assert result.columns == ["leerlingnummer", "vak", "cijfer"]
    assert result.rows == [{"leerlingnummer": "S-1001", "vak": "Nederlands", "cijfer": ""},
                           {"leerlingnummer": "S-1001", "vak": "Wiskunde", "cijfer": "6,8"}]


def test_a_huge_export_is_refused():
    data = csv_bytes(rows=ROWS * 50)
    with pytest.raises(TooLarge, match="groter dan de grens"):
        files(Limits(max_bytes=len(data) - 1)).collect_bytes(data, "x.csv", GRADES, SANNE)
    # The file fits, but the student's rows do not.
    with pytest.raises(TooLarge):
        files(Limits(max_bytes=len(data))).collect_bytes(data, "x.csv", GRADES, SANNE)
    assert len(files(Limits(max_bytes=len(data) * 2)).collect_bytes(data, "x.csv", GRADES, SANNE).rows) == 100


# --- XLSX ---------------------------------------------------------------------------------------

def test_xlsx_sheet_key_and_values():
    data = xlsx_bytes({
        "Leerlingen": [["leerlingnummer", "naam"], [1001, "Sanne de Boer"]],
        "Cijfers": [["leerlingnummer", "vak", "cijfer", "gegeven op", "berekend"],
                    [1001, "Nederlands", 7.5, dt.datetime(2026, 3, 1), "=C2*2"],
                    [1002, "Nederlands", 6.1, dt.datetime(2026, 3, 1, 9, 30), "=C3*2"],
                    [1001, "Wiskunde", 6.8, dt.date(2026, 3, 2), None]],
    })
    key = StudentKey("1001", dt.date(2009, 5, 14))
    grades = CategorySpec("cijfers", collect="sheet:Cijfers", key_field="leerlingnummer")
    result = files(format="xlsx").collect_bytes(data, "export.xlsx", grades, key)
    assert result.columns == ["leerlingnummer", "vak", "cijfer", "gegeven op", "berekend"]
    assert [(r["vak"], r["cijfer"], r["gegeven op"]) for r in result.rows] == [
        ("Nederlands", 7.5, "2026-03-01"), ("Wiskunde", 6.8, "2026-03-02")]
    # A formula is never evaluated and never shown as a formula: its stored value (none here) is all there is.
    assert [r["berekend"] for r in result.rows] == ["", ""]
    json.dumps(result.rows)
    first_sheet = files().collect_bytes(data, "upload", CategorySpec("inschrijving", key_field="leerlingnummer"), key)
    assert first_sheet.rows == [{"leerlingnummer": 1001, "naam": "Sanne de Boer"}]
    with pytest.raises(ConnectorError, match="geen werkblad 'Verzuim'"):
        files().collect_bytes(data, "x.xlsx", CategorySpec("verzuim", collect="sheet:Verzuim",
                                                           key_field="leerlingnummer"), key)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    b"PK\x03\x04 dit is geen zip",
    b"geen excel",
    _zip({"readme.txt": b"geen werkmap"}),
])
def test_a_malformed_xlsx_is_a_clear_error(data):
    with pytest.raises(ConnectorError, match="XLSX-bestand is onleesbaar"):
        files(format="xlsx").collect_bytes(data, "x.xlsx", GRADES, SANNE)


def test_an_xlsx_that_unpacks_too_large_is_refused():
    bomb = _zip({"xl/worksheets/sheet1.xml": b" " * 2_000_000})
    assert len(bomb) < 20_000
    with pytest.raises(TooLarge, match="uitgepakt"):
        files(Limits(max_bytes=100_000)).collect_bytes(bomb, "x.xlsx", GRADES, SANNE)


# --- the export folder ----------------------------------------------------------------------------

@pytest.fixture
def export_dir(tmp_path):
    folder = tmp_path / "exports" / "magister"
    folder.mkdir(parents=True)
    return tmp_path / "exports"


def test_the_newest_matching_export_in_the_folder_wins(export_dir):
    folder = export_dir / "magister"
    old, new = folder / "cijfers-2026-11-01.csv", folder / "cijfers-2026-12-01.csv"
    old.write_bytes(csv_bytes())
    new.write_bytes(csv_bytes(rows=ROWS[:1]))
    (folder / "verzuim-2026-12-02.csv").write_bytes(csv_bytes())
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_760_000_000, 1_760_000_000))
    connector = files(export_dir=str(export_dir), folder="magister")
    mapping = CategorySpec("cijfers", collect="cijfers-*.csv", key_field="leerlingnummer")
    assert [r["vak"] for r in connector.collect(mapping, SANNE).rows] == ["Nederlands"]
    with pytest.raises(ConnectorError, match="geen bestand dat past bij 'zorg-\\*.csv'"):
        connector.collect(CategorySpec("zorg", collect="zorg-*.csv", key_field="leerlingnummer"), SANNE)
    with pytest.raises(TooLarge):
        files(Limits(max_bytes=50), export_dir=str(export_dir), folder="magister").collect(mapping, SANNE)


def test_an_xlsx_sheet_in_the_folder(export_dir):
    (export_dir / "magister" / "export.xlsx").write_bytes(xlsx_bytes({"Blad1": [["x"]], "Cijfers": [HEADER, *ROWS]}))
    mapping = CategorySpec("cijfers", collect="export*.xlsx sheet:Cijfers", key_field="leerlingnummer")
    assert parse_collect(mapping.collect) == ("export*.xlsx", "Cijfers")
    assert len(files(export_dir=str(export_dir), folder="magister").collect(mapping, SANNE).rows) == 2


@pytest.mark.parametrize(("folder", "pattern", "message"), [
    ("", "*.csv", "geen exportmap; upload"),
    ("../elders", "*.csv", "buiten de exportmap"),
    ("/etc", "*.csv", "buiten de exportmap"),
    ("bestaat-niet", "*.csv", "bestaat niet"),
    ("magister", "../*.csv", "geen map noemen"),
    ("magister", "sub/*.csv", "geen map noemen"),
])
def test_the_folder_stays_inside_the_export_dir(export_dir, folder, pattern, message):
    (export_dir.parent / "elders").mkdir()
    (export_dir.parent / "elders" / "x.csv").write_bytes(csv_bytes())
    with pytest.raises(ConnectorError, match=message):
        files(export_dir=str(export_dir), folder=folder).collect(
            CategorySpec("cijfers", collect=pattern, key_field="leerlingnummer"), SANNE)


def test_a_symbolic_link_out_of_the_folder_is_not_followed(export_dir):
    outside = export_dir.parent / "geheim.csv"
    outside.write_bytes(csv_bytes())
    (export_dir / "magister" / "cijfers.csv").symlink_to(outside)
    with pytest.raises(ConnectorError, match="geen bestand"):
        files(export_dir=str(export_dir), folder="magister").collect(
            CategorySpec("cijfers", collect="*.csv", key_field="leerlingnummer"), SANNE)


def test_no_export_dir_configured():
    with pytest.raises(ConnectorError, match="DSR_CONNECTOR_EXPORT_DIR"):
        files(folder="magister").collect(GRADES, SANNE)
    with pytest.raises(ConnectorError, match="Onbekend exportformaat 'pdf'"):
        files(format="pdf")


def test_an_export_cannot_be_changed():
    for action in ("erase", "rectify", "restrict"):
        with pytest.raises(ExportOnly, match="handmatige taak"):
            files().plan(action, GRADES, SANNE)
        with pytest.raises(ExportOnly):
            files().execute(action, GRADES, SANNE)


# --- the roster export ------------------------------------------------------------------------------

ROSTER_HEADER = ["school_code", "student_number", "name", "birth_date", "enrolled_on", "left_on",
                 "contact_name", "contact_email", "contact_relation", "contact_gezag"]
ROSTER_ROWS = [
    ["AAA", "S-1001", "Sanne de Boer", "14-05-2009", "23-08-2021", "", "Petra de Boer", "Petra.deBoer@Example.org",
     "moeder", "ja"],
    ["AAA", "S-1001", "Sanne de Boer", "14-05-2009", "23-08-2021", "", "Kees de Boer", "kees.deboer@example.org",
     "vader", "nee"],
    ["AAA", "S-1004", "Noah Bakker", "2010-02-20", "2021-08-23", "2025-07-15", "", "", "", ""],
    ["BBB", "S-1003", "Eva Smit", "30/11/2007", "", "", "Henk Smit", "henk.smit@example.org", "vader", "1"],
]


def _check_roster(roster):
    assert [(r.school_code, r.student_number, r.name) for r in roster] == [
        ("AAA", "S-1001", "Sanne de Boer"), ("AAA", "S-1004", "Noah Bakker"), ("BBB", "S-1003", "Eva Smit")]
    sanne, noah, eva = roster
    assert (sanne.birth_date, sanne.enrolled_on, sanne.left_on) == (dt.date(2009, 5, 14), dt.date(2021, 8, 23), None)
    assert [(c.name, c.email, c.relation, c.gezag) for c in sanne.contacts] == [
        ("Petra de Boer", "petra.deboer@example.org", "moeder", True),
        ("Kees de Boer", "kees.deboer@example.org", "vader", False)]
    assert noah.contacts == () and noah.left_on == dt.date(2025, 7, 15)
    assert eva.birth_date == dt.date(2007, 11, 30) and eva.contacts[0].gezag is True


def test_the_roster_from_a_csv_in_the_folder(export_dir):
    (export_dir / "magister" / "roster-2026-12-05.csv").write_bytes(
        csv_bytes(";", "cp1252", header=ROSTER_HEADER, rows=ROSTER_ROWS))
    connector = files(export_dir=str(export_dir), folder="magister", roster_file="roster-*.csv")
    _check_roster(list(connector.roster()))
    with pytest.raises(ConnectorError, match="geen rosterbestand"):
        files(export_dir=str(export_dir), folder="magister").roster()


def test_the_roster_from_an_xlsx():
    rows = [[dt.datetime(2009, 5, 14) if v == "14-05-2009" else v for v in row] for row in ROSTER_ROWS]
    data = xlsx_bytes({"Roster": [ROSTER_HEADER, *rows]})
    _check_roster(list(files(roster_file="roster.xlsx sheet:Roster").roster_bytes(data, "roster.xlsx")))


@pytest.mark.parametrize(("header", "row", "message"), [
    (ROSTER_HEADER[:3], ["AAA", "S-1", "X"], "mist de kolommen: birth_date"),
    (ROSTER_HEADER, ["AAA", "S-1", "X", "31-02-2009", "", "", "", "", "", ""], "Rij 2 .*geboortedatum: geen geldige"),
    (ROSTER_HEADER, ["AAA", "S-1", "X", "", "", "", "", "", "", ""], "Rij 2 .* geen geboortedatum"),
    (ROSTER_HEADER, ["AAA", "", "X", "2009-01-01", "", "", "", "", "", ""], "Rij 2 .* geen school of leerlingnummer"),
    (ROSTER_HEADER, ["AAA", "S-1", "X", "2009-01-01", "", "", "P", "p@example.org", "moeder", "misschien"],
     "contact_gezag: geen ja/nee"),
])
def test_a_bad_roster_row_is_a_clear_error(header, row, message):
    with pytest.raises(ConnectorError, match=message) as caught:
        list(files().roster_bytes(csv_bytes(header=header, rows=[row]), "roster.csv"))
    assert "p@example.org" not in caught.value.message and "misschien" not in caught.value.message


# --- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (True, True), (7, 7), ("tekst", "tekst"), (7.5, 7.5), (float("nan"), "nan"),
    (decimal.Decimal("7.50"), "7.50"), (dt.date(2026, 3, 1), "2026-03-01"),
    (dt.datetime(2026, 3, 1, 8, 30, 15, 123456), "2026-03-01T08:30:15"),
    (dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC), "2026-03-01T08:30:00+00:00"),
    (dt.time(8, 30), "08:30:00"), ("é".encode(), "é"), (b"\xff\x00", "base64:/wA="),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
])
def test_json_value(value, expected):
    assert json_value(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (0, False), (1, True), ("Ja", True), ("x", True), ("nee", False), ("", False), (None, False),
    ("TRUE", True), ("0", False)])
def test_truthy(value, expected):
    assert truthy(value, "gezag") is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2009-05-14", dt.date(2009, 5, 14)), ("2009-05-14 00:00:00", dt.date(2009, 5, 14)),
    ("14-05-2009", dt.date(2009, 5, 14)), ("14/05/2009", dt.date(2009, 5, 14)), ("", None), (None, None),
    (dt.datetime(2009, 5, 14, 12), dt.date(2009, 5, 14))])
def test_parse_date(value, expected):
    assert parse_date(value, "geboortedatum") == expected


# --- through the service ------------------------------------------------------------------------------

def test_a_file_system_reads_its_folder_under_the_configured_export_dir(app, ctx, export_dir, monkeypatch):
    (export_dir / "magister" / "cijfers.csv").write_bytes(csv_bytes())
    system = System(code="magister-export", name="Magister (export)", kind="file", max_response_bytes=10_000,
                    timeout_seconds=5, settings_json=json.dumps({"folder": "magister", "key_column": "leerlingnummer"}))
    monkeypatch.setitem(app.config, "CONNECTOR_EXPORT_DIR", str(export_dir))
    assert len(connector_of(system).collect(CategorySpec("cijfers", collect="*.csv"), SANNE).rows) == 2
    monkeypatch.setitem(app.config, "CONNECTOR_EXPORT_DIR", None)
    with pytest.raises(ConnectorError, match="DSR_CONNECTOR_EXPORT_DIR"):
        connector_of(system).collect(CategorySpec("cijfers", collect="*.csv"), SANNE)
