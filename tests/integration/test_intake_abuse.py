"""Issue 13 point 3: the public form sends a mail from the school's address to any address typed in, so
it is limited per client and per recipient (counted in the suite's real Redis under a keyed hash of the
address, never the address), and what goes to an unconfirmed address holds nothing typed in: the receipt
has the reference and the confirmation link only; the acknowledgement with the name and the deadline
follows once the address is confirmed. Names that mail programs would turn into links are refused."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from dsr import create_app
from dsr.config import ConfigError
from dsr.extensions import db
from dsr.models import AuditEvent
from tests.helpers import case_count, intake_data, link_in, submit, text_of
from tests.integration.helpers import body, field_error, mails_to, path_of, request_link


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _send(client, school_id: int, **overrides):
    return client.post("/", data=intake_data(school_id, **overrides))


def test_requests_to_one_recipient_are_limited_from_any_client(app, people, redis_server, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_RECIPIENT", "2 per hour")
    caplog.set_level(logging.DEBUG)
    for n in (1, 2):
        assert _send(_client(app, f"192.0.2.{n}"), people.school_a, requester_email="slachtoffer@example.nl"
                     ).status_code == 302
    # The same mailbox spelt otherwise, from a third client: still the same recipient.
    refused = _send(_client(app, "192.0.2.3"), people.school_a, requester_email=" Slachtoffer+x@Example.NL")
    assert refused.status_code == 429 and "Te veel pogingen" in text_of(refused)
    assert case_count(app) == 2
    assert _send(_client(app, "192.0.2.3"), people.school_a, requester_email="ander@example.nl").status_code == 302
    keys = [key.decode() for key in redis_server.client().keys("*")]
    assert any("recipient:" in key for key in keys), keys
    for trace in (*keys, caplog.text):
        assert "slachtoffer" not in trace.lower() and "example.nl" not in trace.lower()


def test_requests_from_one_client_are_limited_and_the_check_step_is_free(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_CLIENT", "2 per hour")
    client = _client(app, "198.51.100.7")
    for _ in range(5):  # looking at the check step again and again sends nothing and is not counted
        assert client.post("/", data=intake_data(people.school_a, step="check")).status_code == 200
    for n in (1, 2):
        assert _send(client, people.school_a, requester_email=f"ouder{n}@example.nl").status_code == 302
    refused = _send(client, people.school_a, requester_email="ouder3@example.nl")
    assert refused.status_code == 429 and "Wacht even en probeer het opnieuw" in text_of(refused)
    assert _send(_client(app, "198.51.100.8"), people.school_a, requester_email="ouder3@example.nl"
                 ).status_code == 302
    assert case_count(app) == 3


@pytest.mark.parametrize("setting", ["INTAKE_LIMIT_PER_CLIENT", "INTAKE_LIMIT_PER_RECIPIENT"])
def test_an_unreadable_limit_stops_the_start(setting):
    with pytest.raises(ConfigError, match=f"DSR_{setting}: 'heel veel' is not a rate limit"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", setting: "heel veel"})


def test_the_receipt_to_an_unconfirmed_address_holds_nothing_typed_in(app, client, people, smtp_server, run_jobs):
    submit(client, people.school_a, requester_email="wie@example.nl", student_name="Sam Jansen",
           details="Bel ons op http://evil.example/betalen", data_concerned="Alles over Sam",
           requester_phone="06 12345678")
    run_jobs()
    [receipt] = mails_to(smtp_server, "wie@example.nl")
    html_part = receipt.get_body(preferencelist=("html",)).get_content()
    for part in (receipt["Subject"], body(receipt), html_part):
        for typed in ("Alex Jansen", "Sam Jansen", "evil.example", "Alles over Sam", "06 12345678"):
            assert typed not in part
    assert "AVG-" in receipt["Subject"] and "/bevestigen/" in link_in(body(receipt))
    assert html_part.count("<a ") == 2  # the confirmation link and the "Mijn verzoek" page, both the school's


def test_after_confirmation_the_acknowledgement_follows_once(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="wie@example.nl")
    run_jobs()
    [receipt] = mails_to(smtp_server, "wie@example.nl")
    assert mails_to(smtp_server, "wie@example.nl", "Ontvangstbevestiging") == [], "not before confirmation"
    assert client.get(path_of(link_in(body(receipt)))).status_code == 200
    run_jobs()
    [ack] = mails_to(smtp_server, "wie@example.nl", "Ontvangstbevestiging")
    text = body(ack)
    assert text.startswith("Beste Alex Jansen,") and "Wij antwoorden uiterlijk op" in text
    # Confirming again by a "Mijn verzoek" link sends no second acknowledgement.
    assert request_link(client, app, case_id, "wie@example.nl").status_code == 302
    run_jobs()
    portal = mails_to(smtp_server, "wie@example.nl", "Mijn verzoek")[-1]
    assert app.test_client().get(path_of(link_in(body(portal)))).status_code == 302
    run_jobs()
    assert len(mails_to(smtp_server, "wie@example.nl", "Ontvangstbevestiging")) == 1
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "case.email_confirmed")).scalar_one() == 1


def test_confirming_by_a_portal_link_also_sends_the_acknowledgement(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="wie@example.nl")
    run_jobs()
    assert mails_to(smtp_server, "wie@example.nl", "Ontvangstbevestiging") == [], "not before confirmation"
    assert request_link(client, app, case_id, "wie@example.nl").status_code == 302
    run_jobs()
    portal = mails_to(smtp_server, "wie@example.nl", "Mijn verzoek")[-1]
    assert app.test_client().get(path_of(link_in(body(portal)))).status_code == 302
    run_jobs()
    assert len(mails_to(smtp_server, "wie@example.nl", "Ontvangstbevestiging")) == 1


@pytest.mark.parametrize("name", ["www.evil.example", "http://evil.example", "Alex evil.example",
                                  "alex@evil.example"])
@pytest.mark.parametrize("field", ["requester_name", "student_name"])
def test_a_name_that_mail_programs_would_link_is_refused_at_the_field(app, client, people, field, name):
    response = client.post("/", data=intake_data(people.school_a, **{field: name}))
    assert response.status_code == 200 and case_count(app) == 0
    assert "Een naam kan geen webadres of e-mailadres bevatten." in (field_error(text_of(response), field) or "")


@pytest.mark.parametrize("name", ["J.P. de Vries", "dr.ir. A. Jansen", "mr.drs. De Vries-O'Brien", "Anne-Marie"])
def test_ordinary_names_with_dots_are_accepted(app, client, people, name):
    submit(client, people.school_a, requester_name=name)
    assert case_count(app) == 1
