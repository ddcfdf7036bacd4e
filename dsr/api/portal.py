"""The requester's case status through the API: ``/api/v1/portal/session`` and ``/api/v1/portal/status``.

The token of a "Mijn verzoek" link is exchanged for a portal session exactly as the portal's ``enter``
page does (single use, audited), and the session's id comes back once; the caller sends it in the
``X-Portal-Session`` header. The status is what the portal's status page shows (services/portal_api.py),
with the portal's idle and absolute timeouts; ``DELETE`` signs out as the portal's "Afmelden" does.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from ..security import limiter
from ..services import portal_api
from ..services.links import TokenError
from .blueprint import PREFIX, bp
from .intake import public_limit
from .language import api_language, in_callers_language
from .openapi import PORTAL_SESSION, describe, json_response, problem_response
from .problems import ApiProblem, json_object_body

#: The session id header (the security scheme in dsr/api/openapi.py).
HEADER = "X-Portal-Session"
#: Bodies here are a token at most: the portal's cap for its text forms.
MAX_BODY = 64 * 1024
_MAX_TOKEN = 1000


@bp.url_value_preprocessor
def _limit_body(endpoint, values) -> None:
    """A small body cap for the portal's calls, set before anything reads the body."""
    if endpoint in ("api.open_portal_session", "api.close_portal_session", "api.portal_status"):
        request.max_content_length = MAX_BODY


@bp.route("/portal/session", methods=["POST"])
@limiter.limit("20 per minute")  # as the portal's link page
@limiter.limit(public_limit)
@in_callers_language
def open_portal_session():
    """Exchange the token of a "Mijn verzoek" link for a portal session (201; the id is shown once)."""
    token = _token()
    try:
        opened = portal_api.open_session(token)
    except TokenError as exc:
        if exc.expired:
            raise ApiProblem(410, _("Deze link is verlopen. Vraag een nieuwe link aan op de pagina Mijn verzoek."),
                             type_name="link-expired", title="Link expired") from None
        raise ApiProblem(401, _("Deze link werkt niet (meer). Een link werkt één keer; vraag een nieuwe aan op de "
                                "pagina Mijn verzoek."), type_name="link-invalid", title="Link not valid") from None
    response = jsonify({"session": opened.session, "expires_at": opened.expires_at.isoformat(),
                        "idle_timeout_seconds": opened.idle_seconds})
    response.headers["Cache-Control"] = "no-store"
    return response, 201


def _token() -> str:
    """The ``token`` of the JSON body: 415 when the body is not JSON, 400 unreadable, 422 not a token."""
    body = json_object_body()
    errors: dict[str, list[str]] = {}
    token = body.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN:
        errors["token"] = [_("Vul de code uit de link naar Mijn verzoek in.")]
    for name in body:
        if name != "token":
            errors["?" if not name.isprintable() else name[:100]] = [_("Dit veld kent het formulier niet.")]
    if errors:
        raise ApiProblem(422, _("Niet alle antwoorden zijn goed ingevuld. Zie de meldingen per veld."),
                         errors=errors)
    assert isinstance(token, str)
    return token


def _session_id() -> str:
    value = request.headers.get(HEADER, "")
    if not value or len(value) > _MAX_TOKEN:
        raise _unauthenticated(_("Stuur de sessie van Mijn verzoek mee in de kop X-Portal-Session."))
    return value


def _unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(401, detail, headers={"WWW-Authenticate": f'ApiKey header="{HEADER}"'})


def _gone(exc: portal_api.SessionGone) -> ApiProblem:
    if exc.timed_out:
        return _unauthenticated(_("U was een tijd niet actief. Vraag een nieuwe link aan om verder te gaan."))
    return _unauthenticated(_("Deze sessie van Mijn verzoek is beëindigd. Vraag een nieuwe link aan om verder te "
                              "gaan."))


@bp.route("/portal/status")
@limiter.limit(public_limit)
@in_callers_language
def portal_status():
    """What the portal's status page shows of the session's case (200), in the caller's language."""
    try:
        facts = portal_api.status(_session_id(), api_language())
    except portal_api.SessionGone as exc:
        raise _gone(exc) from None
    response = jsonify(facts)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/portal/session", methods=["DELETE"])
@limiter.limit(public_limit)
@in_callers_language
def close_portal_session():
    """Sign out: the session ends for whoever holds its id (204)."""
    try:
        portal_api.sign_out(_session_id())
    except portal_api.SessionGone as exc:
        raise _gone(exc) from None
    return "", 204


