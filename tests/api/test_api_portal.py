"""The requester's case status through the API (``/api/v1/portal/session``, ``/api/v1/portal/status``), on real
parts: a "Mijn verzoek" link from a real mail exchanged once, the status compared with the portal's own page,
internal notes never shown, the portal's timeouts, sign-out, withdrawal, and the audit trail."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from dsr.api.openapi import document
from dsr.extensions import db
from dsr.models import AuditEvent, Case, PortalLink, RequesterSession
from dsr.models._types import utcnow
from tests.helpers import link_in, login, step, submit, text_of
from tests.integration.helpers import body, mails_to, open_portal, request_link

EMAIL = "ouder@example.nl"
PROBLEM = "application/problem+json"
NOTE = "Interne notitie: vader belde boos, niet doorsturen"


def schema_of(name: str) -> Draft202012Validator:
    doc = document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def link_token(app, case_id: int, smtp_server, run_jobs) -> str:
    """Ask for a "Mijn verzoek" link as the requester does and take the token from the real mail."""
    before = len(mails_to(smtp_server, EMAIL, "Uw link naar Mijn verzoek"))
    assert request_link(app.test_client(), app, case_id, EMAIL).status_code == 302
    run_jobs()
    mails = mails_to(smtp_server, EMAIL, "Uw link naar Mijn verzoek")
    assert len(mails) == before + 1
    path = urlsplit(link_in(body(mails[-1]))).path
    assert path.startswith("/mijn-verzoek/link/")
    return path.removeprefix("/mijn-verzoek/link/")


@pytest.fixture
def case_id(client, people, run_jobs):
    """A parent's access request at school A; the mails of the intake already sent."""
    found = submit(client, people.school_a, requester_email=EMAIL)
    run_jobs()
    return found


@pytest.fixture
def staff(app, people):
    """A browser signed in as school A's administrator."""
    browser = app.test_client()
    login(browser, people.email["staff_a"])
    return browser


def open_session(client, token: str):
    return client.post("/api/v1/portal/session", json={"token": token})


@pytest.fixture
def session_id(app, client, case_id, smtp_server, run_jobs) -> str:
    response = open_session(client, link_token(app, case_id, smtp_server, run_jobs))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["session"]


def status(client, session: str, **headers):
    return client.get("/api/v1/portal/status", headers={"X-Portal-Session": session, **headers})


def actions(app, case_id: int) -> list[tuple[str, str, dict]]:
    import json

    with app.app_context():
        return [(e.action, e.actor_kind, json.loads(e.details or "{}")) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).scalars()]


# ---------------------------------------------------------------------------------------- the exchange

def test_a_link_is_exchanged_once_for_a_session_shown_once(app, client, case_id, smtp_server, run_jobs):
    token = link_token(app, case_id, smtp_server, run_jobs)
    response = open_session(app.test_client(), token)  # a client without the form's cookie
    assert response.status_code == 201
    data = response.get_json()
    assert not list(schema_of("PortalSession").iter_errors(data))
    assert "Set-Cookie" not in response.headers, "the API's session is no cookie"
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        row = db.session.execute(sa.select(RequesterSession)).scalar_one()
        assert row.purpose == "portal" and row.case_id == case_id and data["session"] not in row.token_hash
        assert dt.datetime.fromisoformat(data["expires_at"]) == row.created_at + dt.timedelta(
            seconds=app.config["PORTAL_SESSION_ABSOLUTE_SECONDS"])
        assert db.session.execute(sa.select(PortalLink.used_at)).scalar_one() is not None
        assert db.session.get(Case, case_id).email_confirmed_at is not None, "the link confirms the address"
    assert data["idle_timeout_seconds"] == app.config["PORTAL_SESSION_IDLE_SECONDS"]
    assert ("portal.opened", "requester", {"link": "request", "via": "api"}) in actions(app, case_id)
    # Single use: again through the API, and on the portal's own page.
    again = open_session(app.test_client(), token)
    assert again.status_code == 401 and again.mimetype == PROBLEM
    assert again.get_json()["type"] == "urn:dsr:problem:link-invalid"
    assert app.test_client().get(f"/mijn-verzoek/link/{token}").status_code == 400


def test_a_link_used_on_the_portal_page_is_used_for_the_api_too(app, client, case_id, smtp_server, run_jobs):
    path = open_portal(app.test_client(), app, case_id, smtp_server, run_jobs)
    response = open_session(client, path.removeprefix("/mijn-verzoek/link/"))
    assert response.status_code == 401


def test_an_expired_link_is_410_and_a_forged_one_401(app, client, case_id, smtp_server, run_jobs):
    token = link_token(app, case_id, smtp_server, run_jobs)
    with app.app_context():
        db.session.execute(sa.update(PortalLink).values(expires_at=utcnow() - dt.timedelta(minutes=1)))
        db.session.commit()
    expired = open_session(client, token)
    assert expired.status_code == 410 and expired.get_json()["type"] == "urn:dsr:problem:link-expired"
    assert "verlopen" in expired.get_json()["detail"]
    forged = open_session(client, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    assert forged.status_code == 401
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(RequesterSession.id))).scalar_one() == 0


@pytest.mark.parametrize("content, content_type, status_code", [
    (b"token=abc", "application/x-www-form-urlencoded", 415),
    (b'{"token": ', "application/json", 400),
    (b'{"token": ' + b"[" * 50_000, "application/json", 400),
    (b'["abc"]', "application/json", 422),
    (b'{"token": 12}', "application/json", 422),
    (b'{"token": ""}', "application/json", 422),
    (b'{"token": "abc", "case": 1}', "application/json", 422),
])
def test_a_bad_exchange_body_is_a_problem(client, people, content, content_type, status_code):
    response = client.post("/api/v1/portal/session", data=content, content_type=content_type)
    assert response.status_code == status_code and response.mimetype == PROBLEM


