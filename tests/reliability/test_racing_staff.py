"""Scenario 6, racing staff on the real web server: 20 people press the same button on the same case
at once, step after step; exactly one wins each step, the others get the conflict message, and the
audit chain verifies."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case
from tests.reliability.helpers import LONG
from tests.reliability.web import CONFLICT_TEXT, case_form, post_step, submit_request

RACERS = 20
#: A refusal from start to finish: (step, form data, who races for it). The last step is the
#: director's four-eyes approval, raced by both directors of the school (neither proposed it).
STEPS = [
    ("verify_identity", {"method": "portal", "authority": "yes"}, ("staff_a",)),
    ("review", {"decision": "refuse", "grounds": ["art12_5"], "reason": "Kennelijk buitensporig."}, ("staff_a",)),
    ("propose_refusal", {"reason": "Kennelijk buitensporig, zie dossier.",
                         "requester_explanation": "Uitleg voor de aanvrager."}, ("staff_a",)),
    ("approve_refusal", {"reason": "Akkoord."}, ("director_a", "director_a2")),
]
ROUNDS = 5 if LONG else 1


def _race(stack, case_id: int, trigger: str, data: dict, people: tuple) -> list:
    racers = []
    for n in range(RACERS):
        browser = stack.staff(stack.people.email[people[n % len(people)]])  # the same people in many tabs
        racers.append((browser, *case_form(browser, case_id)))  # everyone opened the page first
    barrier, results, lock = threading.Barrier(RACERS), [], threading.Lock()

    def press(browser, token, version):
        barrier.wait(timeout=60)
        response = post_step(browser, case_id, trigger, token, version, **data)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=press, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_racers_one_winner_per_step(stack, figures):
    tally = {"wins": 0, "conflicts": 0}
    for round_ in range(ROUNDS):
        reference = submit_request(stack.base_url, stack.people.school_a, f"race{round_}@example.nl")
        with stack.app.app_context():
            case_id, version = db.session.execute(
                sa.select(Case.id, Case.version).where(Case.reference == reference)).one()
            db.session.remove()
        for trigger, data, people in STEPS:
            results = _race(stack, case_id, trigger, data, people)
            statuses = sorted(r.status for r in results)
            assert statuses == [302] + [409] * (RACERS - 1), (trigger, statuses)
            assert all(CONFLICT_TEXT in r.text for r in results if r.status == 409)
            tally["wins"] += 1
            tally["conflicts"] += RACERS - 1
        with stack.app.app_context():
            case = db.session.get(Case, case_id)
            steps = db.session.execute(
                sa.select(AuditEvent.action)
                .where(AuditEvent.case_id == case_id, AuditEvent.action.like("transition.%"))
                .order_by(AuditEvent.id)).scalars().all()
            final = (case.state, case.version)
            db.session.remove()
        assert final == ("refused", version + len(STEPS))
        assert steps == [f"transition.{t}" for t, _, _ in STEPS]
    audit = stack.flask("dsr", "audit", "verify")
    assert audit.returncode == 0 and audit.stdout.startswith("OK"), audit.stdout + audit.stderr
    figures.update(racers=RACERS, steps=len(STEPS) * ROUNDS, **tally, audit=audit.stdout.strip())
