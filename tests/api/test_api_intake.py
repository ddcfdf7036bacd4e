"""The public intake through the API (``POST /api/v1/requests``, ``GET /api/v1/schools``), on real parts: the
form's own rules (the same messages as the form's page, for a table of bad inputs), the form's rate limits
shared with the form, the receipt mail through a real RQ worker and SMTP server, and problem+json errors."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from dsr.api.openapi import document
from dsr.extensions import db
from dsr.forms.intake import IntakeForm
from dsr.models import AuditEvent, Case, School
from tests.helpers import intake_data, local_today, text_of
from tests.integration.helpers import body, mails_to

URL = "/api/v1/requests"
EMAIL = "alex.jansen@example.nl"
PROBLEM = "application/problem+json"


def answers(school: int, **overrides) -> dict:
    """A valid request as JSON (a parent with authority asking for access): the form's answers, typed."""
    data = {key: value for key, value in intake_data(school).items() if key != "step"}
    data["school_id"] = school
    for key, value in overrides.items():
        if value is _MISSING:
            data.pop(key, None)
        else:
            data[key] = value
    return data


_MISSING = object()


def post(client, data, **headers):
    return client.post(URL, json=data, headers=headers)


def schema_of(name: str) -> Draft202012Validator:
    """A validator for one of the document's schemas (its $refs resolved within the document)."""
    doc = document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


# ---------------------------------------------------------------------------------------- the receipt

def test_a_valid_request_is_stored_and_answered_with_the_receipt_only(app, client, people, smtp_server, run_jobs):
    response = post(client, answers(people.school_a))
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert not list(schema_of("IntakeReceipt").iter_errors(data))
    with app.app_context():
        case = db.session.execute(sa.select(Case)).scalar_one()
        assert (data["reference"], data["received_on"], data["due_on"]) == \
            (case.reference, case.received_on.isoformat(), case.due_on.isoformat())
        assert case.language == "nl" and case.channel == "web" and case.requester_email == EMAIL
        actions = [e.action for e in db.session.execute(sa.select(AuditEvent).where(AuditEvent.case_id == case.id))
                   .scalars()]
        assert "case.submitted" in actions
    assert data["next_step"]["kind"] == "confirm_email" and "e-mail" in data["next_step"]["text"]
    assert data["deadline_explanation"].startswith("Eén maand na")
    text = response.get_data(as_text=True)
    for typed in ("Sam Jansen", "Alex Jansen", EMAIL, "alex.jansen"):
        assert typed not in text, f"{typed!r} echoed"
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    run_jobs()
    receipts = mails_to(smtp_server, EMAIL, f"Bevestig uw e-mailadres voor verzoek {data['reference']}")
    assert len(receipts) == 1 and "/bevestigen/" in body(receipts[0])


@pytest.mark.parametrize("headers, extra, language, subject", [
    ({"Accept-Language": "en-GB,en;q=0.9"}, {}, "en", "Confirm your email address for request"),
    ({"Accept-Language": "en"}, {"language": "nl"}, "nl", "Bevestig uw e-mailadres voor verzoek"),
    ({}, {"language": "en"}, "en", "Confirm your email address for request"),
])
def test_the_receipt_language_follows_accept_language_or_the_language_field(app, client, people, smtp_server,
                                                                            run_jobs, headers, extra, language,
                                                                            subject):
    response = post(client, answers(people.school_a, **extra), **headers)
    assert response.status_code == 201
    data = response.get_json()
    assert data["language"] == language
    assert data["deadline_explanation"].startswith("One month after" if language == "en" else "Eén maand na")
    with app.app_context():
        assert db.session.execute(sa.select(Case.language)).scalar_one() == language
    run_jobs()
    assert len(mails_to(smtp_server, EMAIL, f"{subject} {data['reference']}")) == 1


# ---------------------------------------------------------------------------------------- the form's rules

def _years_ago(years: int) -> str:
    today = local_today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


