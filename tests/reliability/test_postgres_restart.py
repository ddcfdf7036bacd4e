"""Scenario 5, PostgreSQL restarted under traffic: while it is down the web app answers a calm
Dutch "try again shortly" page (503), for parents and signed-in staff alike; afterwards it recovers
without a restart (pool pre-ping), no accepted request is lost and no half-written case exists."""
from __future__ import annotations

import collections
import itertools
import threading
import time

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, OutboxMessage
from tests.reliability.helpers import LONG
from tests.reliability.seed import all_sent, outbox_rows
from tests.reliability.stack import wait_until
from tests.reliability.web import UNAVAILABLE_TEXT, Browser, intake_form

DOWN_SECONDS = 20 if LONG else 4
CALM_PAGE = "Probeer het over een paar minuten opnieuw"


def _parent(stack, email: str, outcomes: collections.Counter, accepted: list, lock) -> None:
    """One parent's visit, recording how each step was answered (nothing here may be a 500)."""
    browser = Browser(stack.base_url, timeout=60)
    try:
        page = browser.get("/")
        if page.status != 200:
            with lock:
                outcomes[f"form_{page.status}"] += 1
            return
        token = page.text.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        posted = browser.post("/", {**intake_form(stack.people.school_a, email), "csrf_token": token})
    except OSError as exc:
        with lock:
            outcomes[f"connection_{type(exc).__name__}"] += 1
        return
    with lock:
        outcomes[f"post_{posted.status}"] += 1
        if posted.status == 302:
            accepted.append(email)
        elif posted.status == 503 and UNAVAILABLE_TEXT not in posted.text:
            outcomes["post_503_without_calm_page"] += 1


def test_postgres_restart_calm_page_and_recovery(stack, figures):
    mark = stack.mark()
    staff = stack.staff(stack.people.email["staff_a"])
    web_pid = stack.web.pid
    outcomes, accepted, lock, stop = collections.Counter(), [], threading.Lock(), threading.Event()
    numbers = itertools.count()

    def traffic():
        while not stop.is_set():
            _parent(stack, f"golf{next(numbers):05d}@example.nl", outcomes, accepted, lock)

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        stack.pg.stop("fast")  # ends every session; open transactions roll back
        down_at = time.monotonic()
        pages = {"public": Browser(stack.base_url).get("/"), "staff": staff.get("/zaken/")}
        time.sleep(DOWN_SECONDS)
        stack.pg.start()
        up_at = time.monotonic()
        wait_until(lambda: Browser(stack.base_url).get("/").status == 200, 60, "the web app to answer again", 0.1)
        recovered = time.monotonic() - up_at
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        stack.pg.start()
    for name, page in pages.items():
        if name == "public" and page.status == 200:
            # The empty form needs no database: its list of schools is kept per process (issue 16 point 5).
            # Sending it during the outage gets the calm page (post_503 below).
            assert 'name="school_id"' in page.text
            continue
        assert page.status == 503, (name, page.status, page.text[:300])
        assert UNAVAILABLE_TEXT in page.text and CALM_PAGE in page.text, name
    assert staff.get("/zaken/").status == 200  # the staff session survived: no sign-in needed
    assert stack.web.pid == web_pid and stack.web.alive  # recovered without a restart
    bad = {k: v for k, v in outcomes.items() if k not in ("post_302", "post_503", "form_503")}
    assert bad == {}, outcomes
    assert outcomes["post_302"] > 0 and outcomes["form_503"] + outcomes["post_503"] > 0, outcomes

    wait_until(lambda: all_sent(stack, mark), 120, "every mail after the restart", 0.3, stack.check_alive)
    with stack.app.app_context():
        cases = db.session.execute(sa.select(Case)).scalars().all()
        submitted = set(db.session.execute(sa.select(AuditEvent.case_id).where(
            AuditEvent.action == "case.submitted")).scalars())
        receipts = set(db.session.execute(sa.select(OutboxMessage.case_id).where(
            OutboxMessage.kind == "receipt")).scalars())
        half_written = [c.id for c in cases if not c.reference or c.id not in submitted or c.id not in receipts]
        stored = [c.requester_email for c in cases if c.requester_email.startswith("golf")]
        db.session.remove()
    assert half_written == []  # of all cases in the database, not only this scenario's
    assert set(accepted) <= set(stored)  # every request the server accepted (302) is a case
    # A POST whose commit raced the shutdown may be stored and still answered 503; never more.
    assert len(stored) - len(accepted) <= outcomes["post_503"]
    assert len(stored) == len(set(stored))
    received, rows = stack.sink.message_ids(), outbox_rows(stack, mark)
    # A mail sent just before the shutdown is marked sent once PostgreSQL is back: the restart is
    # shorter than the claim, so nobody else sent it meanwhile and nothing went twice.
    assert [(r.id, received[r.message_id]) for r in rows if received[r.message_id] != 1] == []
    figures.update(down_s=round(up_at - down_at, 1), web_recovered_after_start_s=round(recovered, 2),
                   outcomes=dict(outcomes), cases_stored=len(stored), accepted=len(accepted),
                   stored_but_answered_503=len(stored) - len(accepted), half_written_cases=0, lost_accepted=0,
                   duplicates=0)
