"""The caller's language in the API: ``Accept-Language`` nl or en (Dutch by default).

The API reads no cookie, so the page's language switch does not apply: messages in ``detail`` and
``errors`` and the texts of an answer follow the ``Accept-Language`` header instead.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_babel import force_locale


def api_language() -> str:
    """``nl`` or ``en`` (one of LANGUAGES), from the request's ``Accept-Language``; Dutch when neither is asked."""
    offered = list(current_app.config["LANGUAGES"])
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "nl")
    return request.accept_languages.best_match(offered, default=default) or default


def in_callers_language(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run an API view in the caller's language (its messages and texts are made inside it)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(api_language()):
            return view(*args, **kwargs)

    return wrapper
