"""Errors of the API as ``application/problem+json`` (RFC 9457), never an HTML page.

Every answer of the API that is not a success is a problem document: ``type`` (a stable URI naming the
kind of problem, documented in docs/api.md), ``title`` (short, the same for every occurrence), ``status``,
``detail`` (this occurrence, in plain words) and, for bad input, ``errors``: one entry per field with its
message, in Dutch unless the caller asks for English (``Accept-Language: en``).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..security import limiter
from .blueprint import PREFIX

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
#: The base of every problem ``type`` (a URN: stable, and never fetched); the names are listed in docs/api.md.
TYPE_BASE = "urn:dsr:problem:"

#: Title per status for problems raised without one (English: titles are for the developer of an
#: integration; ``detail`` and ``errors`` are what a person may be shown).
TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 413: "Payload too large",
    415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}
#: The ``type`` name per status for problems raised without one.
TYPES = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    406: "not-acceptable", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
    422: "invalid-input", 429: "rate-limited", 500: "internal-error", 503: "unavailable",
}


class ApiProblem(Exception):
    """Raise from an API view to answer with a problem document."""

    def __init__(self, status: int, detail: str = "", *, type_name: str | None = None, title: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or TITLES.get(status, ""))
        self.status, self.detail, self.headers = status, detail, headers or {}
        self.type_name = type_name or TYPES.get(status, "about:blank")
        self.title = title or TITLES.get(status, "Error")
        self.extensions = extensions


def problem_response(status: int, detail: str = "", *, type_name: str | None = None, title: str | None = None,
                     headers: dict[str, str] | None = None, **extensions: Any) -> Response:
    """A ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (type_name or TYPES.get(status, "error")),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_request() -> bool:
    """True for a request under ``/api/v1`` (whether or not a route matched)."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def init_app(app: Flask) -> None:
    """Answer errors under ``/api/v1`` with problem documents; other paths keep their HTML pages.

    The handlers are the app's (not the blueprint's), since an unknown path under ``/api/v1`` and a 405
    match no route of the blueprint; the HTML handlers in dsr/errors.py ask :func:`api_error` first.
    """

    @app.errorhandler(ApiProblem)
    def api_problem(exc: ApiProblem):
        return problem_response(exc.status, exc.detail, type_name=exc.type_name, title=exc.title,
                                headers=exc.headers, **exc.extensions)


def api_error(exc: BaseException, code: int) -> Response | None:
    """The problem document for an error under ``/api/v1``; None elsewhere (dsr/errors.py then renders its
    page). Keeps ``Allow`` on a 405 and ``Retry-After`` on a 429."""
    if not is_api_request():
        return None
    headers: dict[str, str] = {}
    if isinstance(exc, HTTPException):
        kept = dict(exc.get_headers())
        if exc.response is not None:  # flask-limiter's 429 carries its Retry-After on a response
            kept.update(exc.response.headers)
        headers = {name: kept[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if name in kept}
    if code == 429 and "Retry-After" not in headers:
        # flask-limiter sets Retry-After only with its headers switched on (dsr leaves them off), but it knows
        # the limit this request broke and when its window ends (RFC 9110 §10.2.3: seconds to wait).
        broken = limiter.current_limit
        if broken is not None:
            headers["Retry-After"] = str(max(1, int(broken.reset_at - time.time())))
    detail = ""
    if code == 429:
        detail = "Te veel verzoeken. Wacht even en probeer het opnieuw."
    return problem_response(code, detail, headers=headers)


def json_object_body() -> dict[str, Any]:
    """The call's body as a JSON object, or the problem that says why not: 415 when it is not sent as JSON,
    400 when it cannot be read, 422 when it is JSON but not an object."""
    if not request.is_json:
        raise ApiProblem(415, _("Stuur de antwoorden als JSON (Content-Type: application/json)."))
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than Python parses
        raise ApiProblem(400, _("De JSON in het verzoek is niet te lezen.")) from None
    if not isinstance(body, dict):
        raise ApiProblem(422, _("Stuur de antwoorden als één JSON-object."), errors={})
    return body