_DATE = {"type": "string", "format": "date"}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_SESSION_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["session", "expires_at", "idle_timeout_seconds"],
    "properties": {
        "session": {"type": "string", "description": "Send it as X-Portal-Session; shown only here."},
        "expires_at": {"type": "string", "format": "date-time",
                       "description": "The absolute end; unused for idle_timeout_seconds, it ends sooner."},
        "idle_timeout_seconds": {"type": "integer", "minimum": 1},
    },
}
_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["reference", "language", "state", "right", "school", "received_on", "deadline", "deadline_history",
                 "steps", "information_requested", "letters"],
    "properties": {
        "reference": _TEXT,
        "language": {"type": "string", "enum": ["nl", "en"]},
        "state": {"type": "object", "additionalProperties": False, "required": ["label", "meaning", "open"],
                  "properties": {"label": _TEXT, "meaning": _TEXT,
                                 "open": {"type": "boolean", "description": "Still being handled."}}},
        "right": {"type": "object", "additionalProperties": False, "required": ["key", "label"],
                  "properties": {"key": _TEXT, "label": _TEXT}},
        "school": {"type": "string", "description": "The school's name."},
        "received_on": _DATE,
        "deadline": {"oneOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False, "required": ["due_on", "sentence", "explanation"],
            "properties": {"due_on": _DATE, "sentence": _TEXT, "explanation": _TEXT}}],
            "description": "While the request is being handled; null once it is done."},
        "deadline_history": {"type": "array", "description": "Why the date changed (empty if it did not).",
                             "items": {"type": "object", "additionalProperties": False, "required": ["text", "reason"],
                                       "properties": {"text": _TEXT, "reason": _NULLABLE_TEXT}}},
        "steps": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "label", "status", "status_label", "waiting_for_requester"],
            "properties": {"key": _TEXT, "label": _TEXT, "status": _TEXT, "status_label": _TEXT,
                           "waiting_for_requester": {"type": "boolean"}}}},
        "information_requested": {"oneOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False,
            "required": ["kind", "what", "reason", "answer_by", "clock_paused", "clock"],
            "properties": {"kind": {"type": "string", "description": "identity, authority or clarification."},
                           "what": _TEXT, "reason": _NULLABLE_TEXT,
                           "answer_by": {"type": ["string", "null"], "format": "date"},
                           "clock_paused": {"type": "boolean"}, "clock": _TEXT}}],
            "description": "What the school asked of the requester; null when nothing is asked."},
        "letters": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["title", "sent_at"],
            "properties": {"title": _TEXT, "sent_at": {"type": ["string", "null"], "format": "date-time"}}}},
    },
}
_TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["token"],
    "properties": {"token": {"type": "string", "minLength": 1, "maxLength": _MAX_TOKEN,
                             "description": "The last part of a 'Mijn verzoek' link (after /mijn-verzoek/link/)."}},
}
_SESSION_REQUIRED = problem_response("No live portal session: none sent, ended (signed out, withdrawn) or timed out.")
_SECURITY: list[dict[str, list[str]]] = [{PORTAL_SESSION: []}]

describe({
    PREFIX + "/portal/session": {
        "post": {
            "operationId": "openPortalSession",
            "summary": "Exchange a 'Mijn verzoek' link for a portal session (single use).",
            "tags": ["portal"],
            "security": [],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PortalToken"}}}},
            "responses": {
                "201": json_response("The session; its id is shown only here.",
                                     {"$ref": "#/components/schemas/PortalSession"}),
                "400": problem_response("The body is not readable JSON."),
                "401": problem_response("The link is not valid, or was used before."),
                "410": problem_response("The link has expired."),
                "413": problem_response("The body is too large."),
                "415": problem_response("The body is not application/json."),
                "422": problem_response("No token in the body."),
                "429": problem_response("Too many requests."),
            },
        },
        "delete": {
            "operationId": "closePortalSession",
            "summary": "Sign out: the session ends.",
            "tags": ["portal"],
            "security": _SECURITY,
            "responses": {
                "204": {"description": "Signed out."},
                "401": _SESSION_REQUIRED,
                "429": problem_response("Too many requests."),
            },
        },
    },
    PREFIX + "/portal/status": {
        "get": {
            "operationId": "getPortalStatus",
            "summary": "Where the request stands, as the 'Mijn verzoek' page shows it.",
            "description": "Texts in Dutch, or English with `Accept-Language: en`. Never a staff member's "
                           "internal note; messages, uploads and the letters themselves are on the portal page.",
            "tags": ["portal"],
            "security": _SECURITY,
            "responses": {
                "200": json_response("The status.", {"$ref": "#/components/schemas/PortalStatus"}),
                "401": _SESSION_REQUIRED,
                "429": problem_response("Too many requests."),
            },
        },
    },
}, {"PortalToken": _TOKEN_SCHEMA, "PortalSession": _SESSION_SCHEMA, "PortalStatus": _STATUS_SCHEMA})
