"""The request state machine (dsr.workflows.machine), tested pure: no database, no Flask app.

The expected behaviour is written out here as literal tables derived from the issue and docs/legal.md §10
("The workflow and who decides"; withdraw leaves every open state), never computed from
``machine.RULES`` -- otherwise these tests could not fail.

Interpretations of the issue text, made explicit:

* casework (verify, ask, review, fulfil, propose, withdraw, close) is open to staff, directors and the
  privacy officer; staff and directors only for their own school(s), the privacy officer for any school;
* approving or rejecting a proposed refusal is for a director of the case's school who did not propose it;
* reopening a decided case is for the privacy officer only, and sends it back for a new review
  (``identity_checked``, decision cleared; docs/legal.md §10 "a reopened case goes back to review");
* an admin never does casework; a requester may only withdraw their own open case;
* ``reassess`` (R-CH-1, added to the machine after the issue: docs/legal.md §10 "a student who turns 16 or 18
  before disclosure sends the case back to review") is casework on a reviewed case
  (``legal_basis_reviewed`` or ``awaiting_director``) and sends it back for a new review.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import re

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from dsr.workflows import states as S
from dsr.workflows.machine import (
    TRIGGERS,
    Transition,
    WorkflowError,
    authorisation_problem,
    available_triggers,
    fire,
    problem,
)
from dsr.workflows.policy import assess
from dsr.workflows.vocabulary import INFORMATION_KINDS, REFUSAL_GROUNDS, VERIFICATION_METHODS
from tests.workflows.helpers import (
    ACTORS,
    ALL_STATES,
    AWAITING_DIRECTOR,
    AWAITING_REQUESTER,
    CLOSED_UNVERIFIED,
    DECIDED,
    ENDED,
    ENDED_WITHOUT_DECISION,
    FULFILLED,
    IDENTITY_CHECKED,
    LEGAL_BASIS_REVIEWED,
    OPEN,
    OTHER_SCHOOL,
    PARTIALLY_FULFILLED,
    PROPOSER_ID,
    REASON,
    REFUSED,
    SCHOOL,
    SUBMITTED,
    T0,
    WITHDRAWN,
    Actor,
    Case,
    case_for,
)

# ---- the vocabulary of the issue, literally (the states, actors and the Case stand-in: helpers.py) ----

ALL_TRIGGERS = ("verify_identity", "request_information", "information_received", "close_unverified",
                "review", "fulfil", "propose_refusal", "approve_refusal", "reject_refusal", "withdraw",
                "reopen", "reassess")

SECOND_DIRECTOR = Actor(4, "director", frozenset({SCHOOL}))

CASEWORK = frozenset({"staff_own", "staff_multi", "director_own", "privacy_officer"})
WITHDRAWERS = CASEWORK | {"requester_own"}
DIRECTORS_OF_SCHOOL = frozenset({"director_own"})
PRIVACY_OFFICER = frozenset({"privacy_officer"})

#: (from state, trigger) -> (destination, actor kinds that may fire it). Every pair not listed is
#: forbidden for everyone. Destinations that depend on the case are the ones the table set-up makes:
#: information_received resumes to identity_checked (resume_state), approve_refusal with decision refuse.
EXPECTED: dict[tuple[str, str], tuple[str, frozenset]] = {
    (SUBMITTED, "verify_identity"): (IDENTITY_CHECKED, CASEWORK),
    (SUBMITTED, "request_information"): (AWAITING_REQUESTER, CASEWORK),
    (SUBMITTED, "withdraw"): (WITHDRAWN, WITHDRAWERS),
    (AWAITING_REQUESTER, "information_received"): (IDENTITY_CHECKED, CASEWORK),
    (AWAITING_REQUESTER, "close_unverified"): (CLOSED_UNVERIFIED, CASEWORK),
    (AWAITING_REQUESTER, "withdraw"): (WITHDRAWN, WITHDRAWERS),
    (IDENTITY_CHECKED, "review"): (LEGAL_BASIS_REVIEWED, CASEWORK),
    (IDENTITY_CHECKED, "request_information"): (AWAITING_REQUESTER, CASEWORK),
    (IDENTITY_CHECKED, "withdraw"): (WITHDRAWN, WITHDRAWERS),
    (LEGAL_BASIS_REVIEWED, "fulfil"): (FULFILLED, CASEWORK),
    (LEGAL_BASIS_REVIEWED, "propose_refusal"): (AWAITING_DIRECTOR, CASEWORK),
    (LEGAL_BASIS_REVIEWED, "request_information"): (AWAITING_REQUESTER, CASEWORK),
    (LEGAL_BASIS_REVIEWED, "withdraw"): (WITHDRAWN, WITHDRAWERS),
    (AWAITING_DIRECTOR, "approve_refusal"): (REFUSED, DIRECTORS_OF_SCHOOL),
    (AWAITING_DIRECTOR, "reject_refusal"): (IDENTITY_CHECKED, DIRECTORS_OF_SCHOOL),
    (AWAITING_DIRECTOR, "withdraw"): (WITHDRAWN, WITHDRAWERS),
    (FULFILLED, "reopen"): (IDENTITY_CHECKED, PRIVACY_OFFICER),
    (PARTIALLY_FULFILLED, "reopen"): (IDENTITY_CHECKED, PRIVACY_OFFICER),
    (REFUSED, "reopen"): (IDENTITY_CHECKED, PRIVACY_OFFICER),
    # R-CH-1 (docs/legal.md §10 "a student who turns 16 or 18 before
    # disclosure sends the case back to review"): before disclosure a reviewed case goes back for a new review.
    (LEGAL_BASIS_REVIEWED, "reassess"): (IDENTITY_CHECKED, CASEWORK),
    (AWAITING_DIRECTOR, "reassess"): (IDENTITY_CHECKED, CASEWORK),
}

#: Valid data per trigger (for a parent's request).
VALID: dict[str, dict] = {
    "verify_identity": {"method": "desk", "authority": "yes"},
    "request_information": {"kind": "clarification", "reason": "Welke gegevens bedoelt u precies?"},
    "information_received": {},
    "close_unverified": {"reason": "Geen antwoord binnen de termijn (R-ID-6)."},
    "review": {"decision": "refuse", "grounds": ["art12_5"], "reason": "Kennelijk buitensporig."},
    "fulfil": {"reason": "Kopie van het dossier verstuurd via beveiligde mail."},
    "propose_refusal": {"reason": "Derde verzoek deze maand over hetzelfde dossier.",
                        "requester_explanation": "U vroeg deze maand drie keer hetzelfde."},
    "approve_refusal": {"reason": "Eens met de weigering."},
    "reject_refusal": {"reason": "Geen grond voor weigering; opnieuw beoordelen."},
    "withdraw": {"reason": "Telefonisch ingetrokken op 12 maart."},
    "reopen": {"reason": "Bezwaar ontvangen."},
    "reassess": {"reason": "De leerling is inmiddels 16 jaar (R-CH-1)."},
}
#: Everything one could post at once: a forbidden step stays forbidden whatever is posted.
EVERYTHING = {k: v for data in VALID.values() for k, v in data.items()} | {"reason": REASON}

ON = dt.date(2026, 3, 12)
ALLOWED_ASSESSMENT = assess(right="access", requester="parent", birth_date=dt.date(2011, 6, 1), on=ON)
PARTIAL_ASSESSMENT = assess(right="access", requester="parent", birth_date=dt.date(2008, 9, 1), on=ON)
REFUSED_ASSESSMENT = assess(right="erasure", requester="parent", birth_date=dt.date(2008, 9, 1), on=ON)


CASE_FIELDS = tuple(f.name for f in dataclasses.fields(Case))


def snapshot(case: Case) -> dict:
    return {name: getattr(case, name) for name in CASE_FIELDS}


_DUTCH = re.compile(r"\b(de|het|een|niet|van|bij|uw|u|of|en|wie|deze|dit|alleen|kies|geef|leg|licht|"
                    r"beschrijf|motiveer|stap|verzoek|geen|er|om|te|voor|wordt|kan)\b", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(the|must|cannot|please|missing|invalid|required|forbidden|state)\b", re.IGNORECASE)


def assert_dutch(message: str) -> None:
    assert isinstance(message, str) and message.strip()
    assert _DUTCH.search(message), message
    assert not _ENGLISH.search(message), message


def test_the_vocabulary_is_the_issues():
    assert tuple(S.STATES) == ALL_STATES
    assert set(TRIGGERS) == set(ALL_TRIGGERS)
    assert set(S.OPEN_STATES) == set(OPEN) and set(S.DECIDED_STATES) == set(DECIDED)
    assert set(S.ENDED_STATES) == set(ENDED)
    assert "id_copy" not in VERIFICATION_METHODS  # no ID copy is ever a way to verify


# ---- 1. every (state x trigger x actor) ----------------------------------------------------------

@pytest.mark.parametrize(
    ("state", "trigger", "who"),
    [pytest.param(s, t, w, id=f"{s}-{t}-{w}") for s, t, w in itertools.product(ALL_STATES, ALL_TRIGGERS, ACTORS)],
)
def test_every_state_trigger_and_actor(state, trigger, who):
    actor = ACTORS[who]
    expected = EXPECTED.get((state, trigger))
    allowed = expected is not None and who in expected[1]

    case = case_for(state, trigger)
    assert (problem(case, trigger, actor, VALID[trigger]) is None) == allowed
    assert (trigger in available_triggers(case, actor)) == allowed

    if allowed:
        done = fire(case, trigger, actor, VALID[trigger], now=T0)
        assert case.state == expected[0]
        assert isinstance(done, Transition)
        assert (done.trigger, done.from_state, done.to_state) == (trigger, state, expected[0])
        return
    for data in (VALID[trigger], EVERYTHING):
        case = case_for(state, trigger)
        before = snapshot(case)
        with pytest.raises(WorkflowError) as refused:
            fire(case, trigger, actor, data, now=T0)
        assert_dutch(refused.value.message)
        assert snapshot(case) == before


def test_an_unknown_trigger_is_refused():
    case = case_for(SUBMITTED)
    with pytest.raises(WorkflowError) as refused:
        fire(case, "approve_everything", ACTORS["privacy_officer"], EVERYTHING, now=T0)
    assert_dutch(refused.value.message)
    assert case.state == SUBMITTED


@pytest.mark.parametrize("decision", ["partial", "refuse", None])
def test_only_a_granted_case_is_fulfilled_directly(decision):
    case = case_for(LEGAL_BASIS_REVIEWED, decision=decision)
    assert "fulfil" not in available_triggers(case, ACTORS["staff_own"])
    with pytest.raises(WorkflowError) as refused:
        fire(case, "fulfil", ACTORS["staff_own"], VALID["fulfil"], now=T0)
    assert_dutch(refused.value.message)
    assert case.state == LEGAL_BASIS_REVIEWED


@pytest.mark.parametrize("decision", ["grant", None])
def test_only_a_refusal_is_proposed_to_the_director(decision):
    case = case_for(LEGAL_BASIS_REVIEWED, decision=decision)
    assert "propose_refusal" not in available_triggers(case, ACTORS["staff_own"])
    with pytest.raises(WorkflowError) as refused:
        fire(case, "propose_refusal", ACTORS["staff_own"], VALID["propose_refusal"], now=T0)
    assert_dutch(refused.value.message)
    assert case.state == LEGAL_BASIS_REVIEWED


# ---- 2. what each trigger must record -------------------------------------------------------------

def _guard(state, trigger, data, needle, who="staff_own", requester_role="parent", **case_fields):
    return pytest.param(state, trigger, data, needle, who, requester_role, case_fields,
                        id=f"{trigger}: {needle}: {data}")


DATA_GUARDS = [
    _guard(SUBMITTED, "verify_identity", {}, "identiteit", requester_role="student"),
    _guard(SUBMITTED, "verify_identity", {"authority": "yes"}, "identiteit"),
    _guard(SUBMITTED, "verify_identity", {"method": "id_copy", "authority": "yes"}, "kopie"),
    _guard(SUBMITTED, "verify_identity", {"method": ""}, "identiteit", requester_role="student"),
    _guard(SUBMITTED, "verify_identity", {"method": "portal"}, "gezag"),
    _guard(SUBMITTED, "verify_identity", {"method": "portal", "authority": ""}, "gezag"),
    _guard(SUBMITTED, "verify_identity", {"method": "portal", "authority": "maybe"}, "gezag"),
    _guard(SUBMITTED, "verify_identity", {"method": "portal"}, "gezag", requester_role="guardian"),
    _guard(SUBMITTED, "verify_identity", {"method": "desk", "authority": "no"}, "machtiging",
           requester_role="representative"),
    _guard(SUBMITTED, "verify_identity", {"method": "desk"}, "machtiging", requester_role="representative"),
    _guard(SUBMITTED, "request_information", {"reason": REASON}, "informatie"),
    _guard(IDENTITY_CHECKED, "request_information", {"kind": "passport", "reason": REASON}, "informatie"),
    _guard(SUBMITTED, "request_information", {"kind": "identity"}, "waarom"),
    _guard(LEGAL_BASIS_REVIEWED, "request_information", {"kind": "identity", "reason": "  "}, "waarom",
           decision="grant"),
    _guard(IDENTITY_CHECKED, "review", {"reason": REASON}, "beslissing"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "maybe", "reason": REASON}, "beslissing"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "partial", "reason": REASON}, "grond"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "refuse", "grounds": [], "reason": REASON}, "grond"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "refuse", "grounds": ["made_up"], "reason": REASON}, "grond"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "partial", "grounds": ["art15_4", "made_up"],
                                        "reason": REASON}, "grond"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "grant", "assessment": PARTIAL_ASSESSMENT,
                                        "reason": REASON}, "toewijzing"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "grant", "assessment": REFUSED_ASSESSMENT,
                                        "reason": REASON}, "toewijzing"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "grant"}, "Licht"),
    _guard(IDENTITY_CHECKED, "review", {"decision": "refuse", "grounds": ["art12_5"], "reason": ""}, "Licht"),
    _guard(LEGAL_BASIS_REVIEWED, "fulfil", {}, "gedaan", decision="grant"),
    _guard(LEGAL_BASIS_REVIEWED, "fulfil", {"reason": "   "}, "gedaan", decision="grant"),
    _guard(LEGAL_BASIS_REVIEWED, "propose_refusal", {}, "notitie", decision="refuse"),
    _guard(LEGAL_BASIS_REVIEWED, "propose_refusal", {"reason": "", "requester_explanation": "Uitleg."}, "notitie",
           decision="partial"),
    # Issue 11 point 7: the explanation the requester reads is its own field, required.
    _guard(LEGAL_BASIS_REVIEWED, "propose_refusal", {"reason": REASON}, "aanvrager", decision="refuse"),
    _guard(LEGAL_BASIS_REVIEWED, "propose_refusal", {"reason": REASON, "requester_explanation": " "}, "aanvrager",
           decision="partial"),
    _guard(AWAITING_DIRECTOR, "approve_refusal", {}, "goedkeuring", who="director_own",
           decision="refuse", proposed_by_id=PROPOSER_ID),
    _guard(AWAITING_DIRECTOR, "reject_refusal", {"reason": " "}, "afgewezen", who="director_own",
           decision="refuse", proposed_by_id=PROPOSER_ID),
    _guard(IDENTITY_CHECKED, "withdraw", {}, "ingetrokken"),
    _guard(AWAITING_DIRECTOR, "withdraw", {}, "ingetrokken", who="requester_own",
           decision="refuse", proposed_by_id=PROPOSER_ID),
    _guard(AWAITING_REQUESTER, "close_unverified", {}, "verificatie", resume_state=SUBMITTED),
    _guard(REFUSED, "reopen", {}, "heropenen", who="privacy_officer", decision="refuse",
           closed_at=T0),
    _guard(FULFILLED, "reopen", {"reason": ""}, "heropenen", who="privacy_officer", decision="grant",
           closed_at=T0),
    _guard(LEGAL_BASIS_REVIEWED, "reassess", {}, "opnieuw", decision="grant"),
    _guard(AWAITING_DIRECTOR, "reassess", {"reason": "  "}, "opnieuw", decision="refuse",
           proposed_by_id=PROPOSER_ID),
    # R-RI-7 / R-RI-1: the services pass open Art. 19 tasks and unfinished work; no closing step while any.
    _guard(LEGAL_BASIS_REVIEWED, "fulfil", {"reason": REASON, "open_recipient_tasks": 2}, "art. 19",
           decision="grant"),
    _guard(LEGAL_BASIS_REVIEWED, "propose_refusal", {"reason": REASON, "open_recipient_tasks": 1}, "art. 19",
           decision="partial"),
    _guard(AWAITING_DIRECTOR, "approve_refusal", {"reason": REASON, "open_recipient_tasks": 1}, "art. 19",
           who="director_own", decision="partial", proposed_by_id=PROPOSER_ID),
    _guard(LEGAL_BASIS_REVIEWED, "fulfil",
           {"reason": REASON, "fulfilment_problem": "Het pakket is nog niet vrijgegeven."}, "vrijgegeven",
           decision="grant"),
    _guard(AWAITING_DIRECTOR, "approve_refusal",
           {"reason": REASON, "fulfilment_problem": "Het pakket is nog niet vrijgegeven."}, "vrijgegeven",
           who="director_own", decision="partial", proposed_by_id=PROPOSER_ID),
    _guard(AWAITING_REQUESTER, "information_received", {"received_on": dt.date(2026, 3, 11)}, "opgevraagd",
           resume_state=SUBMITTED, info_requested_on=dt.date(2026, 3, 12)),
    _guard(AWAITING_REQUESTER, "information_received",
           {"received_on": dt.date(2026, 3, 20), "today": dt.date(2026, 3, 19)}, "toekomst",
           resume_state=SUBMITTED, info_requested_on=dt.date(2026, 3, 12)),
]


@pytest.mark.parametrize(("state", "trigger", "data", "needle", "who", "requester_role", "case_fields"),
                         DATA_GUARDS)
def test_what_must_be_recorded(state, trigger, data, needle, who, requester_role, case_fields):
    case = Case(state=state, requester_role=requester_role, **case_fields)
    actor = ACTORS[who]
    # The data does not decide who may act: the step stays on offer.
    assert trigger in available_triggers(case, actor)
    before = snapshot(case)
    with pytest.raises(WorkflowError) as refused:
        fire(case, trigger, actor, data, now=T0)
    assert needle.lower() in refused.value.message.lower()
    assert_dutch(refused.value.message)
    assert problem(case, trigger, actor, data) == refused.value.message
    assert snapshot(case) == before


@pytest.mark.parametrize(("requester_role", "data"), [
    ("student", {"method": "portal"}),
    ("parent", {"method": "known_contact", "authority": "yes"}),
    ("parent", {"method": "known_contact", "authority": "no"}),
    ("guardian", {"method": "video", "authority": "yes"}),
    ("representative", {"method": "id_shown", "authority": "yes"}),
])
def test_minimal_verification_passes(requester_role, data):
    case = Case(requester_role=requester_role)
    fire(case, "verify_identity", ACTORS["staff_own"], data, now=T0)
    assert case.state == IDENTITY_CHECKED


@pytest.mark.parametrize(("decision", "grounds", "assessment"), [
    ("grant", [], ALLOWED_ASSESSMENT),
    ("grant", [], None),
    ("partial", ["art15_4"], PARTIAL_ASSESSMENT),
    ("refuse", ["student_18", "art12_5"], REFUSED_ASSESSMENT),
    ("refuse", ["art17_3_b"], ALLOWED_ASSESSMENT),
])
def test_reviews_that_pass(decision, grounds, assessment):
    case = case_for(IDENTITY_CHECKED)
    data = {"decision": decision, "grounds": grounds, "reason": REASON}
    if assessment is not None:
        data["assessment"] = assessment
    fire(case, "review", ACTORS["staff_own"], data, now=T0)
    assert (case.state, case.decision) == (LEGAL_BASIS_REVIEWED, decision)


# ---- 3. four eyes on refusals ----------------------------------------------------------------------

@pytest.fixture(params=["refuse", "partial"])
def proposed_by_director(request):
    """A director of the school reviewed and proposed the refusal herself."""
    director = ACTORS["director_own"]
    case = case_for(IDENTITY_CHECKED)
    fire(case, "review", director, {"decision": request.param, "grounds": ["art15_4"], "reason": REASON}, now=T0)
    fire(case, "propose_refusal", director, VALID["propose_refusal"], now=T0)
    assert (case.state, case.proposed_by_id) == (AWAITING_DIRECTOR, director.id)
    return case


@pytest.mark.parametrize("trigger", ["approve_refusal", "reject_refusal"])
def test_the_proposer_cannot_decide_on_their_own_refusal(proposed_by_director, trigger):
    case, director = proposed_by_director, ACTORS["director_own"]
    offered = available_triggers(case, director)
    assert "approve_refusal" not in offered and "reject_refusal" not in offered
    before = snapshot(case)
    with pytest.raises(WorkflowError) as refused:
        fire(case, trigger, director, VALID[trigger], now=T0)
    assert "vier-ogen" in refused.value.message.lower()
    assert snapshot(case) == before


@pytest.mark.parametrize("trigger", ["approve_refusal", "reject_refusal"])
def test_the_proposer_cannot_decide_even_when_director_of_several_schools(trigger):
    director = Actor(11, "director", frozenset({SCHOOL, OTHER_SCHOOL}))
    case = case_for(AWAITING_DIRECTOR, proposed_by_id=director.id)
    with pytest.raises(WorkflowError):
        fire(case, trigger, director, VALID[trigger], now=T0)
    assert case.state == AWAITING_DIRECTOR


@pytest.mark.parametrize("trigger", ["approve_refusal", "reject_refusal"])
def test_a_director_of_another_school_cannot_decide(proposed_by_director, trigger):
    case = proposed_by_director
    before = snapshot(case)
    with pytest.raises(WorkflowError) as refused:
        fire(case, trigger, ACTORS["director_other"], VALID[trigger], now=T0)
    assert "school" in refused.value.message.lower()
    assert snapshot(case) == before


@pytest.mark.parametrize("who", ["privacy_officer", "staff_own", "admin"])
@pytest.mark.parametrize("trigger", ["approve_refusal", "reject_refusal"])
def test_only_a_director_decides_on_a_refusal(proposed_by_director, trigger, who):
    case = proposed_by_director
    with pytest.raises(WorkflowError):
        fire(case, trigger, ACTORS[who], VALID[trigger], now=T0)
    assert case.state == AWAITING_DIRECTOR


def test_another_director_of_the_school_approves(proposed_by_director):
    case = proposed_by_director
    expected = {"refuse": REFUSED, "partial": PARTIALLY_FULFILLED}[case.decision]
    assert "approve_refusal" in available_triggers(case, SECOND_DIRECTOR)
    done = fire(case, "approve_refusal", SECOND_DIRECTOR, VALID["approve_refusal"], now=T0)
    assert case.state == done.to_state == expected
    assert (case.director_id, case.director_reason) == (SECOND_DIRECTOR.id, VALID["approve_refusal"]["reason"])
    assert case.proposed_by_id == ACTORS["director_own"].id


def test_another_director_of_the_school_rejects(proposed_by_director):
    case = proposed_by_director
    fire(case, "reject_refusal", SECOND_DIRECTOR, VALID["reject_refusal"], now=T0)
    assert (case.state, case.decision) == (IDENTITY_CHECKED, None)


def test_a_staff_proposal_is_approved_by_any_director_of_the_school():
    case = case_for(LEGAL_BASIS_REVIEWED, decision="refuse")
    fire(case, "propose_refusal", ACTORS["staff_own"], VALID["propose_refusal"], now=T0)
    assert case.proposed_by_id == ACTORS["staff_own"].id
    fire(case, "approve_refusal", ACTORS["director_own"], VALID["approve_refusal"], now=T0)
    assert case.state == REFUSED


# ---- 4. what a transition records -----------------------------------------------------------------

@pytest.mark.parametrize(("requester_role", "authority", "recorded"), [
    ("parent", "yes", True),
    ("parent", "no", False),
    ("guardian", "yes", True),
    ("guardian", "no", False),
])
def test_verification_records_method_and_checked_authority(requester_role, authority, recorded):
    # What the parent stated on the form is replaced by what was checked.
    case = Case(requester_role=requester_role, parental_authority=not recorded)
    done = fire(case, "verify_identity", ACTORS["staff_own"], {"method": "portal", "authority": authority}, now=T0)
    assert case.verification_method == "portal"
    assert case.parental_authority is recorded
    assert (case.verified_by_id, case.verified_at) == (ACTORS["staff_own"].id, T0)
    assert done.details == {"method": "portal", "authority": authority}


@pytest.mark.parametrize("requester_role", ["student", "representative"])
def test_verification_leaves_parental_authority_alone_for_others(requester_role):
    case = Case(requester_role=requester_role)
    fire(case, "verify_identity", ACTORS["privacy_officer"], {"method": "desk", "authority": "yes"}, now=T0)
    assert case.verification_method == "desk"
    assert case.parental_authority is None


@pytest.mark.parametrize("source", [SUBMITTED, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED])
def test_information_received_returns_to_where_it_was_asked(source):
    case = case_for(source, decision="grant" if source == LEGAL_BASIS_REVIEWED else None)
    asked = fire(case, "request_information", ACTORS["staff_own"],
                 {"kind": "authority", "reason": "  Graag een kopie van de machtiging.  "}, now=T0)
    assert (asked.from_state, case.state, case.resume_state) == (source, AWAITING_REQUESTER, source)
    assert (case.info_kind, case.info_reason, case.info_requested_on) == (
        "authority", "Graag een kopie van de machtiging.", T0.date())
    assert case.info_received_on is None
    later = T0 + dt.timedelta(days=5)
    back = fire(case, "information_received", ACTORS["director_own"], {}, now=later)
    assert case.state == back.to_state == source
    assert case.info_received_on == later.date()
    assert case.closed_at is None
    if source == LEGAL_BASIS_REVIEWED:  # the review still stands
        assert case.decision == "grant"
        fire(case, "fulfil", ACTORS["staff_own"], VALID["fulfil"], now=later)
        assert case.state == FULFILLED


def test_the_dates_of_asking_and_receiving_are_recorded():
    case = case_for(IDENTITY_CHECKED)
    fire(case, "request_information", ACTORS["staff_own"],
         {"kind": "identity", "reason": REASON, "today": dt.date(2026, 3, 13)}, now=T0)
    assert case.info_requested_on == dt.date(2026, 3, 13)  # the local date given wins over ``now``
    fire(case, "information_received", ACTORS["staff_own"],
         {"received_on": dt.date(2026, 3, 13), "today": dt.date(2026, 3, 20)}, now=T0)
    assert (case.state, case.info_received_on) == (IDENTITY_CHECKED, dt.date(2026, 3, 13))
    case = case_for(AWAITING_REQUESTER)
    fire(case, "information_received", ACTORS["staff_own"], {"today": dt.date(2026, 3, 20)}, now=T0)
    assert case.info_received_on == dt.date(2026, 3, 20)


@pytest.mark.parametrize(("state", "fields"), [
    (LEGAL_BASIS_REVIEWED, {"decision": "grant"}),
    (AWAITING_DIRECTOR, {"decision": "partial", "proposed_by_id": PROPOSER_ID}),
])
@pytest.mark.parametrize("today", [dt.date(2026, 9, 1), None])
def test_reassessment_sends_the_case_back_for_a_new_review(state, fields, today):
    case = Case(state=state, decision_grounds="art15_4", assessment_outcome="allowed", assessment_scope="full",
                **fields)
    data = dict(VALID["reassess"]) | ({"today": today} if today else {})
    done = fire(case, "reassess", ACTORS["staff_own"], data, now=T0)
    assert (case.state, done.to_state) == (IDENTITY_CHECKED, IDENTITY_CHECKED)
    assert (case.decision, case.assessment_outcome, case.assessment_scope) == (None, None, None)
    assert case.policy_reference_on == (today or T0.date())
    assert case.closed_at is None
    assert available_triggers(case, ACTORS["staff_own"]) == ["request_information", "review", "withdraw"]


def test_review_records_decision_and_grounds():
    case = case_for(IDENTITY_CHECKED)
    done = fire(case, "review", ACTORS["staff_own"],
                {"decision": "partial", "grounds": ["art15_4", "uavg41_i"], "reason": " Deels. "}, now=T0)
    assert (case.decision, case.decision_grounds, case.review_note) == ("partial", "art15_4,uavg41_i", "Deels.")
    assert (case.reviewed_by_id, case.reviewed_at) == (ACTORS["staff_own"].id, T0)
    assert done.reason == "Deels."
    assert done.details == {"decision": "partial", "grounds": ["art15_4", "uavg41_i"]}
    case = case_for(IDENTITY_CHECKED)
    fire(case, "review", ACTORS["staff_own"], {"decision": "grant", "grounds": ["art15_4"], "reason": REASON},
         now=T0)
    assert (case.decision, case.decision_grounds) == ("grant", "")


@pytest.mark.parametrize(("decision", "destination"), [("refuse", REFUSED), ("partial", PARTIALLY_FULFILLED)])
def test_approval_lands_by_decision(decision, destination):
    case = case_for(LEGAL_BASIS_REVIEWED, decision=decision)
    fire(case, "propose_refusal", ACTORS["staff_own"], VALID["propose_refusal"], now=T0)
    assert (case.proposal_reason, case.proposed_at) == (VALID["propose_refusal"]["reason"], T0)
    assert case.closed_at is None
    later = T0 + dt.timedelta(days=2)
    done = fire(case, "approve_refusal", ACTORS["director_own"], VALID["approve_refusal"], now=later)
    assert case.state == done.to_state == destination
    assert (case.director_id, case.director_decided_at, case.closed_at) == (ACTORS["director_own"].id, later, later)
    assert case.decision == decision


def test_rejection_returns_to_review_and_clears_the_decision():
    case = case_for(LEGAL_BASIS_REVIEWED, decision="refuse", decision_grounds="art12_5")
    fire(case, "propose_refusal", ACTORS["staff_own"], VALID["propose_refusal"], now=T0)
    done = fire(case, "reject_refusal", ACTORS["director_own"], VALID["reject_refusal"], now=T0)
    assert (case.state, done.to_state, case.decision, case.closed_at) == (IDENTITY_CHECKED, IDENTITY_CHECKED, None,
                                                                          None)
    assert (case.director_id, case.director_reason) == (ACTORS["director_own"].id, VALID["reject_refusal"]["reason"])
    # A new decision must be recorded before anything else happens to the request.
    assert available_triggers(case, ACTORS["staff_own"]) == ["request_information", "review", "withdraw"]


@pytest.mark.parametrize(("state", "trigger", "who", "fields"), [
    (LEGAL_BASIS_REVIEWED, "fulfil", "staff_own", {"decision": "grant"}),
    (AWAITING_DIRECTOR, "approve_refusal", "director_own", {"decision": "partial", "proposed_by_id": PROPOSER_ID}),
    (AWAITING_REQUESTER, "close_unverified", "privacy_officer", {"resume_state": SUBMITTED}),
    *[(s, "withdraw", "requester_own", {"decision": "refuse", "proposed_by_id": PROPOSER_ID}
       if s in (LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR) else {}) for s in OPEN],
])
def test_closing_sets_closed_at(state, trigger, who, fields):
    case = Case(state=state, **fields)
    done = fire(case, trigger, ACTORS[who], VALID[trigger], now=T0)
    assert case.state in ENDED
    assert case.closed_at == T0
    assert done.reason == VALID[trigger]["reason"]
    if trigger == "fulfil":
        assert case.fulfilment_note == VALID["fulfil"]["reason"]


@pytest.mark.parametrize("state", DECIDED)
def test_reopen_clears_closed_at_and_decision(state):
    case = case_for(state)
    assert case.closed_at is not None
    fire(case, "reopen", ACTORS["privacy_officer"], VALID["reopen"], now=T0)
    assert (case.state, case.closed_at, case.decision) == (IDENTITY_CHECKED, None, None)
    assert "review" in available_triggers(case, ACTORS["staff_own"])


def test_a_reopened_refusal_needs_four_eyes_again():
    case = case_for(REFUSED)
    fire(case, "reopen", ACTORS["privacy_officer"], VALID["reopen"], now=T0)
    fire(case, "review", ACTORS["director_own"], VALID["review"], now=T0)
    fire(case, "propose_refusal", ACTORS["director_own"], VALID["propose_refusal"], now=T0)
    with pytest.raises(WorkflowError):
        fire(case, "approve_refusal", ACTORS["director_own"], VALID["approve_refusal"], now=T0)
    fire(case, "approve_refusal", SECOND_DIRECTOR, VALID["approve_refusal"], now=T0)
    assert case.state == REFUSED and case.closed_at == T0


# ---- 5. what is offered is what is allowed --------------------------------------------------------

def _variants():
    """Every state with each decision/proposer it can be reached with."""
    for state in ALL_STATES:
        if state == LEGAL_BASIS_REVIEWED:
            decisions = ["grant", "partial", "refuse"]
        elif state == AWAITING_DIRECTOR:
            decisions = ["partial", "refuse"]
        else:
            decisions = [None]
        for decision in decisions:
            proposers = [PROPOSER_ID, ACTORS["director_own"].id] if state == AWAITING_DIRECTOR else [None]
            for proposer in proposers:
                for resume in ([SUBMITTED, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED] if state == AWAITING_REQUESTER
                               else [None]):
                    yield pytest.param(state, decision, proposer, resume,
                                       id=f"{state}-{decision}-{proposer}-{resume}")


@pytest.mark.parametrize(("state", "decision", "proposer", "resume"), list(_variants()))
def test_available_triggers_are_exactly_what_may_be_fired(state, decision, proposer, resume):
    actors = [*ACTORS.values(), SECOND_DIRECTOR]
    for actor in actors:
        case = case_for(state, proposed_by_id=proposer, resume_state=resume,
                        **({"decision": decision} if decision else {}))
        offered = available_triggers(case, actor)
        assert offered == [t for t in TRIGGERS if authorisation_problem(case, t, actor) is None]
        for trigger in ALL_TRIGGERS:
            attempt = case_for(state, proposed_by_id=proposer, resume_state=resume,
                               **({"decision": decision} if decision else {}))
            if trigger in offered:
                fire(attempt, trigger, actor, VALID[trigger], now=T0)  # never refused for who/when
            else:
                with pytest.raises(WorkflowError):
                    fire(attempt, trigger, actor, EVERYTHING, now=T0)


# ---- 6. a Hypothesis stateful test of the machine --------------------------------------------------

STATEFUL_ACTORS = [(kind, actor) for kind, actor in ACTORS.items()] + [("director_own", SECOND_DIRECTOR)]

REASONS = st.sampled_from(["Toelichting bij de stap.", "  Met spaties eromheen.  "])
NOISE = st.fixed_dictionaries({}, optional={
    "method": st.sampled_from([*VERIFICATION_METHODS, "id_copy", "", None]),
    "authority": st.sampled_from(["yes", "no", "", "maybe", None]),
    "kind": st.sampled_from([*INFORMATION_KINDS, "passport", None]),
    "decision": st.sampled_from(["grant", "partial", "refuse", "maybe", None]),
    "grounds": st.lists(st.sampled_from([*REFUSAL_GROUNDS, "made_up"]), max_size=3),
    "reason": st.sampled_from(["", "   ", "Toelichting bij de stap.", None]),
    "assessment": st.sampled_from([ALLOWED_ASSESSMENT, PARTIAL_ASSESSMENT, REFUSED_ASSESSMENT]),
})


@functools.cache
def valid_data(trigger: str, requester_role: str) -> st.SearchStrategy[dict]:
    """Data that satisfies every data guard of ``trigger`` (written from the issue, not the code)."""
    if trigger == "verify_identity":
        authority = {"parent": ["yes", "no"], "guardian": ["yes", "no"], "representative": ["yes"]}
        return st.fixed_dictionaries({
            "method": st.sampled_from(sorted(VERIFICATION_METHODS)),
            "authority": st.sampled_from(authority.get(requester_role, ["yes", "no"])),
        })
    if trigger == "request_information":
        return st.fixed_dictionaries({"kind": st.sampled_from(sorted(INFORMATION_KINDS)), "reason": REASONS})
    if trigger == "information_received":
        return st.just({})
    if trigger == "review":
        grounds = st.lists(st.sampled_from(sorted(REFUSAL_GROUNDS)), min_size=1, max_size=3, unique=True)
        grant = st.fixed_dictionaries({"decision": st.just("grant"), "reason": REASONS},
                                      optional={"assessment": st.just(ALLOWED_ASSESSMENT)})
        refusal = st.fixed_dictionaries(
            {"decision": st.sampled_from(["partial", "refuse"]), "grounds": grounds, "reason": REASONS},
            optional={"assessment": st.sampled_from([PARTIAL_ASSESSMENT, REFUSED_ASSESSMENT])})
        return grant | refusal
    if trigger == "propose_refusal":  # the note to the approver and, apart, the explanation to the requester
        return st.fixed_dictionaries({"reason": REASONS, "requester_explanation": REASONS})
    return st.fixed_dictionaries({"reason": REASONS})


#: Wrong or empty values per item, to spoil valid data one item at a time.
SPOILERS = {
    "method": ["id_copy", "", None],
    "authority": ["maybe", "", None],
    "kind": ["passport", None],
    "decision": ["maybe", None],
    "grounds": [[], ["made_up"], ["art15_4", "made_up"]],
    "reason": ["", "   ", None],
    "requester_explanation": ["", "   ", None],
    "assessment": [PARTIAL_ASSESSMENT, REFUSED_ASSESSMENT],
    "open_recipient_tasks": [1],
    "fulfilment_problem": ["Het pakket is nog niet vrijgegeven."],
}


def _spoiled(data: dict) -> list[dict]:
    """``data`` with one item left out or replaced by a wrong value (some of these stay valid)."""
    options = [{k: v for k, v in data.items() if k != key} for key in data]
    for key, values in SPOILERS.items():
        if key in data or key in ("grounds", "assessment", "authority", "open_recipient_tasks",
                                  "fulfilment_problem"):
            options += [data | {key: value} for value in values]
    return options


@functools.cache
def spoiled_data(trigger: str, requester_role: str) -> st.SearchStrategy[dict]:
    return valid_data(trigger, requester_role).flatmap(lambda data: st.sampled_from(_spoiled(data))) | NOISE


def _text(data: dict) -> bool:
    return isinstance(data.get("reason"), str) and bool(data["reason"].strip())


def data_is_complete(trigger: str, requester_role: str, data: dict) -> bool:
    """Whether ``data`` records what the issue requires for ``trigger`` (independent of the code)."""
    if trigger == "verify_identity":
        if data.get("method") not in VERIFICATION_METHODS:
            return False
        if requester_role in ("parent", "guardian"):
            return data.get("authority") in ("yes", "no")
        return requester_role != "representative" or data.get("authority") == "yes"
    if trigger == "request_information":
        return data.get("kind") in INFORMATION_KINDS and _text(data)
    if trigger == "information_received":
        return True
    if trigger == "review":
        decision, grounds, assessment = data.get("decision"), data.get("grounds"), data.get("assessment")
        if decision not in ("grant", "partial", "refuse"):
            return False
        if decision != "grant" and not (grounds and all(g in REFUSAL_GROUNDS for g in grounds)):
            return False
        if decision == "grant" and assessment is not None and assessment.outcome != "allowed":
            return False
        return _text(data)
    if trigger == "propose_refusal" and not (isinstance(data.get("requester_explanation"), str)
                                             and data["requester_explanation"].strip()):
        return False  # issue 11 point 7: the explanation to the requester is required apart from the note
    if trigger in ("fulfil", "propose_refusal", "approve_refusal"):  # R-RI-7, R-RI-1
        return _text(data) and not data.get("open_recipient_tasks") and not data.get("fulfilment_problem")
    return _text(data)


def expected_destination(case: Case, trigger: str, kind: str, actor: Actor) -> str | None:
    """Where ``trigger`` takes the case when ``actor`` fires it with valid data; None if refused."""
    entry = EXPECTED.get((case.state, trigger))
    if entry is None or kind not in entry[1]:
        return None
    if trigger == "fulfil" and case.decision != "grant":
        return None
    if trigger == "propose_refusal" and case.decision not in ("partial", "refuse"):
        return None
    if trigger in ("approve_refusal", "reject_refusal") and actor.id in (case.proposed_by_id, case.reviewed_by_id):
        return None  # issue 11 point 8: neither the proposer nor the reviewer decides on the refusal
    if trigger == "information_received":
        return case.resume_state
    if trigger == "approve_refusal":
        return {"refuse": REFUSED, "partial": PARTIALLY_FULFILLED}[case.decision]
    return entry[0]


_OFFERS: dict[tuple, list] = {}


class CaseLifecycle(RuleBasedStateMachine):
    """Random steps by random people with valid or invalid data, against one case."""

    @initialize(requester_role=st.sampled_from(["student", "parent", "guardian", "representative"]))
    def receive(self, requester_role):
        self.case = Case(requester_role=requester_role,
                         parental_authority=True if requester_role in ("parent", "guardian") else None)
        self.clock = T0
        self.entered_decided_by: tuple | None = None

    def offers(self) -> list[tuple[str, Actor, list[str], list[str]]]:
        """(kind, actor, available_triggers, triggers without authorisation_problem) for everyone.

        Computed once per situation: both only read the case's state, id, school, decision and proposer
        (and the table's oracle checks every fired step anyway); building ~240 refusal messages per step
        would make this test take minutes.
        """
        case = self.case
        key = (case.state, case.id, case.school_id, case.decision, case.proposed_by_id, case.reviewed_by_id,
               case.resume_state, case.requester_role, case.closed_at is None)
        if key not in _OFFERS:
            _OFFERS[key] = [(kind, actor, available_triggers(case, actor),
                             [t for t in TRIGGERS if authorisation_problem(case, t, actor) is None])
                            for kind, actor in STATEFUL_ACTORS]
        return _OFFERS[key]

    @precondition(lambda self: self.case.state in ENDED_WITHOUT_DECISION)
    @rule(requester_role=st.sampled_from(["student", "parent", "guardian", "representative"]))
    def receive_the_next_request(self, requester_role):
        """An ended case stays ended; carry on with a new request rather than idle."""
        self.receive(requester_role)

    @rule(data=st.data())
    def fire_a_step(self, data):
        case = self.case
        # Mostly steps that leave the current state, by someone the table lets fire them, so that deep
        # states are reached too; side exits (withdraw, reassess) are drawn less often, approval more.
        weight = {"withdraw": 1, "reassess": 1, "approve_refusal": 8}
        leaving = [t for (s, t) in EXPECTED if s == case.state for _ in range(weight.get(t, 4))]
        guided = bool(leaving) and data.draw(st.integers(0, 4), label="guided") > 0
        trigger = data.draw(st.sampled_from(leaving if guided else ALL_TRIGGERS), label="trigger")
        entry = EXPECTED.get((case.state, trigger))
        permitted = [(k, a) for k, a in STATEFUL_ACTORS if entry and k in entry[1]]
        kind, actor = data.draw(st.sampled_from(permitted if guided and permitted else STATEFUL_ACTORS),
                                label="actor")
        valid = data.draw(st.integers(0, 2), label="valid") > 0
        payload = data.draw((valid_data if valid else spoiled_data)(trigger, case.requester_role), label="data")

        before = snapshot(case)
        authorised = expected_destination(case, trigger, kind, actor)
        complete = data_is_complete(trigger, case.requester_role, payload)
        assert complete or not valid  # the generator of valid data agrees with the oracle
        expected = authorised if complete else None
        self.clock += dt.timedelta(hours=1)
        try:
            done = fire(case, trigger, actor, payload, now=self.clock)
        except WorkflowError as refused:
            assert_dutch(refused.message)
            assert snapshot(case) == before, "a refused step changed the case"
            assert expected is None, f"{kind} should be able to {trigger} from {before['state']} with {payload}"
            return
        assert expected is not None, f"{kind} fired {trigger} from {before['state']} with {payload}"
        assert case.state == done.to_state == expected
        assert done.from_state == before["state"]
        self.check_effects(trigger, actor, payload, before)
        if case.state in (REFUSED, PARTIALLY_FULFILLED):
            self.entered_decided_by = (trigger, actor.role, actor.id, before["proposed_by_id"],
                                       SCHOOL in actor.school_ids)
            self.reviewer = before["reviewed_by_id"]
        elif case.state == FULFILLED:
            self.entered_decided_by = (trigger, actor.role, actor.id, None, True)

    def check_effects(self, trigger, actor, payload, before):
        """What a successful step must have recorded."""
        case = self.case
        if case.state in ENDED and before["state"] not in ENDED:
            assert case.closed_at == self.clock
        if trigger == "verify_identity":
            assert (case.verification_method, case.verified_by_id) == (payload["method"], actor.id)
            if case.requester_role in ("parent", "guardian"):
                assert case.parental_authority is (payload["authority"] == "yes")
        elif trigger == "request_information":
            assert (case.resume_state, case.info_kind) == (before["state"], payload["kind"])
        elif trigger == "review":
            assert (case.decision, case.reviewed_by_id) == (payload["decision"], actor.id)
            expected_grounds = "" if payload["decision"] == "grant" else ",".join(payload["grounds"])
            assert case.decision_grounds == expected_grounds
        elif trigger == "propose_refusal":
            assert (case.proposed_by_id, case.decision) == (actor.id, before["decision"])
        elif trigger in ("approve_refusal", "reject_refusal"):
            assert case.director_id == actor.id != before["proposed_by_id"]
        elif trigger == "fulfil":
            assert case.fulfilment_note == payload["reason"].strip()
        if trigger in ("reject_refusal", "reopen", "reassess"):
            assert case.decision is None
        elif trigger not in ("review",):
            assert case.decision == before["decision"]

    @invariant()
    def state_is_known(self):
        assert self.case.state in ALL_STATES

    @invariant()
    def closed_at_iff_ended(self):
        assert (self.case.closed_at is not None) == (self.case.state in ENDED)

    @invariant()
    def refusals_only_through_a_second_director(self):
        if self.case.state in (REFUSED, PARTIALLY_FULFILLED):
            trigger, role, actor_id, proposer, same_school = self.entered_decided_by
            assert (trigger, role, same_school) == ("approve_refusal", "director", True)
            assert proposer is not None and actor_id != proposer and actor_id != self.reviewer
        if self.case.state == FULFILLED:
            assert self.entered_decided_by[0] == "fulfil"

    @invariant()
    def ended_without_decision_is_final(self):
        if self.case.state in ENDED_WITHOUT_DECISION:
            for _kind, _actor, offered, _authorised in self.offers():
                assert offered == []

    @invariant()
    def decided_cases_only_reopen_by_the_privacy_officer(self):
        if self.case.state in DECIDED:
            for _kind, actor, offered, _authorised in self.offers():
                assert offered == (["reopen"] if actor.role == "privacy_officer" else [])

    @invariant()
    def offered_is_authorised(self):
        for kind, actor, offered, authorised in self.offers():
            assert offered == authorised
            assert set(offered) == {t for t in ALL_TRIGGERS
                                    if expected_destination(self.case, t, kind, actor) is not None}


CaseLifecycle.TestCase.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseLifecycle = CaseLifecycle.TestCase


# ---- the machine itself, driven directly ------------------------------------------------------

def test_the_machine_itself_refuses_a_step_the_attempt_was_not_checked_for():
    from dsr.workflows.machine import MACHINE, _Attempt

    case = case_for(AWAITING_DIRECTOR, proposed_by_id=PROPOSER_ID)
    attempt = _Attempt(case, "withdraw", ACTORS["requester_own"], {"reason": REASON}, T0)
    moved = MACHINE.events["approve_refusal"].trigger(attempt)
    assert (moved, case.state, case.director_id) == (False, AWAITING_DIRECTOR, None)


@pytest.mark.parametrize(("state", "trigger", "who"), [
    (AWAITING_DIRECTOR, "reject_refusal", SECOND_DIRECTOR),
    (REFUSED, "reopen", ACTORS["privacy_officer"]),
    (PARTIALLY_FULFILLED, "reopen", ACTORS["privacy_officer"]),
    (AWAITING_DIRECTOR, "reassess", ACTORS["staff_own"]),
])
def test_a_decision_taken_back_takes_its_grounds_with_it(state, trigger, who):
    """Grounds belong to the decision: after it is taken back, the case reports no refusal grounds
    until the next review states its own (the refusals-per-ground figure counts them)."""
    case = case_for(state)
    assert case.decision and case.decision_grounds
    fire(case, trigger, who, VALID[trigger], now=T0)
    assert (case.state, case.decision, case.decision_grounds) == (IDENTITY_CHECKED, None, None)
