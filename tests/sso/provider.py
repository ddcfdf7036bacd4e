"""The test OpenID provider (tests/sso/provider.mjs, oidc-provider under node) as a Python object.

:class:`TestProvider` writes the harness's config (issuer, port, dsr's client, accounts), starts
``node tests/sso/provider.mjs`` on a free port, waits until its discovery document answers, and stops it
(also in the middle of a test: "the provider is down"). Its methods flip the harness's test switches.
node comes from apt (scripts/ensure-browser-deps.sh installs nodejs and npm), oidc-provider from
``npm ci`` (``make test`` runs it): a missing one fails the test with what to run; it never skips.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from dsr.dev.local_services import free_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCRIPT = HERE / "provider.mjs"
CLIENT_ID = "dsr-test"
CLIENT_SECRET = "dsr-test-client-secret-0123456789abcdef"
START_SECONDS = 20


class ProviderMissing(Exception):
    """node or oidc-provider is not installed; the message says what to run."""


def missing_reason() -> str | None:
    """Why the provider cannot start here (one line with what to run), or None."""
    if shutil.which("node") is None:
        return "node is not installed: run: apt-get install -y nodejs npm (scripts/ensure-browser-deps.sh)"
    if not (REPO / "node_modules" / "oidc-provider" / "package.json").is_file():
        return "node_modules/oidc-provider is missing: run: npm ci (make test runs it)"
    return None


class TestProvider:
    """One running oidc-provider for one test, with dsr registered as its client."""

    __test__ = False  # not a pytest test class

    def __init__(self, workdir: Path, dsr_base_url: str, accounts: dict[str, dict[str, Any]]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.dsr_base_url = dsr_base_url
        self.accounts = accounts
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "provider.log"

    def config(self) -> dict[str, Any]:
        base = self.dsr_base_url
        return {
            "issuer": self.issuer,
            "port": self.port,
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{base}/medewerkers/sso/terug"],
                "post_logout_redirect_uris": [f"{base}/medewerkers/inloggen"],
                "backchannel_logout_uri": f"{base}/medewerkers/sso/backchannel-logout",
            },
            "accounts": self.accounts,
        }

    def start(self) -> TestProvider:
        """Start node and wait for the discovery document (raises after START_SECONDS)."""
        reason = missing_reason()
        if reason:
            raise ProviderMissing(reason)
        config_path = self.workdir / "provider.json"
        config_path.write_text(json.dumps(self.config()), encoding="utf-8")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(["node", str(SCRIPT), str(config_path)], cwd=REPO,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the test provider stopped at start:\n{self.log()}")
                try:
                    if http.get(f"{self.issuer}/.well-known/openid-configuration").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the test provider did not answer in {START_SECONDS}s:\n{self.log()}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop node (the provider is down from now on)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        with httpx.Client(timeout=5) as http:
            response = http.request(method, f"{self.issuer}{path}", json=body)
        response.raise_for_status()
        return response

    def set_account(self, account_id: str, **claims: Any) -> None:
        """The account's claims from the next sign-in on (e.g. other groups, no amr)."""
        self.accounts[account_id] = claims
        self._call("PUT", f"/test/accounts/{account_id}", claims)

    def next_token(self, *, wrong_key: bool = False, clock_shift_seconds: int = 0,
                   claims: dict[str, Any] | None = None, unsigned: bool = False) -> None:
        """The next token response: its ID token signed with a key not in the JWKS (same kid), and/or made
        while the provider's clock is ``clock_shift_seconds`` off (negative: already expired), and/or with
        ``claims`` changed (signed with the provider's own key); or ``unsigned`` (alg "none")."""
        self._call("POST", "/test/next-token", {"wrong_key": wrong_key, "clock_shift_seconds": clock_shift_seconds,
                                                "claims": claims, "unsigned": unsigned})

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT with ``claims``, signed with the provider's own key (as a logout token would be)."""
        return str(self._call("POST", "/test/sign", {"claims": claims}).json()["jwt"])

    def backchannel_calls(self) -> dict[str, int]:
        """How many back-channel logout calls to dsr succeeded and failed."""
        return self._call("GET", "/test/backchannel").json()
