"""The integrations' endpoints (API token): the cases of the token's schools and the dashboard's figures.

``GET /api/v1/cases`` (filters, pages of at most 100), ``GET /api/v1/cases/{id}`` (a case of another
school is a 404 exactly like a missing one) and ``GET /api/v1/figures``. Ids, keys, states and dates only
(dsr/services/api_cases.py); bad query parameters are a 422 problem with ``errors`` per parameter.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from flask import g, jsonify, request
from flask_babel import gettext as _

from ..services import api_cases, api_tokens, reports
from ..services.clock import local_today
from .auth import token_required
from .blueprint import PREFIX, bp
from .openapi import API_TOKEN, describe, json_response, problem_response
from .problems import ApiProblem
from .scopes import CASES_READ, FIGURES_READ

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
_MAX_ID = 2**31 - 1  # the id columns are 32-bit on PostgreSQL


class _Checker:
    """Reads query parameters and collects a message per bad one (in the order met)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def bad(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raw(self, name: str) -> str | None:
        value = request.args.get(name)
        if value is None:
            return None
        if "\x00" in value:
            self.bad(name, _("Ongeldige tekens."))
            return None
        return value

    def date(self, name: str) -> dt.date | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.bad(name, _("Geef een datum als JJJJ-MM-DD, bijvoorbeeld 2026-01-31."))
            return None

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        if value not in allowed:
            self.bad(name, _("Kies een van: %(values)s.", values=", ".join(allowed)))
            return None
        return value

    def school(self, name: str = "school") -> int | None:
        """The id of one of the token's schools, by code."""
        value = self.raw(name)
        if value is None:
            return None
        schools = {school.code: school.id for school in g.api_token.schools}
        if value not in schools:
            self.bad(name, _("Geen school van dit API-token. Kies een van: %(values)s.",
                             values=", ".join(sorted(schools))))
            return None
        return schools[value]

    def check(self) -> None:
        if self.errors:
            raise ApiProblem(422, _("Een of meer parameters zijn niet geldig."), errors=self.errors)


def _positive(checker: _Checker, name: str, *, maximum: int) -> int | None:
    value = checker.raw(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or not 1 <= int(value) <= maximum:
        checker.bad(name, _("Geef een geheel getal van 1 tot en met %(maximum)s.", maximum=maximum))
        return None
    return int(value)


@bp.route("/cases")
@token_required(CASES_READ, "listCases")
def list_cases():
    """A page of the token's cases, by id, with the link to the next page."""
    checker = _Checker()
    filters = api_cases.CaseFilters(
        school_id=checker.school(), state=checker.choice("state", api_cases.STATES),
        status=checker.choice("status", api_cases.STATUSES),
        received_from=checker.date("received_from"), received_to=checker.date("received_to"))
    limit = _positive(checker, "limit", maximum=MAX_LIMIT) or DEFAULT_LIMIT
    after = _positive(checker, "cursor", maximum=_MAX_ID)
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        checker.bad("received_to", _("De einddatum ligt vóór de begindatum."))
    checker.check()
    items, next_after = api_cases.list_cases(api_tokens.reader(g.api_token), filters, limit=limit, after_id=after)
    g.api_read = {"case_ids": [item["id"] for item in items]}
    next_link = None
    if next_after is not None:
        args = {key: value for key, value in request.args.items() if key != "cursor"}
        args["cursor"] = str(next_after)
        next_link = f"{PREFIX}/cases?{urlencode(args)}"
    response = jsonify({"items": items, "next": next_link})
    if next_link is not None:
        response.headers["Link"] = f'<{next_link}>; rel="next"'  # RFC 8288, for clients that page by headers
    return response


@bp.route("/cases/<int:case_id>")
@token_required(CASES_READ, "getCase")
def get_case(case_id: int):
    """One case of the token's schools with its steps' dates."""
    item = api_cases.read_case(api_tokens.reader(g.api_token), case_id)
    if item is None:
        raise ApiProblem(404, _("Geen zaak met dit nummer bij de scholen van dit API-token."))
    g.api_read = {"case_ids": [case_id]}
    return jsonify(item)


@bp.route("/figures")
@token_required(FIGURES_READ, "getFigures")
def figures():
    """The dashboard's figures for the token's schools, or one of them, over a period of receipt."""
    checker = _Checker()
    school_id = checker.school()
    start, end = checker.date("from"), checker.date("to")
    default = reports.Period.last_twelve_months(local_today())
    period = default
    try:
        period = reports.Period(start or default.start, end or default.end)
    except ValueError:
        checker.bad("to", _("De periode kan niet: het einde ligt vóór het begin, of hij is langer dan vijf jaar."))
    checker.check()
    body = api_cases.figures(api_tokens.reader(g.api_token), period=period, school_id=school_id)
    g.api_read = {"schools": [body["school"]] if body["school"] else body["schools"]}
    return jsonify(body)


# --------------------------------------------------------------------------- the OpenAPI description

_DATE = {"type": "string", "format": "date"}
_ERRORS = {
    "401": problem_response("No token, or an unknown, expired or revoked one."),
    "403": problem_response("The token lacks the permission this operation needs."),
    "429": problem_response("Too many calls with this token (API_RATE_LIMIT); see Retry-After."),
}
_SECURITY: list[dict[str, list[str]]] = [{API_TOKEN: []}]
_CASE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer", "minimum": 1, "maximum": _MAX_ID},
    "reference": {"type": ["string", "null"], "maxLength": 20,
                  "description": "The case's reference, as in the letters (null before it has one)."},
    "school": {"type": "string", "description": "The school's code."},
    "right": {"type": "string", "enum": list(api_cases.RIGHTS), "description": "The right asked."},
    "state": {"type": "string", "enum": list(api_cases.STATES)},
    "received_on": _DATE,
    "due_on": {**_DATE, "description": "The legal deadline, an extension included."},
    "extended": {"type": "boolean", "description": "Whether the deadline was extended (art. 12(3) GDPR)."},
    "closed_on": {"type": ["string", "null"], "format": "date",
                  "description": "When the case ended (decided, withdrawn or closed unverified); null while open."},
    "outcome": {"enum": [*api_cases.OUTCOMES, None], "description": "The decision; null before one."},
    "grounds": {"type": "array", "items": {"type": "string", "enum": list(api_cases.GROUNDS)},
                "description": "The legal grounds of a (partial) refusal, as keys; empty otherwise."},
}
_CASE = {"type": "object", "additionalProperties": False, "required": list(_CASE_PROPERTIES),
         "properties": _CASE_PROPERTIES}
_CASE_DETAIL_PROPERTIES: dict[str, Any] = {
    **_CASE_PROPERTIES,
    "extended_on": {"type": ["string", "null"], "format": "date"},
    "steps": {"type": "array", "description": "The states the case reached and when (no texts).", "items": {
        "type": "object", "additionalProperties": False, "required": ["state", "at"],
        "properties": {"state": {"type": "string", "enum": list(api_cases.STATES)},
                       "at": {"type": "string", "format": "date-time"}}}},
}
_SCHOOL_PARAMETER = {"name": "school", "in": "query", "required": False,
                     "description": "One of the token's schools, by code.",
                     "schema": {"type": "string", "minLength": 1, "maxLength": 20}}

describe({
    PREFIX + "/cases": {"get": {
        "operationId": "listCases",
        "summary": "The cases of the token's schools, by id, a page at a time.",
        "tags": ["integrations"],
        "security": _SECURITY,
        "parameters": [
            _SCHOOL_PARAMETER,
            {"name": "state", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(api_cases.STATES)}},
            {"name": "status", "in": "query", "required": False,
             "description": "open: the legal clock runs; closed: decided, withdrawn or closed unverified.",
             "schema": {"type": "string", "enum": list(api_cases.STATUSES)}},
            {"name": "received_from", "in": "query", "required": False, "schema": _DATE},
            {"name": "received_to", "in": "query", "required": False, "schema": _DATE},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
            {"name": "cursor", "in": "query", "required": False,
             "description": "Where the page starts: the cursor in the previous page's next link.",
             "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_ID}},
        ],
        "responses": {
            "200": {**json_response("A page of cases.", {"$ref": "#/components/schemas/CaseList"}),
                    "headers": {"Link": {"description": "The next page (rel=\"next\"), as in the body's next; "
                                                        "absent on the last page.",
                                         "schema": {"type": "string"}}}},
            **_ERRORS,
            "422": problem_response("A bad query parameter; errors names each."),
        },
    }},
    PREFIX + "/cases/{case_id}": {"get": {
        "operationId": "getCase",
        "summary": "One case of the token's schools, with the dates of its steps.",
        "tags": ["integrations"],
        "security": _SECURITY,
        "parameters": [{"name": "case_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_ID}}],
        "responses": {
            "200": json_response("The case.", {"$ref": "#/components/schemas/CaseDetail"}),
            **_ERRORS,
            "404": problem_response("No such case among the token's schools (another school's looks the same)."),
        },
    }},
    PREFIX + "/figures": {"get": {
        "operationId": "getFigures",
        "summary": "The dashboard's figures for the token's schools (or one), cases received in a period.",
        "tags": ["integrations"],
        "security": _SECURITY,
        "parameters": [
            _SCHOOL_PARAMETER,
            {"name": "from", "in": "query", "required": False, "description": "Default: twelve months ago.",
             "schema": _DATE},
            {"name": "to", "in": "query", "required": False, "description": "Default: today. At most five years "
             "after from.", "schema": _DATE},
        ],
        "responses": {
            "200": json_response("The figures.", {"$ref": "#/components/schemas/Figures"}),
            **_ERRORS,
            "422": problem_response("A bad query parameter or period; errors names each."),
        },
    }},
}, {
    "Case": _CASE,
    "CaseDetail": {"type": "object", "additionalProperties": False, "required": list(_CASE_DETAIL_PROPERTIES),
                   "properties": _CASE_DETAIL_PROPERTIES},
    "CaseList": {
        "type": "object", "additionalProperties": False, "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "maxItems": MAX_LIMIT, "items": {"$ref": "#/components/schemas/Case"}},
            "next": {"type": ["string", "null"], "description": "The next page's path and query; null on the last."},
        },
    },
    "Figures": {
        "type": "object", "additionalProperties": False,
        "required": ["period", "school", "schools", "as_of", "sections", "flags"],
        "properties": {
            "period": {"type": "object", "additionalProperties": False, "required": ["from", "to"],
                       "properties": {"from": _DATE, "to": _DATE}},
            "school": {"type": ["string", "null"], "description": "The school chosen; null: all the token's."},
            "schools": {"type": "array", "items": {"type": "string"}},
            "as_of": {**_DATE, "description": "The day the figures were taken (overdue counts are as of then)."},
            "sections": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["key", "unit", "rows"],
                "properties": {
                    "key": {"type": "string", "enum": list(api_cases.SECTION_UNITS)},
                    "unit": {"type": "string", "enum": sorted(set(api_cases.SECTION_UNITS.values()))},
                    "rows": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False, "required": ["key", "value"],
                        "properties": {"key": {"type": "string"},
                                       "value": {"type": ["number", "null"], "minimum": 0}}}},
                }}},
            "flags": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["key", "count"],
                "properties": {"key": {"type": "string", "enum": list(api_cases.FLAG_KEYS)},
                               "count": {"type": "integer", "minimum": 0}}}},
        },
    },
})
