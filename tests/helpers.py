"""Helpers for tests: the test app, sign in, submit the public form, post a workflow step, read mails, the
Procfile. Fixtures live in the conftest.py files."""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from dsr import create_app
from dsr.extensions import db
from dsr.models import Case
from dsr.models.audit import guard_statements, unguard_statements

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
FILE_KEY = "kQtG3mQ2q0j7kC5T8i2f0p3m7s9w1y4b6d8f0h2j4l0="  # a fixed Fernet key for tests only
AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"  # signs the audit chain in tests only
#: The fixtures of the suite's shared state (tests/conftest.py): a test that uses any of them, directly or
#: through another fixture, gets the app and starts with empty tables, Redis and mailbox; others start none.
SHARED_STATE = frozenset({"app", "database_url", "redis_server", "smtp_server"})


def make_test_app(url: str, redis_server, smtp_server, **overrides):
    """An app wired to the test services; CSRF off unless overridden."""
    config = {
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False, "REDIS_URL": redis_server.url,
        "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port, "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_BASE_URL": "http://dsr.test",
        "FILE_KEYS": [FILE_KEY], "AUDIT_KEYS": [AUDIT_KEY],
        # Still argon2id, with cheap parameters: the suite hashes hundreds of passwords.
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "OUTBOX_REDRIVE_AFTER_SECONDS": 0, "MAIL_TIMEOUT": 5,
        # Tests send many requests from one client to one address; the limits' own tests set theirs.
        "INTAKE_LIMIT_PER_CLIENT": "1000 per hour", "INTAKE_LIMIT_PER_RECIPIENT": "1000 per hour",
        # Every test empties the tables, so a school list kept from the test before would name schools that are
        # gone: not kept, unless a test asks (tests/integration/test_school_list_cache.py).
        "SCHOOL_LIST_CACHE_SECONDS": 0,
    }
    config.update(overrides)
    return create_app(config)


@contextmanager
def audit_guard_lifted(connection) -> Iterator[None]:
    """Inside this block, on ``connection`` and in its transaction, the append-only triggers of audit_events
    are gone: for the suite's cleanup between tests and for tests that tamper with the log on purpose. Only
    the table's owner can do this (the application's role cannot: docs/deployment.md). The triggers come
    back before the block ends, in the same transaction."""
    dialect = connection.dialect.name
    for statement in unguard_statements(dialect):
        connection.exec_driver_sql(statement)
    yield
    for statement in guard_statements(dialect):
        connection.exec_driver_sql(statement)


def tamper_audit(app, sql: str, **params) -> int:
    """Run ``sql`` on the audit log past its guard, as an attacker with the owner's rights would; committed.
    Returns the number of rows it changed."""
    with app.app_context():
        connection = db.session.connection()
        with audit_guard_lifted(connection):
            count = connection.execute(sa.text(sql), params).rowcount
        db.session.commit()
        db.session.remove()
    return count
def plain_pdf(text: str = "") -> bytes:
    """A small, readable one-page PDF without active content: what the upload checks accept
    (dsr/services/pdf_safety.py parses every PDF). ``text`` goes into the document information, so two
    calls with different texts give different files."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def procfile() -> dict[str, str]:
    """``name: command`` lines of the Procfile."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def totp_secret_for(email: str) -> str:
    """The fixed TOTP secret the ``people`` fixture enrols for ``email`` (base32, derived from it)."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(email.encode()).digest()[:20]).decode()


def totp_code(email: str, offset_steps: int = 0) -> str:
    """The authenticator code for ``email`` now (or some 30-second steps away)."""
    import time

    import pyotp

    return pyotp.TOTP(totp_secret_for(email)).at(time.time() + 30 * offset_steps)


def login(client, email: str, password: str = PASSWORD, *, fresh: bool = False):
    """Sign in through the real forms: password, then the TOTP code.

    A code is accepted once per 30 seconds, as in production; a second sign-in of the same user in
    one test therefore reuses the first session (a second browser tab), unless ``fresh``.
    """
    sessions = client.application.extensions.setdefault("test_sessions", {})
    if email in sessions and not fresh:
        client.set_cookie("session", sessions[email])
        return None
    response = client.post("/medewerkers/inloggen", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/medewerkers/instellen"):
        # Not enrolled yet (e.g. created by the CLI): scan the QR code like a new user would.
        import pyotp

        page = client.get("/medewerkers/instellen").get_data(as_text=True)
        secret = re.search(r'<code class="reference">([A-Z2-7]+)</code>', page).group(1)
        response = client.post("/medewerkers/instellen", data={"code": pyotp.TOTP(secret).now()})
    else:
        assert response.headers["Location"].endswith("/medewerkers/tweede-stap"), response.headers["Location"]
        response = client.post("/medewerkers/tweede-stap", data={"code": totp_code(email)})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    sessions[email] = client.get_cookie("session").value
    return response


def intake_data(school_id: int, **overrides) -> dict:
    """A valid public form submission (a parent with authority asking for access)."""
    data = {
        "right": "access", "school_id": str(school_id), "student_name": "Sam Jansen",
        "student_birth_date": (dt.date.today().replace(day=1) - dt.timedelta(days=365 * 12)).isoformat(),
        "requester_role": "parent", "parental_authority": "yes", "requester_name": "Alex Jansen",
        "requester_email": "alex.jansen@example.nl", "requester_phone": "", "details": "",
        "data_concerned": "", "correct_value": "",
        # The button on the check step (issue 11): posting it sends the request; without it, the form
        # answers with the check step ("Dit krijgt u") and sends nothing.
        "step": "send",
    }
    data.update(overrides)
    return data


def submit(client, school_id: int, **overrides) -> int:
    """Submit the public form as a visitor does (the check step, then "Verzoek versturen"); return the case id."""
    data = intake_data(school_id, **overrides)
    check = client.post("/", data={**data, "step": "check"})
    assert check.status_code == 200 and 'value="send"' in check.get_data(as_text=True), \
        check.get_data(as_text=True)[:2000]
    response = client.post("/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with client.session_transaction() as session:
        return session["submitted_case_id"]


def case_version(app, case_id: int) -> int:
    with app.app_context():
        return db.session.get(Case, case_id).version


def step(client, app, case_id: int, trigger: str, **data):
    """Post a workflow step form with the case's current version."""
    data.setdefault("version", case_version(app, case_id))
    response = client.post(f"/zaken/{case_id}/stap/{trigger}", data=data)
    assert "/medewerkers/inloggen" not in response.headers.get("Location", ""), "not signed in"
    return response


def link_in(text: str) -> str:
    """The first http(s) link in a mail body."""
    match = re.search(r"https?://\S+", text)
    assert match, text
    return match.group(0)


def case_count(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Case.id))).scalar_one()


def local_today() -> dt.date:
    """Today in Europe/Amsterdam, as the app computes it (without needing an app context)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def text_of(response) -> str:
    """A response's page as text, with HTML entities decoded (for ``in`` checks on what a person reads)."""
    return html.unescape(response.get_data(as_text=True))


def signed_in(app, people, who: str = "staff_a"):
    """A test client signed in as ``people.email[who]`` (password and authenticator code)."""
    client = app.test_client()
    login(client, people.email[who])
    return client
