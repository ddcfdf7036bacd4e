"""The public intake through the API (issue 18 point 4): the same request as the form, and the school list.

The validation is the form's own (``forms.intake.IntakeForm``, used by ``dsr/api/intake.py``); this module
stores the request through the same service as the form (:func:`dsr.services.cases.submit_request`, so the
same reference, audit event and receipt mail) and returns only what the receipt says: no personal data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import School
from . import cases
from .transaction import transactional


@dataclass(frozen=True)
class Receipt:
    """What the requester is told once the request is stored: the reference and the dates."""

    reference: str
    received_on: dt.date
    due_on: dt.date
    language: str


@transactional
def submit(data: dict, *, language: str) -> Receipt:
    """Store the request as the form does (:func:`cases.submit_request`); one commit.

    The receipt's facts are read before the commit, while the case is in memory: once the request is stored,
    the answer must not depend on reading it back (the form's view keeps the id for the same reason).
    Raises :class:`cases.UnknownSchool` when the school was deactivated in the meantime (nothing stored).
    """
    case = cases.submit_request(data, language=language)
    assert case.reference is not None and case.due_on is not None  # set by open_new_case before the flush ends
    return Receipt(case.reference, case.received_on, case.due_on, case.language)


@dataclass(frozen=True)
class PublicSchool:
    """A school the form offers: what a school website needs to build its own form."""

    id: int
    code: str
    name: str
    type: str


def public_schools() -> list[PublicSchool]:
    """The active schools, by name (the form's list, read now: a website fetches it rarely)."""
    rows = db.session.execute(sa.select(School.id, School.code, School.name, School.school_type)
                              .where(School.active.is_(True)).order_by(School.name, School.id))
    return [PublicSchool(row.id, row.code, row.name, row.school_type) for row in rows]
