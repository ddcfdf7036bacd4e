"""The integrations' endpoints with a real API token: per-school scoping, permissions, 401 for a missing,
unknown, expired or revoked token, problem+json, filters and pages, an audit row per call, no personal data
in any answer, the document's schemas, and figures equal to the dashboard's."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator, FormatChecker

from dsr.api.openapi import document
from dsr.extensions import db
from dsr.models import AuditEvent, User
from dsr.models.integrations import ApiToken
from dsr.services import reports
from tests.api.token_helpers import PERSONAL, add_case, bearer, make_token

UTC = dt.UTC


@pytest.fixture
def cases(app, people):
    """Three cases at school A and one at B (all received in 2025), with steps for the first."""
    with app.app_context():
        a, b = people.school_a, people.school_b
        ids = {
            "a_fulfilled": add_case(a, state="fulfilled", received=dt.date(2025, 3, 3), due=dt.date(2025, 4, 3),
                                    closed=dt.datetime(2025, 3, 20, 10, tzinfo=UTC), steps=[
                                        ("submitted", dt.datetime(2025, 3, 3, 9, tzinfo=UTC)),
                                        ("identity_checked", dt.datetime(2025, 3, 5, 9, tzinfo=UTC)),
                                        ("fulfilled", dt.datetime(2025, 3, 20, 10, tzinfo=UTC))]),
            "a_refused": add_case(a, state="refused", right="erasure", received=dt.date(2025, 3, 10),
                                  due=dt.date(2025, 6, 10), extended=True, extended_on=dt.date(2025, 4, 1),
                                  extension_reason="Complex: vrije tekst", decision="refuse",
                                  decision_grounds="art15_4", closed=dt.datetime(2025, 5, 10, 10, tzinfo=UTC)),
            "a_open": add_case(a, state="identity_checked", received=dt.date(2025, 6, 2), due=dt.date(2025, 7, 2)),
            "b_refused": add_case(b, state="refused", right="objection", received=dt.date(2025, 2, 3),
                                  due=dt.date(2025, 3, 3), decision="refuse", decision_grounds="art12_5",
                                  closed=dt.datetime(2025, 2, 20, 10, tzinfo=UTC)),
        }
        db.session.commit()
    return ids


@pytest.fixture
def token_a(app, people):
    return make_token(app, people, schools=("AAA",))


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({**document(), "$ref": f"#/components/schemas/{name}"},
                                format_checker=FormatChecker())


def _calls(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "api.call")
                                  .order_by(AuditEvent.id)).scalars().all()
        return [{"actor_kind": r.actor_kind, "actor_id": r.actor_id, "case_id": r.case_id, **json.loads(r.details)}
                for r in rows]


def _no_personal_data(response) -> None:
    text = response.get_data(as_text=True)
    for value in PERSONAL:
        assert value not in text, value


def test_the_list_holds_only_the_tokens_schools_without_personal_data(app, client, cases, token_a):
    response = client.get("/api/v1/cases", headers=bearer(token_a[1]))
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    _validator("CaseList").validate(body)
    assert sorted(item["id"] for item in body["items"]) == sorted(
        [cases["a_fulfilled"], cases["a_refused"], cases["a_open"]])
    assert {item["school"] for item in body["items"]} == {"AAA"} and body["next"] is None
    refused = next(item for item in body["items"] if item["id"] == cases["a_refused"])
    assert refused == {
        "id": cases["a_refused"], "reference": f"AVG-2025-{cases['a_refused']:05d}", "school": "AAA",
        "right": "erasure", "state": "refused", "received_on": "2025-03-10", "due_on": "2025-06-10",
        "extended": True, "closed_on": "2025-05-10", "outcome": "refused", "grounds": ["art15_4"]}
    opened = next(item for item in body["items"] if item["id"] == cases["a_open"])
    assert opened["outcome"] is None and opened["closed_on"] is None and opened["grounds"] == []
    _no_personal_data(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_token_for_all_schools_sees_both(app, client, people, cases):
    _id, plain = make_token(app, people, schools=(), all_schools=True)
    body = client.get("/api/v1/cases", headers=bearer(plain)).get_json()
    assert {item["school"] for item in body["items"]} == {"AAA", "BBB"} and len(body["items"]) == 4


def test_one_case_with_its_steps_and_another_schools_case_is_a_404_like_a_missing_one(app, client, cases, token_a):
    response = client.get(f"/api/v1/cases/{cases['a_fulfilled']}", headers=bearer(token_a[1]))
    assert response.status_code == 200
    body = response.get_json()
    _validator("CaseDetail").validate(body)
    assert [step["state"] for step in body["steps"]] == ["submitted", "identity_checked", "fulfilled"]
    assert body["steps"][0]["at"] == "2025-03-03T09:00:00Z" and body["extended_on"] is None
    _no_personal_data(response)
    other = client.get(f"/api/v1/cases/{cases['b_refused']}", headers=bearer(token_a[1]))
    missing = client.get("/api/v1/cases/999999", headers=bearer(token_a[1]))
    assert other.status_code == missing.status_code == 404
    assert other.mimetype == missing.mimetype == "application/problem+json"
    assert other.get_json() == missing.get_json()
    _validator("Problem").validate(other.get_json())


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/1", "/api/v1/figures"])
@pytest.mark.parametrize("how", ["none", "unknown", "not bearer", "expired", "revoked"])
def test_no_valid_token_is_a_401_problem_with_www_authenticate(app, client, people, cases, path, how):
    token_id, plain = make_token(app, people)
    headers = {"none": {}, "unknown": bearer("dsr_" + "x" * 43), "not bearer": {"Authorization": f"Basic {plain}"},
               "expired": bearer(plain), "revoked": bearer(plain)}[how]
    with app.app_context():
        row = db.session.get(ApiToken, token_id)
        if how == "expired":
            row.expires_at = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
        if how == "revoked":
            row.revoked_at = dt.datetime.now(UTC)
        db.session.commit()
    response = client.get(path, headers=headers)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["type"] == "urn:dsr:problem:unauthenticated" and body["status"] == 401
    assert _calls(app) == []  # nobody to attribute a call to


def test_a_token_without_the_permission_gets_a_403_which_is_audited(app, client, people, cases):
    token_id, plain = make_token(app, people, scopes=("figures:read",))
    response = client.get("/api/v1/cases", headers=bearer(plain))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:dsr:problem:forbidden"
    assert _calls(app) == [{"actor_kind": "api", "actor_id": None, "case_id": None, "token_id": token_id,
                            "operation": "listCases", "status": 403}]
    token_id2, plain2 = make_token(app, people, scopes=("cases:read",), name="Alleen zaken")
    assert client.get("/api/v1/figures", headers=bearer(plain2)).status_code == 403


def test_every_call_is_audited_with_the_ids_read_and_the_token_marked_used(app, client, cases, token_a):
    token_id, plain = token_a
    client.get("/api/v1/cases?state=refused", headers=bearer(plain))
    client.get(f"/api/v1/cases/{cases['a_open']}", headers=bearer(plain))
    client.get(f"/api/v1/cases/{cases['b_refused']}", headers=bearer(plain))
    client.get("/api/v1/cases?limit=0", headers=bearer(plain))
    client.get("/api/v1/figures?from=2025-01-01&to=2025-12-31", headers=bearer(plain))
    calls = _calls(app)
    assert [(c["operation"], c["status"]) for c in calls] == [
        ("listCases", 200), ("getCase", 200), ("getCase", 404), ("listCases", 422), ("getFigures", 200)]
    assert calls[0]["case_ids"] == [cases["a_refused"]] and calls[1]["case_ids"] == [cases["a_open"]]
    assert "case_ids" not in calls[2] and "case_ids" not in calls[3]
    assert calls[4]["schools"] == ["AAA"]
    assert all(c["token_id"] == token_id and c["actor_kind"] == "api" for c in calls)
    text = json.dumps(calls)
    assert not any(value in text for value in PERSONAL) and plain not in text
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None


@pytest.mark.parametrize("query, expected", [
    ("state=refused", ["a_refused"]),
    ("status=open", ["a_open"]),
    ("status=closed", ["a_fulfilled", "a_refused"]),
    ("received_from=2025-03-05&received_to=2025-06-01", ["a_refused"]),
    ("received_from=2025-06-02", ["a_open"]),
    ("school=AAA&state=fulfilled", ["a_fulfilled"]),
])
def test_filters(app, client, cases, token_a, query, expected):
    body = client.get(f"/api/v1/cases?{query}", headers=bearer(token_a[1])).get_json()
    assert sorted(item["id"] for item in body["items"]) == sorted(cases[key] for key in expected)


@pytest.mark.parametrize("query, fields", [
    ("school=BBB", ["school"]),  # a school, but not one of the token's
    ("school=ZZZ", ["school"]),
    ("state=open", ["state"]),
    ("status=busy", ["status"]),
    ("received_from=2025-02-30", ["received_from"]),
    ("received_from=yesterday&received_to=2025-13-01", ["received_from", "received_to"]),
    ("received_from=2025-06-01&received_to=2025-05-01", ["received_to"]),
    ("limit=101", ["limit"]), ("limit=0", ["limit"]), ("limit=-1", ["limit"]), ("limit=%C2%B2", ["limit"]),
    ("cursor=abc", ["cursor"]), ("cursor=2147483648", ["cursor"]),
    ("state=%00", ["state"]),
])
def test_a_bad_filter_is_a_422_problem_naming_each_parameter(app, client, cases, token_a, query, fields):
    response = client.get(f"/api/v1/cases?{query}", headers=bearer(token_a[1]))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.get_json()
    _validator("Problem").validate(body)
    assert sorted(body["errors"]) == sorted(fields) and all(body["errors"][f] for f in fields)


def test_pages_follow_the_next_link_to_the_end(app, client, people, cases):
    _id, plain = make_token(app, people, all_schools=True, schools=())
    seen, url, pages = [], "/api/v1/cases?limit=2&status=closed", 0
    while url:
        response = client.get(url, headers=bearer(plain))
        body = response.get_json()
        _validator("CaseList").validate(body)
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        link = response.headers.get("Link")
        assert link == (f'<{body["next"]}>; rel="next"' if body["next"] else None)
        url, pages = body["next"], pages + 1
        assert url is None or ("status=closed" in url and "limit=2" in url)
    assert pages == 2 and seen == sorted([cases["a_fulfilled"], cases["a_refused"], cases["b_refused"]])


def _dashboard_values(app, user_id: int, period: reports.Period, school_id=None) -> dict:
    with app.test_request_context():
        user = db.session.get(User, user_id)
        board = reports.build(user, period=period, school_id=school_id, today=dt.date.today())
        values = {(s.key, row.key): row.value for s in board.sections for row in s.rows}
        flags = {flag.key: flag.count for flag in board.flags}
        db.session.remove()
    return {"values": values, "flags": flags}


def _api_values(body: dict, codes: dict[str, int]) -> dict:
    values = {}
    for section in body["sections"]:
        for row in section["rows"]:
            key = str(codes[row["key"]]) if section["key"] in ("school", "te-laat") else row["key"]
            values[(section["key"], key)] = row["value"]
    return {"values": values, "flags": {flag["key"]: flag["count"] for flag in body["flags"]}}


@pytest.mark.parametrize("who, schools, query, school", [
    ("privacy", None, "", None),
    ("privacy", None, "&school=BBB", "school_b"),
    ("director_b", ("BBB",), "", None),
])
def test_figures_equal_the_dashboards(app, client, people, cases, who, schools, query, school):
    _id, plain = make_token(app, people, schools=schools or (), all_schools=schools is None)
    response = client.get(f"/api/v1/figures?from=2025-01-01&to=2025-12-31{query}", headers=bearer(plain))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    _validator("Figures").validate(body)
    assert body["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    codes = {"AAA": people.school_a, "BBB": people.school_b}
    expected = _dashboard_values(app, getattr(people, who), reports.Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                                 getattr(people, school) if school else None)
    assert _api_values(body, codes) == expected
    # The data set shows in the figures (a broken comparison would pass on zeros everywhere).
    assert sum(v for (key, _row), v in expected["values"].items() if key == "status") == (4 if who == "privacy"
                                                                                            and not school else 1)
    _no_personal_data(response)


@pytest.mark.parametrize("query, fields", [
    ("from=2025-12-31&to=2025-01-01", ["to"]),
    ("from=2010-01-01&to=2025-12-31", ["to"]),
    ("from=31-12-2025", ["from"]),
    ("school=BBB", ["school"]),
])
def test_bad_figures_parameters_are_a_422(app, client, cases, token_a, query, fields):
    response = client.get(f"/api/v1/figures?{query}", headers=bearer(token_a[1]))
    assert response.status_code == 422 and sorted(response.get_json()["errors"]) == fields


def test_the_tokens_rate_limit_is_a_429_with_retry_after_and_audited(app, client, people, cases, token_a):
    token_id, plain = token_a
    other_id, other = make_token(app, people, name="Andere koppeling")
    app.config["API_RATE_LIMIT"] = "2 per minute"
    try:
        statuses = [client.get("/api/v1/cases", headers=bearer(plain)).status_code for _ in range(3)]
        refused = client.get("/api/v1/cases", headers=bearer(plain))
        # The limit is per token: another token still gets through.
        assert client.get("/api/v1/cases", headers=bearer(other)).status_code == 200
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert [c["status"] for c in _calls(app) if c["token_id"] == token_id] == [200, 200, 429, 429]


def test_every_operation_is_in_the_document_with_its_problems_and_security():
    doc = document()
    for path, operation in (("/api/v1/cases", "listCases"), ("/api/v1/cases/{case_id}", "getCase"),
                            ("/api/v1/figures", "getFigures")):
        get = doc["paths"][path]["get"]
        assert get["operationId"] == operation and get["security"] == [{"apiToken": []}]
        assert {"200", "401", "403", "429"} <= set(get["responses"])
        for status, response in get["responses"].items():
            media = "application/json" if status == "200" else "application/problem+json"
            assert list(response["content"]) == [media]
    from openapi_spec_validator import validate

    validate(doc)


@pytest.mark.parametrize("path, status", [
    ("/api/v1/figures?from=0001-01-01&to=0001-01-02", 200),
    ("/api/v1/figures?from=9999-12-30&to=9999-12-31", 200),
    ("/api/v1/figures?from=0001-01-01", 422),  # up to today: longer than five years
    ("/api/v1/figures?to=0001-01-01", 422),  # from a year ago: the end before the start
    ("/api/v1/cases?received_from=0001-01-01&received_to=9999-12-31", 200),
    ("/api/v1/cases?cursor=2147483647&limit=100", 200),
    ("/api/v1/cases/2147483648", 404),  # past the id column's range: no route, not a database error
])
def test_extreme_dates_and_ids_are_answered_not_a_server_error(app, client, cases, token_a, path, status):
    response = client.get(path, headers=bearer(token_a[1]))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == ("application/json" if status == 200 else "application/problem+json")


def test_figures_equal_what_the_dashboards_csv_shows(app, people, cases):
    """The privacy officer's CSV from the dashboard (the same view the page uses) and the API's figures of a
    token for all schools, row by row."""
    import csv
    import io

    from dsr.workflows import kpis
    from tests.helpers import signed_in

    _id, plain = make_token(app, people, schools=(), all_schools=True)
    privacy = signed_in(app, people, "privacy")
    exported = privacy.get("/dashboard/cijfers.csv?van=2025-01-01&tot=2025-12-31")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))[4:]
    body = privacy.get("/api/v1/figures?from=2025-01-01&to=2025-12-31", headers=bearer(plain)).get_json()
    api_rows = [(section["unit"], row["value"]) for section in body["sections"] for row in section["rows"]]
    assert len(rows) == len(api_rows) > 20
    for (unit, value), (_title, _label, text, _unit, _note) in zip(api_rows, rows, strict=True):
        assert text == (str(value) if unit in ("cases", "refusals") else kpis.format_number(value))
    assert rows[0][2] == "4"  # received in 2025: the four cases


@pytest.mark.parametrize("language, words", [
    ("nl", ("Stuur een geldig API-token mee", "toestemming figures:read niet", "Een of meer parameters",
            "Geef een datum als JJJJ-MM-DD", "Geen zaak met dit nummer")),
    ("en", ("Send a valid API token", "lacks the permission figures:read", "One or more parameters",
            "Give a date as YYYY-MM-DD", "No case with this number")),
])
def test_problem_details_follow_accept_language(app, client, people, cases, token_a, language, words):
    """The integrations' problems speak the caller's language, as the public operations' do (docs/api.md)."""
    headers = {"Accept-Language": language}
    _id, cases_only = make_token(app, people, scopes=("cases:read",), name="Alleen zaken")
    unauthenticated = client.get("/api/v1/cases", headers=headers).get_json()
    forbidden = client.get("/api/v1/figures", headers={**headers, **bearer(cases_only)}).get_json()
    invalid = client.get("/api/v1/cases?received_from=gisteren", headers={**headers, **bearer(token_a[1])}).get_json()
    missing = client.get("/api/v1/cases/2147483647", headers={**headers, **bearer(token_a[1])}).get_json()
    assert words[0] in unauthenticated["detail"]
    assert words[1] in forbidden["detail"]
    assert words[2] in invalid["detail"] and words[3] in invalid["errors"]["received_from"][0]
    assert words[4] in missing["detail"]
