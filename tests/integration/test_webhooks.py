"""Webhooks (issue 18 point 6): case events written to the outbox with the change, signed POSTs to a real
HTTP receiver by the real RQ worker, retries, the re-drive, and the admin's pages."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from dsr.extensions import db
from dsr.jobs import get_queue, redis_connection
from dsr.models import AuditEvent, Case, User, WebhookDelivery, WebhookSubscription
from dsr.services import webhooks
from dsr.services.cases import open_new_case
from dsr.services.clock import local_today
from dsr.services.transaction import transaction
from dsr.services.webhook_jobs import deliver, delivery_job_id, redrive_webhooks
from tests.helpers import intake_data, signed_in, step, submit, text_of
from tests.integration.helpers import delivered_package, field_error

STUDENT, REQUESTER, EMAIL = "Sam Jansen", "Alex Jansen", "alex.jansen@example.nl"


@dataclass
class Receiver:
    """A real HTTP endpoint: records every request and answers ``failures`` times with 500 first."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    failures: int = 0
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append({"headers": dict(request.headers), "body": request.get_data(), "path": request.path})
            if self.failures > 0:
                self.failures -= 1
                answer = Response("down", status=500)
            else:
                answer = Response("ok", status=self.status)
        return answer(environ, start_response)

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = make_server("127.0.0.1", 0, found, threaded=True)
    found.url = f"http://127.0.0.1:{server.server_port}/hooks/dsr"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    yield found
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def quick_retries(app):
    """Two retries without a wait (the default waits minutes); put back afterwards."""
    before = app.config["WEBHOOK_RETRY_SECONDS"]
    app.config["WEBHOOK_RETRY_SECONDS"] = [0, 0]
    yield
    app.config["WEBHOOK_RETRY_SECONDS"] = before


