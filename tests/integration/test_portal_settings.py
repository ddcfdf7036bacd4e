"""The portal and consent settings are ordinary settings: their defaults are in ``dsr.config.defaults``
(the values docs/security.md gives) and a ``DSR_*`` environment variable overrides them."""
from __future__ import annotations

import datetime as dt

from dsr.extensions import db
from dsr.models.sessions import CONSENT
from dsr.services import requester_sessions
from tests.helpers import make_test_app


def test_portal_and_consent_defaults_are_the_documented_ones(app):
    assert {key: app.config[key] for key in (
        "PORTAL_LINK_MINUTES", "PORTAL_NOTICE_LINK_DAYS", "PORTAL_LINKS_PER_HOUR", "PORTAL_SESSION_IDLE_SECONDS",
        "PORTAL_SESSION_ABSOLUTE_SECONDS", "PORTAL_MAX_UPLOADS", "CONSENT_LINK_MAX_AGE_DAYS",
        "CONSENT_SESSION_IDLE_SECONDS")} == {
        "PORTAL_LINK_MINUTES": 60, "PORTAL_NOTICE_LINK_DAYS": None, "PORTAL_LINKS_PER_HOUR": 5,
        "PORTAL_SESSION_IDLE_SECONDS": 900, "PORTAL_SESSION_ABSOLUTE_SECONDS": 14400, "PORTAL_MAX_UPLOADS": 20,
        "CONSENT_LINK_MAX_AGE_DAYS": 90, "CONSENT_SESSION_IDLE_SECONDS": 900}


def test_portal_and_consent_settings_from_the_environment(app, monkeypatch, database_url, redis_server,
                                                           smtp_server):
    monkeypatch.setenv("DSR_PORTAL_LINK_MINUTES", "5")
    monkeypatch.setenv("DSR_CONSENT_SESSION_IDLE_SECONDS", "60")
    configured = make_test_app(database_url, redis_server, smtp_server)
    try:
        assert configured.config["PORTAL_LINK_MINUTES"] == 5
        assert configured.config["CONSENT_SESSION_IDLE_SECONDS"] == 60
        # The pages and services read them: the "link sent" page promises 5 minutes ...
        page = configured.test_client().get("/mijn-verzoek/link-verstuurd").get_data(as_text=True)
        assert "De link werkt 5 minuten en één keer." in " ".join(page.split())
        # ... and the consent session's server-side idle time is a minute (the default: 15 minutes).
        for settings, idle in ((configured, 60), (app, 900)):
            with settings.app_context():
                assert requester_sessions._timeouts(CONSENT)[0] == dt.timedelta(seconds=idle)
    finally:
        with configured.app_context():
            db.engine.dispose()
