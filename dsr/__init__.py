"""dsr: a case desk for data-subject requests (AVG/GDPR) at a Dutch school group."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

#: Templates live at the top level of the project (the design card); an installed wheel carries
#: them as dsr/_templates.
_TOP = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = _TOP / "templates" if (_TOP / "templates").is_dir() else Path(__file__).with_name("_templates")


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then ``DSR_*`` environment variables, then ``config``.

    ``config`` holds Flask config keys (``SQLALCHEMY_DATABASE_URI``, not ``DSR_DATABASE_URL``) and
    is taken as it is. An unknown ``DSR_*`` variable or a bad value raises
    :class:`dsr.config.ConfigError` before anything else starts.
    """
    # The factory imports the app's parts when it runs, not at the top: importing any module of dsr runs this
    # package first, which must not load the whole app (nor dsr.jobs, which builds its app with this factory).
    from . import config as configuration

    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATE_DIR))
    app.config.from_mapping(configuration.defaults(app.instance_path))
    configuration.load_environment(app.config)
    if config:
        app.config.update(config)
    _check_secret_key(app)
    _check_audit_keys(app, configuration.ConfigError)
    check_public_base_url(app.config, demo=bool(app.testing or app.config.get("DEMO")))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    from . import cli, errors, security, templating  # when the factory runs (see above)

    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.testing or app.debug or app.config.get("DEMO"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError("DSR_SECRET_KEY is not set; generate one with: "
                       "python -c 'import secrets; print(secrets.token_hex(32))'")


def _check_audit_keys(app: Flask, config_error: type[Exception]) -> None:
    """The audit chain's keys (docs/security.md): required outside the demo and tests, where a key is
    derived from the secret key (stable as long as that is)."""
    keys = app.config.get("AUDIT_KEYS") or []
    if not keys:
        if app.testing or app.debug or app.config.get("DEMO"):
            derived = hmac.new(str(app.config["SECRET_KEY"]).encode(), b"dsr audit chain", hashlib.sha256).hexdigest()
            app.config["AUDIT_KEYS"] = [derived]
            return
        raise config_error("DSR_AUDIT_KEYS is not set; generate a key with: python -c 'import secrets; "
                           "print(secrets.token_hex(32))' and set DSR_AUDIT_KEYS='[\"<key>\"]'")
    if any(len(key) < 32 for key in keys):
        raise config_error("DSR_AUDIT_KEYS: every key needs at least 32 characters")
def check_public_base_url(config, *, demo: bool) -> None:
    """Refuse to start without a usable DSR_PUBLIC_BASE_URL outside the demo and the tests.

    Links in mails are built from it and never from a request's Host header (issue 13); raises
    :class:`dsr.config.ConfigError`, one line, which wsgi.py prints instead of a traceback. In the demo
    and the tests an unset base becomes a fixed local one, so every mail's own links are known.
    """
    from urllib.parse import urlsplit

    from .settings import ConfigError  # when the factory runs (see create_app)

    base = config.get("PUBLIC_BASE_URL")
    if not base:
        if demo:
            from .services.links import LOCAL_BASE_URL  # when the factory runs (see create_app)

            config["PUBLIC_BASE_URL"] = LOCAL_BASE_URL  # a fixed local address, never the Host header
            return
        raise ConfigError("DSR_PUBLIC_BASE_URL is not set: links in mails are built from it, never from the "
                          "request's Host header; set the public address, e.g. https://avg.asg.nl")
    try:
        parts = urlsplit(base)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
    except ValueError:  # e.g. an unclosed [IPv6] bracket
        usable = False
    if not usable:
        raise ConfigError(f"DSR_PUBLIC_BASE_URL: {base!r} is not a base address such as https://avg.asg.nl")


def _init_extensions(app: Flask) -> None:
    # When the factory runs, not at the top of the package (see create_app).
    from .extensions import babel, csrf, db, login_manager, migrate
    from .jobs import install_session_hooks
    from .notifications.mailer import mail

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).with_name("migrations")))
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Log in om deze pagina te bekijken.")
    login_manager.localize_callback = str  # translated when flashed, in the reader's language
    login_manager.session_protection = "strong"
    install_session_hooks()

    from . import models  # noqa: F401 - register the tables (when the factory runs, see create_app)

    @login_manager.user_loader
    def load_user(session_token: str):
        import sqlalchemy as sa

        return db.session.execute(sa.select(models.User).where(models.User.session_token == session_token)).scalar()


