"""Scenario 3, Redis down and back: the public form keeps accepting and storing requests (the rate
limiter and the enqueue both swallow the outage), staff can still sign in and see the mail waiting;
when Redis returns — empty, as after a crash — the scheduler's re-drive delivers every pending mail,
once, and workers (one of them busy when Redis died) and the scheduler carry on without a restart."""
from __future__ import annotations

import time

from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent, cases_by_email, outbox_counts, outbox_rows
from tests.reliability.stack import wait_until
from tests.reliability.web import operations_pending, run_bounded, sign_in, submit_request

DURING = 200 if LONG else 20


def test_redis_down_submissions_kept_mail_follows(stack, figures):
    people, mark = stack.people, stack.mark()
    # A second web server with the rate limiter on: its Redis errors must be swallowed too.
    # The outage is what is tested, not the intake limit: all submissions come from one client address.
    limited, limited_url = stack.extra_web({"RATELIMIT_ENABLED": "true", "INTAKE_LIMIT_PER_CLIENT": "10000 per hour"})
    officer = stack.staff(people.email["privacy"])
    processes = [p.pid for p in (stack.web, *stack.workers, *stack.schedulers)]
    try:
        # A worker is in the middle of a job when Redis dies: the sink holds its mail for a moment.
        stack.sink.hold_next("bezig@example.nl", seconds=3)
        submit_request(stack.base_url, people.school_a, "bezig@example.nl")
        assert stack.sink.holding.wait(60)
        before_outage = stack.mark()
        stack.redis.kill()  # a crash: no persistence, everything in Redis is gone
        down_at = time.monotonic()
        emails = [f"storing{n:03d}@example.nl" for n in range(DURING)]
        tasks = [lambda n=n: submit_request(stack.base_url if n % 2 else limited_url,
                                            people.school_a if n % 2 else people.school_b, emails[n])
                 for n in range(DURING)]
        run = run_bounded(tasks, 4, deadline_seconds=600 if LONG else 120)
        signed_in = sign_in(limited_url, people.email["staff_b"])  # rate-limited sign-in pages
        queue = signed_in.get("/zaken/")
        shown, page = operations_pending(officer)  # the database half of the page still works
        outage = time.monotonic() - down_at
    finally:
        stack.stop_proc(limited)
    assert run.errors == [], run.errors[:5]
    assert queue.status == 200
    assert "Redis is niet bereikbaar" in page
    by_email = cases_by_email(stack, "storing")
    assert sorted(by_email) == sorted(emails) and all(len(ids) == 1 for ids in by_email.values())
    counts = outbox_counts(stack, before_outage)
    # A receipt per request, waiting; staff hear of the requests from the worker (issue 16: their digest).
    assert counts == {"pending": DURING}, counts
    assert DURING <= shown <= DURING + 2  # plus the busy request's mails, if still waiting

    stack.redis.start()  # same port, empty
    back_at = time.monotonic()
    wait_until(lambda: all_sent(stack, mark), 120, "every pending mail after Redis returned", 0.3, stack.check_alive)
    recovery = time.monotonic() - back_at
    assert [p.pid for p in (stack.web, *stack.workers, *stack.schedulers)] == processes  # no restarts
    rows = outbox_rows(stack, mark)
    received = stack.sink.message_ids()
    assert all(received[r.message_id] == 1 for r in rows)
    assert sorted(r.recipient for r in rows if r.kind == "receipt") == sorted(["bezig@example.nl", *emails])
    figures.update(submissions_during_outage=DURING, errors=len(run.errors), outage_s=round(outage, 1),
                   p95_submission_ms_during_outage=run.p95_ms, mails_pending_at_return=counts["pending"],
                   all_mail_delivered_after_return_s=round(recovery, 1),
                   duplicates=sum(received[r.message_id] - 1 for r in rows))
