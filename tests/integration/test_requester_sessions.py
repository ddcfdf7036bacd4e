"""Portal and consent sessions live on the server (issue 13 point 5): a copied session cookie stops
working when the requester signs out or withdraws, when the student signs out or withdraws consent,
when the case is anonymised, and when the server-side idle or absolute timeout has passed."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, RequesterSession
from dsr.models._types import utcnow
from dsr.services import retention
from tests.helpers import link_in, step, submit
from tests.integration.helpers import (
    STUDENT,
    body,
    mails_to,
    open_portal,
    path_of,
    send_consent_request,
    years_ago,
)

STATUS, CONSENT = "/mijn-verzoek/overzicht", "/toestemming"


def replay(app, cookie: str):
    """A fresh browser that only has a copy of someone's session cookie."""
    browser = app.test_client()
    browser.set_cookie("session", cookie)
    return browser


def cookie_of(browser) -> str:
    return browser.get_cookie("session").value


def refused_by_portal(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek")


def refused_by_consent(response) -> bool:
    return response.status_code == 400 and "Open de link opnieuw" in response.get_data(as_text=True)


def actions(app, case_id):
    with app.app_context():
        return [e.action for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).scalars()]


def age_sessions(app, **times: dt.timedelta) -> None:
    """Move every session's times into the past on the server, as if that much time went by."""
    with app.app_context():
        for row in db.session.execute(sa.select(RequesterSession)).scalars():
            for column, delta in times.items():
                setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


@pytest.fixture
def requester(app, case_id, smtp_server, run_jobs):
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    return browser


@pytest.fixture
def student(app, client, people, staff, smtp_server, run_jobs):
    """A student of 19 with a consent session, for a parent's request about them."""
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(19))
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert send_consent_request(staff, case_id).status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, STUDENT, "Uw toestemming gevraagd")[-1])))
    browser = app.test_client()
    assert browser.get(path).status_code == 302
    assert browser.get(CONSENT).status_code == 200
    browser.case_id = case_id
    return browser


# ---------------------------------------------------------------------------------------- the portal

def test_portal_sign_out_ends_every_copy_of_the_cookie(app, case_id, requester):
    copied = cookie_of(requester)
    assert replay(app, copied).get(STATUS).status_code == 200, "a copy works while the session lives"
    assert requester.post("/mijn-verzoek/afmelden").status_code == 302
    assert refused_by_portal(requester.get(STATUS))
    assert refused_by_portal(replay(app, copied).get(STATUS)), "the copied cookie no longer opens the case"
    assert refused_by_portal(replay(app, copied).post("/mijn-verzoek/bericht", data={"body": "Nog één vraag"}))
    assert "portal.signed_out" in actions(app, case_id)


def test_the_cookie_carries_a_random_session_id_not_the_case(app, case_id, requester):
    with requester.session_transaction() as session:
        assert case_id not in session.values()
        [token] = [value for key, value in session.items() if key == "portal_session"]
    with app.app_context():
        row = db.session.execute(sa.select(RequesterSession)).scalar_one()
        assert row.case_id == case_id and row.purpose == "portal" and token not in row.token_hash


def test_portal_idle_timeout_is_kept_on_the_server(app, requester):
    copied = cookie_of(requester)
    age_sessions(app, last_seen_at=dt.timedelta(seconds=app.config["PORTAL_SESSION_IDLE_SECONDS"] + 1))
    assert refused_by_portal(replay(app, copied).get(STATUS)), "the cookie's own timestamps do not count"
    assert refused_by_portal(requester.get(STATUS))
    assert "niet actief" in requester.get("/mijn-verzoek").get_data(as_text=True)


def test_portal_absolute_lifetime_is_kept_on_the_server(app, requester):
    assert requester.get(STATUS).status_code == 200
    age_sessions(app, created_at=dt.timedelta(seconds=app.config["PORTAL_SESSION_ABSOLUTE_SECONDS"] + 1))
    assert refused_by_portal(requester.get(STATUS)), "in use all along, but older than the absolute lifetime"


