"""The operations page through HTTP on the real Redis, RQ worker and SMTP server: failed jobs with
their error and a retry, failed mail retried and delivered, the scheduler's last runs, a Redis outage,
and no case content for admins."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
import sqlalchemy as sa
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from dsr.extensions import db
from dsr.jobs import AppJob, get_queue, redis_connection
from dsr.models import AuditEvent, OutboxMessage
from dsr.models._types import utcnow
from dsr.scheduler import LAST_RUN_KEY, Scheduler
from tests.helpers import login

FIXED_KEY = "dsr:test:flaky-fixed"
PAGE = "/beheer/systeem/"


def flaky(case_id: int) -> str:
    """A job that fails until the test "fixes" it (a Redis key), like a bug fixed before a retry."""
    if not redis_connection().exists(FIXED_KEY):
        raise ValueError(f"kapot bij verzoek {case_id} (melding aan iemand@example.nl)")
    return "ok"


def _client(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _failed_job(app, run_jobs, case_id: int = 42) -> str:
    with app.app_context():
        job = get_queue().enqueue(flaky, case_id, failure_ttl=3600)
    run_jobs()
    with app.app_context():
        assert job.id in FailedJobRegistry(queue=get_queue(), job_class=AppJob)
    return job.id


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _mail_row(app, **values) -> int:
    defaults = dict(kind="decision_refused", recipient="geheim@example.nl", subject="Geheim onderwerp 4711",
                    body_text="Geheime inhoud", body_html="<p>Geheime inhoud</p>", status="failed", attempts=12,
                    last_error="SMTPRecipientsRefused: {'geheim@example.nl': (550, b'5.1.1 mailbox unavailable')}",
                    next_attempt_at=utcnow() + dt.timedelta(hours=1))
    defaults.update(values)
    with app.app_context():
        row = OutboxMessage(**defaults)
        db.session.add(row)
        db.session.commit()
        return row.id


def _row(app, outbox_id: int) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, outbox_id)
        db.session.expunge(row)
        return row


# --- failed jobs ---------------------------------------------------------------------------------------


def test_failed_job_is_listed_with_its_error_and_retried(app, people, run_jobs):
    job_id = _failed_job(app, run_jobs)
    admin = _client(app, people.email["admin"])
    page = admin.get(PAGE).get_data(as_text=True)
    assert job_id in page and ">flaky<" in page and ">42<" in page
    # Only the exception type and its last line, with the address masked; never the traceback.
    assert "ValueError: kapot bij verzoek 42 (melding aan [adres])" in page
    assert "Traceback" not in page and "iemand@example.nl" not in page and "raise ValueError" not in page
    assert re.search(r'id="failed-count">1<', page) and re.search(r'id="queue-length">0<', page)

    with app.app_context():
        redis_connection().set(FIXED_KEY, "1")
    response = admin.post(f"/beheer/systeem/taken/{job_id}/opnieuw")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    page = admin.get(PAGE).get_data(as_text=True)
    assert f"Taak {job_id} staat weer in de wachtrij." in page
    assert re.search(r'id="failed-count">0<', page) and re.search(r'id="queue-length">1<', page)
    [event] = _audit(app, "ops.job_retried")
    assert event.actor_id == people.admin and event.case_id is None
    assert json.loads(event.details) == {"job_id": job_id, "function": "flaky"}

    run_jobs()  # the requeued job really runs again, and now succeeds
    with app.app_context():
        assert job_id in FinishedJobRegistry(queue=get_queue())
        assert get_queue().fetch_job(job_id).return_value() == "ok"
    assert "Geen mislukte taken." in admin.get(PAGE).get_data(as_text=True)


def test_the_mail_queue_is_shown_and_its_failed_jobs_retried(app, people, run_jobs):
    """The mail worker's queue (issue 16) has its own counts, and a job that failed there is listed with the
    general queue's and goes back on the mail queue when retried."""
    with app.app_context():
        mail_queue = get_queue(name=app.config["RQ_MAIL_QUEUE"])
        job = mail_queue.enqueue(flaky, 7, failure_ttl=3600)
    run_jobs()
    with app.app_context():
        mail_queue.enqueue(flaky, 8)  # waiting: the page counts it
        assert job.id in FailedJobRegistry(queue=mail_queue, job_class=AppJob)
    admin = _client(app, people.email["admin"])
    page = admin.get(PAGE).get_data(as_text=True)
    assert app.config["RQ_MAIL_QUEUE"] in page and job.id in page
    assert re.search(r'id="mail-failed-count">1<', page) and re.search(r'id="mail-queue-length">1<', page)
    assert re.search(r'id="failed-count">0<', page) and re.search(r'id="queue-length">0<', page)

    response = admin.post(f"/beheer/systeem/taken/{job.id}/opnieuw")
    assert response.status_code == 302
    page = admin.get(PAGE).get_data(as_text=True)
    assert re.search(r'id="mail-failed-count">0<', page) and re.search(r'id="mail-queue-length">2<', page)
    [event] = _audit(app, "ops.job_retried")
    assert json.loads(event.details) == {"job_id": job.id, "function": "flaky"}


