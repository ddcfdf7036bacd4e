"""The API's contract: the OpenAPI document at /api/v1/openapi.json and the app's routes say the same thing.

The document is valid OpenAPI 3.1; every route of the app under /api/v1 (methods without HEAD and OPTIONS) is an
operation in it and every operation in it has a route; each operation names itself (operationId), its tags and
its security (an empty list for a public one), and answers its errors as ``application/problem+json`` with the
Problem schema. At runtime an unknown path, a wrong method and a rate limit are problem documents (RFC 9457).
Schemathesis (tests/api/test_schemathesis.py) then tests the running app against the same document.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from werkzeug.routing import IntegerConverter, Rule

from dsr.api.blueprint import PREFIX
from dsr.api.openapi import API_TOKEN, PORTAL_SESSION, document
from dsr.api.problems import MEDIA_TYPE, TYPE_BASE
from dsr.api.scopes import SCOPES
from dsr.extensions import db
from dsr.jobs import redis_connection
from dsr.models import School
from dsr.security import limiter
from tests.api.schemathesis_run import api_token_row
from tests.helpers import make_test_app

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_REF = "#/components/schemas/Problem"
#: The largest id a route's ``<int:…>`` accepts (dsr.DatabaseIdConverter: a 32-bit integer column).
MAX_ID = 2**31 - 1


def _operations(doc: dict) -> list[tuple[str, str, dict]]:
    """(path, METHOD, operation) for every operation in the document."""
    return [(path, method.upper(), operation) for path, item in doc["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS]


def _template(rule: Rule) -> str:
    """A Flask rule as an OpenAPI path template: ``/cases/<int:case_id>`` -> ``/cases/{case_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _api_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule == PREFIX or rule.rule.startswith(PREFIX + "/")]


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(path template, METHOD) of every route under /api/v1."""
    return {(_template(rule), method) for rule in _api_rules(app)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


@pytest.fixture
def doc(client) -> dict:
    """The document as the app serves it (not as the module builds it)."""
    response = client.get(PREFIX + "/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_served_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1.")
    try:
        validate(doc)  # picks the 3.1 validator from the "openapi" field
    except OpenAPIValidationError as exc:
        pytest.fail(f"the OpenAPI document is invalid: {exc.message} at {list(exc.absolute_path)}", pytrace=False)


def test_the_served_document_is_the_module_document(doc, app):
    with app.app_context():
        assert doc == document()


def test_every_route_under_api_v1_is_an_operation_in_the_document(app, doc):
    missing = _routes(app) - {(path, method) for path, method, _ in _operations(doc)}
    assert not missing, f"routes without an operation in the OpenAPI document: {sorted(missing)}"


def test_every_operation_in_the_document_has_a_route(app, doc):
    stray = {(path, method) for path, method, _ in _operations(doc)} - _routes(app)
    assert not stray, f"operations in the OpenAPI document that no route answers: {sorted(stray)}"


def test_path_parameters_match_the_route_converters(app, doc):
    """An ``<int:…>`` in the route is an integer parameter the route accepts all of (0 .. 2^31-1): a value the
    document allows but the route refuses would be a 404 Schemathesis could not explain, and the reverse would
    leave ids untested."""
    by_template = {_template(rule): rule for rule in _api_rules(app)}
    checked = 0
    for path, method, operation in _operations(doc):
        rule = by_template.get(path)
        if rule is None:
            continue  # reported by test_every_operation_in_the_document_has_a_route
        parameters = {p["name"]: p for p in doc["paths"][path].get("parameters", []) + operation.get("parameters", [])
                      if p.get("in") == "path"}
        assert set(parameters) == set(rule.arguments), f"{method} {path}: path parameters {sorted(parameters)} " \
                                                      f"but the route has {sorted(rule.arguments)}"
        for name, converter in rule._converters.items():
            schema = parameters[name].get("schema", {})
            assert parameters[name].get("required") is True, f"{method} {path}: path parameter {name} not required"
            if isinstance(converter, IntegerConverter):
                assert schema.get("type") == "integer", f"{method} {path}: {name} is <int:…> but {schema}"
                assert schema.get("minimum", -1) >= 0 and schema.get("maximum", MAX_ID + 1) <= MAX_ID, \
                    f"{method} {path}: {name} must stay within 0..{MAX_ID} (the route's range): {schema}"
            checked += 1
    assert checked == sum(len(rule.arguments) for rule in _api_rules(app))


def test_every_operation_names_itself_and_its_security(doc):
    schemes = set(doc["components"]["securitySchemes"])
    assert schemes == {API_TOKEN, PORTAL_SESSION}
    ids = [operation.get("operationId") for _, _, operation in _operations(doc)]
    assert all(ids), [f"{m} {p}" for p, m, o in _operations(doc) if not o.get("operationId")]
    assert len(ids) == len(set(ids)), f"operationIds used twice: {sorted(i for i in ids if ids.count(i) > 1)}"
    for path, method, operation in _operations(doc):
        where = f"{method} {path}"
        assert operation.get("tags") and all(isinstance(t, str) and t for t in operation["tags"]), \
            f"{where}: no tags"
        assert "security" in operation, f"{where}: no security entry (an empty list for a public operation)"
        for requirement in operation["security"]:
            assert set(requirement) <= schemes, f"{where}: unknown security scheme in {requirement}"
            assert requirement, f"{where}: an empty requirement {{}} makes the operation public; use security: []"


def test_every_error_answer_is_a_problem_document(doc):
    for path, method, operation in _operations(doc):
        where = f"{method} {path}"
        responses = operation.get("responses", {})
        assert responses, f"{where}: no responses"
        assert any(code.startswith("2") for code in responses), f"{where}: no success response"
        for code, response in responses.items():
            if code[:1] not in ("4", "5"):
                continue
            if "$ref" in response:  # a shared response object under components/responses
                response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
            content = response.get("content", {})
            assert set(content) == {MEDIA_TYPE}, f"{where} {code}: answered as {sorted(content)}, not {MEDIA_TYPE}"
            assert content[MEDIA_TYPE].get("schema") == {"$ref": PROBLEM_REF}, \
                f"{where} {code}: the schema is not the Problem schema"


def test_secured_operations_describe_the_refusals(doc):
    """An operation that needs a credential says so in its answers: 401 without one, 403 when an API token lacks
    the permission; every operation but the document itself describes 429 (the rate limits)."""
    for path, method, operation in _operations(doc):
        where = f"{method} {path}"
        responses = operation.get("responses", {})
        schemes = {name for requirement in operation["security"] for name in requirement}
        if schemes:
            assert "401" in responses, f"{where}: needs {sorted(schemes)} but does not describe 401"
        if API_TOKEN in schemes:
            assert "403" in responses, f"{where}: needs an API token but does not describe 403 (lacking the scope)"
        if operation.get("operationId") != "getOpenApiDocument":
            assert "429" in responses, f"{where}: does not describe 429 (rate limited)"


def _loose_objects(node, where: str) -> list[str]:
    """Where an object schema with properties allows other properties too."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and node.get("additionalProperties") is not False:
            found.append(where)
        for key, value in node.items():
            found += _loose_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _loose_objects(value, f"{where}[{index}]")
    return found


