"""The school-account sign-in appears only with a provider configured, and a provider whose discovery
document names another issuer than the configured one is not trusted."""
from __future__ import annotations

import socket
import time

from dsr.extensions import db
from tests.helpers import make_test_app
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET


def test_without_a_provider_there_is_no_school_account_sign_in(client):
    login = client.get("/medewerkers/inloggen")
    assert login.status_code == 200
    assert "Inloggen met uw schoolaccount" not in login.text
    assert "Alleen voor de noodbeheerder" not in login.text
    assert client.get("/medewerkers/sso").status_code == 404
    assert client.get("/medewerkers/sso/terug?code=x&state=y").status_code == 404
    assert client.post("/medewerkers/sso/backchannel-logout", data={"logout_token": "x"}).status_code == 404


def test_discovery_naming_another_issuer_is_refused(app, sso_site, redis_server, smtp_server, file_storage):
    """DSR_OIDC_ISSUER with a trailing slash: the discovery URL still answers, but the document's issuer
    (without the slash) is not the configured one, so every token's iss check would follow the document."""
    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], redis_server, smtp_server, FILE_STORAGE=file_storage,
                          OIDC_ISSUER=sso_site.provider.issuer + "/", OIDC_CLIENT_ID=CLIENT_ID,
                          OIDC_CLIENT_SECRET=CLIENT_SECRET)
    try:
        answer = other.test_client().get("/medewerkers/sso")
        assert answer.status_code == 503
        assert "Inloggen met uw schoolaccount lukt nu niet" in answer.text
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_provider_that_never_answers_gives_the_calm_page_after_the_timeout(app, redis_server, smtp_server,
                                                                                file_storage):
    """A provider that takes the connection but never answers: DSR_OIDC_TIMEOUT_SECONDS, then the calm page."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in the backlog; nothing ever reads or answers them
        issuer = f"http://127.0.0.1:{silent.getsockname()[1]}"
        other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], redis_server, smtp_server,
                              FILE_STORAGE=file_storage, OIDC_ISSUER=issuer, OIDC_CLIENT_ID=CLIENT_ID,
                              OIDC_CLIENT_SECRET=CLIENT_SECRET, OIDC_TIMEOUT_SECONDS=1)
        try:
            began = time.monotonic()
            answer = other.test_client().get("/medewerkers/sso")
            took = time.monotonic() - began
        finally:
            with other.app_context():
                db.engine.dispose()
    assert answer.status_code == 503 and "niet bereikbaar" in answer.text
    assert 0.9 < took < 5
