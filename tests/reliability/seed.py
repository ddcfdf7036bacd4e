"""Schools and staff for the scenarios, written straight into the scenario's database."""
from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, OutboxMessage, School
from dsr.services.people import create_user
from dsr.services.signin import enrol_with_secret
from tests.helpers import PASSWORD, totp_secret_for

STAFF = {
    "staff_a": ("staff-a@asg.test", "staff", ["AAA"]),
    "director_a": ("director-a@asg.test", "director", ["AAA"]),
    "director_a2": ("director-a2@asg.test", "director", ["AAA"]),
    "staff_b": ("staff-b@asg.test", "staff", ["BBB"]),
    "director_b": ("director-b@asg.test", "director", ["BBB"]),
    "privacy": ("ibp@asg.test", "privacy_officer", []),
}


def seed_people(stack) -> SimpleNamespace:
    """Two schools, each with one staff member (who gets a mail per new case) and directors, and the
    privacy officer; TOTP enrolled with the secrets tests.helpers derives."""
    with stack.app.app_context():
        a, b = School(code="AAA", name="School A"), School(code="BBB", name="School B")
        db.session.add_all([a, b])
        db.session.flush()
        ids = {"school_a": a.id, "school_b": b.id}
        for key, (email, role, schools) in STAFF.items():
            user = create_user(email, key.replace("_", " ").title(), role, PASSWORD, schools)
            enrol_with_secret(user, totp_secret_for(email))
            ids[key] = user.id
        db.session.commit()
        db.session.remove()
    return SimpleNamespace(**ids, email={key: spec[0] for key, spec in STAFF.items()})


def outbox_rows(stack, after: int = 0) -> list[OutboxMessage]:
    """The outbox rows newer than ``after`` (see ``Stack.mark``), oldest first, detached."""
    with stack.app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.id > after)
                                  .order_by(OutboxMessage.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def outbox_counts(stack, after: int = 0) -> dict[str, int]:
    """Number of outbox rows newer than ``after`` per status."""
    with stack.app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).where(OutboxMessage.id > after)
                                  .group_by(OutboxMessage.status)).all()
        db.session.remove()
    return dict(rows)


def all_sent(stack, after: int = 0) -> bool:
    """True when there are rows newer than ``after`` and every one of them is sent."""
    counts = outbox_counts(stack, after)
    return bool(counts) and set(counts) == {"sent"}


def cases_by_email(stack, prefix: str) -> dict[str, list[int]]:
    """Case ids per requester e-mail, for the addresses a scenario used (``prefix``...)."""
    with stack.app.app_context():
        rows = db.session.execute(sa.select(Case.requester_email, Case.id)
                                  .where(Case.requester_email.like(prefix + "%"))).all()
        db.session.remove()
    found: dict[str, list[int]] = {}
    for email, case_id in rows:
        found.setdefault(email, []).append(case_id)
    return found
