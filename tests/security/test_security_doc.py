"""docs/security.md names real tests, and its ASVS 5.0 Level 2 map has a row for every requirement.

Every test the page cites as `tests/<path>.py::<name>` (or a file alone, `tests/<path>.py`) must exist in the
tree; there is no exception (a row whose control has no test yet says "gap: why").
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from tests.helpers import ROOT

DOC = ROOT / "docs" / "security.md"
_CITATION = re.compile(r"`(?P<path>tests/[\w/.-]+\.py)(?:::(?P<name>[\w]+))?`")

#: The ids of every Level 1 and Level 2 requirement of OWASP ASVS 5.0.0 (Level 2 includes Level 1), per
#: chapter, from the standard's own requirement list (5.0/docs_en/..._5.0.0_en.csv in OWASP/ASVS).
ASVS_L2 = {
    "V1": "1.1.1 1.1.2 1.2.1 1.2.2 1.2.3 1.2.4 1.2.5 1.2.6 1.2.7 1.2.8 1.2.9 1.3.1 1.3.2 1.3.3 1.3.4 1.3.5 1.3.6 "
          "1.3.7 1.3.8 1.3.9 1.3.10 1.3.11 1.4.1 1.4.2 1.4.3 1.5.1 1.5.2",
    "V2": "2.1.1 2.1.2 2.1.3 2.2.1 2.2.2 2.2.3 2.3.1 2.3.2 2.3.3 2.3.4 2.4.1",
    "V3": "3.2.1 3.2.2 3.3.1 3.3.2 3.3.3 3.3.4 3.4.1 3.4.2 3.4.3 3.4.4 3.4.5 3.4.6 3.5.1 3.5.2 3.5.3 3.5.4 3.5.5 "
          "3.7.1 3.7.2",
    "V4": "4.1.1 4.1.2 4.1.3 4.2.1 4.3.1 4.3.2 4.4.1 4.4.2 4.4.3 4.4.4",
    "V5": "5.1.1 5.2.1 5.2.2 5.2.3 5.3.1 5.3.2 5.4.1 5.4.2 5.4.3",
    "V6": "6.1.1 6.1.2 6.1.3 6.2.1 6.2.2 6.2.3 6.2.4 6.2.5 6.2.6 6.2.7 6.2.8 6.2.9 6.2.10 6.2.11 6.2.12 6.3.1 "
          "6.3.2 6.3.3 6.3.4 6.4.1 6.4.2 6.4.3 6.4.4 6.5.1 6.5.2 6.5.3 6.5.4 6.5.5 6.6.1 6.6.2 6.6.3 6.8.1 6.8.2 "
          "6.8.3 6.8.4",
    "V7": "7.1.1 7.1.2 7.1.3 7.2.1 7.2.2 7.2.3 7.2.4 7.3.1 7.3.2 7.4.1 7.4.2 7.4.3 7.4.4 7.4.5 7.5.1 7.5.2 7.6.1 "
          "7.6.2",
    "V8": "8.1.1 8.1.2 8.2.1 8.2.2 8.2.3 8.3.1 8.4.1",
    "V9": "9.1.1 9.1.2 9.1.3 9.2.1 9.2.2 9.2.3 9.2.4",
    "V10": "10.1.1 10.1.2 10.2.1 10.2.2 10.3.1 10.3.2 10.3.3 10.3.4 10.4.1 10.4.2 10.4.3 10.4.4 10.4.5 10.4.6 "
           "10.4.7 10.4.8 10.4.9 10.4.10 10.4.11 10.5.1 10.5.2 10.5.3 10.5.4 10.5.5 10.6.1 10.6.2 10.7.1 10.7.2 "
           "10.7.3",
    "V11": "11.1.1 11.1.2 11.2.1 11.2.2 11.2.3 11.3.1 11.3.2 11.3.3 11.4.1 11.4.2 11.4.3 11.4.4 11.5.1 11.6.1",
    "V12": "12.1.1 12.1.2 12.1.3 12.2.1 12.2.2 12.3.1 12.3.2 12.3.3 12.3.4",
    "V13": "13.1.1 13.2.1 13.2.2 13.2.3 13.2.4 13.2.5 13.3.1 13.3.2 13.4.1 13.4.2 13.4.3 13.4.4 13.4.5",
    "V14": "14.1.1 14.1.2 14.2.1 14.2.2 14.2.3 14.2.4 14.3.1 14.3.2 14.3.3",
    "V15": "15.1.1 15.1.2 15.1.3 15.2.1 15.2.2 15.2.3 15.3.1 15.3.2 15.3.3 15.3.4 15.3.5 15.3.6 15.3.7",
    "V16": "16.1.1 16.2.1 16.2.2 16.2.3 16.2.4 16.2.5 16.3.1 16.3.2 16.3.3 16.3.4 16.4.1 16.4.2 16.4.3 16.5.1 "
           "16.5.2 16.5.3",
    "V17": "17.1.1 17.2.1 17.2.2 17.2.3 17.2.4 17.3.1 17.3.2",
}
ASVS_HEADING = "## OWASP ASVS 5.0 Level 2"
#: A row of the map: | id | requirement | how dsr meets it | shown by |
_ROW = re.compile(r"^\| (?P<id>\d+\.\d+\.\d+) \|(?P<wording>[^|]+)\|(?P<how>[^|]+)\|(?P<shown>[^|]+)\|\s*$")
_VERDICTS = ("out of scope:", "gap:")


@cache
def _defined_tests(path: Path) -> frozenset[str]:
    """Names of the test functions in ``path`` (module level and inside classes)."""
    tree = ast.parse(path.read_text())
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def missing_citations(text: str, root: Path = ROOT) -> list[str]:
    """The cited tests in ``text`` that do not exist under ``root``."""
    missing = []
    for match in _CITATION.finditer(text):
        path, name = root / match.group("path"), match.group("name")
        if not path.is_file():
            missing.append(match.group(0))
        elif name and name not in _defined_tests(path):
            missing.append(match.group(0))
    return missing


def asvs_rows(text: str) -> dict[str, tuple[str, str, str]]:
    """The map's rows by requirement id: (short wording, how dsr meets it, what shows it)."""
    section = text.split(ASVS_HEADING, 1)[1].split("\n## ", 1)[0] if ASVS_HEADING in text else ""
    rows = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match.group("id")] = (match.group("wording").strip(), match.group("how").strip(),
                                       match.group("shown").strip())
    return rows