def test_retrying_an_unknown_job_does_nothing(app, people, run_jobs):
    admin = _client(app, people.email["admin"])
    response = admin.post("/beheer/systeem/taken/bestaat-niet/opnieuw", follow_redirects=True)
    assert response.status_code == 200 and "niet (meer) bij de mislukte taken" in response.get_data(as_text=True)
    for bad in ("a.b", "x" * 101, "%2e%2e"):
        assert admin.post(f"/beheer/systeem/taken/{bad}/opnieuw").status_code == 404
    assert _audit(app, "ops.job_retried") == []
    # A job that is queued but did not fail is not "retried" either.
    with app.app_context():
        job = get_queue().enqueue(flaky, 1)
    admin.post(f"/beheer/systeem/taken/{job.id}/opnieuw")
    assert _audit(app, "ops.job_retried") == []
    with app.app_context():
        assert get_queue().count == 1


# --- outbox --------------------------------------------------------------------------------------------


def test_admin_sees_outbox_rows_without_recipient_or_subject(app, people):
    failed = _mail_row(app)
    pending = _mail_row(app, kind="receipt", status="pending", attempts=2, last_error="TimeoutError: timed out",
                        recipient="ander@example.nl", subject="Ontvangstbevestiging AVG-2025-00001")
    _mail_row(app, kind="reminder", status="sent", attempts=1, last_error=None)
    page = _client(app, people.email["admin"]).get(PAGE).get_data(as_text=True)
    table = page[page.index('id="outbox"'):page.index("</table>", page.index('id="outbox"'))]
    ids = [int(i) for i in re.findall(r'<td class="reference">(\d+)</td>', table)]
    assert ids == [failed, pending]  # failed first; sent rows are not listed
    assert "decision_refused" in table and "receipt" in table and "reminder" not in table
    assert "SMTPRecipientsRefused: {'[adres]': (550, b'5.1.1 mailbox unavailable')}" in html.unescape(table)
    for secret in ("geheim@example.nl", "ander@example.nl", "Geheim onderwerp", "Ontvangstbevestiging",
                   "AVG-2025-00001", "Geheime inhoud"):
        assert secret not in page, secret
    assert table.count("Nu opnieuw versturen") == 1  # only the failed row has the button
    assert re.search(r'id="outbox-pending">1<', page) and re.search(r'id="outbox-failed">1<', page)


def test_failed_mail_is_retried_and_delivered(app, people, run_jobs, smtp_server):
    outbox_id = _mail_row(app)
    admin = _client(app, people.email["privacy"])  # the privacy officer may do this too
    response = admin.post(f"/beheer/systeem/mail/{outbox_id}/opnieuw")
    assert response.status_code == 302
    row = _row(app, outbox_id)
    assert row.status == "pending" and row.next_attempt_at <= utcnow() and row.claimed_until is None
    [event] = _audit(app, "ops.outbox_retried")
    assert event.actor_id == people.privacy and json.loads(event.details) == {"outbox_id": outbox_id}

    run_jobs()  # the send job enqueued after the commit, on the real worker and SMTP server
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "geheim@example.nl" and message["Subject"] == "Geheim onderwerp 4711"
    assert message["Message-ID"] == f"<outbox-{outbox_id}@dsr>"
    row = _row(app, outbox_id)
    assert row.status == "sent" and row.attempts == 13 and row.last_error is None

    # Retrying a row that is no longer failed does nothing and is not audited.
    page = admin.post(f"/beheer/systeem/mail/{outbox_id}/opnieuw", follow_redirects=True).get_data(as_text=True)
    assert f"Bericht {outbox_id} is niet mislukt (meer)" in page
    assert len(_audit(app, "ops.outbox_retried")) == 1
    assert admin.post("/beheer/systeem/mail/999999/opnieuw").status_code == 404
    run_jobs()
    assert len(smtp_server.messages) == 1


