"""Scenario 4, SMTP down and back: mails wait in the outbox with retries and back-off, none is
dropped or marked failed; the privacy officer sees them waiting, with their last error, on the
operations page; when the relay returns, each is delivered once."""
from __future__ import annotations

import time

from dsr.views.operations import LIST_LIMIT
from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent, outbox_rows
from tests.reliability.stack import wait_until
from tests.reliability.web import operations_pending, run_bounded, submit_request

DURING = 100 if LONG else 10


def test_smtp_down_mail_waits_then_goes_once(stack, figures):
    people, mark = stack.people, stack.mark()
    backoff = float(stack.settings["OUTBOX_MAX_BACKOFF_SECONDS"])
    stack.sink.stop()
    down_at = time.monotonic()
    emails = [f"relais{n:03d}@example.nl" for n in range(DURING)]
    run = run_bounded([lambda n=n: submit_request(stack.base_url, people.school_a, emails[n]) for n in range(DURING)],
                      4, deadline_seconds=600 if LONG else 120)
    assert run.errors == [], run.errors[:5]

    # Every row is retried (attempts climb) but spaced by the back-off, and none gives up.
    wait_until(lambda: all(r.attempts >= 3 for r in outbox_rows(stack, mark)), 120, "three attempts per mail", 0.5,
               stack.check_alive)
    outage = time.monotonic() - down_at
    rows = outbox_rows(stack, mark)
    assert all(r.status == "pending" and r.sent_at is None for r in rows)
    assert all(r.last_error and ("Refused" in r.last_error or "Connection" in r.last_error) for r in rows), \
        {r.last_error for r in rows}
    # Back-off: no row was tried more often than the back-off allows (plus the first attempt).
    most = max(r.attempts for r in rows)
    assert most <= outage / backoff + 2, f"{most} attempts in {outage:.0f}s with a {backoff}s back-off"
    assert all(r.next_attempt_at > r.created_at for r in rows)
    officer = stack.staff(people.email["privacy"])
    shown, page = operations_pending(officer)
    # The page counts every waiting row and lists the first LIST_LIMIT of them (the long variant has 200).
    assert shown == len(rows) and page.count(">wacht<") == min(len(rows), LIST_LIMIT)
    assert "ConnectionRefusedError" in page

    stack.sink.start()  # same port
    back_at = time.monotonic()
    wait_until(lambda: all_sent(stack, mark), 120, "every mail after the relay returned", 0.3)
    recovery = time.monotonic() - back_at
    after = outbox_rows(stack, mark)
    received = stack.sink.message_ids()
    # Every mail that waited went, once. A staff digest may have been written meanwhile (the digest job runs
    # every minute): it went once too.
    assert {r.id for r in rows} <= {r.id for r in after} and all(received[r.message_id] == 1 for r in after)
    assert sorted(r.recipient for r in after if r.kind == "receipt") == sorted(emails)
    assert all(r.last_error is None for r in after)
    figures.update(submissions_during_outage=DURING, mails=len(after), outage_s=round(outage, 1),
                   max_attempts_during_outage=most, backoff_cap_s=backoff, failed=0,
                   all_mail_delivered_after_return_s=round(recovery, 1),
                   duplicates=sum(n - 1 for n in received.values()))
