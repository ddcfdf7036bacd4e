"""Sign-in through a real OpenID provider: dsr served by werkzeug in a thread (CSRF on, the suite's database,
Redis and SMTP server) and oidc-provider under node (tests/sso/provider.py), both on 127.0.0.1; a test drives
them with httpx, one cookie jar per browser, following redirects by hand."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pyotp
import pytest
from werkzeug.serving import make_server

from dsr.extensions import db
from dsr.models import School, SsoGroupMapping
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.helpers import PASSWORD, make_test_app, totp_secret_for
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, TestProvider, missing_reason

BREAK_GLASS = "noodbeheer@asg.test"
GROUP_STAFF_A = "grp-leerlingadministratie-a"
GROUP_DIRECTOR_B = "grp-directie-b"
GROUP_UNMAPPED = "grp-conciërges"


def default_accounts() -> dict[str, dict[str, Any]]:
    """The provider's accounts at the start of every test (their ids are the provider's ``sub``)."""
    return {
        "anna": {"email": "anna@asg.test", "name": "Anna de Vries", "groups": [GROUP_STAFF_A], "amr": ["pwd", "mfa"]},
        "bram": {"email": "bram@asg.test", "name": "Bram Jansen", "groups": [GROUP_DIRECTOR_B], "amr": ["pwd"]},
        "cor": {"email": "cor@asg.test", "name": "Cor Bakker", "groups": [GROUP_UNMAPPED], "amr": ["pwd", "mfa"]},
        # Like a provider that sends the groups from its userinfo endpoint only.
        "dirk": {"email": "dirk@asg.test", "name": "Dirk Smit", "groups": [GROUP_STAFF_A], "amr": ["mfa"],
                 "groups_in_userinfo": True},
    }


class Browser:
    """One browser: its own cookie jar (shared by dsr and the provider, as cookies ignore ports), redirects
    followed by hand so a test sees every hop."""

    def __init__(self) -> None:
        self.http = httpx.Client(timeout=10, follow_redirects=False)
        self.hops: list[tuple[str, int]] = []

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, url, **kwargs)
        self.hops.append((url, response.status_code))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def follow(self, response: httpx.Response, limit: int = 15) -> httpx.Response:
        """Follow the redirects from ``response`` (GET each Location) until a page answers."""
        while response.is_redirect:
            limit -= 1
            assert limit > 0, f"too many redirects: {self.hops}"
            response = self.get(urljoin(str(response.url), response.headers["location"]))
        return response

    def visited(self, path: str) -> list[int]:
        """The statuses of the hops whose URL path is ``path``."""
        return [status for url, status in self.hops if urlsplit(url).path == path]


def csrf_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {page.url}"
    return match.group(1)


@dataclass
class SsoSite:
    """dsr with the provider configured, the provider itself, and ids of the seeded rows."""

    url: str
    app: Any
    provider: TestProvider
    school_a: int
    school_b: int
    browsers: list[Browser] = field(default_factory=list)

    def browser(self) -> Browser:
        browser = Browser()
        self.browsers.append(browser)
        return browser

    def start_at_provider(self, browser: Browser) -> httpx.Response:
        """Click "Inloggen met uw schoolaccount" and arrive at the provider's sign-in page."""
        start = browser.get(f"{self.url}/medewerkers/sso")
        assert start.status_code == 302, start.text
        assert start.headers["location"].startswith(self.provider.issuer)
        page = browser.follow(start)
        assert page.status_code == 200 and "/interaction/" in str(page.url), page.text
        return page

    def login_at_provider(self, browser: Browser, page: httpx.Response, account: str) -> httpx.Response:
        """Sign in at the provider's page as ``account``; returns the provider's redirect back to dsr."""
        uid = urlsplit(str(page.url)).path.rsplit("/", 1)[-1]
        response = browser.post(f"{self.provider.issuer}/interaction/{uid}/login", data={"account": account})
        assert response.status_code == 303, response.text
        response = browser.get(urljoin(self.provider.issuer, response.headers["location"]))  # the provider resumes
        assert response.is_redirect and response.headers["location"].startswith(f"{self.url}/medewerkers/sso/terug"), \
            (response.status_code, response.headers.get("location"), response.text)
        return response

    def sign_in(self, browser: Browser, account: str) -> httpx.Response:
        """The whole flow; returns dsr's answer to the callback (not followed)."""
        back = self.login_at_provider(browser, self.start_at_provider(browser), account)
        return browser.get(back.headers["location"])

    def signed_in(self, browser: Browser) -> bool:
        """Whether the browser's dsr session opens the staff queue."""
        response = browser.get(f"{self.url}/zaken/")
        return response.status_code == 200 and "/medewerkers/inloggen" not in str(response.url)

    def second_step(self, browser: Browser, page: httpx.Response, secret: str) -> httpx.Response:
        """Type the TOTP code on dsr's second-step (or enrolment) page."""
        code = pyotp.TOTP(secret).now()
        return browser.post(str(page.url), data={"csrf_token": csrf_token(page), "code": code})

    def break_glass_signs_in(self) -> Browser:
        """The break-glass admin signs in with password and TOTP code; returns the browser."""
        browser = self.browser()
        login = browser.get(f"{self.url}/medewerkers/inloggen")
        assert login.status_code == 200
        step = browser.post(f"{self.url}/medewerkers/inloggen",
                            data={"csrf_token": csrf_token(login), "email": BREAK_GLASS, "password": PASSWORD})
        assert step.status_code == 302 and step.headers["location"] == "/medewerkers/tweede-stap", step.text
        page = browser.get(f"{self.url}/medewerkers/tweede-stap")
        done = self.second_step(browser, page, totp_secret_for(BREAK_GLASS))
        assert done.status_code == 302 and done.headers["location"] == "/beheer/gebruikers", done.text
        assert browser.get(f"{self.url}/beheer/gebruikers").status_code == 200
        return browser

    def with_db(self):
        return self.app.app_context()


