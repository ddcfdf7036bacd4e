"""Error pages: every error is a calm page in the visitor's language (Dutch by default), never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, Response, has_request_context, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db, login_manager

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Ongeldig verzoek"),
          _l("Het formulier kon niet worden verwerkt. Ga terug, vernieuw de pagina en probeer het opnieuw.")),
    403: (_l("Geen toegang"), _l("U heeft geen toegang tot deze pagina.")),
    404: (_l("Niet gevonden"), _l("Deze pagina bestaat niet, of u heeft er geen toegang toe.")),
    405: (_l("Niet toegestaan"), _l("Deze actie is op deze pagina niet mogelijk.")),
    409: (_l("Niet mogelijk"), _l("Deze stap is nu niet mogelijk.")),
    413: (_l("Te groot"), _l("Wat u verstuurde is te groot. Maak de tekst korter of het bestand kleiner.")),
    429: (_l("Te veel pogingen"), _l("U heeft het te vaak geprobeerd. Wacht even en probeer het opnieuw.")),
    500: (_l("Er ging iets mis"),
          _l("Er ging bij ons iets mis. Uw eerder opgeslagen gegevens zijn bewaard. Probeer het later opnieuw.")),
    503: (_l("Even niet beschikbaar"),
          _l("De dienst is even niet beschikbaar. Probeer het over een paar minuten opnieuw.")),
}


#: The pages a requester (parent, guardian, student) sees; an unknown URL (no blueprint) counts too, since a
#: mistyped or cut-off mail link lands there.
REQUESTER_BLUEPRINTS = frozenset({"public", "portal", "delivery", None})

#: What a requester can do next, under the message on their error pages (issue 14: no dead ends). "portal":
#: a button to "Mijn verzoek", where a new link is one form away.
_PORTAL_NEXT = _l("Kwam u hier via een link uit een e-mail? Vraag dan een nieuwe link aan via Mijn verzoek, "
                  "met het kenmerk van uw verzoek en uw e-mailadres.")
_LATER_NEXT = _l("Probeer het over een paar minuten opnieuw.")
REQUESTER_NEXT_STEPS = {
    400: (_PORTAL_NEXT, True),
    403: (_PORTAL_NEXT, True),
    404: (_PORTAL_NEXT, True),
    410: (_PORTAL_NEXT, True),
    413: (_l("Ga terug, maak de tekst korter of kies een kleiner bestand, en verstuur het opnieuw."), False),
    429: (_LATER_NEXT, False),
    500: (_l("Probeer het over een paar minuten opnieuw. Gaat het dan weer mis, ga dan naar Mijn verzoek of "
             "mail ons."), True),
    503: (_LATER_NEXT, False),
}

#: The student's consent pages say "je", and "Mijn verzoek" is not theirs: their new link comes from school.
_CONSENT_LINK_NEXT = _l("Open de link uit de e-mail opnieuw. Werkt hij niet meer? Vraag de leerlingadministratie "
                        "van je school om een nieuwe link.")
CONSENT_NEXT_STEPS = {400: _CONSENT_LINK_NEXT, 403: _CONSENT_LINK_NEXT, 404: _CONSENT_LINK_NEXT,
                      410: _CONSENT_LINK_NEXT}


def _next_step(code: int) -> tuple[str | None, bool]:
    """The next step for a requester's error page and whether it leads to "Mijn verzoek"; (None, False)
    on the staff side."""
    if not has_request_context():
        return None, False
    if request.blueprint == "consent":
        return str(CONSENT_NEXT_STEPS.get(code, _LATER_NEXT)), False
    if request.blueprint in REQUESTER_BLUEPRINTS:
        default = REQUESTER_NEXT_STEPS[500] if code >= 500 else (_PORTAL_NEXT, True)
        text, to_portal = REQUESTER_NEXT_STEPS.get(code, default)
        return str(text), to_portal
    return None, False


class NotFound(LookupError):
    """The domain's "not found": no such case, item or document, or not one the user may see (both
    look the same). Shown as the 404 page; any other ``LookupError`` (a ``KeyError`` bug) is a 500."""


def render_error(code: int, message: str | None = None):
    """The error page for ``code`` with an optional specific message."""
    title, default = MESSAGES.get(code, MESSAGES[500])
    next_step, to_portal = _next_step(code)
    return render_template("error.html", code=code, title=str(title), message=message or str(default),
                           next_step=next_step, to_portal=to_portal), code


def init_app(app: Flask) -> None:
    """Register the handlers."""

    from .api.problems import api_error  # when the factory runs: the API answers its errors as problem+json

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, _("Het formulier is verlopen of onvolledig (beveiligingscode ontbreekt). "
                                   "Vernieuw de pagina en probeer het opnieuw."))

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        # DSR_TRUSTED_HOSTS refused the Host header: no URL can be built for this request, so the
        # page (with its links) cannot be rendered; a short text says it instead of a 500.
        return Response(_("Dit adres hoort niet bij deze dienst. Gebruik het adres uit de e-mail of de "
                          "website van de school."), 400, mimetype="text/plain")

    @app.errorhandler(NotFound)
    def not_found(exc):
        return api_error(exc, 404) or render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if database_unavailable(getattr(exc, "original_exception", None)):
            # Another error page needed the database (for the signed-in user) and failed.
            forget_user_without_database()
            return api_error(exc, 503) or render_error(503)
        return api_error(exc, exc.code or 500) or render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc):
        if database_unavailable(exc):
            log.error("database unavailable: %s", type(exc).__name__)
            forget_user_without_database()
            return api_error(exc, 503) or render_error(503)
        log.exception("unhandled error")
        return api_error(exc, 500) or render_error(500)

    # Registered after Flask-SQLAlchemy's, so it runs before it (teardowns run in reverse order).
    @app.teardown_appcontext
    def close_session_without_database(exc):
        """End the request's database session even if the database went away meanwhile: the
        rollback on a connection PostgreSQL terminated raised out of the teardown, and gunicorn
        turned the finished page into a bare "Internal Server Error" (seen during a restart)."""
        try:
            db.session.remove()
        except Exception as err:  # noqa: BLE001 - anything but a lost database is re-raised
            if not database_unavailable(err):
                raise
            log.warning("database connection lost at the end of a request: %s", type(err).__name__)
            db.session().invalidate()  # drop the dead connection without another rollback
            db.session.remove()


def database_unavailable(exc: BaseException | None) -> bool:
    """True for errors meaning the database cannot be reached now (down, restarting, connection
    dropped), as opposed to a bug."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def forget_user_without_database() -> None:
    """Let the error page render without the database: end the broken transaction and show the page
    as to an anonymous visitor. Loading the signed-in user for the page header would query the
    database again, fail inside the error handler and end in a bare English "Internal Server Error".
    The session is kept: staff are still signed in when the database is back."""
    from flask import g

    try:
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001 - the connection is already gone; nothing to undo
        log.debug("rollback during database outage: %s", type(exc).__name__)
    g._login_user = login_manager.anonymous_user()
