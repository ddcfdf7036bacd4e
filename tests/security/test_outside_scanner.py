"""The outside scan (``make security``): Wapiti and sqlmap against a live demo; fails on any finding that
docs/security.md ("Outside scanner") does not record as explained.

Wapiti crawls and attacks the public pages, then everything a signed-in privacy officer can reach (with the
session cookie; sign-out is excluded so the session survives the scan). sqlmap tries every technique on
the staff queue's filters, the dashboard's filters and the public "Mijn verzoek" lookup. The scanners come
from PyPI into their own virtualenv (scripts/security-scan.sh); the reports land in
test-artifacts/security/. Marked ``security``: ``make test`` and ``make test-fast`` leave it out (it takes
several minutes); tests/security/test_scan_reports.py checks the report reading and the allow-list on every run.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.security.live_demo import USER_AGENT, LiveDemo, start_demo
from tests.security.scan_allowlist import EXPLAINED
from tests.security.scan_reports import (
    Finding,
    crawled_paths,
    sqlmap_findings,
    sqlmap_tested_parameters,
    unexplained,
    unused,
    wapiti_findings,
    wapiti_pages,
)

pytestmark = pytest.mark.security

SCANNER_BIN = ROOT / ".venv-scanner" / "bin"
ARTIFACTS = ROOT / "test-artifacts" / "security"
#: Wapiti's modules that work on a loopback demo without the internet. Left out: ssl (no TLS on loopback;
#: TLS is the proxy's, docs/deployment.md), ssrf, xxe and log4shell (they need Wapiti's outside endpoint),
#: wapp, cms, wp_enum, nikto (download databases or look for other products), buster and brute_login_form
#: (word lists; the sign-in has lockout and rate limits, tests/integration/test_signin.py).
WAPITI_MODULES = ("backup,cookieflags,crlf,csp,csrf,exec,file,htaccess,http_headers,https_redirect,methods,"
                  "permanentxss,redirect,shellshock,spring4shell,sql,timesql,upload,xss")
#: Each Wapiti run is bounded; what the scan covered in that time is in its report (crawled pages).
WAPITI_SCAN_SECONDS = 420
WAPITI_ATTACK_SECONDS = 150
#: The staff pages sqlmap attacks, with realistic values for every filter parameter (the dashboard's CSV export
#: reads its filters with the same code as the page).
SQLMAP_TARGETS = [
    ("/zaken/?status=received&type=access&binnen=30&te_laat=1&school=1&brief=1&na=abc",
     "status,type,binnen,te_laat,school,brief,na"),
    ("/dashboard/?van=2025-01-01&tot=2025-12-31&school=1", "van,tot,school"),
]


def _scanner(name: str) -> str:
    path = SCANNER_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make security` (scripts/security-scan.sh installs the scanners)",
                    pytrace=False)
    return str(path)


@pytest.fixture
def demo(tmp_path, redis_server, smtp_server):
    live = start_demo(tmp_path, redis_server.url, smtp_server.host, smtp_server.port)
    yield live
    live.stop()


def run_wapiti(demo: LiveDemo, name: str, work: Path, *, cookie: str = "", starts: tuple[str, ...] = ()) -> dict:
    """One bounded Wapiti run; returns its JSON report (also kept in test-artifacts/security/)."""
    report = ARTIFACTS / f"wapiti-{name}.json"
    args = [_scanner("wapiti"), "-u", demo.url + "/", "--scope", "folder", "-m", WAPITI_MODULES,
            "-f", "json", "-o", str(report), "--flush-session", "--store-session", str(work / f"{name}-session"),
            "--store-config", str(work / f"{name}-config"), "-d", "4", "--max-links-per-page", "60",
            "--max-scan-time", str(WAPITI_SCAN_SECONDS), "--max-attack-time", str(WAPITI_ATTACK_SECONDS),
            "--tasks", "4", "-t", "20", "-v", "1", "--no-bugreport", "-A", USER_AGENT,
            "-dr", "1",  # the report lists every crawled request, so the test can see what was reached
            # Signing out would end the scan's session: left out, so the scan stays signed in to the end.
            "-x", demo.url + "/medewerkers/uitloggen"]
    for start in starts:
        args += ["-s", demo.url + start]
    if cookie:
        args += ["-C", cookie]
    done = subprocess.run(args, capture_output=True, text=True, timeout=WAPITI_SCAN_SECONDS + 600)
    (ARTIFACTS / f"wapiti-{name}.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0 and report.exists(), f"wapiti {name} failed: {(done.stdout + done.stderr)[-1500:]}"
    return json.loads(report.read_text())


def run_sqlmap(demo: LiveDemo, target: str, parameters: str, work: Path, *, cookie: str = "",
               data: str = "", csrf_token: str = "") -> tuple[list[Finding], str]:
    """sqlmap on one URL (and form body); returns its findings and its output."""
    url = demo.url + target
    args = [_scanner("sqlmap"), "-u", url, "-p", parameters, "--batch", "--flush-session", "--disable-coloring",
            "--user-agent", USER_AGENT,
            "--level", "2", "--risk", "1", "--output-dir", str(work / "sqlmap")]
    if cookie:
        args += ["--cookie", cookie]
    if data:
        args += ["--data", data]
    if csrf_token:
        args += ["--csrf-token", csrf_token]  # sqlmap fetches a fresh one per request (one thread only)
    else:
        args += ["--threads", "2"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=1200)
    output = done.stdout + done.stderr
    log_name = target.split("?")[0].strip("/").replace("/", "-") or "root"
    (ARTIFACTS / f"sqlmap-{log_name}.log").write_text(output)
    # Signed in means no detour to the sign-in page; otherwise sqlmap attacked that page instead.
    assert not (cookie and "/medewerkers/inloggen" in output), f"sqlmap on {target} was not signed in"
    assert done.returncode == 0, f"sqlmap on {target} failed: {output[-1500:]}"
    found = sqlmap_findings(output, url)
    tested = sqlmap_tested_parameters(output)
    # sqlmap stops at the first injectable parameter; a clean run must have tried every one.
    assert found or tested >= set(parameters.split(",")), f"sqlmap on {target} tested only {sorted(tested)}"
    return found, output


def test_outside_scanners_find_nothing_unexplained(demo, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    findings: list[Finding] = []
    summary: dict = {"date": dt.date.today().isoformat(), "runs": []}

    public = run_wapiti(demo, "public", tmp_path, starts=("/mijn-verzoek", "/verwerkingsregister/",
                                                          "/medewerkers/wachtwoord-vergeten"))
    findings += wapiti_findings(public)
    summary["wapiti_version"] = public["infos"].get("version")
    summary["runs"].append({"wapiti public pages crawled": wapiti_pages(public)})

    staff = demo.sign_in()
    cookie = demo.session_cookie(staff)
    report = run_wapiti(demo, "staff", tmp_path, cookie=cookie,
                        starts=("/zaken/", "/zaken/goedkeuren", "/dashboard/", "/beheer/systeem/", "/scholen/",
                                "/verwerkingsregister/beheer"))
    findings += wapiti_findings(report)
    summary["runs"].append({"wapiti staff pages crawled": wapiti_pages(report)})
    assert demo.still_signed_in(staff), "the staff session ended during the Wapiti scan: its findings say little"
    reached = crawled_paths(report)
    summary["wapiti_staff_paths"] = sorted(reached)
    for signed_in_only in (r"/zaken/\d+", r"/dashboard/", r"/beheer/systeem/"):
        assert any(re.fullmatch(signed_in_only, path) for path in reached), (
            f"the signed-in Wapiti scan never reached {signed_in_only}: was it signed in? {sorted(reached)[:40]}")

    staff = demo.sign_in()  # Wapiti's attacks may have changed the session's state; sqlmap gets a fresh one
    cookie = demo.session_cookie(staff)
    for target, parameters in SQLMAP_TARGETS:
        found, _ = run_sqlmap(demo, target, parameters, tmp_path, cookie=cookie)
        findings += found
        assert demo.still_signed_in(staff), f"the staff session ended during sqlmap on {target}"
    found, _ = run_sqlmap(demo, "/mijn-verzoek", "reference,email", tmp_path,
                          data="reference=AVG-2026-00001&email=ouder%40voorbeeld.nl&csrf_token=x",
                          csrf_token="csrf_token")
    findings += found
    summary["runs"].append({"sqlmap targets": len(SQLMAP_TARGETS) + 1})

    summary["findings"] = [f.line() for f in findings]
    summary["explained_unused"] = [e.doc_id for e in unused(findings, EXPLAINED)]
    (ARTIFACTS / "summary.json").write_text(json.dumps(summary, indent=2))
    shutil.copy(ROOT / "scripts" / "security-scan-requirements.txt", ARTIFACTS / "scanner-requirements.txt")
    server_log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in server_log and "Exception on" not in server_log, server_log[-3000:]
    left = unexplained(findings, EXPLAINED)
    assert not left, ("findings not recorded as explained in docs/security.md (Outside scanner) and "
                      "tests/security/scan_allowlist.py:\n" + "\n".join(f.line() for f in left))
