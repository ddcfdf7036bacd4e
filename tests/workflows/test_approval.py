"""Four-eyes on refusals (R-LT-1 "signed after director approval", issue 11 point 8), by rule id.

The approver is neither the proposer nor the reviewer; a school without an uninvolved director sends the
refusal to the privacy officer, who approves or appoints a director of another school.
"""
from __future__ import annotations

import dataclasses

import pytest

from dsr.workflows import approval, roles, vocabulary
from dsr.workflows import states as S
from dsr.workflows.machine import available_triggers, problem

SCHOOL, OTHER = 10, 20
STAFF, DIRECTOR, DIRECTOR_2, OTHER_DIRECTOR, PRIVACY = 1, 2, 3, 4, 5


@dataclasses.dataclass
class Actor:
    id: int
    role: str
    school_ids: frozenset


@dataclasses.dataclass
class Case:
    id: int = 7
    state: str = S.AWAITING_DIRECTOR
    school_id: int = SCHOOL
    decision: str = vocabulary.REFUSE
    proposed_by_id: int | None = STAFF
    reviewed_by_id: int | None = STAFF
    approval_route: str | None = approval.DIRECTOR_ROUTE
    appointed_approver_id: int | None = None


PEOPLE = {
    "staff": Actor(STAFF, roles.STAFF, frozenset({SCHOOL})),
    "director": Actor(DIRECTOR, roles.DIRECTOR, frozenset({SCHOOL})),
    "director_2": Actor(DIRECTOR_2, roles.DIRECTOR, frozenset({SCHOOL})),
    "other_director": Actor(OTHER_DIRECTOR, roles.DIRECTOR, frozenset({OTHER})),
    "privacy_officer": Actor(PRIVACY, roles.PRIVACY_OFFICER, frozenset()),
}


@pytest.mark.parametrize("directors, involved, route", [
    pytest.param({DIRECTOR, DIRECTOR_2}, {STAFF}, "director", id="R-LT-1: two directors, staff proposed -> director"),
    pytest.param({DIRECTOR, DIRECTOR_2}, {STAFF, DIRECTOR}, "director",
                 id="R-LT-1: one director reviewed, the other is free -> director"),
    pytest.param({DIRECTOR}, {STAFF}, "director", id="R-LT-1: one director, not involved -> director"),
    pytest.param({DIRECTOR}, {STAFF, DIRECTOR}, "privacy_officer",
                 id="R-LT-1: the only director took the review decision -> privacy officer"),
    pytest.param({DIRECTOR}, {DIRECTOR}, "privacy_officer",
                 id="R-LT-1: the only director proposed -> privacy officer"),
    pytest.param({DIRECTOR, DIRECTOR_2}, {DIRECTOR, DIRECTOR_2}, "privacy_officer",
                 id="R-LT-1: every director of the school involved -> privacy officer"),
    pytest.param(set(), {STAFF}, "privacy_officer", id="R-LT-1: no director at all -> privacy officer"),
])
def test_who_must_approve(directors, involved, route):
    assert approval.approval_route(directors, involved) == route


@pytest.mark.parametrize("case, who, rule", [
    pytest.param(Case(), "director", None, id="R-LT-1: an uninvolved director of the school approves"),
    pytest.param(Case(proposed_by_id=DIRECTOR), "director", "four_eyes", id="R-LT-1: not the proposer"),
    pytest.param(Case(reviewed_by_id=DIRECTOR), "director", "four_eyes",
                 id="R-LT-1: not the person who took the review decision"),
    pytest.param(Case(reviewed_by_id=DIRECTOR), "director_2", None,
                 id="R-LT-1: the other director approves what the first reviewed"),
    pytest.param(Case(), "other_director", "school", id="R-LT-1: a director of another school, not appointed"),
    pytest.param(Case(proposed_by_id=DIRECTOR_2, reviewed_by_id=DIRECTOR_2), "staff", "role",
                 id="R-LT-1: staff never approve"),
    pytest.param(Case(), "privacy_officer", "role",
                 id="R-LT-1: the privacy officer does not approve where a school director can"),
    pytest.param(Case(approval_route="privacy_officer", reviewed_by_id=DIRECTOR), "privacy_officer", None,
                 id="R-LT-1: single-director school -> the privacy officer approves"),
    pytest.param(Case(approval_route="privacy_officer", reviewed_by_id=DIRECTOR), "director", "four_eyes",
                 id="R-LT-1: single-director school -> the involved director does not"),
    pytest.param(Case(approval_route="privacy_officer"), "director", "route_privacy_officer",
                 id="R-LT-1: privacy-officer route -> a school director does not either"),
    pytest.param(Case(approval_route="privacy_officer", appointed_approver_id=OTHER_DIRECTOR), "other_director",
                 None, id="R-LT-1: the appointed director of another school approves"),
    pytest.param(Case(approval_route="privacy_officer", appointed_approver_id=OTHER_DIRECTOR), "privacy_officer",
                 None, id="R-LT-1: the privacy officer still may after appointing"),
    pytest.param(Case(approval_route="privacy_officer", appointed_approver_id=OTHER_DIRECTOR), "director_2",
                 "appointed_other", id="R-LT-1: once appointed, nobody else of the school"),
    pytest.param(Case(approval_route="privacy_officer", appointed_approver_id=PRIVACY, proposed_by_id=PRIVACY),
                 "privacy_officer", "four_eyes", id="R-LT-1: a privacy officer who proposed never approves"),
])
def test_who_may_approve(case, who, rule):
    actor = PEOPLE[who]
    assert approval.approver_rule(case, actor) == rule
    for trigger in ("approve_refusal", "reject_refusal"):
        allowed = problem(case, trigger, actor, {"reason": "Akkoord."}) is None
        assert allowed == (rule is None)
        assert (trigger in available_triggers(case, actor)) == (rule is None)


@pytest.mark.parametrize("candidate, rule", [
    pytest.param("other_director", None, id="R-LT-1: a director of another school may be appointed"),
    pytest.param("director_2", "same_school", id="R-LT-1: not a director of the same school"),
    pytest.param("staff", "not_director", id="R-LT-1: only a director"),
    pytest.param("privacy_officer", "not_director",
                 id="R-LT-1: the privacy officer approves itself, not by appointment"),
])
def test_who_may_be_appointed(candidate, rule):
    assert approval.appointment_problem(Case(approval_route="privacy_officer"), PEOPLE[candidate]) == rule


def test_r_lt_1_an_involved_director_of_another_school_cannot_be_appointed():
    case = Case(approval_route="privacy_officer", reviewed_by_id=OTHER_DIRECTOR)
    assert approval.appointment_problem(case, PEOPLE["other_director"]) == "four_eyes"


def test_r_lt_1_the_route_is_fixed_when_proposing():
    """The machine records the route from the school's directors passed by the service."""
    from dsr.workflows.machine import fire

    case = Case(state=S.LEGAL_BASIS_REVIEWED, proposed_by_id=None, reviewed_by_id=DIRECTOR, approval_route=None)
    case.requester_explanation = case.proposal_reason = None
    case.proposed_at = None
    fire(case, "propose_refusal", PEOPLE["staff"], {"reason": "Intern.", "requester_explanation": "Voor u.",
                                                       "school_director_ids": [DIRECTOR]})
    assert (case.state, case.approval_route, case.proposed_by_id) == (S.AWAITING_DIRECTOR, "privacy_officer", STAFF)
    assert (case.proposal_reason, case.requester_explanation) == ("Intern.", "Voor u.")
