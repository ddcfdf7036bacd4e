"""API tokens on the integrations' endpoints: :func:`token_required`.

``Authorization: Bearer <token>``. No token, or one that is unknown, expired or revoked: 401 with
``WWW-Authenticate: Bearer`` (the four look the same). A token without the operation's permission: 403.
Then the token's own rate limit (``API_RATE_LIMIT``, counted by flask-limiter's storage under the token's
id): 429. Every call with a known token, refused or not, is audited (``api.call``) in the call's one
transaction, which also notes when the token was last used.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, make_response, request
from flask_babel import gettext as _
from limits import parse_many

from ..security import limiter
from ..services import api_tokens
from ..services.transaction import transaction
from .language import in_callers_language
from .problems import ApiProblem, problem_response

#: The limits' key prefix (next to flask-limiter's own keys in Redis): per token id, never the token.
_LIMIT_KEY = "dsr-api-token"


def _bearer() -> str | None:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def unauthenticated() -> ApiProblem:
    """The 401 for a missing, unknown, expired or revoked token."""
    return ApiProblem(401, _("Stuur een geldig API-token mee: Authorization: Bearer <token>. Een verlopen of "
                             "ingetrokken token werkt niet meer; vraag de beheerder om een nieuw."),
                      headers={"WWW-Authenticate": 'Bearer realm="dsr"'})


def _over_limit(token_id: int) -> int | None:
    """Seconds to wait when this call is over the token's limit, else None (also when the limits are off
    or their storage is unreachable: the app's limiter swallows that too, and a call is not refused for it)."""
    if not limiter.enabled or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    try:
        for item in parse_many(current_app.config["API_RATE_LIMIT"]):
            if not strategy.hit(item, _LIMIT_KEY, str(token_id)):
                reset_at, _remaining = strategy.get_window_stats(item, _LIMIT_KEY, str(token_id))
                return max(1, int(reset_at - time.time()) + 1)
    except Exception:  # noqa: BLE001 - an unreachable limits storage never refuses a call
        current_app.logger.warning("API rate limit storage unreachable; the call is not limited")
    return None


def token_required(scope: str, operation: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for an API view that needs a token with ``scope``; ``operation`` is its OpenAPI operationId
    (in the audit). The view may put the ids it read in ``g.api_read`` (a dict) for the audit."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @in_callers_language  # detail and errors in the caller's language (Accept-Language), as the public API's
        def checked(*args: Any, **kwargs: Any):
            with transaction():
                row = api_tokens.authenticate(_bearer())
                if row is None:
                    raise unauthenticated()
                g.api_token = row
                g.api_read = {}
                try:
                    if scope not in row.scope_set:
                        raise ApiProblem(403, _("Dit API-token mag dit niet: het heeft de toestemming %(scope)s niet.",
                                                scope=scope))
                    wait = _over_limit(row.id)
                    if wait is not None:
                        raise ApiProblem(429, _("Te veel verzoeken met dit token. Wacht even en probeer het opnieuw."),
                                         headers={"Retry-After": str(wait)})
                    response = make_response(view(*args, **kwargs))
                except ApiProblem as exc:
                    response = problem_response(exc.status, exc.detail, type_name=exc.type_name, title=exc.title,
                                                headers=exc.headers, **exc.extensions)
                    g.api_read = {}  # a refused call read nothing
                api_tokens.record_call(row, operation, response.status_code, g.api_read)
            response.headers["Cache-Control"] = "no-store"
            return response

        return checked

    return decorate
