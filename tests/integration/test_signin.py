"""Staff sign-in: TOTP for every role, no code replay, recovery codes, lockout, rate limits,
sign-out everywhere, idle and absolute timeouts, password reset, security headers."""
from __future__ import annotations

import base64
import json
import re
import time
import zlib

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, User
from tests.helpers import PASSWORD, link_in, login, totp_code

LOGIN, SECOND = "/medewerkers/inloggen", "/medewerkers/tweede-stap"


def _password(client, email, password=PASSWORD):
    return client.post(LOGIN, data={"email": email, "password": password})


def test_password_alone_does_not_sign_in(app, people):
    client = app.test_client()
    response = _password(client, people.email["staff_a"])
    assert response.headers["Location"].endswith(SECOND)
    assert client.get("/zaken/").status_code == 302  # still not signed in
    assert client.post(SECOND, data={"code": "000000"}).status_code == 200
    assert client.get("/zaken/").status_code == 302


def test_totp_code_signs_in_once(app, people):
    email = people.email["staff_a"]
    first = app.test_client()
    _password(first, email)
    code = totp_code(email)
    assert first.post(SECOND, data={"code": code}).status_code == 302
    assert first.get("/zaken/").status_code == 200
    replay = app.test_client()
    _password(replay, email)
    page = replay.post(SECOND, data={"code": code})
    assert page.status_code == 200 and "al gebruikt" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "auth.sign_in")).scalar() == 1


def test_enrolment_shows_a_qr_code_and_recovery_codes_work_once(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dsr", "create-user", "nieuw@asg.test", "--role", "staff", "--school", "AAA"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert _password(client, "nieuw@asg.test").headers["Location"].endswith("/medewerkers/instellen")
    page = client.get("/medewerkers/instellen").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="reference">([A-Z2-7]+)</code>', page).group(1)
    import pyotp

    wrong = client.post("/medewerkers/instellen", data={"code": "123456"})
    assert wrong.status_code == 200 and "klopt niet" in wrong.get_data(as_text=True)
    done = client.post("/medewerkers/instellen", data={"code": pyotp.TOTP(secret).now()})
    assert done.headers["Location"].endswith("/medewerkers/herstelcodes")
    codes = re.findall(r'<code class="reference">([0-9a-f]{6}-[0-9a-f]{6})</code>',
                       client.get("/medewerkers/herstelcodes").get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/medewerkers/herstelcodes").status_code == 404  # shown once
    other = app.test_client()
    _password(other, "nieuw@asg.test")
    assert other.post(SECOND, data={"code": codes[0]}).status_code == 302
    again = app.test_client()
    _password(again, "nieuw@asg.test")
    assert again.post(SECOND, data={"code": codes[0]}).status_code == 200  # single use


def test_lockout_after_repeated_failures(app, people):
    email = people.email["staff_b"]
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert "Inloggen is niet gelukt" in _password(client, email, "wrong password!!").get_data(as_text=True)
    blocked = _password(client, email)  # right password, but locked: the same general answer
    assert blocked.status_code == 200 and "Inloggen is niet gelukt" in blocked.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, people.staff_b)
        user.locked_until = None
        db.session.commit()
    assert _password(client, email).headers["Location"].endswith(SECOND)


def test_sign_in_is_rate_limited(app, people):
    client = app.test_client()
    statuses = [_password(client, "niemand@asg.test", "x" * 12).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_sign_out_everywhere_kills_copied_cookies(app, people):
    email = people.email["staff_a"]
    client = app.test_client()
    login(client, email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/zaken/").status_code == 200
    client.post("/medewerkers/uitloggen")
    assert copy.get("/zaken/").status_code == 302


@pytest.mark.parametrize("key, age", [("last_seen", 31 * 60), ("signed_in_at", 11 * 3600)],
                         ids=["idle", "absolute"])
def test_session_timeouts(app, people, key, age):
    client = app.test_client()
    login(client, people.email["staff_a"])
    assert client.get("/zaken/").status_code == 200
    with client.session_transaction() as session:
        session[key] = time.time() - age
    assert client.get("/zaken/").status_code == 302


def test_password_reset_by_mail(app, people, smtp_server, run_jobs):
    email = people.email["staff_a"]
    client = app.test_client()
    response = client.post("/medewerkers/wachtwoord-vergeten", data={"email": email})
    assert response.status_code == 302
    client.post("/medewerkers/wachtwoord-vergeten", data={"email": "onbekend@asg.test"})  # same answer, no mail
    run_jobs()
    [mail] = smtp_server.messages
    link = link_in(mail.get_body(preferencelist=("plain",)).get_content())
    path = link.replace("http://dsr.test", "")
    new_password = "een heel nieuw wachtwoord"
    mismatch = client.post(path, data={"password": new_password, "confirm": "iets anders dan dat"})
    assert mismatch.status_code == 200 and "niet gelijk" in mismatch.get_data(as_text=True)
    assert client.post(path, data={"password": new_password, "confirm": new_password}).status_code == 302
    assert client.post(path, data={"password": new_password, "confirm": new_password}).status_code == 400
    assert "Inloggen is niet gelukt" in _password(app.test_client(), email).get_data(as_text=True)
    assert _password(app.test_client(), email, new_password).headers["Location"].endswith(SECOND)


def test_security_headers(app, people):
    client = app.test_client()
    public = client.get("/")
    csp = public.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "script-src 'self'" in csp
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert public.headers["X-Frame-Options"] == "DENY"
    assert "no-store" not in public.headers.get("Cache-Control", "")
    login(client, people.email["staff_a"])
    assert client.get("/zaken/").headers["Cache-Control"] == "no-store"


def test_a_reset_link_reveals_neither_the_user_id_nor_the_password_hash(app, people, smtp_server, run_jobs):
    """Issue 13 point 10: the token's payload is readable by anyone who has the link (it is signed, not
    encrypted), so it holds only a keyed digest: no user id, no piece of the password hash."""
    client = app.test_client()
    client.post("/medewerkers/wachtwoord-vergeten", data={"email": people.email["staff_a"]})
    run_jobs()
    [mail] = smtp_server.messages
    token = link_in(mail.get_body(preferencelist=("plain",)).get_content()).rsplit("/", 1)[1]
    # As anyone holding the link can: base64 (zlib-compressed when the token starts with a dot), no key.
    encoded = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    payload = json.loads(zlib.decompress(raw) if token.startswith(".") else raw)
    with app.app_context():
        password_hash = db.session.get(User, people.staff_a).password_hash
    values = [str(v) for v in payload.values()]
    assert str(people.staff_a) not in values and "u" not in payload
    assert not any(piece in password_hash for piece in values if len(piece) >= 6)
