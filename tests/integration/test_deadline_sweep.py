"""Deadline reminders (10 and 5 working days) and the overdue alert, run by real RQ workers."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.jobs import get_queue
from dsr.models import Case, DeadlineNotice
from dsr.scheduler import Scheduler
from dsr.services.deadlines import milestones_due, sweep_deadlines
from dsr.workflows.deadlines import subtract_working_days
from tests.helpers import AUDIT_KEY, submit

TODAY = dt.date(2026, 12, 1)  # a Tuesday


def _ahead(n: int) -> dt.date:
    """The date n working days after TODAY (negative: before)."""
    return subtract_working_days(TODAY, -n)


@pytest.mark.parametrize("due_on, expected", [
    (_ahead(11), []),
    (_ahead(10), ["reminder_10"]),
    (_ahead(7), ["reminder_10"]),
    (_ahead(5), ["reminder_10", "reminder_5"]),
    (TODAY, ["reminder_10", "reminder_5"]),  # due today is not yet overdue (ends 23:59:59)
    (TODAY - dt.timedelta(days=1), ["reminder_10", "reminder_5", "overdue"]),
], ids=["11-days", "10-days", "7-days", "5-days", "due-today", "overdue"])
def test_milestones_by_working_days(due_on, expected):
    """R-DL-7 offsets in working days from the legal calendar."""
    assert milestones_due(due_on, TODAY, [10, 5]) == expected


def _case_due(app, client, school_id, due_on, email):
    case_id = submit(client, school_id, requester_email=email)
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(due_on=due_on))
        db.session.commit()
    return case_id


def _subjects_by_recipient(smtp_server):
    result: dict[str, list[str]] = {}
    for message in smtp_server.messages:
        result.setdefault(message["To"], []).append(message["Subject"])
    return result


def test_sweep_on_real_worker_sends_each_milestone_once(app, client, people, smtp_server, run_jobs):
    ten = _case_due(app, client, people.school_a, _ahead(10), "tien@example.nl")
    five = _case_due(app, client, people.school_a, _ahead(5), "vijf@example.nl")
    late = _case_due(app, client, people.school_b, TODAY - dt.timedelta(days=3), "laat@example.nl")
    _case_due(app, client, people.school_a, _ahead(15), "ruim@example.nl")
    run_jobs()
    smtp_server.clear()

    with app.app_context():
        get_queue().enqueue(sweep_deadlines, TODAY.isoformat())
    run_jobs()
    mails = _subjects_by_recipient(smtp_server)
    refs = {}
    with app.app_context():
        for case_id in (ten, five, late):
            refs[case_id] = db.session.get(Case, case_id).reference
    staff_a, director_a = people.email["staff_a"], people.email["director_a"]
    assert sorted(mails[staff_a]) == sorted([f"Herinnering termijn: {refs[ten]}", f"Herinnering termijn: {refs[five]}"])
    assert mails[director_a] == [f"Herinnering termijn: {refs[five]}"]  # the 5-day reminder escalates
    assert mails[people.email["director_b"]] == [f"Termijn verstreken: {refs[late]}"]
    assert mails[people.email["privacy"]] == [f"Termijn verstreken: {refs[late]}"]
    assert people.email["staff_b"] not in mails  # the overdue alert goes to director and privacy officer

    # The next sweeps (same day, next day) send nothing again.
    smtp_server.clear()
    with app.app_context():
        get_queue().enqueue(sweep_deadlines, TODAY.isoformat())
        get_queue().enqueue(sweep_deadlines, (TODAY + dt.timedelta(days=1)).isoformat())
    run_jobs()
    assert smtp_server.messages == []
    with app.app_context():
        notices = db.session.execute(sa.select(DeadlineNotice.case_id, DeadlineNotice.milestone)).all()
        assert sorted(notices) == sorted([(ten, "reminder_10"), (five, "reminder_10"), (five, "reminder_5"),
                                          (late, "reminder_10"), (late, "reminder_5"), (late, "overdue")])


def test_closed_cases_get_no_reminders(app, client, people, smtp_server, run_jobs):
    case_id = _case_due(app, client, people.school_a, TODAY - dt.timedelta(days=1), "klaar@example.nl")
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(state="withdrawn"))
        db.session.commit()
        assert sweep_deadlines(TODAY) == 0


def test_two_sweeps_at_once_send_nothing_twice(app, client, people, smtp_server, run_jobs):
    for n in range(5):
        _case_due(app, client, people.school_a, TODAY - dt.timedelta(days=n + 1), f"race{n}@example.nl")
    run_jobs()
    smtp_server.clear()
    results = []

    def sweep():
        with app.app_context():
            results.append(sweep_deadlines(TODAY))
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_jobs()
    assert sum(results) == 5
    alerts = [m for m in smtp_server.messages if m["To"] == people.email["director_a"]]
    assert len(alerts) == 5 and len({m["Subject"] for m in alerts}) == 5


def test_forking_rq_worker_process_runs_the_sweep(app, client, people, smtp_server, redis_server, database_url):
    """The production command lines: a forking ``rq worker`` with dsr's worker and job classes runs the sweep,
    then the mail worker sends the mail the sweep wrote."""
    case_id = _case_due(app, client, people.school_a, _ahead(3), "proces@example.nl")
    with app.app_context():
        get_queue().enqueue(sweep_deadlines, TODAY.isoformat())
    env = {**os.environ, "DSR_DATABASE_URL": database_url, "DSR_REDIS_URL": redis_server.url,
           "DSR_SECRET_KEY": "test-secret", "DSR_AUDIT_KEYS": f'["{AUDIT_KEY}"]', "DSR_MAIL_SERVER": smtp_server.host,
           "DSR_MAIL_PORT": str(smtp_server.port), "DSR_PUBLIC_BASE_URL": "http://dsr.test",
           # As in production, the file keys: a mail's links are sealed under them in the outbox.
           "DSR_FILE_KEYS": json.dumps(app.config["FILE_KEYS"])}
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    done = subprocess.run(
        [rq, "worker", "--burst", "--url", redis_server.url, "--worker-class", "dsr.jobs.AppWorker",
         "--job-class", "dsr.jobs.AppJob", "--serializer", "json", "dsr"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    mailed = subprocess.run(
        [rq, "worker", "--burst", "--url", redis_server.url, "--worker-class", "dsr.notifications.worker.MailWorker",
         "--job-class", "dsr.jobs.AppJob", "--serializer", "json", "dsr-mail"],
        env=env, capture_output=True, text=True, timeout=120)
    assert mailed.returncode == 0, mailed.stderr[-2000:]
    with app.app_context():
        reference = db.session.get(Case, case_id).reference
    subjects = [m["Subject"] for m in smtp_server.wait_for(1)]
    assert any(reference in s for s in subjects)
    assert "Traceback" not in done.stderr and "Traceback" not in mailed.stderr


ALL_PERIODIC = ["redrive_outbox", "send_staff_digests", "sweep_deadlines", "purge_expired", "purge_packages",
                "audit_checkpoint", "mail_audit_checkpoint", "sync_roster", "redrive_connector_runs",
                "redrive_webhooks"]


def test_scheduler_enqueues_when_due_and_only_the_leader(app, redis_server):
    first, second = Scheduler(app), Scheduler(app)
    assert first.run_once(now=1000.0) == ALL_PERIODIC
    assert second.run_once(now=1000.0) == []  # stands by while the first holds the lock
    assert first.run_once(now=1030.0) == []  # nothing due yet
    assert first.run_once(now=1061.0) == ["redrive_outbox", "send_staff_digests", "redrive_connector_runs",
                                             "redrive_webhooks"]
    with app.app_context():
        assert get_queue().count == len(ALL_PERIODIC) + 4
    first.lock.release()
    assert second.run_once(now=2000.0) == ALL_PERIODIC
