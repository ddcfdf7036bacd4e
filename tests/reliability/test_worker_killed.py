"""Scenario 2, a worker killed (SIGKILL) in the middle of sending: the claim on the outbox row
expires, the re-drive hands the mail to another worker, it arrives; at most one duplicate per kill
(same Message-ID), and the outbox row says what happened."""
from __future__ import annotations

import threading
import time

from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent, outbox_rows
from tests.reliability.stack import wait_until
from tests.reliability.web import run_bounded, submit_request

BURST = 400 if LONG else 30
BURST_KILLS = 5 if LONG else 1


def test_worker_killed_while_the_smtp_server_has_the_mail(stack, figures):
    people, mark = stack.people, stack.mark()
    email = "gedood@example.nl"
    # The sink stores this mail and then keeps the worker waiting for its "250 OK": a kill now
    # leaves a mail delivered but not marked sent, the one window where a duplicate is possible.
    stack.sink.hold_next(email, seconds=60)
    submit_request(stack.base_url, people.school_a, email)
    assert stack.sink.holding.wait(60), "the receipt never reached the SMTP server"
    row = next(r for r in outbox_rows(stack, mark) if r.kind == "receipt" and r.recipient == email)
    victim = stack.busy_worker(row.id)
    stack.kill_worker(victim)
    killed_at = time.monotonic()
    survivor = stack.workers[0]
    held = next(r for r in outbox_rows(stack, mark) if r.id == row.id)
    assert (held.status, held.attempts) == ("pending", 1) and held.claimed_until is not None  # the truth

    wait_until(lambda: all_sent(stack, mark), 90, "the killed worker's mail to be sent by another", 0.2, survivor.check)
    recovery = time.monotonic() - killed_at
    after = next(r for r in outbox_rows(stack, mark) if r.id == row.id)
    copies = stack.sink.message_ids()[row.message_id]
    assert copies == 2, "delivered once before the kill, once after it: exactly one duplicate"
    assert (after.status, after.attempts, after.last_error) == ("sent", 2, None)
    others = [r for r in outbox_rows(stack, mark) if r.id != row.id]
    assert all(stack.sink.message_ids()[r.message_id] == 1 for r in others)
    figures.update(held_kill_duplicates=copies - 1, held_kill_recovery_s=round(recovery, 1),
                   claim_seconds=int(stack.settings["OUTBOX_CLAIM_SECONDS"]),
                   redrive_interval_s=int(stack.settings["SCHEDULER_REDRIVE_SECONDS"]))

    # Then a burst with kills at arbitrary moments (a busy worker if there is one); a replacement
    # worker starts after each kill, as a process supervisor would.
    stack.start_worker()
    mark = stack.mark()
    emails = [f"burst{n:04d}@example.nl" for n in range(BURST)]
    tasks = [lambda n=n: submit_request(stack.base_url, people.school_b, emails[n]) for n in range(BURST)]
    kills = []

    def killer():
        for _ in range(BURST_KILLS):
            time.sleep(6 if LONG else 1.5)
            victim = (stack.busy_workers() or stack.workers)[0]
            stack.kill_worker(victim)
            kills.append(victim.name)
            stack.start_worker(wait=False)

    thread = threading.Thread(target=killer)
    thread.start()
    run = run_bounded(tasks, 6, deadline_seconds=900 if LONG else 180)
    thread.join(timeout=120)
    assert run.errors == []
    wait_until(lambda: all_sent(stack, mark), 300 if LONG else 120, "every burst mail to be sent", 0.5)
    rows = outbox_rows(stack, mark)
    received = stack.sink.message_ids()
    assert sorted(r.recipient for r in rows if r.kind == "receipt") == sorted(emails)
    assert [r.id for r in rows if received[r.message_id] == 0] == []
    duplicates = sum(received[r.message_id] - 1 for r in rows)
    assert duplicates <= len(kills), f"{duplicates} duplicates after {len(kills)} kills"
    figures.update(burst_submissions=BURST, burst_kills=len(kills), burst_duplicates=duplicates,
                   burst_errors=len(run.errors), burst_rows_retried=sum(1 for r in rows if r.attempts > 1))
