"""The vocabulary of the pure state-machine tests (test_machine.py, test_letters_in_law.py): the states as the
issue names them, the actors by kind, and a stand-in for dsr.models.Case in any state. Written out
literally, never taken from dsr.workflows, so that the tests that use them can fail."""
from __future__ import annotations

import dataclasses
import datetime as dt

# ---- the vocabulary of the issue, literally ------------------------------------------------------

SUBMITTED = "submitted"
AWAITING_REQUESTER = "awaiting_requester"
IDENTITY_CHECKED = "identity_checked"
LEGAL_BASIS_REVIEWED = "legal_basis_reviewed"
AWAITING_DIRECTOR = "awaiting_director"
FULFILLED = "fulfilled"
PARTIALLY_FULFILLED = "partially_fulfilled"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
CLOSED_UNVERIFIED = "closed_unverified"

ALL_STATES = (SUBMITTED, AWAITING_REQUESTER, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR,
              FULFILLED, PARTIALLY_FULFILLED, REFUSED, WITHDRAWN, CLOSED_UNVERIFIED)
OPEN = (SUBMITTED, AWAITING_REQUESTER, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR)
DECIDED = (FULFILLED, PARTIALLY_FULFILLED, REFUSED)
ENDED_WITHOUT_DECISION = (WITHDRAWN, CLOSED_UNVERIFIED)
ENDED = DECIDED + ENDED_WITHOUT_DECISION

SCHOOL, OTHER_SCHOOL = 10, 20
CASE_ID, OTHER_CASE_ID = 100, 101
PROPOSER_ID = 99  # a staff member of SCHOOL who proposed the refusal, in the table's set-ups
T0 = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Actor:
    id: int | None
    role: str
    school_ids: frozenset = frozenset()
    case_id: int | None = None


#: Who may act, by kind. Two directors of the case's school so that four-eyes can be satisfied.
ACTORS = {
    "staff_own": Actor(1, "staff", frozenset({SCHOOL})),
    "staff_multi": Actor(8, "staff", frozenset({SCHOOL, OTHER_SCHOOL})),
    "staff_other": Actor(2, "staff", frozenset({OTHER_SCHOOL})),
    "director_own": Actor(3, "director", frozenset({SCHOOL})),
    "director_other": Actor(5, "director", frozenset({OTHER_SCHOOL})),
    # No school at all: the privacy officer works on every school.
    "privacy_officer": Actor(6, "privacy_officer", frozenset()),
    # An admin linked to the school still does no casework.
    "admin": Actor(7, "admin", frozenset({SCHOOL, OTHER_SCHOOL})),
    "requester_own": Actor(None, "requester", case_id=CASE_ID),
    "requester_other": Actor(None, "requester", case_id=OTHER_CASE_ID),
}

REASON = "Toelichting bij deze stap."


@dataclasses.dataclass(slots=True)
class Case:
    """The attributes of dsr.models.Case that the machine reads or writes; slots, so that a write to
    an attribute the model does not have fails loudly."""

    id: int = CASE_ID
    state: str = SUBMITTED
    school_id: int = SCHOOL
    requester_role: str = "parent"
    parental_authority: bool | None = None
    resume_state: str | None = None
    info_kind: str | None = None
    info_reason: str | None = None
    info_requested_on: dt.date | None = None
    info_received_on: dt.date | None = None
    info_large_data: bool = False
    verification_method: str | None = None
    verified_by_id: int | None = None
    verified_at: dt.datetime | None = None
    decision: str | None = None
    decision_grounds: str | None = None
    assessment_outcome: str | None = None
    assessment_scope: str | None = None
    policy_reference_on: dt.date | None = None
    review_note: str | None = None
    reviewed_by_id: int | None = None
    reviewed_at: dt.datetime | None = None
    proposal_reason: str | None = None
    requester_explanation: str | None = None
    approval_route: str | None = None
    appointed_approver_id: int | None = None
    proposed_by_id: int | None = None
    proposed_at: dt.datetime | None = None
    director_reason: str | None = None
    director_id: int | None = None
    director_decided_at: dt.datetime | None = None
    fulfilment_note: str | None = None
    letter_pending: bool = False
    closed_at: dt.datetime | None = None


def case_for(state: str, trigger: str | None = None, **overrides) -> Case:
    """A case in ``state`` with the history that state implies (for the table's set-up)."""
    fields: dict = {"state": state}
    if state == AWAITING_REQUESTER:
        fields["resume_state"] = IDENTITY_CHECKED
        fields["info_requested_on"] = T0.date()
    if state in (LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR) or state in DECIDED:
        fields["decision"] = {FULFILLED: "grant", PARTIALLY_FULFILLED: "partial"}.get(state, "refuse")
    if state == LEGAL_BASIS_REVIEWED and trigger == "fulfil":
        fields["decision"] = "grant"
    if state == AWAITING_DIRECTOR or state in (PARTIALLY_FULFILLED, REFUSED):
        fields["proposed_by_id"] = PROPOSER_ID
        fields["decision_grounds"] = "art12_5"
    if state in ENDED:
        fields["closed_at"] = T0 - dt.timedelta(days=1)
    fields.update(overrides)
    return Case(**fields)
