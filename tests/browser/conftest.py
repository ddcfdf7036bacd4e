"""Browser tests: Playwright driving Debian's Chromium against a live dsr on a file SQLite database.

The live server is a werkzeug server in a daemon thread, wired to the suite's real Redis and real SMTP
server (aiosmtpd); mail goes out when a test runs the RQ worker (``live.run_jobs()``), as in the
integration tests. Each test gets its own database file and server, so TOTP codes and rate limits of
one test never meet another's.

Nothing is downloaded: Chromium is Debian's (``apt-get install -y chromium``) and axe-core comes from
``npm ci`` (``make test`` runs it). A missing part fails the tests with what to install; it never skips.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from werkzeug.serving import make_server

from dsr.extensions import db
from dsr.jobs import AppJob, get_queue, redis_connection
from dsr.models import School
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.browser.axe import REPO, AxeMissing, AxeReport, axe_source
from tests.browser.helpers import DESKTOP, DIRECTOR, PHONE, SCHOOL, STAFF, TIMEOUT_MS, browser_tests_skipped_reason
from tests.helpers import PASSWORD, make_test_app, totp_secret_for

CHROMIUM = "/usr/bin/chromium"
#: As root on a machine without network: no sandbox, and nothing that phones home at start.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

_shots_taken: list[Path] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if _shots_taken:
        terminalreporter.write_line(f"browser tests: {len(_shots_taken)} screenshots in {SCREENSHOTS}")


def pytest_collection_modifyitems(items):
    """Mark these tests ``browser``, so that ``-m "not browser"`` (``make test-fast``) can leave them out."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _expect_timeout():
    """Playwright's ``expect`` waits as long as every other locator (TIMEOUT_MS)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, for the whole run."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed ({CHROMIUM} is missing): run: apt-get install -y chromium",
                    pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run make venv (pip install -e '.[dev]')", pytrace=False)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="session")
def axe_script() -> str:
    try:
        return axe_source()
    except AxeMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def axe():
    """Collects axe findings of one test; the test calls ``axe.assert_clean()`` at its end."""
    return AxeReport()


def _console_problem(message, page_url: str = "") -> bool:
    """An error in the console, except the browser's own request for a favicon (dsr has none) and Chromium's
    note that the page itself came with a 4xx status (an expired link's 410 page is meant; a 5xx fails
    through the response hook, and a failed script, style or image still fails here)."""
    if message.type != "error":
        return False
    url = (message.location or {}).get("url", "")
    if url.endswith("/favicon.ico"):
        return False
    return not (url == page_url and re.search(r"status of 4\d\d", message.text))


@pytest.fixture
def new_page(browser, axe_script):
    """``new_page(viewport)``: a page in a fresh browser context (own cookies) with axe-core loaded.

    Server errors (5xx), script errors and console errors (a CSP violation is one) fail the test: they
    are printed when they happen and listed when the test ends.
    """
    contexts, problems = [], []

    def problem(text: str) -> None:
        print(f"browser: {text}")
        problems.append(text)

    def make(viewport: dict, *, mobile: bool = False):
        context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile,
                                      locale="nl-NL", timezone_id="Europe/Amsterdam")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(script=axe_script)
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda r: r.status >= 500 and problem(
            f"{r.status} from {r.request.method} {r.url}"))
        page.on("pageerror", lambda error: problem(f"script error on {page.url}: {error}"))
        page.on("console", lambda m: _console_problem(m, page.url) and problem(
            f"console error on {page.url}: {m.text}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser saw problems:\n" + "\n".join(problems)


@pytest.fixture
def shoot():
    """``shoot(page, lang, name)``: full-page screenshots at phone and desktop width, e.g.
    ``nl-phone-intake.png`` and ``nl-desktop-intake.png``; the page keeps its own viewport."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, lang: str, name: str) -> None:
        own = page.viewport_size
        for width_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{lang}-{width_name}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            _shots_taken.append(path)
        page.set_viewport_size(own)

    return take


@dataclass
class LiveServer:
    url: str
    app: object
    smtp: object

    def run_jobs(self) -> None:
        """Deliver queued mail: a real RQ worker (no fork) in burst mode, in the live app's context."""
        with self.app.app_context():
            queues = [get_queue(), get_queue(name=self.app.config["RQ_MAIL_QUEUE"])]  # general and mail jobs
            worker = SimpleWorker(queues, connection=redis_connection(), job_class=AppJob, serializer=JSONSerializer)
            worker.work(burst=True)

    def mails_to(self, address: str) -> list:
        return [m for m in self.smtp.messages if address in m["To"]]

    def has_route(self, rule: str, method: str = "GET") -> bool:
        return any(r.rule == rule and method in r.methods for r in self.app.url_map.iter_rules())


@pytest.fixture
def live(tmp_path, redis_server, smtp_server):
    """dsr served on 127.0.0.1 (a free port) with CSRF on, a fresh file SQLite database, one school,
    a staff member and a director, both enrolled in TOTP with the secrets of tests.helpers."""
    reason = browser_tests_skipped_reason()
    if reason:
        pytest.skip(reason)
    holder = {}
    # The app needs its own address for the links in mails, which is known once the port is bound.
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = make_test_app("sqlite:///" + str(tmp_path / "browser.sqlite"), redis_server, smtp_server,
                        WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL=base_url)
    with app.app_context():
        db.create_all()
        db.session.add(School(code=SCHOOL[0], name=SCHOOL[1]))
        db.session.flush()
        for email, name, role in (STAFF, DIRECTOR):
            enrol_with_secret(create_user(email, name, role, PASSWORD, [SCHOOL[0]]), totp_secret_for(email))
        db.session.commit()
        db.session.remove()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="dsr-live-server", daemon=True)
    thread.start()
    yield LiveServer(url=base_url, app=app, smtp=smtp_server)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