#: (answers changed, the fields the messages are at). The messages themselves are the form's (compared below).
BAD_INPUTS = [
    ({"right": _MISSING}, ["right"]),
    ({"right": "everything"}, ["right"]),
    ({"school_id": 0}, ["school_id"]),
    ({"school_id": 999_999}, ["school_id"]),
    ({"school_id": 2**31}, ["school_id"]),
    ({"student_name": ""}, ["student_name"]),
    ({"student_name": "   "}, ["student_name"]),
    ({"student_name": "x" * 201}, ["student_name"]),
    ({"student_name": "Sam see www.evil.example"}, ["student_name"]),
    ({"student_name": "Sam\nJansen"}, ["student_name"]),
    ({"student_birth_date": "31-02-2012"}, ["student_birth_date"]),
    ({"student_birth_date": "morgen"}, ["student_birth_date"]),
    ({"student_birth_date": (local_today() + dt.timedelta(days=3)).isoformat()}, ["student_birth_date"]),
    ({"student_birth_date": _years_ago(60)}, ["student_birth_date"]),
    ({"student_number": "12 34"}, ["student_number"]),
    ({"requester_role": "neighbour"}, ["requester_role"]),
    ({"parental_authority": _MISSING}, ["parental_authority"]),
    ({"parental_authority": "maybe"}, ["parental_authority"]),
    ({"requester_email": "not-an-address"}, ["requester_email"]),
    ({"requester_email": "jös@example.nl"}, ["requester_email"]),
    ({"requester_phone": "call me"}, ["requester_phone"]),
    ({"requester_name": _MISSING, "requester_email": _MISSING}, ["requester_name", "requester_email"]),
    ({"details": "a\x07b"}, ["details"]),
    ({"right": "rectification"}, ["data_concerned", "correct_value"]),
    ({"right": "erasure", "data_concerned": " "}, ["data_concerned"]),
    ({"student_name": "Sam\x00"}, ["student_name"]),
]


def _form_page(client, data: dict, language: str | None = None) -> str:
    """The public form's page for the same answers sent with "Verzoek versturen" (its messages at the fields)."""
    if language:
        client.set_cookie("dsr_lang", language)
    posted = {key: ("" if value is None else str(value)) for key, value in data.items()}
    response = client.post("/", data={**posted, "step": "send"})
    assert response.status_code == 200, "the form refused the answers on its own page"
    return text_of(response)


@pytest.mark.parametrize("changes, fields", BAD_INPUTS)
def test_bad_input_gets_the_forms_own_messages_at_the_same_fields(app, people, changes, fields):
    data = answers(people.school_a, **changes)
    response = post(app.test_client(), data)
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_data(as_text=True)
    problem = response.get_json()
    assert problem["type"] == "urn:dsr:problem:invalid-input" and problem["status"] == 422
    assert sorted(problem["errors"]) == sorted(fields)
    page = _form_page(app.test_client(), data)
    for field in fields:
        for message in problem["errors"][field]:
            assert message in page, f"{field}: the API says {message!r}, the form does not"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Case.id))).scalar_one() == 0


@pytest.mark.parametrize("changes, fields", [BAD_INPUTS[0], BAD_INPUTS[7], BAD_INPUTS[18], BAD_INPUTS[23]])
def test_messages_in_english_with_accept_language_en_as_the_english_form(app, people, changes, fields):
    data = answers(people.school_a, **changes)
    problem = post(app.test_client(), data, **{"Accept-Language": "en"}).get_json()
    dutch = post(app.test_client(), data).get_json()
    page = _form_page(app.test_client(), data, language="en")
    for field in fields:
        assert problem["errors"][field] != dutch["errors"][field]
        for message in problem["errors"][field]:
            assert message in page
    assert problem["detail"].startswith("Not all answers")


