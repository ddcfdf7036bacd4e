"""The repository stands on its own: no file points to a document outside it, and docs/legal.md
states every rule id the code and the tests use (issue 11, "docs/legal.md stands on its own").

Pure file checks, no app. The first test needs git (the list of tracked files); it is skipped
when the tests run outside a git checkout, e.g. from an unpacked sdist.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEGAL = ROOT / "docs" / "legal.md"
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Names of documents that live outside the repository, and paths that lead out of it. Built from
# parts so that this file does not spell them out (it is excluded from the scan anyway).
_OUTSIDE_DOCS = ("rules", "design", "engineering", "peers")
OUTSIDE = re.compile(
    r"(?<![\w-])(?:" + "|".join(_OUTSIDE_DOCS) + r")\.md\b"
    + "|" + re.escape("/" + "work/")
    + "|" + re.escape(".." + "/shared")
    + "|" + re.escape(".." + "/seed")
)
RULE_ID = re.compile(r"\bR-[A-Z]{2}-[0-9]+\b")
# A rule is stated in docs/legal.md as a table row that starts with its id, or in a heading.
DEFINED_ROW = re.compile(r"^\|\s*(R-[A-Z]{2}-[0-9]+)\s*\|", re.MULTILINE)
DEFINED_HEADING = re.compile(r"^#+ .*?\b(R-[A-Z]{2}-[0-9]+)\b", re.MULTILINE)
SECTION_REF = re.compile(r"docs/legal\.md §(\d+)")
SECTION_HEADING = re.compile(r"^## §(\d+) ", re.MULTILINE)


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def tracked_files() -> list[str]:
    """The repository's tracked files (paths relative to the root)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True).stdout
    return [name for name in out.decode().split("\0") if name]


def outside_references(text: str) -> list[str]:
    """Every line of ``text`` that mentions a document or path outside the repository."""
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


def defined_rule_ids(legal_text: str) -> set[str]:
    """The rule ids docs/legal.md states (a table row starting with the id, or a heading)."""
    return set(DEFINED_ROW.findall(legal_text)) | set(DEFINED_HEADING.findall(legal_text))


def used_rule_ids() -> dict[str, str]:
    """Rule ids used in dsr/ and tests/ (and templates/), each with the first file that uses it."""
    used: dict[str, str] = {}
    for top in ("dsr", "tests", "templates"):
        for path in sorted((ROOT / top).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if not path.is_file() or rel == THIS_FILE or "__pycache__" in rel:
                continue
            text = _text(path)
            for rule in RULE_ID.findall(text or ""):
                used.setdefault(rule, rel)
    return used


# ---- the checkers themselves can fail -------------------------------------------------------------

@pytest.mark.parametrize("line, outside", [
    ("see " + "rules" + ".md §3", True),
    ("(" + "design" + ".md)", True),
    ("`/" + "work/shared/docs/x`", True),
    ("from the seed (.." + "/shared/seed/)", True),
    ("engineering" + ".md §6", True),
    ("see docs/legal.md §3", False),
    ("docs/security.md and README.md", False),
    ("business-" + "rules" + ".md", False),
], ids=lambda v: str(v))
def test_outside_reference_pattern(line, outside):
    assert bool(outside_references(line)) is outside


def test_defined_ids_are_rows_or_headings_only():
    text = "| R-DL-1 | a rule | law |\n## R-CH-8 consent\nsee R-EX-9 in prose\n| R-ID-4/5 | combined |\n"
    assert defined_rule_ids(text) == {"R-DL-1", "R-CH-8"}


# ---- the repository ---------------------------------------------------------------------------------

def test_no_file_points_outside_the_repository():
    offending = []
    for name in tracked_files():
        if name == THIS_FILE:
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        text = _text(path)
        if text is None:
            continue
        offending += [f"{name}: {line}" for line in outside_references(text)]
    assert offending == [], "references to documents outside the repository:\n" + "\n".join(offending)


def test_every_rule_id_in_code_and_tests_is_stated_in_legal_md():
    defined = defined_rule_ids(LEGAL.read_text(encoding="utf-8"))
    missing = {rule: where for rule, where in used_rule_ids().items() if rule not in defined}
    assert missing == {}, f"rule ids without a row or heading in docs/legal.md: {missing}"


def test_legal_md_states_each_rule_family():
    defined = defined_rule_ids(LEGAL.read_text(encoding="utf-8"))
    families = {rule.rsplit("-", 1)[0] for rule in defined}
    assert families >= {"R-DL", "R-ID", "R-CH", "R-EX", "R-RI", "R-LT", "R-AC"}


def test_section_references_exist_in_legal_md():
    sections = set(SECTION_HEADING.findall(LEGAL.read_text(encoding="utf-8")))
    cited: dict[str, str] = {}
    for top in ("dsr", "tests", "docs"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                for number in SECTION_REF.findall(_text(path) or ""):
                    cited.setdefault(number, path.relative_to(ROOT).as_posix())
    assert cited, "nothing cites a section of docs/legal.md: the pattern is wrong"
    missing = {n: where for n, where in cited.items() if n not in sections}
    assert missing == {}, f"cited sections missing from docs/legal.md: {missing}"


def test_issue_11_choices_are_in_legal_md():
    text = LEGAL.read_text(encoding="utf-8")
    section = text.split("## Issue 11 choices", 1)
    assert len(section) == 2, "docs/legal.md has no 'Issue 11 choices' section"
    body = section[1].split("\n## ", 1)[0]
    for choice in ("One appeal route per school", "BW 1:377c", "16–17 and 18+", "The clock pause",
                   "statutory duty or policy period", "Consent withdrawal", "Four eyes",
                   "Internal note", "Named recipients", "Carer (verzorger)", "own data"):
        assert choice in body, choice
