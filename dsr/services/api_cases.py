"""What the integrations read through the API (issue 18 point 4): cases and the dashboard's figures of an API
token's schools.

A case is given by its ids, keys, states and dates only: never the requester's or the student's name,
e-mail address, birth date or any text typed by a person (docs/api.md). The figures are the dashboard's
own (:func:`dsr.services.reports.build`), for a reader that sees exactly the token's schools.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import AuditEvent, Case
from ..workflows import states as S
from ..workflows.vocabulary import GROUND_LABELS, RIGHT_LABELS
from . import reports
from .api_tokens import TokenReader
from .case_access import visible_cases
from .clock import local_today

#: The rights, states, outcomes and grounds as the API names them (their stored keys).
RIGHTS = tuple(RIGHT_LABELS)
STATES = S.STATES
OUTCOMES = S.DECIDED_STATES
GROUNDS = tuple(GROUND_LABELS)
#: Open: the legal clock runs (or the decision letter is still to send); closed: ended.
STATUSES = ("open", "closed")
#: The figures' sections as the API names their unit (the dashboard shows a translated word).
SECTION_UNITS = {"overzicht": "cases", "termijn": "percent", "status": "cases", "soort": "cases",
                 "school": "cases", "weigeringsgronden": "refusals", "te-laat": "cases", "doorlooptijd": "days"}
FLAG_KEYS = ("director", "letter", "overdue")
#: The sections whose rows are schools (the dashboard keys them by id; the API by the school's code).
_SCHOOL_SECTIONS = ("school", "te-laat")


@dataclass(frozen=True)
class CaseFilters:
    """The list's filters, already checked (dsr/api/cases.py)."""

    school_id: int | None = None
    state: str | None = None
    status: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None


def _local_date(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date().isoformat()


def case_item(case: Case) -> dict[str, Any]:
    """One case as the API gives it: ids, keys, states and dates; nothing a person typed, no names."""
    outcome = case.state if case.state in OUTCOMES else None
    return {
        "id": case.id,
        "reference": case.reference,
        "school": case.school.code,
        "right": case.right,
        "state": case.state,
        "received_on": case.received_on.isoformat(),
        "due_on": case.due_on.isoformat(),
        "extended": bool(case.extended),
        "closed_on": _local_date(case.closed_at) if case.state in S.ENDED_STATES else None,
        "outcome": outcome,
        "grounds": [g for g in case.grounds_list if g in GROUND_LABELS] if outcome in (S.REFUSED,
                                                                                        S.PARTIALLY_FULFILLED) else [],
    }


def list_cases(reader: TokenReader, filters: CaseFilters, *, limit: int,
               after_id: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the reader's cases, by id; returns the items and the id to continue after (None: last page)."""
    query = visible_cases(reader)  # type: ignore[arg-type]  # a TokenReader reads like a user of its schools
    if filters.school_id is not None:
        query = query.where(Case.school_id == filters.school_id)
    if filters.state:
        query = query.where(Case.state == filters.state)
    if filters.status == "open":
        query = query.where(Case.state.in_(S.OPEN_STATES))
    elif filters.status == "closed":
        query = query.where(Case.state.in_(S.ENDED_STATES))
    if filters.received_from:
        query = query.where(Case.received_on >= filters.received_from)
    if filters.received_to:
        query = query.where(Case.received_on <= filters.received_to)
    if after_id is not None:
        query = query.where(Case.id > after_id)
    rows = list(db.session.execute(query.order_by(Case.id).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return [case_item(case) for case in rows], (rows[-1].id if more else None)


def read_case(reader: TokenReader, case_id: int) -> dict[str, Any] | None:
    """The case with its steps' dates (states reached, when; no texts), or None when it is not one of the
    reader's (missing and another school's look the same)."""
    case = db.session.execute(visible_cases(reader).where(Case.id == case_id)).scalar()  # type: ignore[arg-type]
    if case is None:
        return None
    events = db.session.execute(
        sa.select(AuditEvent.to_state, AuditEvent.created_at)
        .where(AuditEvent.case_id == case.id, AuditEvent.to_state.in_(STATES))
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    item = case_item(case)
    item["extended_on"] = case.extended_on.isoformat() if case.extended and case.extended_on else None
    item["steps"] = [{"state": state, "at": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")}
                     for state, at in events]
    return item


def figures(reader: TokenReader, *, period: reports.Period, school_id: int | None) -> dict[str, Any]:
    """The dashboard's figures for the reader's schools (or one of them) over ``period``."""
    today = local_today()
    board = reports.build(reader, period=period, school_id=school_id, today=today)  # type: ignore[arg-type]
    codes = {str(school.id): school.code for school in reader.schools}
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "school": board.school.code if board.school is not None else None,
        "schools": sorted(school.code for school in reader.schools),
        "as_of": today.isoformat(),
        "sections": [
            {"key": section.key, "unit": SECTION_UNITS[section.key],
             "rows": [{"key": codes.get(row.key, row.key) if section.key in _SCHOOL_SECTIONS else row.key,
                       "value": row.value} for row in section.rows]}
            for section in board.sections
        ],
        "flags": [{"key": flag.key, "count": flag.count} for flag in board.flags],
    }
