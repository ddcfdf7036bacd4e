"""What the outside scanners found, read from their own reports, and which of it is explained.

``make security`` runs Wapiti and sqlmap against a live demo (tests/security/test_outside_scanner.py).
This module is the part that decides: it turns Wapiti's JSON report and sqlmap's console output into
``Finding`` rows and holds them against the explained findings of ``scan_allowlist.py``, each of which
docs/security.md ("Outside scanner") records. Pure functions, so tests/security/test_scan_reports.py
checks them on every run without a scanner.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Wapiti's report sections that hold findings; "infos" is the scan's own metadata.
WAPITI_SECTIONS = ("vulnerabilities", "anomalies", "additionals")


@dataclass(frozen=True)
class Finding:
    """One thing a scanner reported: where (method, path, parameter) and what (category, info)."""

    tool: str
    section: str
    category: str
    method: str
    path: str
    parameter: str
    info: str

    def line(self) -> str:
        """One line for a failure message (paths and parameter names only; the demo holds no real data)."""
        where = f"{self.method} {self.path}" + (f" [{self.parameter}]" if self.parameter else "")
        return f"{self.tool}: {self.section}/{self.category}: {where}: {self.info[:160]}"


@dataclass(frozen=True)
class Explained:
    """A finding recorded as explained (or fixed and kept as a regression probe) in docs/security.md.

    ``path`` and ``parameter`` are regular expressions that must match the whole value, ``info`` one that
    must occur in the scanner's text (a cookie's name, say); ``doc_id`` (e.g. ``SCAN-3``) names the row of
    the "Outside scanner" table that says why.
    """

    doc_id: str
    tool: str
    category: str
    path: str = ".*"
    parameter: str = ".*"
    info: str = ""

    def covers(self, finding: Finding) -> bool:
        """True when ``finding`` is this explained one."""
        return (finding.tool == self.tool and finding.category == self.category
                and re.fullmatch(self.path, finding.path) is not None
                and re.fullmatch(self.parameter, finding.parameter) is not None
                and re.search(self.info, finding.info) is not None)


class ScanIncomplete(Exception):
    """A scanner did not finish its work (it crashed, or its output is not what a finished run prints)."""


def wapiti_findings(report: dict) -> list[Finding]:
    """Every vulnerability, anomaly and additional of a Wapiti 3.2 JSON report (``-f json``)."""
    if "infos" not in report or "vulnerabilities" not in report:
        raise ScanIncomplete("not a Wapiti JSON report: no 'infos' or 'vulnerabilities'")
    found = []
    for section in WAPITI_SECTIONS:
        for category, entries in (report.get(section) or {}).items():
            for entry in entries:
                found.append(Finding(
                    tool="wapiti", section=section, category=category, method=entry.get("method", ""),
                    path=urlsplit(entry.get("path", "")).path or "/", parameter=entry.get("parameter") or "",
                    info=" ".join(str(entry.get("info", "")).split())))
    return found


def wapiti_pages(report: dict) -> int:
    """How many pages Wapiti crawled (``infos.crawled_pages_nbr``): a scan that saw nothing proves nothing."""
    infos = report.get("infos") or {}
    if "crawled_pages_nbr" in infos:
        return int(infos["crawled_pages_nbr"])
    return len(infos.get("crawled_pages") or [])


def crawled_paths(report: dict) -> set[str]:
    """The paths Wapiti crawled and got a 200 for, from a report made with ``-dr 1``
    (``infos.crawled_pages``: ``{"request": {"url", "method", "post_params", "status_code"}}``). A page
    that sent the scanner to the sign-in page (302) does not count as reached."""
    paths = set()
    for page in (report.get("infos") or {}).get("crawled_pages") or []:
        request = page.get("request") or {}
        if request.get("url") and request.get("status_code") == 200:
            paths.add(urlsplit(request["url"]).path or "/")
    return paths


#: sqlmap prints this when it found nothing; any other end is either an injection point or a broken run.
SQLMAP_NOTHING = "all tested parameters do not appear to be injectable"
SQLMAP_FOUND = "sqlmap identified the following injection point(s)"
_SQLMAP_PARAMETER = re.compile(r"^Parameter: (?P<name>\S+) \((?P<place>[A-Z]+)\)\s*$", re.MULTILINE)
_SQLMAP_TYPE = re.compile(r"^\s+Type: (?P<type>.+)$", re.MULTILINE)
_SQLMAP_TESTED = re.compile(r"testing for SQL injection on (?:\(custom\) )?(?:GET|POST|Cookie|URI) parameter "
                            r"'(?P<name>[^']+)'")


def sqlmap_findings(output: str, url: str) -> list[Finding]:
    """The injection points in sqlmap's console output for one target ``url``.

    Raises ``ScanIncomplete`` when the output ends neither with "nothing injectable" nor with injection
    points (a crash, a refused connection, a run cut short).
    """
    path = urlsplit(url).path or "/"
    if SQLMAP_FOUND in output:
        found = []
        blocks = _SQLMAP_PARAMETER.split(output.split(SQLMAP_FOUND, 1)[1])
        # split() with two groups gives [before, name, place, block, name, place, block, ...]
        for i in range(1, len(blocks) - 2, 3):
            name, place, block = blocks[i], blocks[i + 1], blocks[i + 2]
            types = [m.group("type").strip() for m in _SQLMAP_TYPE.finditer(block.split("---", 1)[0])]
            found.append(Finding(tool="sqlmap", section="vulnerabilities", category="SQL injection",
                                 method=place, path=path, parameter=name, info="; ".join(types)))
        if not found:
            raise ScanIncomplete("sqlmap reported injection points but none could be read")
        return found
    if SQLMAP_NOTHING in output:
        return []
    tail = " / ".join(line.strip() for line in output.strip().splitlines()[-3:])
    raise ScanIncomplete(f"sqlmap did not finish on {path}: {tail[:300]}")


def sqlmap_tested_parameters(output: str) -> set[str]:
    """The parameters sqlmap says it tested, so a run that skipped them all cannot pass as clean."""
    return {m.group("name") for m in _SQLMAP_TESTED.finditer(output)}


def unexplained(findings: list[Finding], explained: list[Explained]) -> list[Finding]:
    """The findings that no explained entry covers: each one fails ``make security``."""
    return [f for f in findings if not any(e.covers(f) for e in explained)]


def unused(findings: list[Finding], explained: list[Explained]) -> list[Explained]:
    """Explained entries that matched nothing in this run (reported, so stale ones get noticed)."""
    return [e for e in explained if not any(e.covers(f) for f in findings)]
