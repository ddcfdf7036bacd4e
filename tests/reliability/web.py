"""A small HTTP client for the reliability suite: a cookie-keeping browser on ``http.client`` and a
bounded concurrent driver. Loopback only; every request opens (and closes) its own connection."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import html
import http.client
import http.cookies
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from tests.helpers import PASSWORD, totp_code

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')
_REFERENCE = re.compile(r"AVG-\d{4}-\d{5}")
CONFLICT_TEXT = "door iemand anders gewijzigd"
UNAVAILABLE_TEXT = "Even niet beschikbaar"


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One visitor: keeps its cookies, follows no redirects, never leaves 127.0.0.1.

    ``extra_headers`` go with every request (the security scan sends its scanners' User-Agent)."""

    extra_headers: dict[str, str] = {}

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        assert parts.hostname == "127.0.0.1", "the reliability suite talks to loopback only"
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", "Connection": "close", **self.extra_headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for header in raw.headers.get_all("Set-Cookie") or []:
                self._store_cookie(header)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()

    def _store_cookie(self, header: str) -> None:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            expired = morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0"
            if expired or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def form_token(self, path: str) -> tuple[Response, str]:
        """GET a page with a form and return it with its CSRF token."""
        page = self.get(path)
        match = _CSRF.search(page.text)
        if page.status != 200 or not match:
            raise AssertionError(f"GET {path}: {page.status}, no form: {page.text[:300]}")
        return page, html.unescape(match.group(1))


def intake_form(school_id: int, email: str, **overrides) -> dict:
    """A valid public request (a parent with authority asking for access)."""
    birth = dt.date.today().replace(day=1) - dt.timedelta(days=365 * 12)
    form = {"right": "access", "school_id": str(school_id), "student_name": "Sam Jansen",
            "student_birth_date": birth.isoformat(), "requester_role": "parent", "parental_authority": "yes",
            "requester_name": "Alex Jansen", "requester_email": email, "requester_phone": "", "details": "",
            "data_concerned": "", "correct_value": "",
            "step": "send"}  # the check step's "Verzoek versturen" (a bare POST only shows the check step)
    form.update(overrides)
    return form


def submit_request(base_url: str, school_id: int, email: str) -> str:
    """A parent's visit: load the form, post it, read the reference on the confirmation page."""
    browser = Browser(base_url)
    _, token = browser.form_token("/")
    posted = browser.post("/", {**intake_form(school_id, email), "csrf_token": token})
    if posted.status != 302 or not posted.location.endswith("/verzoek/ontvangen"):
        raise AssertionError(f"POST /: {posted.status} {posted.text[:300]}")
    confirmation = browser.get("/verzoek/ontvangen")
    match = _REFERENCE.search(confirmation.text)
    if confirmation.status != 200 or not match:
        raise AssertionError(f"confirmation page: {confirmation.status} {confirmation.text[:300]}")
    return match.group(0)


def sign_in(base_url: str, email: str, *, code_offset: int = 0) -> Browser:
    """A staff member signs in with password and TOTP code (one sign-in per user per 30 s)."""
    browser = Browser(base_url)
    _, token = browser.form_token("/medewerkers/inloggen")
    first = browser.post("/medewerkers/inloggen", {"email": email, "password": PASSWORD, "csrf_token": token})
    assert first.status == 302 and first.location.endswith("/medewerkers/tweede-stap"), (first.status, first.text[:500])
    _, token = browser.form_token("/medewerkers/tweede-stap")
    second = browser.post("/medewerkers/tweede-stap", {"code": totp_code(email, code_offset), "csrf_token": token})
    assert second.status == 302, (second.status, second.text[:500])
    return browser


def case_form(browser: Browser, case_id: int) -> tuple[str, int]:
    """Open a case page as staff; return the CSRF token and the case version its forms carry."""
    page, token = browser.form_token(f"/zaken/{case_id}")
    match = _VERSION.search(page.text)
    assert match, page.text[:500]
    return token, int(match.group(1))


def operations_pending(browser: Browser) -> tuple[int, str]:
    """The operations page (admins, privacy officer): the number of mails waiting, and the page."""
    page = browser.get("/beheer/systeem/")
    assert page.status == 200, (page.status, page.text[:300])
    match = re.search(r'id="outbox-pending">(\d+)<', page.text)
    assert match, page.text[:500]
    return int(match.group(1)), page.text


def post_step(browser: Browser, case_id: int, trigger: str, token: str, version: int, **data) -> Response:
    return browser.post(f"/zaken/{case_id}/stap/{trigger}", {"csrf_token": token, "version": version, **data})


@dataclass
class RunResult:
    """Outcome of a bounded concurrent run."""

    ok: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    seconds: float = 0.0
    latencies: list = field(default_factory=list)

    @property
    def p95_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


def run_bounded(tasks, concurrency: int, deadline_seconds: float) -> RunResult:
    """Run ``tasks`` (callables) at most ``concurrency`` at a time; collect results and errors.
    Tasks not started within ``deadline_seconds`` count as errors (the run stays bounded)."""
    result, lock = RunResult(), threading.Lock()
    started = time.monotonic()
    stop_at = started + deadline_seconds

    def run(task):
        if time.monotonic() > stop_at:
            with lock:
                result.errors.append("not started: run deadline passed")
            return
        t0 = time.monotonic()
        try:
            value = task()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none is fatal to the run
            with lock:
                result.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return
        with lock:
            result.ok.append(value)
            result.latencies.append(time.monotonic() - t0)

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, tasks))
    result.seconds = time.monotonic() - started
    return result
