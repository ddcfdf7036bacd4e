"""Two people acting on the same case at once: one wins, the others are told, nothing is lost."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case
from dsr.services.audit_verify import verify_chain
from tests.helpers import case_version, login, submit

RACERS = 8


def test_racing_staff_one_step_wins(app, client, people):
    case_id = submit(client, people.school_a)
    version = case_version(app, case_id)
    clients = []
    for n in range(RACERS):
        racer = app.test_client()
        login(racer, people.email["staff_a" if n % 2 else "staff_a2"])
        clients.append(racer)
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []

    def race(racer, n):
        barrier.wait()
        # Half verify the identity, half ask for information: both start from the same version.
        if n % 2:
            data = {"version": version, "method": "portal", "authority": "yes"}
            response = racer.post(f"/zaken/{case_id}/stap/verify_identity", data=data)
        else:
            data = {"version": version, "kind": "identity", "reason": f"Vraag {n}"}
            response = racer.post(f"/zaken/{case_id}/stap/request_information", data=data)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=race, args=(racer, n)) for n, racer in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [409] * (RACERS - 1), statuses
    with app.app_context():
        case = db.session.get(Case, case_id)
        transitions = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action.like("transition.%"))
        ).scalars().all()
        assert len(transitions) == 1 and transitions[0].to_state == case.state
        assert case.version == version + 1
        assert verify_chain().ok
