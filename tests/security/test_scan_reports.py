"""The outside scan's judgement, checked on every run without the scanners: reading Wapiti's and sqlmap's
real output (tests/security/samples/, trimmed from real runs) and the allow-list of explained findings.

The samples: ``wapiti-report.json`` is the public-page report of the demo by Wapiti 3.2.3 (the
``http_request`` and ``curl_command`` fields left out); ``sqlmap-injectable.txt`` is sqlmap 1.10 on a small
deliberately injectable page (not dsr), so that the reader is shown to see an injection when there is one;
``sqlmap-clean.txt`` is sqlmap on the staff queue's filters of the demo.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.security.scan_allowlist import EXPLAINED
from tests.security.scan_reports import (
    Explained,
    Finding,
    ScanIncomplete,
    crawled_paths,
    sqlmap_findings,
    sqlmap_tested_parameters,
    unexplained,
    unused,
    wapiti_findings,
    wapiti_pages,
)

SAMPLES = Path(__file__).parent / "samples"
DOC = ROOT / "docs" / "security.md"


def _wapiti_sample() -> dict:
    return json.loads((SAMPLES / "wapiti-report.json").read_text())


def test_wapiti_report_gives_every_vulnerability_anomaly_and_additional():
    report = _wapiti_sample()
    found = wapiti_findings(report)
    assert wapiti_pages(report) == 22
    assert {(f.section, f.category) for f in found} == {
        ("vulnerabilities", "Unencrypted Channels"), ("vulnerabilities", "Secure Flag cookie"),
        ("additionals", "HTTP Methods")}
    cookie = next(f for f in found if f.category == "Secure Flag cookie")
    assert (cookie.tool, cookie.method, cookie.path) == ("wapiti", "GET", "/")
    assert cookie.info == "Secure flag is not set in the cookie : session"


def test_a_finding_in_any_section_is_read_with_its_parameter():
    report = _wapiti_sample()
    report["vulnerabilities"]["SQL Injection"] = [
        {"method": "GET", "path": "/zaken/?status=x", "info": "SQL Injection via injection in the parameter status",
         "level": 3, "parameter": "status", "module": "sql"}]
    report["anomalies"]["Internal Server Error"] = [
        {"method": "POST", "path": "/mijn-verzoek", "info": "The server responded with a 500 HTTP error code",
         "level": 3, "parameter": "email", "module": "sql"}]
    found = wapiti_findings(report)
    assert Finding("wapiti", "vulnerabilities", "SQL Injection", "GET", "/zaken/", "status",
                   "SQL Injection via injection in the parameter status") in found
    assert any(f.section == "anomalies" and f.parameter == "email" for f in found)


def test_only_pages_answered_with_200_count_as_reached():
    report = {"infos": {"crawled_pages": [
        {"request": {"url": "http://127.0.0.1:5000/zaken/3", "method": "GET", "post_params": "", "status_code": 200}},
        {"request": {"url": "http://127.0.0.1:5000/dashboard/?van=x", "method": "GET", "status_code": 200}},
        {"request": {"url": "http://127.0.0.1:5000/beheer/systeem/", "method": "GET", "status_code": 302}},
    ]}}
    assert crawled_paths(report) == {"/zaken/3", "/dashboard/"}
    assert crawled_paths(_wapiti_sample()) == set()  # made without -dr 1: lists nothing


def test_something_else_than_a_wapiti_report_is_an_incomplete_scan():
    with pytest.raises(ScanIncomplete):
        wapiti_findings({"error": "could not reach the target"})


def test_sqlmap_injection_points_are_findings():
    output = (SAMPLES / "sqlmap-injectable.txt").read_text()
    found = sqlmap_findings(output, "http://127.0.0.1:18765/?status=open&school=1")
    assert found == [Finding("sqlmap", "vulnerabilities", "SQL injection", "GET", "/", "status",
                             "boolean-based blind; UNION query")]
    assert sqlmap_tested_parameters(output) == {"status"}  # it stops at the first injectable one


def test_a_clean_sqlmap_run_has_no_findings_and_names_what_it_tested():
    output = (SAMPLES / "sqlmap-clean.txt").read_text()
    assert sqlmap_findings(output, "http://127.0.0.1:5000/zaken/?status=x") == []
    assert sqlmap_tested_parameters(output) >= {"status", "type", "binnen", "te_laat", "school", "brief", "na"}


@pytest.mark.parametrize("output", [
    "",
    "[12:00:00] [CRITICAL] unable to connect to the target URL ('Connection refused')\n",
    "[12:00:00] [INFO] testing for SQL injection on GET parameter 'status'\n^C\n[*] ending @ 12:01:00\n",
])
def test_a_sqlmap_run_that_did_not_finish_is_not_clean(output):
    with pytest.raises(ScanIncomplete):
        sqlmap_findings(output, "http://127.0.0.1:5000/zaken/")


def test_the_allow_list_covers_what_it_names_and_nothing_else():
    entry = Explained("SCAN-X", "wapiti", "Secure Flag cookie", info=r"in the cookie : session$")
    session = Finding("wapiti", "vulnerabilities", "Secure Flag cookie", "GET", "/", "",
                      "Secure flag is not set in the cookie : session")
    other_cookie = Finding("wapiti", "vulnerabilities", "Secure Flag cookie", "GET", "/", "",
                           "Secure flag is not set in the cookie : remember_token")
    other_tool = Finding("sqlmap", "vulnerabilities", "Secure Flag cookie", "GET", "/", "",
                         "Secure flag is not set in the cookie : session")
    assert unexplained([session, other_cookie, other_tool], [entry]) == [other_cookie, other_tool]
    assert unused([other_cookie], [entry]) == [entry]
    by_path = Explained("SCAN-Y", "wapiti", "HTTP Methods", path="/static/.*")
    assert by_path.covers(Finding("wapiti", "additionals", "HTTP Methods", "GET", "/static/intake.js", "", ""))
    assert not by_path.covers(Finding("wapiti", "additionals", "HTTP Methods", "GET", "/zaken/static/x", "", ""))


def test_every_finding_of_the_real_report_is_explained():
    assert unexplained(wapiti_findings(_wapiti_sample()), EXPLAINED) == []


@pytest.mark.parametrize("tool, category", [
    ("wapiti", "SQL Injection"), ("wapiti", "Blind SQL Injection"), ("wapiti", "Reflected Cross Site Scripting"),
    ("wapiti", "Stored Cross Site Scripting"), ("wapiti", "Command execution"), ("wapiti", "Path Traversal"),
    ("wapiti", "Open Redirect"), ("wapiti", "CRLF Injection"), ("wapiti", "Internal Server Error"),
    ("wapiti", "Cross Site Request Forgery"), ("wapiti", "Unrestricted File Upload"), ("sqlmap", "SQL injection"),
])
def test_the_allow_list_never_explains_an_injection_a_script_or_a_server_error(tool, category):
    for path in ("/", "/zaken/", "/mijn-verzoek", "/dashboard/"):
        finding = Finding(tool, "vulnerabilities", category, "GET", path, "status", "")
        assert unexplained([finding], EXPLAINED) == [finding]


def _outside_scanner_section() -> str:
    text = DOC.read_text()
    assert "## Outside scanner" in text
    return text.split("## Outside scanner", 1)[1].split("\n## ", 1)[0]


def test_every_explained_finding_has_its_row_in_docs_security_md_and_back():
    section = _outside_scanner_section()
    rows = set(re.findall(r"^\| (SCAN-\d+) \|", section, flags=re.MULTILINE))
    ids = {entry.doc_id for entry in EXPLAINED}
    assert len(ids) == len(EXPLAINED), "two allow-list entries share a row id"
    assert ids <= rows, f"explained in the allow-list but not in docs/security.md: {sorted(ids - rows)}"
    fixed = set(re.findall(r"^\| (SCAN-\d+) \|[^\n]*\| fixed", section, flags=re.MULTILINE))
    assert rows - fixed <= ids, f"rows that say 'explained' without an allow-list entry: {sorted(rows - fixed - ids)}"
