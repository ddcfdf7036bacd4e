"""Scenario 7, the deadline sweep twice at once: two schedulers started by mistake, and sweep jobs
running side by side on two forking workers; every reminder still goes out exactly once."""
from __future__ import annotations

import collections
import datetime as dt
import time

import sqlalchemy as sa
from rq.job import JobStatus

from dsr.extensions import db
from dsr.jobs import get_queue
from dsr.models import Case, DeadlineNotice, OutboxMessage
from dsr.scheduler import LOCK_NAME
from dsr.services.clock import local_today
from dsr.services.deadlines import sweep_deadlines
from dsr.workflows.deadlines import subtract_working_days
from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent
from tests.reliability.stack import wait_until
from tests.reliability.web import run_bounded, submit_request

CASES = 120 if LONG else 24
#: PostgreSQL logs each insert the unique milestone key refused: a sweep that lost a race.
UNIQUE_MILESTONE = 'violates unique constraint "uq_deadline_notices_case_milestone"'
PARALLEL_SWEEPS = 6 if LONG else 4


def _due_dates(today: dt.date, n: int) -> list[dt.date]:
    """A mix: overdue, at the 5-day and at the 10-day reminder, and not yet due."""
    options = [today - dt.timedelta(days=2), subtract_working_days(today, -4), subtract_working_days(today, -9),
               subtract_working_days(today, -20)]
    return [options[i % len(options)] for i in range(n)]


def test_two_schedulers_and_parallel_sweeps_send_each_reminder_once(stack, figures):
    # The deployment's scheduler sweeps every 2 s; a second one is started by mistake.
    people, mark = stack.people, stack.mark()
    second = stack.start_scheduler()
    leader_log, standby_log = stack.schedulers[0].log_path, second.log_path
    sweeps_before = leader_log.read_text().count("enqueued sweep_deadlines")
    emails = [f"termijn{n:03d}@example.nl" for n in range(CASES)]
    # The leader sweeps every 2 s all along; nothing is due until the dates are moved below.
    conflicts_before = stack.pg.log_text().count(UNIQUE_MILESTONE)
    run = run_bounded([lambda n=n: submit_request(stack.base_url, people.school_a if n % 2 else people.school_b,
                                                  emails[n]) for n in range(CASES)], 6, deadline_seconds=300)
    assert run.errors == []
    wait_until(lambda: all_sent(stack, mark), 120, "the receipts")
    with stack.app.app_context():
        today = local_today()
        ids = db.session.execute(sa.select(Case.id).where(Case.requester_email.like("termijn%"))
                                 .order_by(Case.id)).scalars().all()
        due_dates = _due_dates(today, len(ids))
        for case_id, due_on in zip(ids, due_dates, strict=True):
            db.session.execute(sa.update(Case).where(Case.id == case_id).values(due_on=due_on))
        db.session.commit()
        # And on top of the scheduler's sweeps, several sweep jobs enqueued at the same moment.
        queue = get_queue()
        jobs = [queue.enqueue(sweep_deadlines) for _ in range(PARALLEL_SWEEPS)]
        db.session.remove()
    wait_until(lambda: all(j.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED) for j in jobs),
               120, "the parallel sweeps", 0.2)
    time.sleep(3)  # a few more scheduled sweeps
    for job in jobs:
        job.refresh()
    assert all(j.get_status() == JobStatus.FINISHED for j in jobs), [j.latest_result() for j in jobs]
    spans = sorted((j.started_at, j.ended_at) for j in jobs)
    overlapping = sum(1 for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1])
    with stack.redis_client() as conn:
        leader = conn.get(LOCK_NAME)
    assert leader is not None and all(s.alive for s in stack.schedulers)
    wait_until(lambda: all_sent(stack, mark), 120, "the reminders")

    with stack.app.app_context():
        notices = db.session.execute(sa.select(DeadlineNotice.case_id, DeadlineNotice.milestone)
                                     .where(DeadlineNotice.case_id.in_(ids))).all()
        mails = db.session.execute(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "staff_deadline", OutboxMessage.id > mark)).scalars().all()
        expected_cases = {c for c, m in notices}
        per_case_recipient = collections.Counter((m.case_id, m.recipient) for m in mails)
        message_ids = [m.message_id for m in mails]
        db.session.remove()
    assert len(notices) == len(set(notices))  # unique milestones
    reminder_from = subtract_working_days(today, -10)  # due within 10 working days: a milestone reached
    assert expected_cases and len(expected_cases) == sum(1 for d in due_dates if d <= reminder_from)
    assert max(per_case_recipient.values()) == 1, "a reminder was queued twice"
    received = stack.sink.message_ids()
    assert all(received[m] == 1 for m in message_ids), "a reminder arrived twice"
    reminders = set(message_ids)
    subjects = collections.Counter((m["To"], m["Subject"]) for m in stack.sink.messages if m["Message-ID"] in reminders)
    assert subjects and max(subjects.values()) == 1
    sweeps = [j.latest_result().return_value for j in jobs]
    races_lost = stack.pg.log_text().count(UNIQUE_MILESTONE) - conflicts_before
    leads = [leader_log.read_text().count("enqueued sweep_deadlines") - sweeps_before,
             standby_log.read_text().count("enqueued sweep_deadlines")]
    assert leads[0] > 0 and leads[1] == 0, f"sweeps enqueued by the leader, the second scheduler: {leads}"
    stack.stop_proc(second)
    figures.update(cases=CASES, cases_with_milestones=len(expected_cases), milestones=len(notices),
                   reminder_mails=len(mails), parallel_sweep_jobs=PARALLEL_SWEEPS, overlapping_sweeps=overlapping,
                   notified_per_parallel_sweep=sweeps, schedulers=2,
                   sweeps_enqueued_by_leader_and_standby=leads, sweep_races_lost_to_unique_key=races_lost, duplicates=0)