def _select_locale():
    """The language of this request: the one chosen with the switch (``session["lang"]``, or the
    preference cookie it also sets, which survives the fresh session of a sign-in).

    None means ``BABEL_DEFAULT_LOCALE`` (Dutch): for a visitor who did not choose, and outside a
    request (RQ jobs, the CLI), where there is no session. Mails to a requester do not depend on
    this: they are rendered with ``force_locale(case.language)``.
    """
    from flask import current_app, has_request_context, request, session

    if has_request_context():
        for lang in (session.get("lang"), request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"])):
            if lang in current_app.config["LANGUAGES"]:
                return lang
    return None


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id the database can store (a 32-bit integer column on PostgreSQL).
    A larger number matches no route and is a 404; as a query parameter it would be a 500 (issue 13)."""

    def __init__(self, map, *args, **kwargs):  # werkzeug's own signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before any rule is added
    # When the factory runs, not at the top of the package (see create_app).
    from .views import admin, auth, dashboard, operations, public, register, schools, staff

    for module in (public, auth, staff, admin, register, schools, dashboard, operations):
        app.register_blueprint(module.bp)
    from .views import language  # when the factory runs (see create_app)

    app.register_blueprint(language.bp)  # the language switch (POST /taal)
    from .views import systems  # when the factory runs (see create_app)

    app.register_blueprint(systems.bp)  # the school's systems in the register (issue 17 point 1)
    from .views import (  # when the factory runs (see create_app)
        delivery,
        fulfilment,
        fulfilment_batch,  # noqa: F401  (adds the several-documents routes to the fulfilment blueprint)
        info_377c,
    )

    for module in (fulfilment, delivery, info_377c):  # fulfilment on the case page; the requester's signed links
        app.register_blueprint(module.bp)
    from .views import (  # when the factory runs (see create_app)
        consent,
        portal,
        portal_files,  # noqa: F401  (adds the "Uw documenten" routes to the portal blueprint)
        portal_staff,
    )

    for module in (portal, consent, portal_staff):  # requester portal, student consent, their staff side
        app.register_blueprint(module.bp)
    from .views import case_desk, channel_intake  # when the factory runs (see create_app)

    app.register_blueprint(channel_intake.bp)  # staff register requests from any channel (issue 15)
    app.register_blueprint(case_desk.bp)  # assignment and internal notes on the case page (issue 15)
    from .views import preferences  # when the factory runs (see create_app)

    app.register_blueprint(preferences.bp)  # a staff member's own settings: new-request mail (issue 16)
    from .views import case_roster  # when the factory runs (see create_app)

    app.register_blueprint(case_roster.bp)  # the school's roster at the identity check (issue 17)
    from .views import owner_tasks  # when the factory runs (see create_app)

    app.register_blueprint(owner_tasks.bp)  # a system owner's task link, no account; its staff side (issue 17)
    from . import api  # when the factory runs (see create_app)

    api.init_app(app)  # the JSON API under /api/v1 with its OpenAPI document (issue 18)
    from .views import connectors  # when the factory runs (see create_app)

    app.register_blueprint(connectors.bp)  # collect and carry out in the school's systems (issue 17)
    from .views import api_tokens_admin  # when the factory runs (see create_app)

    app.register_blueprint(api_tokens_admin.bp)  # the admin's API tokens for integrations (issue 18)
