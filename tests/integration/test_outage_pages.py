"""While the database is unreachable every page is the calm Dutch 503 page, also for signed-in
staff (whose page header would otherwise load the user from the database inside the error handler)."""
from __future__ import annotations

import pytest

from dsr.dev.local_services import free_port
from dsr.extensions import db
from tests.helpers import login, make_test_app

UNAVAILABLE = "Even niet beschikbaar"


@pytest.fixture
def outage_app(redis_server, smtp_server):
    """The same app (same secret key, so the same sessions) with its database unreachable."""
    app = make_test_app(f"postgresql+psycopg://dsr@127.0.0.1:{free_port()}/weg", redis_server, smtp_server,
                        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error page, not a test crash
    yield app
    with app.app_context():
        db.engine.dispose()


def _signed_in_cookie(app, email) -> str:
    client = app.test_client()
    login(client, email)
    return client.get_cookie("session").value


@pytest.mark.parametrize("path", ["/zaken/", "/zaken/1", "/beheer/systeem/", "/"])
def test_signed_in_staff_get_the_503_page(app, people, outage_app, path):
    cookie = _signed_in_cookie(app, people.email["privacy"])
    client = outage_app.test_client()
    client.set_cookie("session", cookie)
    response = client.get(path)
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)


def test_public_form_and_a_post_during_the_outage(outage_app):
    client = outage_app.test_client()
    for response in (client.get("/"), client.post("/", data={"right": "access"})):
        assert response.status_code == 503
        assert UNAVAILABLE in response.get_data(as_text=True)


def test_a_csrf_failure_for_signed_in_staff_during_the_outage(app, people, outage_app, redis_server, smtp_server):
    """An error page of another kind that needs the user also ends on the calm page, not a bare 500."""
    cookie = _signed_in_cookie(app, people.email["staff_a"])
    strict = make_test_app(outage_app.config["SQLALCHEMY_DATABASE_URI"], redis_server, smtp_server,
                           WTF_CSRF_ENABLED=True)
    strict.config["PROPAGATE_EXCEPTIONS"] = False
    client = strict.test_client()
    client.set_cookie("session", cookie)
    response = client.post("/zaken/1/stap/withdraw", data={"version": "1"})
    assert response.status_code in (400, 503)
    assert "Internal Server Error" not in response.get_data(as_text=True)
    with strict.app_context():
        db.engine.dispose()