def test_the_api_checks_what_json_can_say_and_the_form_cannot(app, client, people):
    """Wrong JSON types, unknown fields, unreadable text and a language other than nl/en: 422 at the field."""
    data = answers(people.school_a, school_id=str(people.school_a), student_name=42, details=None,
                   requester_name="Alex \ud800", language="de", favourite_colour="blue")
    response = post(client, data)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors == {
        "school_id": ["Vul hier een geheel getal in."], "student_name": ["Vul hier tekst in."],
        "details": ["Vul hier tekst in."], "requester_name": ["Dit veld bevat ongeldige tekens."],
        "language": ["Kies nl of en."], "favourite_colour": ["Dit veld kent het formulier niet."],
    }
    # True is no school id (JSON booleans are not numbers here), and 3.5 is no whole number.
    for value in (True, 3.5):
        assert post(client, answers(people.school_a, school_id=value)).get_json()["errors"] == \
            {"school_id": ["Vul hier een geheel getal in."]}
    # A whole number written as 1.0 is the school's id.
    assert post(client, answers(people.school_a, school_id=float(people.school_a))).status_code == 201


def test_text_over_the_length_before_trimming_is_refused_as_the_schema_says(client, people):
    """The form trims before it counts; the schema counts what is sent. The API keeps to its schema."""
    response = post(client, answers(people.school_a, student_name="Sam" + " " * 200))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"student_name": ["Gebruik maximaal 200 tekens."]}


def test_optional_fields_may_be_empty_or_left_out_as_on_the_form(app, client, people):
    data = answers(people.school_a, subject="", student_number=" ", requester_phone=_MISSING, details=_MISSING,
                   data_concerned=_MISSING, correct_value=_MISSING)
    assert post(client, data).status_code == 201
    own = answers(people.school_a, subject="requester", parental_authority=_MISSING, right="objection")
    assert post(client, own).status_code == 201
    with app.app_context():
        assert sorted(db.session.execute(sa.select(Case.subject)).scalars()) == ["requester", "student"]


@pytest.mark.parametrize("content, content_type, status, kind", [
    (b"right=access", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
    (b'{"right": "access"}', "text/plain", 415, "unsupported-media-type"),
    (b'{"right": "access",', "application/json", 400, "bad-request"),
    (b"\xff\xfe{}", "application/json", 400, "bad-request"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "bad-request"),  # deeper than Python parses
    (b"[1, 2]", "application/json", 422, "invalid-input"),
    (b'"text"', "application/json", 422, "invalid-input"),
])
def test_a_body_that_is_not_a_json_object_gets_a_problem(client, people, content, content_type, status, kind):
    response = client.post(URL, data=content, content_type=content_type)
    assert response.status_code == status and response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["type"] == f"urn:dsr:problem:{kind}" and problem["status"] == status and problem["detail"]


def test_a_body_over_the_forms_cap_is_refused_with_413(app, client, people):
    data = answers(people.school_a, details="x" * (2 * 1024 * 1024))
    response = client.post(URL, data=json.dumps(data), content_type="application/json")
    assert response.status_code == 413 and response.mimetype == PROBLEM
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Case.id))).scalar_one() == 0