def test_every_cited_test_exists():
    text = DOC.read_text()
    assert len(_CITATION.findall(text)) > 100, "the page cites hardly any tests: has the citation format changed?"
    assert not missing_citations(text), "docs/security.md cites tests that do not exist:\n" + "\n".join(
        missing_citations(text))


def test_the_check_sees_a_missing_test():
    real = "`tests/security/test_security_doc.py::test_every_cited_test_exists`"
    assert missing_citations(real) == []
    assert missing_citations("`tests/security/test_security_doc.py::test_that_is_not_there`") != []
    assert missing_citations("`tests/integration/test_no_such_file.py`") != []
    assert missing_citations("`tests/integration/test_no_such_file.py` (in progress)") != []


def test_the_asvs_map_has_a_row_for_every_level_2_requirement_and_each_row_says_what_shows_it():
    rows = asvs_rows(DOC.read_text())
    expected = [req for ids in ASVS_L2.values() for req in ids.split()]
    assert len(expected) == 253
    assert sorted(set(expected) - set(rows)) == [], "requirements without a row in the map"
    assert sorted(set(rows) - set(expected)) == [], "rows for ids that are not ASVS 5.0 Level 1/2 requirements"
    for req, (wording, how, shown) in rows.items():
        assert wording and how, f"{req}: the row needs the requirement's wording and how dsr meets it"
        cites = _CITATION.search(shown)
        assert cites or shown.lower().startswith(_VERDICTS), (
            f"{req}: name the test that shows it, or say 'out of scope: why' or 'gap: why' ({shown!r})")
