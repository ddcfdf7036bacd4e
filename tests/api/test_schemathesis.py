"""Schemathesis against the running app: every operation of /api/v1/openapi.json, called over real HTTP.

dsr runs on a werkzeug server (a thread) over the suite's database (SQLite or DSR_TEST_DATABASE_URL), Redis and
SMTP server, with the rate limits raised so that the calls are not all 429. It is seeded with two schools, cases
in several states at both, API tokens (each permission, one school, expired, revoked) and a requester's portal
session. Schemathesis (``st run``, tests/api/schemathesis_run.py) then calls every operation with generated
valid and invalid input and checks each answer: never a 5xx; status code, content type and body as the document
says; an operation that needs a credential refuses a call without one (``ignored_auth``), and dsr's own checks
(tests/api/schemathesis_hooks.py): without a valid credential, or with a token lacking the permission, every
protected operation refuses (401/403); no answer carries a requester's or student's name or address, nor a case
of a school the token does not cover. Deterministic (Hypothesis derandomised) and bounded. A finding fails the
test with Schemathesis' own report: the check, the answer and a curl command that repeats the call.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from dsr.api.blueprint import PREFIX
from dsr.api.openapi import API_TOKEN, PORTAL_SESSION
from dsr.api.scopes import CASES_READ, FIGURES_READ, SCOPES
from dsr.extensions import db
from dsr.models import Case, School
from dsr.services import portal
from tests.api.schemathesis_run import api_token_row, run_schemathesis, served
from tests.helpers import intake_data, make_test_app, signed_in, step, submit

#: The permission each token-protected operation needs, by path. A new operation under another path fails
#: test_every_token_operation_has_a_known_permission until it is added here (or names its scope in the document).
SCOPE_BY_PATH = ((PREFIX + "/cases", CASES_READ), (PREFIX + "/figures", FIGURES_READ))
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

#: The seeded requests: (school, requester name, requester e-mail, student name). Names no answer may carry.
PEOPLE = (
    ("a", "Zwaantje Seedmans", "zwaantje.seedmans@example.nl", "Pim Seedmans"),
    ("a", "Gerolf Tweedekind", "gerolf.tweedekind@example.nl", "Lotte Tweedekind"),
    ("a", "Hermina Derdeveld", "hermina.derdeveld@example.nl", "Jop Derdeveld"),
    ("a", "Tjitske Vierhouten", "tjitske.vierhouten@example.nl", "Fenna Vierhouten"),
    ("b", "Bartholomeus Vijfhoek", "bartholomeus.vijfhoek@example.nl", "Roos Vijfhoek"),
    ("b", "Wietske Zesboom", "wietske.zesboom@example.nl", "Daan Zesboom"),
)
#: The names of the valid request Schemathesis sends now and then (its answer must not echo them either).
VALID_REQUEST = {"requester_name": "Valentijn Geldigheid", "requester_email": "valentijn.geldigheid@example.nl",
                 "student_name": "Vera Geldigheid"}


@dataclass
class Seeded:
    """What the tests know of the seeded app: the base URL, the document, the cases and the credentials."""

    url: str
    doc: dict
    school_ids: dict[str, int]
    cases: dict[str, list[tuple[int, str]]]  # school key -> [(id, reference)]
    tokens: dict[str, str]  # name -> plain token
    portal_session: str | None
    link_tokens: list[str]  # fresh 'Mijn verzoek' link tokens of case A1, for the exchange's valid bodies

    def operations(self) -> list[tuple[str, dict]]:
        """("METHOD /path", operation) for every operation in the document."""
        return [(f"{method.upper()} {path}", operation) for path, item in self.doc["paths"].items()
                for method, operation in item.items() if method in HTTP_METHODS]

    def needing(self, scheme: str) -> list[str]:
        return [label for label, operation in self.operations()
                if any(scheme in requirement for requirement in operation.get("security", []))]

    def token_scope(self, label: str) -> str:
        """The permission a token-protected operation needs (its own ``security`` scopes, else by path)."""
        path = label.split(" ", 1)[1]
        operation = dict(self.operations())[label]
        named = [scope for requirement in operation["security"] for scope in requirement.get(API_TOKEN, [])]
        if named:
            return named[0]
        for prefix, scope in SCOPE_BY_PATH:
            if path == prefix or path.startswith(prefix + "/"):
                return scope
        raise AssertionError(f"{label}: which permission does it need? Add it to SCOPE_BY_PATH")

    def personal_data(self, *, except_school: str | None = None, except_case: int | None = None) -> list[str]:
        found = []
        for (school, requester, email, student), (case_id, _) in zip(PEOPLE, self.all_cases(), strict=True):
            if school != except_school and case_id != except_case:
                found += [requester, email, student]
        return found

    def all_cases(self) -> list[tuple[int, str]]:
        return self.cases["a"] + self.cases["b"]

    def valid_bodies(self) -> dict[str, list[dict]]:
        """Per JSON operation, bodies it accepts: the public form's valid request, fresh portal link tokens."""
        bodies: dict[str, list[dict]] = {}
        for label, operation in self.operations():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not schema:
                continue
            if "$ref" in schema:
                schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            fields = set(schema.get("properties", {}))
            if {"school_id", "requester_email"} <= fields:
                form = {**intake_data(self.school_ids["a"]), **VALID_REQUEST}
                body = {name: value for name, value in form.items() if name in fields}
                if schema["properties"]["school_id"].get("type") == "integer":
                    body["school_id"] = self.school_ids["a"]
                bodies[label] = [body]
            elif fields == {"token"} and self.link_tokens:
                bodies[label] = [{"token": token} for token in self.link_tokens]
        return bodies


