"""Scenario 1, load: many parents submit at once while staff work the queue; nothing is lost,
every receipt arrives exactly once, no request fails."""
from __future__ import annotations

import collections
import os
import threading
import time

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case
from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent, cases_by_email, outbox_rows
from tests.reliability.stack import wait_until
from tests.reliability.web import case_form, post_step, run_bounded, submit_request

SUBMISSIONS = int(os.environ.get("DSR_RELIABILITY_SUBMISSIONS") or (3000 if LONG else 200))
CONCURRENCY = 8


def _submitted_cases(stack, school_id: int, parity: int, done: set[int]) -> list[int]:
    with stack.app.app_context():
        ids = db.session.execute(sa.select(Case.id).where(
            Case.school_id == school_id, Case.state == "submitted", Case.id % 2 == parity,
            Case.requester_email.like("ouder%"))).scalars().all()
        db.session.remove()
    return [i for i in ids if i not in done]


def _staff_member(stack, email: str, school_id: int, parity: int, stop: threading.Event, tally: collections.Counter):
    """A staff member verifying identities of new cases as they come in (own slice: no races)."""
    browser = stack.staff(email)
    done: set[int] = set()
    while not stop.is_set():
        todo = _submitted_cases(stack, school_id, parity, done)[:5]
        if not todo:
            stop.wait(0.3)
            continue
        queue = browser.get("/zaken/")
        tally["queue_views" if queue.status == 200 else f"bad_queue_{queue.status}"] += 1
        for case_id in todo:
            token, version = case_form(browser, case_id)
            response = post_step(browser, case_id, "verify_identity", token, version, method="portal", authority="yes")
            tally["steps" if response.status == 302 else f"bad_step_{response.status}"] += 1
            done.add(case_id)


def test_load_every_submission_kept_and_mailed_once(stack, figures):
    people, mark = stack.people, stack.mark()
    emails = [f"ouder{n:05d}@example.nl" for n in range(SUBMISSIONS)]
    schools = [people.school_a, people.school_b]
    stop, tally, staff_errors = threading.Event(), collections.Counter(), []

    def staff(email, school_id, parity):
        try:
            _staff_member(stack, email, school_id, parity, stop, tally)
        except Exception as exc:  # noqa: BLE001 - reported below
            staff_errors.append(f"{email}: {type(exc).__name__}: {exc}"[:300])

    staff_threads = [threading.Thread(target=staff, args=args) for args in [
        (people.email["staff_a"], people.school_a, 0), (people.email["director_a2"], people.school_a, 1),
        (people.email["staff_b"], people.school_b, 0), (people.email["director_b"], people.school_b, 1)]]
    for thread in staff_threads:
        thread.start()
    try:
        tasks = [lambda n=n: submit_request(stack.base_url, schools[n % 2], emails[n]) for n in range(SUBMISSIONS)]
        run = run_bounded(tasks, CONCURRENCY, deadline_seconds=1800 if LONG else 300)
    finally:
        time.sleep(1.0)  # let the staff catch up with the last cases
        stop.set()
        for thread in staff_threads:
            thread.join(timeout=60)
    submitted_at = time.monotonic()
    assert run.errors == [], run.errors[:5]
    assert staff_errors == []

    wait_until(lambda: all_sent(stack, mark), 900 if LONG else 240, "every mail to be sent", 0.5, stack.check_alive)
    drain_seconds = time.monotonic() - submitted_at
    rows = outbox_rows(stack, mark)
    wait_until(lambda: len(stack.sink.messages) >= len(rows), 30, "the sink to hold every mail")
    by_email = cases_by_email(stack, "ouder")
    assert sorted(by_email) == sorted(emails)  # every submission is exactly one case
    assert all(len(ids) == 1 for ids in by_email.values())
    assert len(set(run.ok)) == SUBMISSIONS  # every parent saw a reference of their own
    received = stack.sink.message_ids()
    receipts = [r for r in rows if r.kind == "receipt"]
    assert sorted(r.recipient for r in receipts) == sorted(emails)
    assert all(received[r.message_id] == 1 for r in rows), "a mail arrived twice (or never)"
    assert set(received) == {r.message_id for r in rows}, "a mail arrived that the outbox does not know"
    assert all(r.attempts == 1 for r in rows)
    assert tally["steps"] > 0 and not [k for k in tally if k.startswith("bad_")], tally
    with stack.app.app_context():
        verified = db.session.execute(sa.select(sa.func.count()).select_from(Case).where(
            Case.state == "identity_checked", Case.requester_email.like("ouder%"))).scalar_one()
        db.session.remove()
    assert verified == tally["steps"]
    audit = stack.flask("dsr", "audit", "verify")
    assert audit.returncode == 0 and audit.stdout.startswith("OK"), audit.stdout + audit.stderr

    figures.update(
        submissions=SUBMISSIONS, concurrency=CONCURRENCY, errors=len(run.errors),
        submit_seconds=round(run.seconds, 1), submissions_per_s=round(SUBMISSIONS / run.seconds, 1),
        p95_submission_ms=run.p95_ms, staff_steps=tally["steps"], staff_queue_views=tally["queue_views"],
        mails=len(rows), receipts=len(receipts), duplicates=sum(n - 1 for n in received.values() if n > 1),
        lost=SUBMISSIONS - len(by_email), mail_drained_after_s=round(drain_seconds, 1), audit=audit.stdout.strip())
