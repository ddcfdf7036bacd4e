"""Webhooks (issue 18 point 6): case events written to the outbox with the change, signed POSTs to a real
HTTP receiver by the real RQ worker, retries, the re-drive. The admin's pages: test_webhooks_admin.py."""
from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.jobs import get_queue, redis_connection
from dsr.models import AuditEvent, Case, User, WebhookDelivery, WebhookSubscription
from dsr.services import webhooks
from dsr.services.cases import open_new_case
from dsr.services.clock import local_today
from dsr.services.transaction import transaction
from dsr.services.webhook_jobs import deliver, delivery_job_id, redrive_webhooks
from tests.helpers import intake_data, plain_pdf, signed_in, step, submit, text_of
from tests.integration.helpers import delivered_package, reviewed_case
from tests.integration.webhook_helpers import Receiver, deliveries, serve, subscribe, verify
from tests.integration.webhook_helpers import quick_retries as _quick_retries

STUDENT, REQUESTER, EMAIL = "Sam Jansen", "Alex Jansen", "alex.jansen@example.nl"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve(Receiver())


@pytest.fixture
def quick_retries(app):
    yield from _quick_retries(app)


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
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(app, people, f"http://127.0.0.1:{port}/hook")
    submit(client, people.school_a)
    run_jobs()
    [row] = deliveries(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("ConnectError")



def test_a_receiver_slower_than_the_timeout_is_a_retry(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url)
    before = app.config["WEBHOOK_TIMEOUT_SECONDS"]
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.3
    receiver.delay = 1.0
    try:
        submit(client, people.school_a)
        run_jobs()
    finally:
        app.config["WEBHOOK_TIMEOUT_SECONDS"] = before
    [row] = deliveries(app)
    assert (row.status, row.attempts, row.response_status) == ("pending", 1, None)
    assert row.last_error.startswith("ReadTimeout")

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



def test_a_refusal_is_decided_only_when_the_director_approves(app, client, people, receiver, run_jobs):
    subscribe(app, people, receiver.url, events=("case.decided", "case.closed"))
    case_id, staff = reviewed_case(app, client, people, decision="refuse", grounds=("art15_4",))
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Rechten van anderen.").status_code == 302
    run_jobs()
    assert receiver.requests == [], "a proposed refusal is not the decision yet"
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    run_jobs()
    assert [(b["event"], b["case"]["state"]) for b in receiver.bodies()] == [
        ("case.decided", "refused"), ("case.closed", "refused")]
    assert "Uitleg" not in b"".join(r["body"] for r in receiver.requests).decode()

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


def test_a_request_staff_register_from_a_letter_is_received_too(app, people, receiver, run_jobs):
    subscribe(app, people, receiver.url, events=("case.received",))
    staff = signed_in(app, people, "staff_a")
    with app.app_context():
        today = local_today().isoformat()
    data = {**intake_data(people.school_a), "channel": "letter", "taken_by": "Receptie", "language": "nl",
            "received_on": today, "late_reason": "",
            "document": (io.BytesIO(plain_pdf("Brief van Alex Jansen")), "brief.pdf")}
    data.pop("step")
    answer = staff.post("/zaken/registreren", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302, text_of(answer)[:2000]
    run_jobs()
    [message] = receiver.bodies()
    assert (message["event"], message["case"]["state"], message["case"]["school"]) == (
        "case.received", "submitted", "AAA")
    assert "Jansen" not in receiver.requests[0]["body"].decode()


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


def test_a_key_rotation_reseals_the_secret_and_deliveries_still_verify(app, client, people, receiver, run_jobs,
                                                                        tmp_path):
    from cryptography.fernet import Fernet  # only here

    subscription_id, secret = subscribe(app, people, receiver.url)
    old_keys, old_storage = app.config["FILE_KEYS"], app.config["FILE_STORAGE"]
    new = Fernet.generate_key().decode()
    app.config["FILE_KEYS"] = [new, *old_keys]
    # A file store of its own: files other tests of the run left under keys of their own are not this test's
    # (the whole suite's shared store held some: InvalidToken).
    app.config["FILE_STORAGE"] = str(tmp_path)
    try:
        result = app.test_cli_runner().invoke(args=["dsr", "rotate-file-keys"])
        assert result.exit_code == 0 and "1 webhook secret(s)" in result.output, result.output
        assert secret not in result.output
        app.config["FILE_KEYS"] = [new]  # the old key is gone
        submit(client, people.school_a)
        run_jobs()
    finally:
        app.config["FILE_KEYS"] = old_keys
        app.config["FILE_STORAGE"] = old_storage
    [request] = receiver.requests
    assert verify(secret, request["headers"], request["body"])