def test_no_answer_is_repeated_in_an_error(client, people):
    response = post(client, answers(people.school_a, requester_email="geheim.adres@@example.nl",
                                    student_name="Geheime Naam www.x.nl"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "geheim.adres" not in text and "Geheime Naam" not in text


def test_a_school_deactivated_since_the_list_was_read_is_refused_at_the_field(app, client, people):
    with app.app_context():
        db.session.get(School, people.school_b).active = False
        db.session.commit()
    response = post(client, answers(people.school_b))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"school_id": ["Kies een school uit de lijst."]}


# ---------------------------------------------------------------------------------------- the rate limits

def test_the_per_client_limit_is_the_forms_budget(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_CLIENT", "2 per hour")
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_RECIPIENT", "100 per hour")
    browser = app.test_client()
    assert browser.post("/", data=intake_data(people.school_a, requester_email="a@example.nl")).status_code == 302
    assert post(browser, answers(people.school_a, requester_email="b@example.nl")).status_code == 201
    limited = post(browser, answers(people.school_a, requester_email="c@example.nl"))
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    assert browser.post("/", data=intake_data(people.school_a, requester_email="d@example.nl")).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    assert post(other, answers(people.school_a, requester_email="e@example.nl")).status_code == 201


def test_the_per_recipient_limit_is_the_forms_budget_across_clients(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_CLIENT", "100 per hour")
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_RECIPIENT", "2 per hour")

    def client_at(address: str):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = address
        return browser

    assert client_at("192.0.2.1").post("/", data=intake_data(people.school_a)).status_code == 302
    assert post(client_at("192.0.2.2"), answers(people.school_a, requester_email="Alex.Jansen+2@example.nl")) \
        .status_code == 201
    assert post(client_at("192.0.2.3"), answers(people.school_a)).status_code == 429
    assert client_at("192.0.2.4").post("/", data=intake_data(people.school_a)).status_code == 429
    assert post(client_at("192.0.2.5"), answers(people.school_a, requester_email="iemand@example.nl")) \
        .status_code == 201


# ---------------------------------------------------------------------------------------- the schools

def test_the_schools_the_form_offers(app, client, people):
    with app.app_context():
        db.session.add(School(code="CCC", name="Basisschool C", school_type="po", active=False))
        db.session.commit()
    response = client.get("/api/v1/schools")
    assert response.status_code == 200
    data = response.get_json()
    assert not list(schema_of("SchoolList").iter_errors(data))
    assert data == {"schools": [
        {"id": people.school_a, "code": "AAA", "name": "School A", "type": "vo"},
        {"id": people.school_b, "code": "BBB", "name": "School B", "type": "vo"},
    ]}


def test_the_document_describes_both_operations_without_security(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)  # a valid OpenAPI 3.1 document with these parts in it
    post_op = doc["paths"]["/api/v1/requests"]["post"]
    assert post_op["security"] == [] and doc["paths"]["/api/v1/schools"]["get"]["security"] == []
    assert {"201", "400", "413", "415", "422", "429"} <= set(post_op["responses"])
    request_schema = doc["components"]["schemas"]["IntakeRequest"]
    form_fields = {name for name in IntakeForm.__dict__ if not name.startswith("_")} & set(request_schema["properties"])
    assert set(request_schema["properties"]) - form_fields == {"language"}
    assert request_schema["properties"]["student_name"]["maxLength"] == 200


def test_calls_without_a_token_have_the_apis_limit_per_client(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    browser = app.test_client()
    assert [browser.get("/api/v1/schools").status_code for _ in range(3)] == [200, 200, 429]
    limited = browser.get("/api/v1/schools")
    assert limited.mimetype == PROBLEM and limited.get_json()["type"] == "urn:dsr:problem:rate-limited"
    # Intake counts on its own (per operation), within the form's budget as well.
    assert [post(browser, answers(people.school_a)).status_code for _ in range(3)] == [201, 201, 429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.get("/api/v1/schools").status_code == 200


def test_the_api_stores_what_the_form_stores_for_the_same_answers(app, people):
    changes = {"right": "rectification", "data_concerned": "  Het adres  ", "correct_value": "Dorpsstraat 1",
               "student_number": "AB-12", "requester_phone": "+31 6 1234 5678", "details": "Graag snel.\nDank."}
    assert app.test_client().post("/", data=intake_data(people.school_a, **changes)).status_code == 302
    assert post(app.test_client(), answers(people.school_a, **changes)).status_code == 201
    skip = {"id", "reference", "confirm_nonce", "created_at", "updated_at", "version"}
    with app.app_context():
        form_case, api_case = db.session.execute(sa.select(Case).order_by(Case.id)).scalars().all()
        columns = [c.key for c in sa.inspect(Case).column_attrs if c.key not in skip]
        assert {c: getattr(api_case, c) for c in columns} == {c: getattr(form_case, c) for c in columns}
        assert api_case.data_concerned == "Het adres"