def _portal_token(app, case_id: int) -> str:
    """The token of a fresh 'Mijn verzoek' link of the case, as a mail would carry it."""
    with app.app_context():
        url = portal.notice_link(db.session.get(Case, case_id))
        db.session.commit()
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def api_app(database_url, redis_server, smtp_server, file_storage, app):
    """The app served to Schemathesis: the suite's database and services, the rate limits raised (still on)."""
    served_app = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=file_storage,
                               API_RATE_LIMIT="100000 per minute", INTAKE_LIMIT_PER_CLIENT="100000 per hour",
                               INTAKE_LIMIT_PER_RECIPIENT="100000 per hour")
    yield served_app
    with served_app.app_context():
        db.session.remove()
        db.engine.dispose()  # PostgreSQL: no connection may outlive the test


@pytest.fixture
def seeded(app, client, people, api_app, run_jobs):
    """Cases in several states at schools A and B, the tokens, and (when the API has it) a portal session."""
    cases: dict[str, list[tuple[int, str]]] = {"a": [], "b": []}
    school_ids = {"a": people.school_a, "b": people.school_b}
    for school, requester, email, student in PEOPLE:
        case_id = submit(client, school_ids[school], requester_name=requester, requester_email=email,
                         student_name=student)
        cases[school].append((case_id, ""))
    run_jobs()  # the receipts go out, as after a real intake
    (a1, a2, a3, a4), (_b1, b2) = [c for c, _ in cases["a"]], [c for c, _ in cases["b"]]
    staff_a, staff_b = signed_in(app, people, "staff_a"), signed_in(app, people, "staff_b")
    for case_id in (a2, a3):
        assert step(staff_a, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff_a, app, a3, "review", decision="grant", reason="Beoordeeld.").status_code == 302
    assert step(staff_a, app, a4, "withdraw", reason="Telefonisch ingetrokken.").status_code == 302
    assert step(staff_b, app, b2, "withdraw", reason="Telefonisch ingetrokken.").status_code == 302
    tokens = {}
    with app.app_context():
        rows = db.session.execute(sa.select(Case.id, Case.reference, Case.state)).all()
        references = {row.id: row.reference for row in rows}
        assert len({row.state for row in rows}) >= 4, rows  # several states, at both schools
        cases = {school: [(case_id, references[case_id]) for case_id, _ in found] for school, found in cases.items()}
        a, b = db.session.get(School, people.school_a), db.session.get(School, people.school_b)
        for name, scopes, schools, extra in (
                ("school-a", SCOPES, [a], {}),
                ("cases-only", (CASES_READ,), [a, b], {}), ("figures-only", (FIGURES_READ,), [a, b], {}),
                ("expired", SCOPES, [a, b], {"days": -1}), ("revoked", SCOPES, [a, b], {"revoked": True})):
            tokens[name] = api_token_row(name, scopes, schools, **extra)[1]
        db.session.commit()
    with served(api_app) as url:
        doc = httpx.get(f"{url}{PREFIX}/openapi.json").json()
        seed = Seeded(url=url, doc=doc, school_ids=school_ids, cases=cases, tokens=tokens, portal_session=None,
                      link_tokens=[])
        if seed.needing(PORTAL_SESSION):
            seed.portal_session = _open_portal_session(app, seed, a1)
            seed.link_tokens = [_portal_token(app, a1) for _ in range(2)]
        yield seed


def _open_portal_session(app, seed: Seeded, case_id: int) -> str:
    """A requester's session through the API's own exchange (POST /api/v1/portal/session)."""
    answer = httpx.post(f"{seed.url}{PREFIX}/portal/session", json={"token": _portal_token(app, case_id)})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["session"]