def test_every_object_schema_is_closed(doc):
    """An answer can carry no field the document does not name (``additionalProperties: false``), so a field
    added to an answer without its description fails Schemathesis' schema check: nothing leaks out unseen. The
    Problem schema is open on purpose (RFC 9457 allows extension members)."""
    loose = _loose_objects(doc["paths"], "#/paths") + [
        where for name, schema in doc["components"]["schemas"].items() if name != "Problem"
        for where in _loose_objects(schema, f"#/components/schemas/{name}")]
    assert not loose, f"object schemas that allow undescribed properties: {loose}"


# ---- at runtime ----------------------------------------------------------------------------------------------

def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == MEDIA_TYPE, response.mimetype
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith(TYPE_BASE) and body["title"], body
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


@pytest.mark.parametrize("path", [PREFIX + "/no-such-thing", PREFIX, PREFIX + "/", PREFIX + "/cases/x/y/z",
                                  PREFIX + f"/cases/{MAX_ID + 1}"])
def test_an_unknown_path_is_a_problem_document(client, path):
    body = _assert_problem(client.get(path, headers={"Accept": "application/json"}), 404)
    assert body["type"] == TYPE_BASE + "not-found"


def test_an_unknown_path_is_a_problem_document_whatever_the_client_accepts(client):
    _assert_problem(client.get(PREFIX + "/nothing-here", headers={"Accept": "text/html"}), 404)
    _assert_problem(client.post(PREFIX + "/nothing-here", data="x", content_type="text/plain"), 404)


