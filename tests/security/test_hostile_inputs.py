"""Hostile inputs on every public and staff form and URL: each gets the right refusal, nothing is
stored or leaked, nothing answers 500. The number of inputs tried is reported at the end."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from dsr.extensions import db
from dsr.models import AuditEvent, Case, OutboxMessage, User
from tests.helpers import intake_data, link_in, login, submit
from tests.security.helpers import count

PAYLOADS = {
    "xss_script": '<script>alert("dsr")</script>',
    "xss_attr": '"><img src=x onerror=alert(1)>',
    "sql": "' OR '1'='1'; DROP TABLE cases;--",
    "header_injection": "Naam\r\nBcc: evil@example.com",
    "path_traversal": "../../../../etc/passwd",
    "template": "{{ config.SECRET_KEY }}{% raw %}",
    "nul_byte": "abc\x00def",
    "bidi": "Zoë \u202egnp.exe",
    "very_long": "A" * 20_000,
    "number_overflow": "9" * 40,
    "json_like": '{"$gt": ""}',
}
#: Text that must never appear in a response: an unescaped payload or an evaluated template.
FORBIDDEN_IN_RESPONSE = ('<script>alert("dsr")</script>', "<img src=x onerror=alert(1)>", "test-secret")


@dataclass
class FormSpec:
    """One form: where it posts, who posts it, and valid data to mutate field by field."""

    name: str
    url: Callable[[dict], str]
    role: str | None
    data: Callable[[dict], dict]
    skip_fields: set = field(default_factory=set)


def _case_url(suffix: str) -> Callable[[dict], str]:
    return lambda ctx: f"/zaken/{ctx['case_a']}{suffix}"


FORMS = [
    FormSpec("intake", lambda ctx: "/", None, lambda ctx: intake_data(ctx["school_a"])),
    FormSpec("login", lambda ctx: "/medewerkers/inloggen", None,
             lambda ctx: {"email": "staff-a@asg.test", "password": "wrong but long enough"}),
    FormSpec("forgot_password", lambda ctx: "/medewerkers/wachtwoord-vergeten", None,
             lambda ctx: {"email": "staff-a@asg.test"}),
    FormSpec("reset_password", lambda ctx: "/medewerkers/wachtwoord/not-a-token", None,
             lambda ctx: {"password": "een nieuw wachtwoord", "confirm": "een nieuw wachtwoord"}),
    FormSpec("verify_identity", _case_url("/stap/verify_identity"), "staff_a",
             lambda ctx: {"version": ctx["version"], "method": "portal", "authority": "yes", "reason": "ok"}),
    FormSpec("request_information", _case_url("/stap/request_information"), "staff_a",
             lambda ctx: {"version": ctx["version"], "kind": "identity", "reason": "Graag inloggen."}),
    FormSpec("withdraw", _case_url("/stap/withdraw"), "staff_a",
             lambda ctx: {"version": ctx["version"], "reason": "Ingetrokken per mail."}),
    FormSpec("extend", _case_url("/verlengen"), "staff_a",
             lambda ctx: {"version": ctx["version"], "reasons": "volume", "reason": "Veel systemen."}),
    # Issue 15: an internal note and an assignment on the case page.
    FormSpec("case_note", _case_url("/notities"), "staff_a", lambda ctx: {"body": "Vader belt terug."}),
    FormSpec("assign", _case_url("/toewijzen"), "staff_a",
             lambda ctx: {"version": ctx["version"], "assignee_id": "0"}),
    FormSpec("queue_filters", lambda ctx: "/zaken/", "staff_a",
             lambda ctx: {"status": "submitted", "type": "access", "binnen": "10", "te_laat": "1",
                          "school": str(ctx["school_a"]), "na": "2026-01-01.1"}),
]


def _client(app, people, role):
    client = app.test_client()
    if role:
        login(client, people.email[role])
    return client


def _check_response(response, label):
    assert response.status_code < 500, f"{label}: HTTP {response.status_code}"
    body = response.get_data(as_text=True)
    for forbidden in FORBIDDEN_IN_RESPONSE:
        assert forbidden not in body, f"{label}: response contains {forbidden!r}"


def _snapshot(app):
    with app.app_context():
        return {
            "cases": db.session.execute(sa.select(sa.func.count(Case.id))).scalar(),
            "states": tuple(db.session.execute(sa.select(Case.state).order_by(Case.id)).scalars()),
            "users": tuple(db.session.execute(sa.select(User.email, User.password_hash).order_by(User.id)).all()),
        }


@pytest.fixture
def ctx(app, client, people):
    case_a = submit(client, people.school_a)
    case_b = submit(client, people.school_b)
    with app.app_context():
        version = db.session.get(Case, case_a).version
    return {"school_a": people.school_a, "school_b": people.school_b, "case_a": case_a, "case_b": case_b,
            "version": version}


@pytest.mark.parametrize("spec", FORMS, ids=[f.name for f in FORMS])
def test_every_field_of_every_form_survives_every_payload(app, people, ctx, spec):
    client = _client(app, people, spec.role)
    base = spec.data(ctx)
    method = client.get if spec.name == "queue_filters" else client.post
    before = _snapshot(app)
    tried = 0
    for field_name in sorted(set(base) - spec.skip_fields - {"version"}):
        for payload_name, payload in PAYLOADS.items():
            data = dict(base, **{field_name: payload})
            kwargs = {"query_string": data} if method is client.get else {"data": data}
            response = method(spec.url(ctx), **kwargs)
            _check_response(response, f"{spec.name}.{field_name}={payload_name}")
            tried += 1
    count("field payloads", tried)
    after = _snapshot(app)
    # A hostile value is refused at the field, or stored as text and escaped: never a new user, never a
    # changed password, and staff forms with hostile values never moved a case to an unexpected state.
    assert after["users"] == before["users"]
    if spec.name == "intake":
        with app.app_context():
            stored = db.session.execute(sa.select(Case.student_name, Case.requester_email)).all()
        for name, email in stored:
            assert "\r" not in name and "\n" not in name and "\r" not in email and "\n" not in email
            assert "\x00" not in name


def test_stored_hostile_text_is_escaped_on_the_case_page_and_in_mail(app, client, people, run_jobs, smtp_server):
    case_id = submit(client, people.school_a, details=PAYLOADS["xss_script"] + PAYLOADS["xss_attr"],
                     data_concerned=PAYLOADS["template"])
    staff = _client(app, people, "staff_a")
    page = staff.get(f"/zaken/{case_id}")
    _check_response(page, "case page")
    assert "&lt;script&gt;alert(&#34;dsr&#34;)&lt;/script&gt;" in page.get_data(as_text=True)
    run_jobs()
    for message in smtp_server.messages:
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    count("stored xss", 3)


def test_oversized_bodies_get_413_and_store_nothing(app, people, ctx):
    staff = _client(app, people, "staff_a")
    public = app.test_client()
    before = _snapshot(app)
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    targets = [(public, "/", {"details": "x" * (2 * 1024 * 1024 + 1)}),
               (public, "/medewerkers/inloggen", {"email": huge}),
               (staff, f"/zaken/{ctx['case_a']}/stap/withdraw", {"reason": huge}),
               (staff, f"/zaken/{ctx['case_a']}/verlengen", {"reason": huge})]
    for client, url, data in targets:
        response = client.post(url, data=data)
        assert response.status_code == 413, url
        assert "Te groot" in response.get_data(as_text=True)
    count("oversized bodies", len(targets))
    assert _snapshot(app) == before


def test_wrong_content_types_never_500(app, people, ctx):
    staff = _client(app, people, "staff_a")
    public = app.test_client()
    targets = [(public, "/"), (public, "/medewerkers/inloggen"),
               (staff, f"/zaken/{ctx['case_a']}/stap/verify_identity"), (staff, f"/zaken/{ctx['case_a']}/verlengen")]
    bodies = [("application/json", '{"right": "access"}'), ("text/xml", "<a>&xxe;</a>"),
              ("multipart/form-data; boundary=broken", "--broken\r\nnonsense"),
              ("application/octet-stream", "\x00\x01")]
    before = _snapshot(app)
    for client, url in targets:
        for content_type, body in bodies:
            response = client.post(url, data=body, content_type=content_type)
            _check_response(response, f"{url} as {content_type}")
    count("wrong content types", len(targets) * len(bodies))
    assert _snapshot(app) == before


def test_missing_csrf_token_is_refused_everywhere(csrf_app, app, people, ctx):
    before = _snapshot(app)
    client = csrf_app.test_client()
    posts = ["/", "/medewerkers/inloggen", "/medewerkers/wachtwoord-vergeten", "/medewerkers/tweede-stap",
             "/medewerkers/uitloggen", f"/zaken/{ctx['case_a']}/stap/withdraw", f"/zaken/{ctx['case_a']}/verlengen"]
    for url in posts:
        response = client.post(url, data={"reason": "x", "email": "staff-a@asg.test"})
        assert response.status_code in (400, 302), url  # 302: sign-in required first
        if response.status_code == 400:
            assert "beveiligingscode" in response.get_data(as_text=True)
    count("missing csrf", len(posts))
    assert _snapshot(app) == before


def _confirm_token(app, client, people, run_jobs, smtp_server):
    submit(client, people.school_a, requester_email="token@example.nl")
    run_jobs()
    [receipt] = [m for m in smtp_server.messages if m["To"] == "token@example.nl"]
    return link_in(receipt.get_body(preferencelist=("plain",)).get_content()).rsplit("/", 1)[1]


def test_tampered_expired_replayed_and_misused_tokens(app, client, people, run_jobs, smtp_server):
    from dsr.services.links import make_token

    token = _confirm_token(app, client, people, run_jobs, smtp_server)
    at = len(token) - 10  # inside the signature (its last character has bits that are never checked)
    tampered = [token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:], token + "x", token.upper(),
                "", "a" * 500, "../../etc/passwd", token.split(".")[0]]
    for bad in tampered:
        response = client.get(f"/bevestigen/{bad}") if bad else client.get("/bevestigen/")
        assert response.status_code in (400, 404), bad[:20]
        _check_response(response, "tampered")
    with app.app_context(), app.test_request_context():
        with mock.patch("time.time", return_value=time.time() - 20 * 86400):
            expired = make_token("confirm-email", {"n": "whatever"})
        wrong_purpose = make_token("password-reset", {"n": "whatever"})
        reset_for_confirm = make_token("confirm-email", {"u": 1, "h": "x"})
    assert "verlopen" in client.get(f"/bevestigen/{expired}").get_data(as_text=True)
    assert client.get(f"/bevestigen/{wrong_purpose}").status_code == 400
    assert client.post(f"/medewerkers/wachtwoord/{reset_for_confirm}",
                       data={"password": "x" * 14, "confirm": "x" * 14}).status_code == 400
    assert client.get(f"/bevestigen/{token}").status_code == 200
    # Replayed: nothing happens again; the page says the address is confirmed already (issue 14) and opens
    # no portal session in a browser that did not use the link first.
    other_browser = app.test_client()
    replayed = other_browser.get(f"/bevestigen/{token}")
    assert replayed.status_code == 200 and "al bevestigd" in replayed.get_data(as_text=True)
    assert other_browser.get("/mijn-verzoek/overzicht").status_code == 302
    count("tokens", len(tampered) + 5)


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        # dsr's id converter is an IntegerConverter with a maximum (dsr.DatabaseIdConverter).
        converters = {name: "IntegerConverter" if isinstance(conv, IntegerConverter) else type(conv).__name__
                      for name, conv in rule._converters.items()}
        if any(c == "IntegerConverter" for c in converters.values()):
            yield rule, converters


def test_other_schools_ids_are_not_found_on_every_route(app, people, ctx):
    """A school-B staff member gets no school-A object on any route that takes an id."""
    client = _client(app, people, "staff_b")
    tried = 0
    for rule, converters in _int_rules(app):
        values = {name: (ctx["case_a"] if conv == "IntegerConverter" else "verify_identity")
                  for name, conv in converters.items()}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"version": ctx["version"], "reason": "x"})
            if response.status_code == 302:  # e.g. a requester-only page sends a stranger to its start page
                assert not response.headers["Location"].startswith(url), f"{method} {url} redirects to itself"
                continue
            # The API takes a token, never a staff session: a staff member's browser is not signed in there (401).
            refused = (401, 403, 404, 405) if url.startswith("/api/v1/") else (403, 404, 405)
            assert response.status_code in refused, f"{method} {url}: {response.status_code}"
            tried += 1
    assert tried >= 4
    count("other school ids", tried)
    with app.app_context():
        assert db.session.get(Case, ctx["case_a"]).state == "submitted"
        assert not db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == ctx["case_a"], AuditEvent.actor_id == people.staff_b)).first()


def test_id_guessing_is_not_found(app, people, ctx):
    client = _client(app, people, "staff_a")
    for case_id in (0, 999999, 2**31 - 1):
        assert client.get(f"/zaken/{case_id}").status_code == 404
    for raw in ("-1", "1.5", "abc", "1%00", "%2e%2e"):
        assert client.get(f"/zaken/{raw}").status_code == 404
    count("guessed ids", 8)


def test_unknown_workflow_steps_and_methods(app, people, ctx):
    client = _client(app, people, "staff_a")
    for trigger in ("to_fulfilled", "__init__", "fire", "approve_refusal%00", "reopen"):
        response = client.post(f"/zaken/{ctx['case_a']}/stap/{trigger}",
                               data={"version": ctx["version"], "reason": "x"})
        assert response.status_code in (404, 409), trigger
    assert client.get(f"/zaken/{ctx['case_a']}/stap/withdraw").status_code == 405
    count("workflow probes", 6)
    with app.app_context():
        assert db.session.get(Case, ctx["case_a"]).state == "submitted"


def test_no_personal_data_in_urls_or_logs(app, client, people, caplog, run_jobs):
    caplog.set_level("DEBUG")
    response = client.post("/", data=intake_data(people.school_a, requester_email="geheim@example.nl",
                                                 student_name="Geheime Naam"))
    assert "geheim" not in response.headers["Location"].lower()
    run_jobs()
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.id)).scalars().all()
    assert rows
    # Everything dsr, Flask, SQLAlchemy and RQ logged (the test's own SMTP server is not dsr).
    ours = " ".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")).lower()
    assert ours and "geheim@example.nl" not in ours and "geheime naam" not in ours
    count("log leak probes", 1)


#: Field names used across dsr's forms; a generic post fills all of them with the same payload.
COMMON_FIELDS = ("reason", "body", "reference", "email", "student_email", "note", "name", "purpose", "field",
                 "old_value", "new_value", "evidence", "statement", "category_id", "recipient_id", "kind",
                 "decision", "answer", "scope", "confirm", "version", "exception", "legal_basis", "source")


@pytest.mark.parametrize("role", ["staff_a", "privacy", None])
def test_every_post_route_survives_every_payload_in_every_common_field(app, people, ctx, role):
    """Every POST route of the app (public, portal, staff, fulfilment, register, operations), with each
    payload in every common field name: never a server error, never a reflected script."""
    client = _client(app, people, role)
    tried = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout", "portal.sign_out", "consent.sign_out"):
            continue
        values = {name: (ctx["case_a"] if isinstance(conv, IntegerConverter) else "x")
                  for name, conv in rule._converters.items()}
        url = rule.build(values)[1]
        for payload_name, payload in PAYLOADS.items():
            response = client.post(url, data={name: payload for name in COMMON_FIELDS})
            _check_response(response, f"{role} POST {url} {payload_name}")
            tried += 1
    count("post routes x payloads", tried)
    with app.app_context():
        assert db.session.get(Case, ctx["case_a"]).state == "submitted"


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_huge_ids_are_not_found_on_every_route(app, people, ctx, huge):
    """Issue 13 point 10: an id beyond what the database stores is "not found" on every route that takes
    one, never a 500 (SQLite and PostgreSQL refuse such a number as a query parameter)."""
    client = _client(app, people, "privacy")
    tried = 0
    for rule, converters in _int_rules(app):
        values = {name: (huge if conv == "IntegerConverter" else "verify_identity")
                  for name, conv in converters.items()}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"version": "1", "reason": "x"})
            assert response.status_code in (302, 403, 404, 405), f"{method} {url}: {response.status_code}"
            tried += 1
    assert tried >= 4
    count("huge ids", tried)
