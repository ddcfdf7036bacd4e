"""What the outside scanner could not see on the plain-HTTP demo, checked with production's settings.

Wapiti reported "no HTTPS redirection" (SCAN-1) and cookies without Secure (SCAN-2) because the demo runs
on plain HTTP on loopback. docs/security.md explains both by DSR_FORCE_HTTPS, DSR_HSTS_SECONDS and
DSR_SESSION_COOKIE_SECURE; these tests show that those settings do what the explanation says. They also
show the ASVS rows that are about headers and methods (no CORS, no TRACE, a charset on every answer).

The app is built in a child process: Flask-Talisman keeps its options on one module-level object, so an app
built here with FORCE_HTTPS would redirect every later test of this process to https.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

_PROBE = r"""
import json, sys
from types import SimpleNamespace
from dsr.extensions import db
from tests.helpers import make_test_app

redis, database, production = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
settings = dict(FORCE_HTTPS=True, HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True) if production else {}
app = make_test_app("sqlite:///" + database, SimpleNamespace(url=redis), SimpleNamespace(host="127.0.0.1", port=1),
                    WTF_CSRF_ENABLED=True, **settings)
with app.app_context():
    db.create_all()
client = app.test_client()
base = "https://avg.test" if production else "http://avg.test"
answers = {}
def keep(name, response):
    answers[name] = {"status": response.status_code, "headers": {k: v for k, v in response.headers.items()},
                     "cookies": response.headers.getlist("Set-Cookie")}
keep("plain_http", client.get("/medewerkers/inloggen", base_url="http://avg.test"))
page = client.get("/medewerkers/inloggen", base_url=base)
keep("sign_in", page)
token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
keep("language", client.post("/taal", data={"lang": "en", "next": "/", "csrf_token": token}, base_url=base,
                             headers={"Referer": base + "/medewerkers/inloggen"}))
keep("cross_origin", client.get("/", base_url=base, headers={"Origin": "https://evil.example"}))
keep("preflight", client.open("/mijn-verzoek", method="OPTIONS", base_url=base,
                              headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}))
keep("trace", client.open("/", method="TRACE", base_url=base))
keep("script", client.get("/static/intake.js", base_url=base))
keep("register_csv", client.get("/verwerkingsregister/register.csv", base_url=base))
print(json.dumps(answers))
"""


def _answers(redis_server, folder, production: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE, redis_server.url, str(folder / "probe.sqlite"),
                           "1" if production else "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(redis_server, tmp_path_factory):
    """The answers of one app with production's settings (built once: each build is a child process)."""
    return _answers(redis_server, tmp_path_factory.mktemp("production"), production=True)


def test_https_redirect_and_hsts_in_production(production, redis_server, tmp_path):
    """SCAN-1: with DSR_FORCE_HTTPS a plain-HTTP request is sent to HTTPS; HSTS lasts a year, subdomains too."""
    plain = production["plain_http"]
    assert plain["status"] in (301, 302) and plain["headers"]["Location"].startswith("https://avg.test/")
    hsts = production["sign_in"]["headers"]["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    demo = _answers(redis_server, tmp_path, production=False)
    assert demo["plain_http"]["status"] == 200 and "Strict-Transport-Security" not in demo["sign_in"]["headers"]


def _cookie(answer: dict, name: str) -> str:
    return next(c for c in answer["cookies"] if c.startswith(name + "="))


def test_secure_cookies_in_production(production):
    """SCAN-2: with DSR_SESSION_COOKIE_SECURE the session and language cookies are Secure, HttpOnly, Lax."""
    for answer, name in ((production["sign_in"], "session"), (production["language"], "dsr_lang")):
        cookie = _cookie(answer, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert "Domain=" not in cookie, cookie  # host-only


def test_no_cors_headers_for_another_origin(production):
    for name in ("cross_origin", "preflight"):
        assert not any(h.lower().startswith("access-control-") for h in production[name]["headers"]), name


def test_trace_is_not_allowed(production):
    assert production["trace"]["status"] == 405


def test_every_answer_names_its_type_and_charset(production):
    for name in ("sign_in", "cross_origin", "script", "register_csv"):
        content_type = production[name]["headers"]["Content-Type"]
        assert "charset=utf-8" in content_type.lower(), (name, content_type)