@pytest.fixture
def sso_site(app, tmp_path, redis_server, smtp_server, file_storage) -> Iterator[SsoSite]:
    """dsr configured for the test provider (the suite's database, emptied after the test), two schools,
    the group table (staff at A, director at B), the break-glass admin enrolled in TOTP, and the provider
    with :func:`default_accounts` running. Without node or oidc-provider: fails with what to run."""
    reason = missing_reason()
    if reason:
        pytest.fail(reason, pytrace=False)
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    provider = TestProvider(tmp_path, base_url, default_accounts())
    site_app = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"], redis_server, smtp_server, WTF_CSRF_ENABLED=True,
        PUBLIC_BASE_URL=base_url, FILE_STORAGE=file_storage, OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET, SSO_BREAK_GLASS_EMAIL=BREAK_GLASS)
    with site_app.app_context():
        a = School(code="AAA", name="School A")
        b = School(code="BBB", name="School B")
        db.session.add_all([a, b])
        db.session.flush()
        db.session.add_all([SsoGroupMapping(group=GROUP_STAFF_A, role="staff", schools=[a]),
                            SsoGroupMapping(group=GROUP_DIRECTOR_B, role="director", schools=[b])])
        enrol_with_secret(create_user(BREAK_GLASS, "Noodbeheer", "admin", PASSWORD, []), totp_secret_for(BREAK_GLASS))
        db.session.commit()
        site = SsoSite(url=base_url, app=site_app, provider=provider, school_a=a.id, school_b=b.id)
        db.session.remove()
    holder["app"] = site_app
    thread = threading.Thread(target=server.serve_forever, name="dsr-sso-live-server", daemon=True)
    thread.start()
    try:
        provider.start()
        yield site
    finally:
        for browser in site.browsers:
            browser.close()
        provider.stop()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with site_app.app_context():
            db.session.remove()
            db.engine.dispose()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)
