"""The language switch in the page header: ``POST /taal`` (CSRF-protected like every POST).

The choice is kept in the session (``session["lang"]``, read by the locale selector in
``dsr/__init__.py``) and in a preference cookie (``LANGUAGE_COOKIE_NAME``), so it outlives the session:
signing in starts a fresh session, signing out and timeouts clear it. The visitor goes back to the
page they were on; only a path on this site is accepted as the way back, so the switch can never be
used to send someone to another site.

A signed-in staff member's choice is also saved as their language (``User.language``, audited as a
settings change): the mails dsr sends them follow it. At sign-in their saved language is the language
of their pages, on any device, unless they chose one in this browser just before (:func:`use_saved_language`);
issue 15 point 8.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import flask_babel
from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, user_logged_in

from ..services import preferences

bp = Blueprint("language", __name__)

#: The preference cookie holds only the language code, nothing personal (a functional cookie).
_COOKIE_MAX_AGE = 365 * 24 * 3600

#: A way back longer than this is not a page of ours.
_MAX_NEXT = 2048


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the start page.

    Refused: absolute and scheme-relative URLs (``https://x``, ``//x``), backslashes (browsers read
    ``/\\x`` as ``//x``), control characters and whitespace (``/\\t/x``), and anything with a scheme
    or host after parsing.
    """
    fallback = url_for("public.intake")
    if not target or len(target) > _MAX_NEXT or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def follow(language: str | None) -> None:
    """Show this visitor the pages in ``language`` (the language of their case) unless they chose one.

    A requester or student who opens a link from a mail lands on pages in the language of that mail;
    a choice made with the switch (session or preference cookie) always wins.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") in languages or \
        request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"]) in languages
    if chosen or language not in languages:
        return
    session["lang"] = language
    flask_babel.refresh()  # this very page too, not only the next one


@bp.route("/taal", methods=["POST"])
def switch():
    """Keep the chosen language for this visitor and go back to where they came from."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:  # only staff sign in; a requester's choice stays in the session and cookie
        preferences.save_language(current_user, lang)
    response = redirect(safe_next(request.form.get("next")), code=303)
    response.set_cookie(current_app.config["LANGUAGE_COOKIE_NAME"], lang, max_age=_COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def use_saved_language(app, user, **_extra) -> None:
    """At sign-in (flask-login's ``user_logged_in``): pages and mails in one language for this staff member.

    A language chosen in this browser before signing in (the preference cookie: e.g. on the sign-in page)
    is their choice now: it is used and saved (audited), so the mails follow it too. Without such a
    choice their saved language is used, on any device. The sign-in starts a fresh session, so this is
    set after it.
    """
    languages = app.config["LANGUAGES"]
    chosen = request.cookies.get(app.config["LANGUAGE_COOKIE_NAME"])
    if chosen is not None and chosen in languages:
        preferences.save_language(user, chosen)
    if getattr(user, "language", None) in languages:
        session["lang"] = user.language
        flask_babel.refresh()


@bp.record_once
def _connect_sign_in(state) -> None:
    # Connected for this app only (the sender of user_logged_in is the app).
    user_logged_in.connect(use_saved_language, state.app)
