"""The JSON API under ``/api/v1`` (issue 18; docs/api.md).

One blueprint; each part adds its routes to it and describes them in the OpenAPI document
(:mod:`dsr.api.openapi`): public intake, the requester's case status through the portal, and for
integrations with an API token the cases and the dashboard's figures per school. Every error is
``application/problem+json`` (RFC 9457; :mod:`.problems`). No cookie is read and no CSRF token asked: the
API is called with a token in a header, never with a browser session (:func:`init_app`).
"""
from __future__ import annotations

from flask import Flask

from .blueprint import bp


def init_app(app: Flask) -> None:
    """Register the API blueprint with its parts, the problem+json error handlers and the CSRF exemption."""
    from ..extensions import csrf  # when the factory runs, like the views (dsr/__init__.py)

    # The parts add their routes to ``bp`` when imported: imported when the factory runs, one line each.
    from . import (
        cases,  # noqa: F401  (GET /api/v1/cases, /cases/{id}, /figures: integrations with an API token)
        intake,  # noqa: F401  (POST /api/v1/requests, GET /api/v1/schools)
        openapi,  # noqa: F401  (GET /api/v1/openapi.json)
        portal,  # noqa: F401  (/api/v1/portal/session, /api/v1/portal/status)
        problems,
    )

    csrf.exempt(bp)  # no cookie is read in the API: a forged cross-site call carries no credential
    app.register_blueprint(bp)
    problems.init_app(app)
