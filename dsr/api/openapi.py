"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Each part of the API describes its own routes where it defines them, with :func:`describe` (paths and
the schemas they use); :func:`document` puts the parts together. tests/api checks that every route under
``/api/v1`` is in the document and every operation in the document has a route, and Schemathesis tests the
running app against it.
"""
from __future__ import annotations

import copy
from typing import Any

from flask import jsonify

from .blueprint import PREFIX, bp

#: The security schemes the parts name in their operations' ``security``.
API_TOKEN = "apiToken"  # integrations: Authorization: Bearer <token> (services/api_tokens.py)
PORTAL_SESSION = "portalSession"  # the requester: X-Portal-Session: <session> (dsr/api/portal.py)

_BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "dsr API",
        "version": "1.0.0",
        "summary": "Data-subject requests (AVG/GDPR) at ASG: public intake, the requester's status, and cases and "
                   "figures for the school's integrations.",
        "description": "See docs/api.md. Errors are application/problem+json (RFC 9457).",
        "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            API_TOKEN: {"type": "http", "scheme": "bearer",
                        "description": "An API token the admin created (shown once), scoped to schools and "
                                       "permissions, with an expiry."},
            PORTAL_SESSION: {"type": "apiKey", "in": "header", "name": "X-Portal-Session",
                             "description": "A requester's portal session, from POST /api/v1/portal/session "
                                            "with the token of a 'Mijn verzoek' link."},
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details.",
                "required": ["type", "title", "status"],
                "properties": {
                    "type": {"type": "string", "format": "uri"},
                    "title": {"type": "string"},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "object",
                        "description": "Per field, its messages (bad input only).",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "responses": {},
    },
    "paths": {},
}

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, Any] = {}


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response object for an error answered with a problem document."""
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI response object for a JSON answer."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe(paths: dict[str, dict[str, Any]], schemas: dict[str, Any] | None = None) -> None:
    """Add a part's operations (full paths, e.g. ``/api/v1/cases``) and the schemas they refer to.

    Called by each part at import; a path or schema described twice is a programming error.
    """
    for path, operations in paths.items():
        assert path.startswith(PREFIX + "/"), path
        existing = _PATHS.setdefault(path, {})
        clash = set(existing) & set(operations)
        assert not clash, f"{path}: {clash} described twice"
        existing.update(operations)
    for name, schema in (schemas or {}).items():
        assert name not in _SCHEMAS, f"schema {name} described twice"
        _SCHEMAS[name] = schema


def document() -> dict[str, Any]:
    """The whole OpenAPI document (a fresh copy)."""
    doc = copy.deepcopy(_BASE)
    doc["paths"] = copy.deepcopy(_PATHS)
    doc["components"]["schemas"].update(copy.deepcopy(_SCHEMAS))
    return doc


@bp.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


describe({
    PREFIX + "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document.",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": json_response("The OpenAPI 3.1 document.", {"type": "object"})},
        },
    },
})