# ---------------------------------------------------------------------------------------- the status

def test_the_status_says_what_the_portal_page_says(app, client, case_id, session_id, staff, smtp_server, run_jobs):
    assert step(staff, app, case_id, "request_information", kind="authority",
                reason="In onze administratie staat u niet als ouder met gezag.").status_code == 302
    assert staff.post(f"/zaken/{case_id}/notities", data={"body": NOTE}).status_code == 302
    response = status(client, session_id)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    facts = response.get_json()
    assert not list(schema_of("PortalStatus").iter_errors(facts))
    assert facts["state"]["label"] == "Wij wachten op u" and facts["state"]["open"] is True
    question = facts["information_requested"]
    assert question["kind"] == "authority" and "gezagsregister" in question["what"]
    assert question["reason"] == "In onze administratie staat u niet als ouder met gezag."
    assert question["clock_paused"] is True and question["answer_by"]
    # Every text the API gives is on the portal's own page for the same case.
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    page = text_of(browser.get("/mijn-verzoek/overzicht"))
    texts = [facts["reference"], facts["state"]["label"], facts["state"]["meaning"], facts["right"]["label"],
             facts["school"], facts["deadline"]["sentence"], facts["deadline"]["explanation"], question["what"],
             question["reason"], question["clock"]]
    texts += [s["label"] for s in facts["steps"]] + [line["text"] for line in facts["deadline_history"]]
    for text in texts:
        assert text in page, f"{text!r} is not on the portal page"
    assert NOTE not in response.get_data(as_text=True) and "ouder@example.nl" not in response.get_data(as_text=True)
    assert NOTE not in page


def test_the_status_after_an_extension_names_its_reason_and_the_new_date(app, client, case_id, session_id, staff):
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    with app.app_context():
        version = db.session.get(Case, case_id).version
    response = staff.post(f"/zaken/{case_id}/verlengen", data={
        "version": version, "reasons": ["volume"], "reason": "Het dossier staat deels op papier."})
    assert response.status_code == 302
    facts = status(client, session_id).get_json()
    extended = [line for line in facts["deadline_history"] if line["reason"]]
    assert len(extended) == 1 and "Het dossier staat deels op papier." in extended[0]["reason"]
    assert "verlengd" in extended[0]["text"]
    with app.app_context():
        assert facts["deadline"]["due_on"] == db.session.get(Case, case_id).due_on.isoformat()
    assert facts["information_requested"] is None


def test_the_status_in_english(client, session_id):
    facts = status(client, session_id, **{"Accept-Language": "en"}).get_json()
    assert facts["language"] == "en" and facts["state"]["label"] == "Received"
    assert facts["deadline"]["sentence"].startswith("You will get our answer by")


def test_every_status_call_is_audited_as_the_requester(app, client, case_id, session_id):
    for _ in range(2):
        assert status(client, session_id).status_code == 200
    reads = [a for a in actions(app, case_id) if a[0] == "portal.status_read"]
    assert reads == [("portal.status_read", "requester", {"via": "api"})] * 2


# ---------------------------------------------------------------------------------------- the session's end

@pytest.mark.parametrize("headers", [{}, {"X-Portal-Session": ""}, {"X-Portal-Session": "not-a-session"},
                                     {"X-Portal-Session": "x" * 2000}])
def test_no_status_without_a_live_session(client, people, headers):
    response = client.get("/api/v1/portal/status", headers=headers)
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert "X-Portal-Session" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_the_portals_idle_and_absolute_timeouts(app, client, case_id, session_id, column):
    assert status(client, session_id).status_code == 200
    seconds = app.config["PORTAL_SESSION_IDLE_SECONDS" if column == "last_seen_at" else
                         "PORTAL_SESSION_ABSOLUTE_SECONDS"]
    with app.app_context():
        db.session.execute(sa.update(RequesterSession).values(
            {column: utcnow() - dt.timedelta(seconds=seconds + 5)}))
        db.session.commit()
    response = status(client, session_id)
    assert response.status_code == 401 and "niet actief" in response.get_json()["detail"]
    assert [a for a in actions(app, case_id) if a[0] == "portal.status_read"] == \
        [("portal.status_read", "requester", {"via": "api"})], "a refused call reads nothing"


def test_sign_out_ends_the_session_for_every_holder(app, client, case_id, session_id):
    response = client.delete("/api/v1/portal/session", headers={"X-Portal-Session": session_id})
    assert response.status_code == 204
    assert status(app.test_client(), session_id).status_code == 401
    assert client.delete("/api/v1/portal/session", headers={"X-Portal-Session": session_id}).status_code == 401
    with app.app_context():
        row = db.session.execute(sa.select(RequesterSession)).scalar_one()
        assert row.ended_at is not None and row.end_reason == "sign_out"
    assert ("portal.signed_out", "requester", {"via": "api"}) in actions(app, case_id)


def test_a_withdrawal_on_the_portal_ends_the_apis_session_too(app, client, case_id, session_id, smtp_server,
                                                              run_jobs):
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    assert browser.post("/mijn-verzoek/intrekken", data={"confirm": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).state == "withdrawn"
    assert status(client, session_id).status_code == 401


def test_the_document_describes_the_portal_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["paths"]["/api/v1/portal/status"]["get"]["security"] == [{"portalSession": []}]
    assert doc["paths"]["/api/v1/portal/session"]["delete"]["security"] == [{"portalSession": []}]
    assert doc["paths"]["/api/v1/portal/session"]["post"]["security"] == []
