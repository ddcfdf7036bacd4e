"""Running Schemathesis (``st run``, a subprocess) against a dsr served on a real HTTP server, and reading its
JUnit report, for tests/api/test_schemathesis.py; and the API token rows the API tests seed. The checks dsr adds
are in tests/api/schemathesis_hooks.py."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from werkzeug.serving import make_server

from dsr.extensions import db
from dsr.models import School
from dsr.models._types import utcnow
from dsr.models.integrations import ApiToken
from tests.helpers import ROOT

#: The checks of every run: Schemathesis' own (no 500s; status code, content type, headers and body as the
#: document says; input the document forbids is refused; an operation that needs a credential refuses a call without
#: one) and dsr's (schemathesis_hooks.py).
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "negative_data_rejection", "ignored_auth",
          "dsr_refuses_without_the_right_credential", "dsr_no_personal_data_or_other_schools")
#: The same cases every run (Hypothesis derandomised, no example database kept between runs).
DETERMINISTIC = ("--generation-deterministic", "--workers", "1")  # deterministic: no example database either
#: A run that takes longer than this is a hang (the whole API test takes well under a minute per database).
TIMEOUT_SECONDS = 240


def api_token_row(name: str, scopes: tuple[str, ...], schools: list[School], *, days: int = 30,
           revoked: bool = False) -> tuple[ApiToken, str]:
    """An API token row as the admin's form makes it (only the SHA-256 of the plain token stored), added to the
    session (the caller commits); returns the row and the plain token. Rows rather than the service, so that an
    expired or revoked token is one line."""
    plain = "dsr_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hashlib.sha256(plain.encode()).hexdigest(), prefix=plain[:8],
                   scopes=" ".join(scopes), expires_at=utcnow() + dt.timedelta(days=days),
                   revoked_at=utcnow() if revoked else None, schools=schools)
    db.session.add(row)
    return row, plain


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` on a werkzeug server at 127.0.0.1 (a free port, one thread per request); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dsr-api-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Outcome:
    """What one ``st run`` found: the operations it tested and, per failed operation, its message."""

    name: str
    returncode: int
    output: str
    tested: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def report(self) -> str:
        """The findings as the person reading a failed test needs them: per operation, Schemathesis' own text
        (the check that failed, the response, and a curl command that repeats the call)."""
        parts = [f"Schemathesis run '{self.name}': {len(self.failures)} operation(s) with findings "
                 f"(exit code {self.returncode})."]
        for label, message in self.failures.items():
            parts.append(f"--- {label}\n{message.strip()}")
        if not self.failures:
            parts.append(self.output[-6000:])  # no report of findings: the CLI's own words say why it stopped
        return "\n".join(parts)


def run_schemathesis(base_url: str, workdir: Path, name: str, *, headers: dict[str, str] | None = None,
                     rules: dict | None = None, max_examples: int = 25, phases: str = "examples,coverage,fuzzing",
                     extra: tuple[str, ...] = ()) -> Outcome:
    """``st run`` with the document of ``<base_url>/api/v1/openapi.json`` against ``base_url``, with dsr's checks;
    returns what it found.

    ``headers`` go with every call (the run's credentials); ``rules`` are the expectations of dsr's own checks
    (tests/api/schemathesis_hooks.py). Reports land in ``workdir``.
    """
    junit = workdir / f"{name}.junit.xml"
    # The document as the app serves it, read from a file: given its own URL, Schemathesis leaves the operation
    # that serves the document out, and that one is tested like any other.
    document = workdir / f"{name}.openapi.json"
    document.write_bytes(httpx.get(f"{base_url}/api/v1/openapi.json", timeout=20).raise_for_status().content)
    # No crash cache in the repository: a finding of an earlier run replayed first would make runs differ.
    config = workdir / "schemathesis.toml"
    config.write_text("[cache]\nenabled = false\n")
    command = [str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run", str(document),
               "--url", base_url, "--checks", ",".join(CHECKS), "--max-examples", str(max_examples),
               "--phases", phases, *DETERMINISTIC, "--request-timeout", "20", "--no-color",
               "--report", "junit", "--report-junit-path", str(junit), "--warnings", "off", *extra]
    for header, value in (headers or {}).items():
        command += ["--header", f"{header}: {value}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
           "API_FUZZ_RULES": json.dumps(rules or {}), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    outcome = Outcome(name=name, returncode=done.returncode, output=done.stdout + done.stderr)
    if junit.exists():
        for testcase in ET.parse(junit).getroot().iter("testcase"):
            label = testcase.get("name") or "?"
            outcome.tested.append(label)
            problems = [node.get("message", "") + "\n" + (node.text or "")
                        for node in testcase if node.tag in ("failure", "error")]
            if problems:
                outcome.failures[label] = "\n".join(problems)
    return outcome