def test_a_wrong_method_is_a_problem_document_that_names_the_allowed_ones(app, client, doc):
    """For every path in the document, a method it does not have is a 405 with ``Allow``."""
    for path, item in doc["paths"].items():
        documented = {m.upper() for m in item if m in HTTP_METHODS}
        wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in documented)
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.open(url, method=wrong)
        body = _assert_problem(response, 405)
        assert body["type"] == TYPE_BASE + "method-not-allowed"
        allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
        assert documented <= allowed, f"{wrong} {path}: Allow {sorted(allowed)} misses {sorted(documented)}"


@pytest.fixture
def limited_app(database_url, redis_server, smtp_server, file_storage, app):
    """An app of its own with one extra route under /api/v1 limited to one call a minute, in the suite's Redis.

    The 429 of the real operations is tested in tests/api/test_schemathesis.py (the document describes it);
    this route makes sure the answer itself is a problem document whatever limit a part sets."""
    limited = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=file_storage)

    @limiter.limit("1 per minute")
    def contract_limited():
        return {"ok": True}

    limited.add_url_rule(PREFIX + "/contract-test-limited", view_func=contract_limited)
    yield limited
    with limited.app_context():
        db.engine.dispose()  # PostgreSQL: no connection may outlive the test


def test_a_rate_limited_call_is_a_problem_document(limited_app):
    client = limited_app.test_client()
    assert client.get(PREFIX + "/contract-test-limited").status_code == 200
    response = client.get(PREFIX + "/contract-test-limited")
    body = _assert_problem(response, 429)
    assert body["type"] == TYPE_BASE + "rate-limited" and body["detail"]
    # Every 429 says when to come back (dsr/api/problems.py), though flask-limiter's own headers are off.
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.fixture
def two_calls_a_minute(database_url, redis_server, smtp_server, file_storage, app):
    """An app of its own whose API tokens may make two calls a minute (API_RATE_LIMIT)."""
    limited = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=file_storage,
                            API_RATE_LIMIT="2 per minute")
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_token_operations_answer_429_past_the_limit_as_a_problem_document(two_calls_a_minute, people, doc):
    """Every token-protected operation without path parameters, called past API_RATE_LIMIT with one token."""
    operations = [path for path, method, operation in _operations(doc) if method == "GET" and "{" not in path
                  and any(API_TOKEN in requirement for requirement in operation["security"])]
    assert operations, "no token-protected GET operation without path parameters in the document"
    with two_calls_a_minute.app_context():
        schools = list(db.session.execute(sa.select(School)).scalars())
        _, plain = api_token_row("contract", SCOPES, schools)
        db.session.commit()
    client = two_calls_a_minute.test_client()
    for path in operations:
        _forget_token_counts(two_calls_a_minute)
        answers = [client.get(path, headers={"Authorization": f"Bearer {plain}"}) for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [200, 200], (path, answers[0].get_data(as_text=True)[:300])
        body = _assert_problem(answers[2], 429)
        assert body["type"] == TYPE_BASE + "rate-limited", path
        assert 0 < int(answers[2].headers["Retry-After"]) <= 60, path  # within the minute of the limit


def _forget_token_counts(app) -> None:
    """Each operation starts with the token's budget whole (the counts live in the suite's Redis)."""
    with app.app_context():
        redis_connection().flushdb()
