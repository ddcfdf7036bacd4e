"""Public intake through the API: ``POST /api/v1/requests`` and ``GET /api/v1/schools`` (issue 18 point 4).

A school website or a parent portal sends the same answers as the public form (dsr/views/public.py). They
are checked by the form's own class (:class:`~dsr.forms.intake.IntakeForm`, CSRF off for this instance: the
API reads no cookie), within the same rate limits (the form's budget, shared: the same keys and scope), the
same body cap, and stored by the same service, so the requester gets the same receipt mail. The answer
says what the receipt says (reference, dates, the address confirmation step) and never repeats what was
typed in. Before the form, the body is checked against the request schema of the OpenAPI document, so
that every answer of the API keeps to its own description (a wrong type, an unknown field).
"""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs are installed
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from ..forms.base import INVALID_CHARACTERS
from ..forms.intake import IntakeForm
from ..security import limiter, recipient_limit_key
from ..services import api_intake, cases
from ..services.schools import forget_active_schools
from ..views.public import INTAKE_MAX_CONTENT_LENGTH
from ..workflows import deadlines, policy
from ..workflows.vocabulary import SUBJECT_LABELS
from .blueprint import PREFIX, bp
from .language import in_callers_language
from .openapi import describe, json_response, problem_response
from .problems import ApiProblem, json_object_body

#: The form's text fields, their JSON type (all strings, the school an integer) and the form's length limits.
_MAX_ID = 2**31 - 1
_TEXT = {"type": "string"}

REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The answers of the public request form. Text is trimmed before it is checked. Conditional "
                   "rules, as on the form: `parental_authority` is required when `requester_role` is parent, "
                   "guardian or carer and `subject` is not `requester`; `data_concerned` is required for "
                   "rectification, erasure and consent_withdrawal; `correct_value` is required for "
                   "rectification. Names hold no web or e-mail address and no line breaks. The birth date "
                   "makes the student between 2 and 40 years old and is not in the future.",
    "additionalProperties": False,
    "required": ["right", "school_id", "student_name", "student_birth_date", "requester_role", "requester_name",
                 "requester_email"],
    "properties": {
        "right": {"type": "string", "enum": list(policy.RIGHTS), "description": "What is asked."},
        "school_id": {"type": "integer", "minimum": 1, "maximum": _MAX_ID,
                      "description": "An active school's id, from GET /api/v1/schools."},
        "student_name": {**_TEXT, "minLength": 1, "maxLength": 200, "description": "One line."},
        "student_birth_date": {**_TEXT, "maxLength": 40, "examples": ["2012-03-14", "14-03-2012"],
                               "description": "The student's birth date: YYYY-MM-DD, or dd-mm-jjjj as on the form."},
        "student_number": {**_TEXT, "maxLength": 40, "pattern": r"^\s*[A-Za-z0-9-]*\s*$",
                           "description": "Optional: letters, digits and hyphens."},
        "requester_role": {"type": "string", "enum": list(policy.REQUESTERS), "description": "Who asks."},
        "subject": {"type": "string", "enum": [*SUBJECT_LABELS, ""],
                    "description": "Whose data: the student's (default; also when missing or empty) or the "
                                   "requester's own (not for a student)."},
        "parental_authority": {"type": "string", "enum": ["yes", "no", "unknown", ""],
                               "description": "Does the requester hold parental authority (see the rules above)."},
        "requester_name": {**_TEXT, "minLength": 1, "maxLength": 200, "description": "One line."},
        "requester_email": {**_TEXT, "minLength": 1, "maxLength": 254,
                            "description": "Where the receipt goes; no accents before the @."},
        "requester_phone": {**_TEXT, "maxLength": 40, "pattern": r"^\s*(\+?[0-9 ()-]{8,20})?\s*$",
                            "description": "Optional."},
        "details": {**_TEXT, "maxLength": 5000, "description": "Optional; read by the school's privacy staff."},
        "data_concerned": {**_TEXT, "maxLength": 2000, "description": "Which data; read by the school's staff."},
        "correct_value": {**_TEXT, "maxLength": 2000, "description": "The correct value; read by the school's staff."},
        "language": {"type": "string", "enum": ["nl", "en"],
                     "description": "The language of the receipt and of every mail to the requester; default: "
                                    "the Accept-Language of this call (nl or en)."},
    },
}
_VALIDATOR = Draft202012Validator(REQUEST_SCHEMA)
_FORM_FIELDS = tuple(name for name in REQUEST_SCHEMA["properties"] if name != "language")

RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reference", "received_on", "due_on", "deadline_explanation", "language", "next_step"],
    "properties": {
        "reference": {"type": "string", "pattern": r"^AVG-[0-9]{4}-[0-9]{5,}$"},
        "received_on": {"type": "string", "format": "date", "description": "The legal date of receipt."},
        "due_on": {"type": "string", "format": "date", "description": "The legal deadline for the answer."},
        "deadline_explanation": {"type": "string", "description": "How the deadline was computed."},
        "language": {"type": "string", "enum": ["nl", "en"]},
        "next_step": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind", "text", "link_valid_days"],
            "properties": {
                "kind": {"type": "string", "enum": ["confirm_email"]},
                "text": {"type": "string"},
                "link_valid_days": {"type": "integer", "minimum": 1},
            },
        },
    },
}
SCHOOLS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["schools"],
    "properties": {"schools": {"type": "array", "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "code", "name", "type"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "type": {"type": "string", "description": "po, vo or mbo."},
        },
    }}},
}


@bp.url_value_preprocessor
def _limit_body(endpoint, values) -> None:
    """The form's body cap for the API's intake, set before anything reads the body."""
    if endpoint == "api.create_request":
        request.max_content_length = INTAKE_MAX_CONTENT_LENGTH


def _posted_email() -> str:
    """The ``requester_email`` of the JSON body for the per-recipient limit ('' if there is none to read)."""
    if not request.is_json:
        return ""
    try:
        body = request.get_json(silent=True)
    except (RequestEntityTooLarge, RecursionError):  # the view reads the body again and answers 413 or 400
        return ""
    email = body.get("requester_email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return ""
    try:
        email.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the view refuses it at the field
        return ""
    return email


def public_limit() -> str:
    """API_RATE_LIMIT: the API's calls per client address for calls without a token."""
    return str(current_app.config["API_RATE_LIMIT"])


def _recipient() -> str:
    return recipient_limit_key(_posted_email())


@bp.route("/requests", methods=["POST"])
# The form's limits with the form's keys and the form's scope (its endpoint): the form and the API share one
# budget per client and per recipient, so the API is no way around them.
@limiter.shared_limit(lambda: current_app.config["INTAKE_LIMIT_PER_CLIENT"], scope="public.intake")
@limiter.shared_limit(lambda: current_app.config["INTAKE_LIMIT_PER_RECIPIENT"], scope="public.intake",
                      key_func=_recipient)
@limiter.limit(public_limit)  # and the API's own limit per client for calls without a token
@in_callers_language
def create_request():
    """Register a request as the public form does and answer with what the receipt says (201)."""
    body = json_object_body()
    errors = _schema_errors(body)
    form = IntakeForm(formdata=_formdata(body, skip=errors), meta={"csrf": False})
    form.validate()
    for name, messages in form.errors.items():
        if name in _FORM_FIELDS and name not in errors:
            errors[name] = [str(message) for message in messages]
    for name, messages in _constraint_errors(body).items():
        errors.setdefault(name, messages)
    language = body.get("language") or _default_receipt_language()
    if errors:
        raise _invalid(errors)
    try:
        receipt = api_intake.submit(form.to_request(), language=language)
    except cases.UnknownSchool:
        forget_active_schools()  # as the form does: this process's list predates a deactivation elsewhere
        raise _invalid({"school_id": [_("Kies een school uit de lijst.")]}) from None
    return _receipt_response(receipt), 201


def _default_receipt_language() -> str:
    """The language of this call (in_callers_language chose it from Accept-Language)."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in ("nl", "en") else "nl"


def _readable(value: Any) -> bool:
    """False for text no database or mail can carry (a lone UTF-16 surrogate, which JSON can spell)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _schema_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    """Errors the form cannot see: an unknown field, a value of the wrong JSON type, unreadable text, a
    language other than nl or en. Those fields do not reach the form."""
    errors: dict[str, list[str]] = {}
    properties = REQUEST_SCHEMA["properties"]
    for name, value in body.items():
        if name not in properties:
            # The name as sent (at most 100 characters: a long one is not repeated in full).
            errors[name[:100] if _readable(name) else "?"] = [_("Dit veld kent het formulier niet.")]
        elif properties[name]["type"] == "integer" and (isinstance(value, bool) or not isinstance(value, int | float)
                                                         or isinstance(value, float) and not value.is_integer()):
            errors[name] = [_("Vul hier een geheel getal in.")]
        elif properties[name]["type"] == "string" and not isinstance(value, str):
            errors[name] = [_("Vul hier tekst in.")]
        elif not _readable(value):
            errors[name] = [str(INVALID_CHARACTERS)]
        elif name == "language" and value not in ("nl", "en"):
            errors[name] = [_("Kies nl of en.")]
    return errors


def _formdata(body: dict[str, Any], *, skip: dict[str, list[str]]) -> MultiDict:
    """The answers as the form would have them posted (fields with a wrong type left out)."""
    data: MultiDict = MultiDict()
    for name in _FORM_FIELDS:
        if name in body and name not in skip:
            value = body[name]
            data.add(name, str(int(value)) if name == "school_id" else value)
    return data


def _constraint_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    """What the request schema refuses and the form let through (e.g. text over its length before trimming),
    so that a body outside the schema is never accepted."""
    errors: dict[str, list[str]] = {}
    for error in _VALIDATOR.iter_errors(body):
        if not error.path or error.validator == "required":  # the form's messages name the missing fields
            continue
        name = str(error.path[0])
        if error.validator == "maxLength":
            message = _("Gebruik maximaal %(max)d tekens.", max=error.validator_value)
        else:
            message = _("Deze waarde is hier niet toegestaan.")
        errors.setdefault(name, [message])
    return errors


def _invalid(errors: dict[str, list[str]]) -> ApiProblem:
    return ApiProblem(422, _("Niet alle antwoorden zijn goed ingevuld. Zie de meldingen per veld."), errors=errors)


def _receipt_response(receipt: api_intake.Receipt):
    """The receipt in the requester's language: reference, dates and the next step; nothing typed in."""
    days = int(current_app.config["CONFIRM_LINK_MAX_AGE_DAYS"])
    with force_locale(receipt.language):
        text = _("We hebben een e-mail gestuurd naar het opgegeven adres. Met de link in die e-mail bevestigt de "
                 "aanvrager het e-mailadres; de link werkt %(days)d dagen en één keer. Pas daarna volgt de "
                 "ontvangstbevestiging met de datum van het antwoord.", days=days)
    response = jsonify({
        "reference": receipt.reference,
        "received_on": receipt.received_on.isoformat(),
        "due_on": receipt.due_on.isoformat(),
        "deadline_explanation": deadlines.explain_deadline(receipt.received_on, lang=receipt.language),
        "language": receipt.language,
        "next_step": {"kind": "confirm_email", "text": text, "link_valid_days": days},
    })
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/schools")
@limiter.limit(public_limit)
def list_schools():
    """The active schools the form offers (id, code, name, type)."""
    return jsonify({"schools": [{"id": school.id, "code": school.code, "name": school.name, "type": school.type}
                                for school in api_intake.public_schools()]})


_LIMITED = problem_response("Too many requests from this client or to this address (the form's limits, shared "
                            "with the form).")

describe({
    PREFIX + "/requests": {
        "post": {
            "operationId": "createRequest",
            "summary": "Submit a data-subject request, as the public form does.",
            "description": "The same answers, rules, limits and receipt mail as the form. The answer carries the "
                           "reference and the dates, never the answers. Messages in `detail` and `errors` are in "
                           "Dutch, or English with `Accept-Language: en`.",
            "tags": ["intake"],
            "security": [],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/IntakeRequest"}}}},
            "responses": {
                "201": json_response("Stored; the receipt mail is on its way.",
                                     {"$ref": "#/components/schemas/IntakeReceipt"}),
                "400": problem_response("The body is not readable JSON."),
                "413": problem_response("The body is larger than 2 MB."),
                "415": problem_response("The body is not application/json."),
                "422": problem_response("Invalid answers: `errors` has the messages per field."),
                "429": _LIMITED,
            },
        },
    },
    PREFIX + "/schools": {
        "get": {
            "operationId": "listSchools",
            "summary": "The active schools a request can be made for.",
            "tags": ["intake"],
            "security": [],
            "responses": {
                "200": json_response("The schools, by name.", {"$ref": "#/components/schemas/SchoolList"}),
                "429": problem_response("Too many requests."),
            },
        },
    },
}, {"IntakeRequest": REQUEST_SCHEMA, "IntakeReceipt": RECEIPT_SCHEMA, "SchoolList": SCHOOLS_SCHEMA})