def test_a_retry_that_fails_again_is_marked_failed_again(app, people, run_jobs, smtp_server):
    outbox_id = _mail_row(app)
    admin = _client(app, people.email["admin"])
    smtp_server.stop()
    try:
        admin.post(f"/beheer/systeem/mail/{outbox_id}/opnieuw")
        run_jobs()
    finally:
        smtp_server.start()
    row = _row(app, outbox_id)
    assert row.status == "failed" and row.attempts == 13 and row.last_error
    assert "Nu opnieuw versturen" in admin.get(PAGE).get_data(as_text=True)


# --- scheduler and outages -----------------------------------------------------------------------------


def test_last_scheduler_run_per_periodic_job(app, people):
    admin = _client(app, people.email["admin"])
    table = _scheduler_table(admin.get(PAGE).get_data(as_text=True))
    assert table.count("nog niet") == 10 and table.count("achter") == 10
    Scheduler(app).run_once()
    with app.app_context():
        assert set(redis_connection().hgetall(LAST_RUN_KEY)) == {
            b"redrive_outbox", b"send_staff_digests", b"sweep_deadlines", b"purge_expired", b"purge_packages",
            b"audit_checkpoint", b"mail_audit_checkpoint", b"sync_roster", b"redrive_connector_runs",
            b"redrive_webhooks"}
    table = _scheduler_table(admin.get(PAGE).get_data(as_text=True))
    assert "nog niet" not in table and table.count("op schema") == 10
    for name in ("redrive_outbox", "send_staff_digests", "sweep_deadlines", "purge_expired", "purge_packages",
                 "audit_checkpoint", "mail_audit_checkpoint", "sync_roster", "redrive_connector_runs",
                 "redrive_webhooks"):
        assert f"({name})" in table
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d", table)
    # A run long ago shows as behind.
    with app.app_context():
        redis_connection().hset(LAST_RUN_KEY, "redrive_outbox", f"{utcnow().timestamp() - 3600:.3f}")
    assert _scheduler_table(admin.get(PAGE).get_data(as_text=True)).count("achter") == 1


def _scheduler_table(page: str) -> str:
    start = page.index('id="scheduler"')
    return page[start:page.index("</table>", start)]


def test_page_renders_without_redis(app, people, redis_server, run_jobs):
    job_id = _failed_job(app, run_jobs)
    outbox_id = _mail_row(app)
    admin = _client(app, people.email["admin"])
    redis_server.stop()
    try:
        response = admin.get(PAGE)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Redis is niet bereikbaar" in page
        assert f'<td class="reference">{outbox_id}</td>' in page  # the database parts are there
        page = admin.post(f"/beheer/systeem/taken/{job_id}/opnieuw", follow_redirects=True).get_data(as_text=True)
        assert "de taak kan nu niet opnieuw worden gestart" in page
        assert _audit(app, "ops.job_retried") == []
        # A failed mail can still be retried: the row is due again, the re-drive sends it later.
        assert admin.post(f"/beheer/systeem/mail/{outbox_id}/opnieuw").status_code == 302
        assert _row(app, outbox_id).status == "pending"
    finally:
        redis_server.start()


# --- who may see it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff_a", "director_a"])
def test_casework_roles_get_403(app, people, run_jobs, who):
    job_id = _failed_job(app, run_jobs)
    outbox_id = _mail_row(app)
    client = _client(app, people.email[who])
    assert client.get(PAGE).status_code == 403
    assert client.post(f"/beheer/systeem/taken/{job_id}/opnieuw").status_code == 403
    assert client.post(f"/beheer/systeem/mail/{outbox_id}/opnieuw").status_code == 403
    assert _row(app, outbox_id).status == "failed"
    with app.app_context():
        assert job_id in FailedJobRegistry(queue=get_queue(), job_class=AppJob)


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]


def test_nav_link_for_admins_and_privacy_officer(app, people):
    assert 'href="/beheer/systeem/"' in _client(app, people.email["admin"]).get(PAGE).get_data(as_text=True)
    page = _client(app, people.email["privacy"]).get("/zaken/").get_data(as_text=True)
    assert 'href="/beheer/systeem/"' in page
    director = _client(app, people.email["director_a"])
    assert 'href="/beheer/systeem/"' not in director.get("/zaken/").get_data(as_text=True)


def test_retry_buttons_need_csrf(app, csrf_app, people, run_jobs):
    outbox_id = _mail_row(app)
    plain = app.test_client()
    login(plain, people.email["admin"])
    client = csrf_app.test_client()
    client.set_cookie("session", plain.get_cookie("session").value)  # same secret key: same session
    url = f"/beheer/systeem/mail/{outbox_id}/opnieuw"
    response = client.post(url)
    assert response.status_code == 400 and "beveiligingscode" in response.get_data(as_text=True)
    assert _row(app, outbox_id).status == "failed"
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert _row(app, outbox_id).status == "pending"
