"""Where the request stands, as six steps (issue 14 point 6): table-driven over states and facts."""
from __future__ import annotations

import pytest

from dsr.workflows import states as S
from dsr.workflows.timeline import CaseFacts, timeline

# Steps in order: received, confirmed, identity, assessment, decision, sent. One letter each:
# d = done, c = current, u = to come (upcoming), s = stopped; a step left out is not shown.
CODE = {"done": "d", "current": "c", "upcoming": "u", "stopped": "s"}


def row(label: str, facts: CaseFacts, shape: str, waiting: bool = False):
    return pytest.param(facts, shape, waiting, id=label)


@pytest.mark.parametrize("facts, shape, waiting", [
    row("received, address not confirmed", CaseFacts(S.SUBMITTED, confirmed=False), "dcuuuu"),
    row("confirmed, identity to check", CaseFacts(S.SUBMITTED, confirmed=True), "ddcuuu"),
    row("asked who you are: we wait for you at the identity step",
        CaseFacts(S.AWAITING_REQUESTER, confirmed=True, resume_state=S.SUBMITTED), "ddcuuu", True),
    row("identity checked: being assessed", CaseFacts(S.IDENTITY_CHECKED, confirmed=True, identity_checked=True),
        "dddcuu"),
    row("asked for a clarification during the assessment",
        CaseFacts(S.AWAITING_REQUESTER, confirmed=True, identity_checked=True, resume_state=S.LEGAL_BASIS_REVIEWED),
        "dddcuu", True),
    row("reviewed, answer being prepared",
        CaseFacts(S.LEGAL_BASIS_REVIEWED, confirmed=True, identity_checked=True), "dddcuu"),
    row("decision waits for the director", CaseFacts(S.AWAITING_DIRECTOR, confirmed=True, identity_checked=True),
        "ddddcu"),
    row("decided, letter still to send",
        CaseFacts(S.REFUSED, confirmed=True, identity_checked=True, letter_pending=True), "dddddc"),
    row("decided and sent", CaseFacts(S.FULFILLED, confirmed=True, identity_checked=True), "dddddd"),
    row("partly fulfilled and sent", CaseFacts(S.PARTIALLY_FULFILLED, confirmed=True, identity_checked=True),
        "dddddd"),
    row("withdrawn before the identity check", CaseFacts(S.WITHDRAWN, confirmed=True), "dds"),
    row("withdrawn during the assessment", CaseFacts(S.WITHDRAWN, confirmed=True, identity_checked=True), "ddds"),
    row("closed: the information never came", CaseFacts(S.CLOSED_UNVERIFIED, confirmed=True), "dds"),
])
def test_timeline(facts, shape, waiting):
    steps = timeline(facts)
    assert "".join(CODE[step.status] for step in steps) == shape
    assert [step.key for step in steps] == ["received", "confirmed", "identity", "assessment", "decision",
                                            "sent"][:len(shape)]
    assert [step.waiting_for_requester for step in steps if step.status == "current"] == ([waiting] if "c" in shape
                                                                                           else [])


def test_at_most_one_current_step_in_every_state():
    for state in S.STATES:
        for confirmed in (False, True):
            for checked in (False, True):
                for pending in (False, True):
                    steps = timeline(CaseFacts(state, confirmed, checked, S.IDENTITY_CHECKED, pending))
                    assert sum(step.status == "current" for step in steps) <= 1
                    assert steps[0].status == "done"
