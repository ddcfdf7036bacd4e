"""Retention of dsr's own data (R-AC-4): case files are anonymised 5 years after closing.

What stays is what the privacy officer needs for statistics (school, right, dates, state,
decision and grounds) — no name, address, e-mail, free text or file. Other modules that keep
personal data per case (messages, uploads, packages, letters) register a function with
:func:`on_anonymise`; it is called inside the same transaction as the case's own anonymisation.
The mails about the case (the outbox) are anonymised here. ``tests/integration/test_anonymise_everywhere.py``
searches every table and stored file for the requester afterwards.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app

from ..extensions import db
from ..models import Case, OutboxMessage
from ..models._types import utcnow
from ..models.outbox import SENT
from ..workflows import states as S
from . import audit
from .clock import local_today
from .transaction import transaction

_ANONYMISERS: list[Callable[[Case], None]] = []
REMOVED = "[verwijderd]"
#: Placeholder e-mail address once the real one is removed (the columns are required).
REMOVED_EMAIL = "verwijderd@invalid"
#: Placeholder birth date once the real one is removed (the column is required).
NO_BIRTH_DATE = dt.date(1900, 1, 1)


def on_anonymise(func: Callable[[Case], None]) -> Callable[[Case], None]:
    """Register ``func(case)`` to remove a module's personal data for an expired case."""
    _ANONYMISERS.append(func)
    return func


def expired_cases(today: dt.date | None = None, limit: int = 1000) -> list[Case]:
    """Ended cases closed longer ago than the retention period and not yet anonymised."""
    today = today or local_today()
    cutoff = today - relativedelta(years=current_app.config["CASE_RETENTION_YEARS"])
    cutoff_at = dt.datetime.combine(cutoff, dt.time.min, tzinfo=dt.UTC)
    return list(db.session.execute(
        sa.select(Case).where(Case.state.in_(S.ENDED_STATES), Case.closed_at < cutoff_at,
                              Case.anonymised_at.is_(None))
        .order_by(Case.closed_at, Case.id).limit(limit)
    ).scalars())


def _forget_mails(case: Case) -> None:
    """The case's mails: an unsent one goes (its content and recipient are gone, so it can no longer be
    sent); a sent one keeps its kind, status, dates and digest for the statistics, and loses recipient,
    subject and content."""
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                      OutboxMessage.status != SENT))
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.case_id == case.id).values(
        recipient=REMOVED_EMAIL, subject=REMOVED, body_text=REMOVED, body_html=REMOVED, links_sealed=None))


def anonymise(case: Case) -> None:
    """Remove the personal data of one case (no commit)."""
    for func in _ANONYMISERS:
        func(case)
    _forget_mails(case)
    case.student_name = case.requester_name = REMOVED
    case.requester_email = REMOVED_EMAIL
    case.student_birth_date = NO_BIRTH_DATE
    case.student_number = case.requester_phone = None
    case.details = case.data_concerned = case.correct_value = ""
    case.info_reason = case.review_note = case.proposal_reason = case.director_reason = None
    case.child_interest_reason = case.care_info = None
    case.fulfilment_note = case.extension_reason = case.requester_explanation = None
    case.confirm_nonce = None
    case.anonymised_at = utcnow()
    audit.record("case.anonymised", case=case, actor_kind="system",
                 details={"retention_years": current_app.config["CASE_RETENTION_YEARS"]})


def purge_expired(today: dt.date | str | None = None, *, dry_run: bool = False) -> list[str]:
    """Anonymise every expired case (one transaction per case); returns their references.

    ``dry_run`` lists what would go without changing anything. A sweep commits per case on purpose: a
    failure on one case rolls back that case only and keeps the ones already anonymised.
    """
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    references: list[str] = []
    for case in expired_cases(today):
        # Every submitted case has its reference (given in the transaction that stored it).
        references.append(case.reference or f"#{case.id}")
        if not dry_run:
            with transaction():
                anonymise(case)
    return references