def test_use_keeps_the_session_alive(app, requester):
    age_sessions(app, last_seen_at=dt.timedelta(seconds=app.config["PORTAL_SESSION_IDLE_SECONDS"] - 60))
    assert requester.get(STATUS).status_code == 200
    with app.app_context():
        seen = db.session.execute(sa.select(RequesterSession.last_seen_at)).scalar_one()
    assert utcnow() - seen < dt.timedelta(seconds=30), "each page moves the last use on the server"


def test_withdrawal_ends_every_portal_session_of_the_case(app, case_id, requester, smtp_server, run_jobs):
    other = app.test_client()  # the same requester on a second device
    open_portal(other, app, case_id, smtp_server, run_jobs)
    copied = cookie_of(requester)
    response = requester.post("/mijn-verzoek/intrekken", data={"confirm": "y"})
    assert refused_by_portal(response)
    assert "Uw verzoek is ingetrokken" in requester.get("/mijn-verzoek").get_data(as_text=True)
    assert refused_by_portal(replay(app, copied).get(STATUS))
    assert refused_by_portal(other.get(STATUS))
    with app.app_context():
        assert db.session.get(Case, case_id).state == "withdrawn"
        reasons = db.session.execute(sa.select(RequesterSession.end_reason)).scalars().all()
        assert set(reasons) == {"withdrawn"}
    # The confirmation mail's link opens a new session, to read what happened.
    run_jobs()
    [confirmation] = mails_to(smtp_server, "ouder@example.nl", "is ingetrokken")
    again = app.test_client()
    assert again.get(path_of(link_in(body(confirmation)))).status_code == 302
    assert "Ingetrokken" in again.get(STATUS).get_data(as_text=True)


def test_anonymisation_ends_the_portal_session(app, case_id, requester):
    copied = cookie_of(requester)
    with app.app_context():
        retention.anonymise(db.session.get(Case, case_id))
        db.session.commit()
        assert db.session.execute(sa.select(sa.func.count(RequesterSession.id))).scalar_one() == 0
    assert refused_by_portal(replay(app, copied).get(STATUS))
    assert refused_by_portal(requester.get(STATUS))


# ---------------------------------------------------------------------------------------- consent

def test_consent_sign_out_ends_every_copy_of_the_cookie(app, student):
    copied = cookie_of(student)
    assert replay(app, copied).get(CONSENT).status_code == 200
    response = student.post("/toestemming/afmelden")
    assert response.status_code == 302 and "Je bent afgemeld" in student.get(response.headers["Location"]).get_data(
        as_text=True)
    assert refused_by_consent(replay(app, copied).get(CONSENT)), "the copied cookie no longer opens the request"
    assert refused_by_consent(replay(app, copied).post(CONSENT, data={"answer": "full"}))
    with app.app_context():
        from dsr.models import ConsentRequest

        assert db.session.execute(sa.select(ConsentRequest.status)).scalar_one() == "pending"
    assert "consent.signed_out" in actions(app, student.case_id)


def test_consent_withdrawal_ends_the_session(app, student):
    assert student.post(CONSENT, data={"answer": "full"}).status_code == 302
    copied = cookie_of(student)
    response = student.post("/toestemming/intrekken", data={"confirm": "y"})
    assert response.status_code == 302
    assert "Je toestemming is ingetrokken" in student.get(response.headers["Location"]).get_data(as_text=True)
    assert refused_by_consent(replay(app, copied).get(CONSENT))
    assert refused_by_consent(student.get(CONSENT))


def test_consent_idle_timeout_is_kept_on_the_server(app, student):
    copied = cookie_of(student)
    age_sessions(app, last_seen_at=dt.timedelta(seconds=app.config["CONSENT_SESSION_IDLE_SECONDS"] + 1))
    response = replay(app, copied).get(CONSENT)
    assert refused_by_consent(response) and "niet actief" in response.get_data(as_text=True)
