"""Helpers for the API tests in tests/api: tokens made through the service, cases with known personal data
built directly in the database, and calls with a bearer token."""
from __future__ import annotations

import datetime as dt

from dsr.extensions import db
from dsr.models import AuditEvent, Case, User
from dsr.models.audit import GENESIS
from dsr.services import api_tokens

#: Personal data and free text in every case the tests build: no API answer may contain any of it.
REQUESTER_NAME = "Xandra Pietersma"
REQUESTER_EMAIL = "xandra.pietersma@example.nl"
STUDENT_NAME = "Quinten Vermeulen"
BIRTH_DATE = dt.date(2011, 7, 23)
FREE_TEXT = "Vrije tekst van de aanvrager: zorgdossier"
PERSONAL = (REQUESTER_NAME, REQUESTER_EMAIL, STUDENT_NAME, BIRTH_DATE.isoformat(), "Pietersma", "Vermeulen",
            "zorgdossier")


def make_token(app, people, *, scopes=("cases:read", "figures:read"), schools=("AAA",), all_schools=False,
               days=30, name="Rapportage") -> tuple[int, str]:
    """A token made by the admin through the service: ``(id, plain token)``."""
    with app.test_request_context():
        admin = db.session.get(User, people.admin)
        made = api_tokens.create(admin, name=name, scopes=scopes, school_codes=schools, all_schools=all_schools,
                                 days=days)
        result = made.token.id, made.plain
        db.session.remove()
    return result


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def add_case(school_id: int, *, state="submitted", right="access", received=dt.date(2025, 3, 3),
             due=dt.date(2025, 4, 3), closed=None, steps=(), **values) -> int:
    """A case with the test's personal data and free text; ``steps``: ``(to_state, when)`` audit events."""
    case = Case(
        school_id=school_id, right=right, state=state, received_on=received, due_on=due, closed_at=closed,
        student_name=STUDENT_NAME, student_birth_date=BIRTH_DATE, requester_role="parent",
        requester_name=REQUESTER_NAME, requester_email=REQUESTER_EMAIL, parental_authority=True,
        details=FREE_TEXT, data_concerned=FREE_TEXT, extended=values.pop("extended", False), suspended_days=0,
        student_consent=False, **values,
    )
    db.session.add(case)
    db.session.flush()
    case.reference = f"AVG-{received.year}-{case.id:05d}"
    for to_state, when in steps:
        event = AuditEvent(case_id=case.id, actor_kind="staff", action="case.submitted" if to_state == "submitted"
                           else "transition.step", to_state=to_state, reason=FREE_TEXT, details="{}",
                           created_at=when, prev_hash=GENESIS)
        event.hash = event.compute_hash()
        db.session.add(event)
    return case.id