def subscribe(app, people, url: str, events=("case.received", "case.decided", "case.closed"),
              school: str | None = None) -> tuple[int, str]:
    """A subscription made by the admin through the service; returns its id and its secret."""
    with app.app_context():
        admin = db.session.get_one(User, people.admin)
        row, secret = webhooks.create(admin, name="Rapportage", url=url, events=list(events), school_code=school)
        return row.id, secret


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs): recompute the HMAC over "<t>.<body>" and compare in constant time."""
    parts = dict(part.split("=", 1) for part in headers["X-Dsr-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


# --- delivery --------------------------------------------------------------------------------------------


def test_a_submission_is_delivered_once_signed_and_without_personal_data(app, client, people, receiver, run_jobs):
    subscription_id, secret = subscribe(app, people, receiver.url)
    case_id = submit(client, people.school_a, student_name=STUDENT, requester_name=REQUESTER,
                     requester_email=EMAIL, details="Mijn kind heet Sam Jansen")
    [row] = deliveries(app)
    assert (row.subscription_id, row.event, row.status, row.attempts) == (subscription_id, "case.received",
                                                                          "pending", 0)
    with app.app_context():
        assert redis_connection().exists(f"rq:job:{delivery_job_id(row.id)}")
    run_jobs()
    [request] = receiver.requests
    body = request["body"]
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Dsr-Event"] == "case.received"
    assert request["headers"]["X-Dsr-Delivery"] == str(row.id)
    assert verify(secret, request["headers"], body)
    assert not verify("whsec_another", request["headers"], body)
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        birth = case.student_birth_date.isoformat()
        assert json.loads(body) == {"id": row.id, "event": "case.received",
                                    "occurred_at": json.loads(body)["occurred_at"],
                                    "case": {"id": case_id, "reference": case.reference, "school": "AAA",
                                             "state": "submitted", "right": "access"}}
    text = body.decode()
    for personal in ("Jansen", "Sam", "Alex", "example.nl", birth, "kind"):
        assert personal not in text
    [sent] = deliveries(app)
    assert (sent.status, sent.attempts, sent.response_status, sent.last_error) == ("sent", 1, 200, None)
    run_jobs()
    assert len(receiver.requests) == 1, "a sent delivery is never sent again"


def test_a_500_is_retried_after_the_wait_then_sent(app, client, people, receiver, run_jobs, quick_retries):
    subscribe(app, people, receiver.url)
    receiver.failures = 1
    submit(client, people.school_a)
    run_jobs()
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("pending", 1, 500, "HTTP 500")
    with app.app_context():
        assert redrive_webhooks() == 1  # the retry is due (no wait configured here)
    run_jobs()
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.response_status) == ("sent", 2, 200)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["headers"]["X-Dsr-Delivery"] == second["headers"]["X-Dsr-Delivery"]


def test_the_wait_between_tries_is_respected(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    receiver.failures = 1
    submit(client, people.school_a)
    run_jobs()
    [row] = deliveries(app)
    assert row.status == "pending" and row.attempts == 1 and row.claimed_until is None
    assert 59 <= (row.next_attempt_at - row.created_at).total_seconds() <= 120
    with app.app_context():
        assert redrive_webhooks() == 0, "the first retry waits WEBHOOK_RETRY_SECONDS[0] (60 s)"
    assert len(receiver.requests) == 1


def test_after_the_last_retry_the_delivery_is_failed_and_the_admin_can_try_again(
        app, client, people, receiver, run_jobs, quick_retries):
    subscribe(app, people, receiver.url)
    receiver.failures = 10
    submit(client, people.school_a)
    run_jobs()
    for _ in range(3):
        with app.app_context():
            redrive_webhooks()
        run_jobs()
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "HTTP 500")
    assert len(receiver.requests) == 3
    admin = signed_in(app, people, "admin")
    page = text_of(admin.get("/beheer/webhooks"))
    assert 'data-status="failed"' in page and "HTTP 500" in page and "Opnieuw proberen" in page
    receiver.failures = 0
    assert admin.post(f"/beheer/webhooks/leveringen/{row.id}/opnieuw").status_code == 302
    run_jobs()
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.response_status) == ("sent", 4, 200)
    again = admin.post(f"/beheer/webhooks/leveringen/{row.id}/opnieuw", follow_redirects=True)
    assert "is niet mislukt (meer)" in text_of(again)
    assert admin.post("/beheer/webhooks/leveringen/999999/opnieuw").status_code == 404
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "webhook.delivery_retried")).scalars()
        assert json.loads(event.details)["delivery_id"] == row.id


def test_an_endpoint_that_does_not_answer_is_a_retry(app, client, people, run_jobs):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(app, people, f"http://127.0.0.1:{port}/hook")
    submit(client, people.school_a)
    run_jobs()
    [row] = deliveries(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("ConnectError")


def test_a_redirect_is_not_followed(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    receiver.status = 302
    submit(client, people.school_a)
    run_jobs()
    [row] = deliveries(app)
    assert (row.status, row.response_status, row.last_error) == ("pending", 302, "HTTP 302")
    assert len(receiver.requests) == 1


def test_the_redrive_sends_a_delivery_whose_job_was_lost(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    submit(client, people.school_a)
    [row] = deliveries(app)
    with app.app_context():
        redis_connection().flushall()  # Redis lost the job (a restart without persistence)
    assert run_jobs() == 0 and receiver.requests == []
    with app.app_context():
        assert redrive_webhooks() == 1
        assert redrive_webhooks() == 0, "its job now waits in the queue: no second one"
    run_jobs()
    assert len(receiver.requests) == 1
    assert deliveries(app)[0].status == "sent"
    with app.app_context():
        assert deliver(row.id) == "skipped", "a job that turns up late sends nothing again"
    assert len(receiver.requests) == 1


def test_decided_and_closed_events(app, client, people, receiver, run_jobs, smtp_server, categories):
    subscribe(app, people, receiver.url, events=("case.decided", "case.closed"))
    case_id, _link, _doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    run_jobs()
    assert [b["event"] for b in receiver.bodies()] == ["case.decided", "case.closed"]
    assert {b["case"]["id"] for b in receiver.bodies()} == {case_id}
    assert {b["case"]["state"] for b in receiver.bodies()} == {"fulfilled"}
    assert [r["headers"]["X-Dsr-Event"] for r in receiver.requests] == ["case.decided", "case.closed"]


def test_a_withdrawal_closes_without_a_decision(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people, "staff_a")
    assert step(staff, app, case_id, "withdraw", reason="Ingetrokken per telefoon.").status_code == 302
    assert step(staff, app, case_id, "withdraw", reason="Nog eens.").status_code != 302  # refused: nothing new
    run_jobs()
    assert [(b["event"], b["case"]["state"]) for b in receiver.bodies()] == [
        ("case.received", "submitted"), ("case.closed", "withdrawn")]
    assert "Ingetrokken" not in b"".join(r["body"] for r in receiver.requests).decode()


def test_school_filter_events_filter_and_inactive_subscription(app, client, people, receiver, run_jobs):
    school_a, _ = subscribe(app, people, receiver.url + "/a", school="AAA")
    subscribe(app, people, receiver.url + "/b", school="BBB")
    subscribe(app, people, receiver.url + "/closed-only", events=("case.closed",))
    off, _ = subscribe(app, people, receiver.url + "/off")
    with app.app_context():
        admin = db.session.get_one(User, people.admin)
        row = db.session.get_one(WebhookSubscription, off)
        webhooks.change(admin, off, row.version, name=row.name, url=row.url, events=row.events.split(),
                        school_code=None, active=False)
    submit(client, people.school_a)
    submit(client, people.school_b)
    run_jobs()
    paths = sorted((r["path"], json.loads(r["body"])["case"]["school"]) for r in receiver.requests)
    assert paths == [("/hooks/dsr/a", "AAA"), ("/hooks/dsr/b", "BBB")]
    assert {d.subscription_id for d in deliveries(app)} == {school_a, school_a + 1}


def test_a_delivery_of_a_subscription_switched_off_meanwhile_is_not_sent(app, client, people, receiver, run_jobs):
    subscription_id, _ = subscribe(app, people, receiver.url)
    submit(client, people.school_a)
    with app.app_context():
        db.session.execute(sa.update(WebhookSubscription).values(active=False))
        db.session.commit()
    run_jobs()
    assert receiver.requests == []
    [row] = deliveries(app)
    assert (row.status, row.last_error) == ("failed", "subscription switched off")


def test_a_rolled_back_change_writes_no_delivery_and_enqueues_nothing(app, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    with app.app_context():
        data = {**intake_data(people.school_a), "school_id": people.school_a, "parental_authority": True}
        data["student_birth_date"] = local_today().replace(year=local_today().year - 12, day=1)
        with pytest.raises(RuntimeError), transaction():
            open_new_case(data, language="nl", received_on=local_today())
            assert db.session.execute(sa.select(sa.func.count(WebhookDelivery.id))).scalar_one() == 1
            raise RuntimeError("the request fails after the change")
        assert get_queue().count == 0
    assert deliveries(app) == []
    run_jobs()
    assert receiver.requests == []


# --- the admin's pages -----------------------------------------------------------------------------------


def _new(client, **overrides):
    data = {"name": "Rapportage bestuur", "url": "https://koppeling.asg.test/dsr", "events": ["case.received"],
            "school": "alle"}
    data.update(overrides)
    return client.post("/beheer/webhooks/nieuw", data=data)


def test_the_admin_creates_a_subscription_and_sees_its_secret_once(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get("/beheer/webhooks/nieuw").status_code == 200
    created = _new(admin, events=["case.received", "case.closed"], school="BBB")
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = text_of(created).split('id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    with app.app_context():
        row = db.session.execute(sa.select(WebhookSubscription)).scalar_one()
        assert (row.events, row.school_id, row.active, row.created_by_id) == (
            "case.received case.closed", people.school_b, True, people.admin)
        assert secret not in row.secret_sealed
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action.like("webhook.%"))).scalars().all()
        assert [e.action for e in events] == ["webhook.subscribed"]
        assert secret not in events[0].details and "koppeling.asg.test" not in events[0].details
    listing = text_of(admin.get("/beheer/webhooks"))
    assert "Rapportage bestuur" in listing and secret not in listing
    assert secret not in text_of(admin.get(f"/beheer/webhooks/{row.id}"))
    assert "/beheer/webhooks" in admin.get("/beheer/gebruikers").get_data(as_text=True), "the navigation links it"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"url": "http://koppeling.asg.test/dsr"}, "url", "https://"),
    ({"url": "ftp://koppeling.asg.test/dsr"}, "url", "volledig webadres"),
    ({"url": "https://user:pw@koppeling.asg.test/dsr"}, "url", "volledig webadres"),
    ({"url": ""}, "url", "Vul het adres in"),
    ({"events": []}, "events", "minstens één gebeurtenis"),
    ({"events": ["case.deleted"]}, "events", "minstens één gebeurtenis"),
    ({"name": ""}, "name", "Vul een naam in"),
    ({"school": "ZZZ"}, "school", "actieve school"),
])
def test_bad_input_is_marked_at_its_field_and_nothing_is_saved(app, people, overrides, field, message):
    admin = signed_in(app, people, "admin")
    answer = _new(admin, **overrides)
    assert answer.status_code == 422
    assert message in (field_error(answer.get_data(as_text=True), field) or "")
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(WebhookSubscription.id))).scalar_one() == 0


def test_a_stale_form_is_a_409_and_a_change_and_removal_are_audited(app, people):
    subscription_id, _ = subscribe(app, people, "https://koppeling.asg.test/dsr")
    admin = signed_in(app, people, "admin")
    form = {"name": "Rapportage", "url": "https://koppeling.asg.test/dsr", "events": ["case.closed"],
            "school": "AAA", "version": "1"}
    assert admin.post(f"/beheer/webhooks/{subscription_id}", data=form).status_code == 302
    late = admin.post(f"/beheer/webhooks/{subscription_id}", data={**form, "events": ["case.received"], "active": "y"})
    assert late.status_code == 409 and "Iemand anders heeft deze koppeling intussen gewijzigd" in text_of(late)
    with app.app_context():
        row = db.session.get_one(WebhookSubscription, subscription_id)
        assert (row.events, row.school_id, row.active, row.version) == ("case.closed", people.school_a, False, 2)
    assert admin.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "1"}).status_code == 409
    assert admin.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "2"}).status_code == 302
    with app.app_context():
        assert db.session.get(WebhookSubscription, subscription_id) is None
        actions = db.session.execute(sa.select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.action.like("webhook.%")).order_by(AuditEvent.id)).all()
        assert [a for a, _ in actions] == ["webhook.subscribed", "webhook.changed", "webhook.removed"]
        assert all("koppeling" not in d for _, d in actions)
    assert admin.get(f"/beheer/webhooks/{subscription_id}").status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "director_a", "privacy"])
def test_only_admins_reach_the_webhook_pages(app, people, who):
    subscription_id, _ = subscribe(app, people, "https://koppeling.asg.test/dsr")
    other = signed_in(app, people, who)
    assert other.get("/beheer/webhooks").status_code == 403
    assert _new(other).status_code == 403
    assert other.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "1"}).status_code == 403
    assert "/beheer/webhooks" not in other.get("/").get_data(as_text=True)
    assert app.test_client().get("/beheer/webhooks").status_code == 302  # anonymous: to the sign-in


def test_a_key_rotation_reseals_the_secret_and_deliveries_still_verify(app, client, people, receiver, run_jobs):
    from cryptography.fernet import Fernet

    subscription_id, secret = subscribe(app, people, receiver.url)
    old_keys = app.config["FILE_KEYS"]
    new = Fernet.generate_key().decode()
    app.config["FILE_KEYS"] = [new, *old_keys]
    try:
        result = app.test_cli_runner().invoke(args=["dsr", "rotate-file-keys"])
        assert result.exit_code == 0 and "1 webhook secret(s)" in result.output, result.output
        assert secret not in result.output
        app.config["FILE_KEYS"] = [new]  # the old key is gone
        submit(client, people.school_a)
        run_jobs()
    finally:
        app.config["FILE_KEYS"] = old_keys
    [request] = receiver.requests
    assert verify(secret, request["headers"], request["body"])