def _rules(seed: Seeded, credentials: str, *, refuse: dict[str, list[int]] | None = None,
           school: str | None = None, portal_case: int | None = None, sent: dict[str, str] | None = None) -> dict:
    """The expectations of dsr's checks for one run: what to refuse, and per operation what must never show
    (everyone's personal data; another school's references for a token of one school)."""
    other_refs = [ref for key, found in seed.cases.items() if school and key != school for _, ref in found]
    secret = {}
    for label, operation in seed.operations():
        if any(PORTAL_SESSION in requirement for requirement in operation.get("security", [])):
            # The requester's own case is theirs to see; nobody else's.
            secret[label] = seed.personal_data(except_case=portal_case) if portal_case else seed.personal_data()
        else:
            secret[label] = seed.personal_data() + list(VALID_REQUEST.values()) + other_refs
    return {"credentials": credentials, "refuse": refuse or {}, "credentials_sent": sent or {}, "secret": secret,
            "valid_bodies": seed.valid_bodies(), "case_ids": [c for c, _ in seed.all_cases()],
            "school_ids": sorted(seed.school_ids.values())}


def _assert_clean(outcome) -> None:
    assert outcome.tested, f"Schemathesis tested no operation:\n{outcome.output[-6000:]}"
    if outcome.failures or outcome.returncode != 0:
        pytest.fail(outcome.report(), pytrace=False)


def _exclude_sign_out(seed: Seeded) -> tuple[str, ...]:
    """Signing out ends the run's portal session; it has its own run (test_portal_sign_out...)."""
    return tuple(arg for label, operation in seed.operations()
                 if label.startswith("DELETE ") and any(PORTAL_SESSION in r for r in operation.get("security", []))
                 for arg in ("--exclude-operation-id", operation["operationId"]))


def test_every_token_operation_has_a_known_permission(seeded):
    for label in seeded.needing(API_TOKEN):
        assert seeded.token_scope(label) in SCOPES


def test_schemathesis_with_a_token_of_one_school_and_a_portal_session(seeded, tmp_path):
    """The main run: valid credentials, so the operations answer for real (200s, 404s, 422s) and every answer
    is checked against the document; none shows school B's cases or anyone's personal data."""
    headers = {"Authorization": f"Bearer {seeded.tokens['school-a']}"}
    a1 = seeded.cases["a"][0][0]
    if seeded.portal_session:
        headers["X-Portal-Session"] = seeded.portal_session
    outcome = run_schemathesis(seeded.url, tmp_path, "school-a", headers=headers, max_examples=40,
                               rules=_rules(seeded, "a token of school A with every permission, a portal "
                                                    "session of a case at school A", school="a", portal_case=a1),
                               extra=_exclude_sign_out(seeded))
    _assert_clean(outcome)


def test_schemathesis_without_credentials(seeded, tmp_path):
    refuse = {label: [401] for label in seeded.needing(API_TOKEN) + seeded.needing(PORTAL_SESSION)}
    outcome = run_schemathesis(seeded.url, tmp_path, "anonymous", max_examples=15,
                               rules=_rules(seeded, "none", refuse=refuse))
    _assert_clean(outcome)


@pytest.mark.parametrize("token", ["expired", "revoked"])
def test_schemathesis_with_a_token_that_no_longer_counts(seeded, tmp_path, token):
    refuse = {label: [401] for label in seeded.needing(API_TOKEN)}
    sent = {"Authorization": f"Bearer {seeded.tokens[token]}"}
    outcome = run_schemathesis(seeded.url, tmp_path, token, headers=sent, max_examples=10, phases="examples,fuzzing",
                               rules=_rules(seeded, f"an {token} token", refuse=refuse, sent=sent))
    _assert_clean(outcome)


@pytest.mark.parametrize("token, held", [("cases-only", CASES_READ), ("figures-only", FIGURES_READ)])
def test_schemathesis_with_a_token_lacking_the_permission(seeded, tmp_path, token, held):
    refuse = {label: [403] for label in seeded.needing(API_TOKEN) if seeded.token_scope(label) != held}
    sent = {"Authorization": f"Bearer {seeded.tokens[token]}"}
    outcome = run_schemathesis(seeded.url, tmp_path, token, headers=sent, max_examples=10, phases="examples,fuzzing",
                               rules=_rules(seeded, f"a token with only {held}", refuse=refuse, sent=sent))
    _assert_clean(outcome)


def test_schemathesis_portal_sign_out(seeded, tmp_path):
    """Signing out through the API, then again with the session already ended: as the document says."""
    sign_out = _exclude_sign_out(seeded)
    if not sign_out:
        assert not seeded.needing(PORTAL_SESSION), "a portal operation but no sign-out (DELETE) in the document"
        return
    outcome = run_schemathesis(seeded.url, tmp_path, "portal-sign-out", max_examples=5, phases="examples,fuzzing",
                               headers={"X-Portal-Session": seeded.portal_session or ""},
                               rules=_rules(seeded, "a portal session"),
                               extra=("--include-operation-id", sign_out[1]))
    _assert_clean(outcome)
