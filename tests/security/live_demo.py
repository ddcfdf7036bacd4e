"""The demo as the outside scanners see it: migrated and seeded like ``make run``, served by gunicorn.

The app runs as in production (CSRF on, security headers, argon2id at full strength, no TESTING flag),
with the demo's data (dsr/dev/demo.py) and keys made in a temporary folder, the suite's Redis and SMTP
server, and its own database: a fresh SQLite file, or ``<DSR_TEST_DATABASE_URL>_scan`` when the suite
runs on PostgreSQL. Rate limits are off (DSR_RATELIMIT_ENABLED=false) so that the scanners reach the
code behind the forms instead of a 429; the limits have their own tests (tests/integration/test_signin.py,
tests/integration/test_portal.py).
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dsr.dev.demo import DEMO_PASSWORD
from dsr.dev.launcher import demo_environment, gunicorn_extra_args
from dsr.dev.local_services import ensure_database, free_port, port_in_use
from tests.helpers import ROOT
from tests.reliability.web import Browser

BIN = ROOT / ".venv" / "bin"
#: The privacy officer sees every school, does casework and sees the dashboard: the widest staff view.
SCAN_USER = "ibp@demo.asg.nl"
SIGN_IN = "/medewerkers/inloggen"
SECOND_STEP = "/medewerkers/tweede-stap"
#: Staff sessions are bound to the client's address and User-Agent (Flask-Login's "strong" session
#: protection): the sign-in and both scanners send this one, or the scanners' cookie would be refused.
USER_AGENT = "dsr-outside-scan"


class ScanBrowser(Browser):
    """The reliability suite's cookie-keeping client, sending the scanners' User-Agent."""

    extra_headers = {"User-Agent": USER_AGENT}


def scan_database_url(tmp: Path) -> str:
    """The scan's own database: next to the suite's PostgreSQL database, else an SQLite file."""
    suite = os.environ.get("DSR_TEST_DATABASE_URL", "")
    if suite.startswith("postgresql"):
        url = suite + "_scan"
        ensure_database(url, recreate=True)
        return url
    return "sqlite:///" + str(tmp / "scan-demo.sqlite")


@dataclass
class LiveDemo:
    """A running demo: its URL, environment and gunicorn process."""

    url: str
    env: dict
    process: subprocess.Popen

    def flask(self, *args: str) -> str:
        """Run ``flask --app wsgi ...`` against the demo's database and return what it printed."""
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} failed: {done.stderr[-800:]}")
        return done.stdout

    def sign_in(self, email: str = SCAN_USER) -> ScanBrowser:
        """Password, then the TOTP code the demo prints for ``email`` (each code works once: wait for a
        new one when the previous sign-in used it)."""
        for _ in range(3):
            browser = ScanBrowser(self.url)
            _, token = browser.form_token(SIGN_IN)
            first = browser.post(SIGN_IN, {"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
            assert first.status == 302 and first.location.endswith(SECOND_STEP), (first.status, first.text[:300])
            _, token = browser.form_token(SECOND_STEP)
            code = self.flask("dsr", "demo-totp", email).strip()
            second = browser.post(SECOND_STEP, {"code": code, "csrf_token": token})
            if second.status == 302:
                return browser
            time.sleep(31 - time.time() % 30)  # the code was used already: the next one comes within 30 s
        raise AssertionError(f"could not sign in as {email}")

    def session_cookie(self, browser: ScanBrowser) -> str:
        """The browser's cookies as one ``name=value; ...`` header value, for the scanners."""
        return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())

    def still_signed_in(self, browser: ScanBrowser) -> bool:
        """The staff session works, for a client that sends what the scanners send (the scanners were
        told to leave sign-out alone; this checks it)."""
        return browser.get("/zaken/").status == 200

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, then SIGKILL after 15 s)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_demo(tmp: Path, redis_url: str, smtp_host: str, smtp_port: int) -> LiveDemo:
    """Migrate and seed a fresh demo database, then serve it with gunicorn on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = demo_environment(tmp / "instance")
    env = {k: v for k, v in env.items() if not k.startswith("DSR_") or k in ("DSR_SECRET_KEY", "DSR_FILE_KEYS")}
    env.update(DSR_DATABASE_URL=scan_database_url(tmp), DSR_REDIS_URL=redis_url, DSR_MAIL_SERVER=smtp_host,
               DSR_MAIL_PORT=str(smtp_port), DSR_PUBLIC_BASE_URL=url, DSR_FILE_STORAGE=str(tmp / "files"),
               DSR_RATELIMIT_ENABLED="false")
    demo = LiveDemo(url=url, env=env, process=None)  # type: ignore[arg-type]
    demo.flask("db", "upgrade")
    demo.flask("dsr", "seed-demo")
    with (tmp / "gunicorn.log").open("w") as log:  # the child keeps its own copy of the descriptor
        demo.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", *gunicorn_extra_args(),
             "wsgi:app"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while not port_in_use(port):
        if demo.process.poll() is not None or time.monotonic() > deadline:
            demo.stop()
            raise AssertionError(f"gunicorn did not start: {(tmp / 'gunicorn.log').read_text()[-800:]}")
        time.sleep(0.2)
    return demo
