"""Table-driven tests of the rights policy: docs/legal.md §3 (R-CH-1..7) and the §9 decision table."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dsr.workflows.policy import OUTCOMES, REQUESTERS, RIGHTS, SCOPES, Assessment, age_on, assess

D = date.fromisoformat
ON = D("2026-03-12")  # the reference date of the table
AGE_14 = D("2011-06-01")
AGE_15_EVE_OF_16 = D("2010-03-13")  # turns 16 tomorrow
AGE_16_TODAY = D("2010-03-12")  # birthday on the reference date counts (R-CH-1)
AGE_17 = D("2008-09-01")
AGE_17_EVE_OF_18 = D("2008-03-13")
AGE_18_TODAY = D("2008-03-12")
AGE_20 = D("2005-11-30")


def row(rule: str, right: str, requester: str, birth: date, authority: bool, consent: bool,
        outcome: str, scope: str, grounds: tuple[str, ...], label: str):
    """One decision-table row; the test id starts with the rule id."""
    return pytest.param(right, requester, birth, authority, consent, outcome, scope, grounds,
                        id=f"{rule}: {label}")


TABLE = [
    # §9 row "Student"
    row("R-CH-2", "access", "student", AGE_14, True, False, "allowed", "full", ("R-CH-2",),
        "student 14 asks alone -> accepted, gezag-holder confirms"),
    row("R-CH-3", "erasure", "student", AGE_16_TODAY, True, False, "allowed", "full", ("R-CH-3",),
        "student turning 16 today -> all rights, full scope"),
    row("R-CH-3", "access", "student", AGE_17, True, False, "allowed", "full", ("R-CH-3",),
        "student 17 -> all rights, full scope"),
    row("R-CH-4", "rectification", "student", AGE_18_TODAY, True, False, "allowed", "full", ("R-CH-4",),
        "student turning 18 today -> all rights, full scope"),
    # §9 row "Parent with gezag / voogd"
    row("R-CH-2", "access", "parent", AGE_14, True, False, "allowed", "full", ("R-CH-2",),
        "gezag parent, child 14 -> full file"),
    row("R-CH-2", "erasure", "parent", AGE_15_EVE_OF_16, True, False, "allowed", "full", ("R-CH-2",),
        "gezag parent, child 16 tomorrow -> still full"),
    row("R-CH-2", "restriction", "guardian", AGE_14, True, False, "allowed", "full", ("R-CH-2",),
        "voogd, child 14 -> all rights"),
    row("R-CH-6", "rectification", "parent", AGE_14, True, False, "allowed", "full", ("R-CH-2",),
        "one gezag-holder acts alone, no other parent's consent"),
    row("R-CH-3", "access", "parent", AGE_17, True, False, "partial", "learning_results", ("R-CH-3", "R-CH-7"),
        "gezag parent asks full file of 17-year-old, no authorisation -> PARTIAL leerresultaten"),
    row("R-CH-3", "access", "parent", AGE_16_TODAY, True, False, "partial", "learning_results",
        ("R-CH-3", "R-CH-7"), "child turns 16 on the date -> leerresultaten only"),
    row("R-CH-3", "access", "parent", AGE_17, True, True, "allowed", "full", ("R-CH-3",),
        "same with the student's signed authorisation -> as authorised"),
    row("R-CH-3", "rectification", "parent", AGE_17, True, False, "refused", "none", ("R-CH-3",),
        "gezag parent rectifies 17-year-old's data, no authorisation -> refused"),
    row("R-CH-3", "access", "guardian", AGE_17_EVE_OF_18, True, False, "partial", "learning_results",
        ("R-CH-3", "R-CH-7"), "voogd, child 18 tomorrow -> leerresultaten"),
    row("R-CH-4", "access", "parent", AGE_18_TODAY, True, False, "refused", "none", ("R-CH-4",),
        "parent asks, child 18 today, no consent -> REFUSED"),
    row("R-CH-4", "access", "parent", AGE_20, True, True, "allowed", "full", ("R-CH-4",),
        "parent with the adult student's consent -> as consented"),
    row("R-CH-4", "erasure", "guardian", AGE_20, True, False, "refused", "none", ("R-CH-4",),
        "former voogd of an adult, no consent -> refused"),
    # §9 row "Parent without gezag" (R-CH-5, R-ID-4 unmarried father recognised in 2010)
    row("R-CH-5", "access", "parent", AGE_14, False, False, "info_only", "learning_results", ("R-CH-5", "R-CH-7"),
        "father without gezag asks reports of a 14-year-old -> INFO_377C"),
    row("R-CH-5", "access", "parent", AGE_14, False, True, "info_only", "learning_results", ("R-CH-5", "R-CH-7"),
        "a child under 16 cannot widen it by consenting"),
    row("R-CH-5", "access", "parent", AGE_17, False, False, "info_only", "learning_results", ("R-CH-5", "R-CH-7"),
        "16-17: 1:377c capped at leerresultaten"),
    row("R-CH-5", "erasure", "parent", AGE_14, False, False, "refused", "none", ("R-CH-5",),
        "no representation rights: erasure refused"),
    row("R-CH-5", "access", "parent", AGE_17, False, True, "allowed", "full", ("R-CH-3",),
        "16-17 with the student's authorisation -> as authorised"),
    row("R-CH-5", "access", "parent", AGE_18_TODAY, False, False, "refused", "none", ("R-CH-4", "R-CH-5"),
        "1:377c ends at 18 -> nothing without consent"),
    row("R-CH-5", "access", "parent", AGE_20, False, True, "allowed", "full", ("R-CH-4",),
        "adult student consents -> as consented"),
    # §9 row "Representative with mandate" (R-ID-5)
    row("R-ID-5", "access", "representative", AGE_14, True, False, "allowed", "full", ("R-CH-2", "R-ID-5"),
        "under 16: as mandated by the gezag-holder"),
    row("R-ID-5", "erasure", "representative", AGE_17, False, False, "allowed", "full", ("R-CH-3", "R-ID-5"),
        "16-17: as mandated by the student"),
    row("R-ID-5", "access", "representative", AGE_20, True, False, "allowed", "full", ("R-CH-4", "R-ID-5"),
        "18+: as mandated by the student"),
    # R-ID-4: a voogd whose gezag is not established
    row("R-ID-4", "access", "guardian", AGE_14, False, False, "refused", "none", ("R-ID-4", "R-CH-2"),
        "voogd without established gezag -> refused"),
    row("R-ID-4", "access", "guardian", AGE_17, False, True, "allowed", "full", ("R-CH-3",),
        "voogd without gezag but with the student's authorisation"),
    # Objection (R-RI-5) and portability (R-RI-6) keep the who-may-ask result and add their rule.
    row("R-RI-5", "objection", "student", AGE_17, True, False, "allowed", "full", ("R-CH-3", "R-RI-5"),
        "student 17 objects"),
    row("R-RI-5", "objection", "representative", AGE_14, True, False, "allowed", "full",
        ("R-CH-2", "R-ID-5", "R-RI-5"), "representative objects for a 14-year-old"),
    row("R-RI-6", "portability", "parent", AGE_14, True, False, "allowed", "full", ("R-CH-2", "R-RI-6"),
        "gezag parent, child 14, portability"),
    row("R-RI-6", "portability", "parent", AGE_17, True, False, "refused", "none", ("R-CH-3", "R-RI-6"),
        "gezag parent, child 17, portability without authorisation"),
    # Carer (verzorger: step-parent, foster parent), issue 11: gezag decides (R-ID-4) [ENG ⚠]
    row("R-ID-4", "access", "carer", AGE_14, True, False, "allowed", "full", ("R-CH-2",),
        "carer with gezag (joint gezag, foster parent who is voogd), child 14 -> as a gezag-holder"),
    row("R-ID-4", "access", "carer", AGE_17, True, False, "partial", "learning_results", ("R-CH-3", "R-CH-7"),
        "carer with gezag, child 17 -> leerresultaten, like a parent"),
    row("R-ID-4", "access", "carer", AGE_14, False, False, "refused", "none", ("R-ID-4", "R-CH-2"),
        "carer without gezag, child 14 -> no rights (1:377c is for a parent only)"),
    row("R-ID-4", "access", "carer", AGE_14, False, True, "refused", "none", ("R-ID-4", "R-CH-2"),
        "carer without gezag, child 14 says yes -> a child under 16 cannot authorise"),
    row("R-ID-4", "access", "carer", AGE_17, False, True, "allowed", "full", ("R-CH-3",),
        "carer without gezag, student 17 consents in writing -> as consented"),
    row("R-ID-4", "erasure", "carer", AGE_20, False, False, "refused", "none", ("R-ID-4", "R-CH-4"),
        "carer without gezag, student 20, no consent -> nothing"),
    # Withdrawing consent (R-CH-8): under 16 the gezag-holder gives and withdraws consent, from 16 the student.
    row("R-CH-8", "consent_withdrawal", "parent", AGE_14, True, False, "allowed", "full", ("R-CH-2", "R-CH-8"),
        "gezag parent withdraws photo consent for a 14-year-old"),
    row("R-CH-8", "consent_withdrawal", "student", AGE_14, True, False, "allowed", "full", ("R-CH-2", "R-CH-8"),
        "student 14 withdraws: accepted (a withdrawal only reduces processing)"),
    row("R-CH-8", "consent_withdrawal", "student", AGE_17, True, False, "allowed", "full", ("R-CH-3", "R-CH-8"),
        "student 17 withdraws their own consent"),
    row("R-CH-8", "consent_withdrawal", "parent", AGE_17, True, False, "refused", "none", ("R-CH-3", "R-CH-8"),
        "from 16 the consent is the student's: a parent cannot withdraw it without authorisation"),
    row("R-CH-8", "consent_withdrawal", "parent", AGE_14, False, False, "refused", "none", ("R-CH-5", "R-CH-8"),
        "parent without gezag never gave the consent"),
]


@pytest.mark.parametrize("right, requester, birth, authority, consent, outcome, scope, grounds", TABLE)
def test_decision_table(right, requester, birth, authority, consent, outcome, scope, grounds) -> None:
    result = assess(right=right, requester=requester, birth_date=birth, on=ON,
                    parental_authority=authority, student_consent=consent)
    assert (result.outcome, result.scope, result.grounds) == (outcome, scope, grounds)


# --- R-CH-1: reference age ----------------------------------------------------------------------

@pytest.mark.parametrize("birth, on, age", [
    pytest.param(D("2010-03-12"), D("2026-03-12"), 16, id="R-CH-1: birthday on the date counts"),
    pytest.param(D("2010-03-12"), D("2026-03-11"), 15, id="R-CH-1: the day before"),
    pytest.param(D("2010-03-12"), D("2010-03-12"), 0, id="R-CH-1: day of birth"),
    pytest.param(D("2008-02-29"), D("2024-02-28"), 15, id="R-CH-1: 29 Feb, leap year, day before"),
    pytest.param(D("2008-02-29"), D("2024-02-29"), 16, id="R-CH-1: 29 Feb, leap year, on 29 Feb"),
    pytest.param(D("2008-02-29"), D("2025-02-27"), 16, id="R-CH-1: 29 Feb birth, non-leap 27 Feb"),
    pytest.param(D("2008-02-29"), D("2025-02-28"), 17, id="R-CH-1: 29 Feb counts as 28 Feb in non-leap"),
    pytest.param(D("2008-02-29"), D("2026-02-28"), 18, id="R-CH-1: 29 Feb child turns 18 on 28 Feb 2026"),
    pytest.param(D("2012-02-29"), D("2027-02-28"), 15, id="R-CH-1: 29 Feb, 15 on 28 Feb 2027"),
    pytest.param(D("2012-02-29"), D("2028-02-28"), 15, id="R-CH-1: 29 Feb, leap 2028: not yet 16 on 28 Feb"),
    pytest.param(D("2012-02-29"), D("2028-02-29"), 16, id="R-CH-1: 29 Feb, leap 2028: 16 on 29 Feb"),
])
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_on_rejects_a_date_before_birth() -> None:
    with pytest.raises(ValueError):
        age_on(D("2010-03-12"), D("2010-03-11"))


@pytest.mark.parametrize("birth, receipt, disclosure, before, after", [
    pytest.param(D("2010-03-20"), ON, D("2026-03-20"), ("allowed", "full"), ("partial", "learning_results"),
                 id="R-CH-1: child turns 16 before the package is sent -> re-scope to leerresultaten"),
    pytest.param(D("2008-03-20"), ON, D("2026-03-20"), ("partial", "learning_results"), ("refused", "none"),
                 id="R-CH-1: child turns 18 mid-case -> refuse the remainder"),
    pytest.param(D("2008-02-29"), D("2026-02-27"), D("2026-02-28"), ("partial", "learning_results"),
                 ("refused", "none"), id="R-CH-1: 29 Feb child turns 18 on 28 Feb in a non-leap year"),
    pytest.param(D("2012-02-29"), D("2028-02-28"), D("2028-02-29"), ("allowed", "full"),
                 ("partial", "learning_results"), id="R-CH-1: 29 Feb child turns 16 on 29 Feb in a leap year"),
])
def test_age_is_rechecked_before_disclosure(birth, receipt, disclosure, before, after) -> None:
    """R-CH-1: the same parent request is re-assessed at disclosure; a birthday changes the scope."""
    at_receipt = assess(right="access", requester="parent", birth_date=birth, on=receipt)
    at_disclosure = assess(right="access", requester="parent", birth_date=birth, on=disclosure)
    assert (at_receipt.outcome, at_receipt.scope) == before
    assert (at_disclosure.outcome, at_disclosure.scope) == after


def test_consent_withdrawn_mid_case_refuses_the_remainder() -> None:
    """R-CH-4: with consent allowed; after withdrawal the same request is refused."""
    kwargs = dict(right="access", requester="parent", birth_date=AGE_20, on=ON)
    assert assess(**kwargs, student_consent=True).outcome == "allowed"
    assert assess(**kwargs, student_consent=False).outcome == "refused"


# --- explanations -------------------------------------------------------------------------------

@pytest.mark.parametrize("needs_confirmation, mentions", [
    pytest.param(True, True, id="R-CH-2: setting on -> a gezag-holder is asked to confirm"),
    pytest.param(False, False, id="R-CH-2: setting off -> no confirmation sentence"),
])
def test_child_request_confirmation_setting(needs_confirmation: bool, mentions: bool) -> None:
    result = assess(right="access", requester="student", birth_date=AGE_14, on=ON,
                    child_request_needs_confirmation=needs_confirmation)
    assert (result.outcome, result.scope, result.grounds) == ("allowed", "full", ("R-CH-2",))
    assert ("bevestigen" in result.explanation) is mentions


@pytest.mark.parametrize("right, requester, birth, phrase", [
    pytest.param("access", "representative", AGE_14, "schriftelijke machtiging van een ouder met gezag",
                 id="R-ID-5: under 16 the gezag-holder's written authorisation"),
    pytest.param("access", "representative", AGE_17, "schriftelijke machtiging van de leerling",
                 id="R-ID-5: 16+ the student's written authorisation"),
    pytest.param("portability", "student", AGE_17, "toestemming of een overeenkomst",
                 id="R-RI-6: portability only for consent or contract"),
    pytest.param("objection", "student", AGE_17, "art. 6 lid 1 sub e of f",
                 id="R-RI-5: objection only against 6(1)(e)/(f)"),
    pytest.param("access", "parent", AGE_17, "leerresultaten", id="R-CH-7: leerresultaten named"),
    pytest.param("consent_withdrawal", "parent", AGE_14, "art. 5 UAVG",
                 id="R-CH-8: who gives consent (UAVG art. 5) may withdraw it"),
    pytest.param("objection", "parent", AGE_14, "intrekking van die toestemming",
                 id="R-RI-5: an objection to consent-based data is a withdrawal"),
])
def test_explanation_mentions(right: str, requester: str, birth: date, phrase: str) -> None:
    assert phrase in assess(right=right, requester=requester, birth_date=birth, on=ON).explanation


@pytest.mark.parametrize("requester", REQUESTERS)
@pytest.mark.parametrize("right", RIGHTS)
def test_every_explanation_is_one_paragraph_citing_age_and_grounds(right: str, requester: str) -> None:
    """docs/legal.md §3: each policy outcome is explained in Dutch, naming the age and every rule id used."""
    for birth in (AGE_14, AGE_17, AGE_20):
        for authority in (True, False):
            for consent in (True, False):
                result = assess(right=right, requester=requester, birth_date=birth, on=ON,
                                parental_authority=authority, student_consent=consent)
                assert "\n" not in result.explanation
                assert f"{age_on(birth, ON)} jaar" in result.explanation
                assert result.grounds and all(g in result.explanation for g in result.grounds)


def test_unknown_right_or_requester_is_rejected() -> None:
    with pytest.raises(ValueError):
        assess(right="complaint", requester="parent", birth_date=AGE_14, on=ON)
    with pytest.raises(ValueError):
        assess(right="access", requester="grandparent", birth_date=AGE_14, on=ON)


def test_assessment_is_frozen() -> None:
    result = assess(right="access", requester="student", birth_date=AGE_14, on=ON)
    assert isinstance(result, Assessment)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = "refused"  # type: ignore[misc]


# --- properties (Hypothesis) --------------------------------------------------------------------

births = st.dates(min_value=D("1990-01-01"), max_value=D("2030-12-31"))
days = st.dates(min_value=D("1990-01-01"), max_value=D("2060-12-31"))


@given(births, days, days, st.sampled_from(RIGHTS), st.sampled_from(("parent", "guardian")), st.booleans())
def test_parent_scope_never_widens_as_the_child_ages(birth, d1, d2, right, requester, authority) -> None:
    """R-CH-2..5: without the student's consent a parent's scope only narrows with age."""
    earlier, later = sorted((d1, d2))
    assume(earlier >= birth)
    first = assess(right=right, requester=requester, birth_date=birth, on=earlier, parental_authority=authority)
    second = assess(right=right, requester=requester, birth_date=birth, on=later, parental_authority=authority)
    assert SCOPES.index(second.scope) >= SCOPES.index(first.scope)


@given(births, days, st.sampled_from(RIGHTS), st.sampled_from(REQUESTERS), st.booleans(), st.booleans())
def test_results_stay_in_the_vocabulary(birth, on, right, requester, authority, consent) -> None:
    """Every answer uses the contract's outcomes and scopes; a student is always allowed in full."""
    assume(on >= birth)
    result = assess(right=right, requester=requester, birth_date=birth, on=on,
                    parental_authority=authority, student_consent=consent)
    assert result.outcome in OUTCOMES and result.scope in SCOPES
    assert (result.outcome == "allowed") == (result.scope == "full")
    if requester == "student":
        assert (result.outcome, result.scope) == ("allowed", "full")


@pytest.mark.parametrize("requester, authority, birth, right", [
    pytest.param("parent", True, AGE_20, "rectification", id="§9-EIGEN: parent of a 20-year-old, own contact data"),
    pytest.param("parent", False, AGE_14, "erasure", id="§9-EIGEN: parent without gezag, own data"),
    pytest.param("carer", False, AGE_17, "access", id="§9-EIGEN: carer without gezag, own data"),
    pytest.param("representative", True, AGE_16_TODAY, "access", id="§9-EIGEN: representative, own data"),
])
def test_own_data_all_rights_whatever_the_age(requester, authority, birth, right):
    """§9, last row: anyone has all rights over their own data, outside the student's age rules."""
    a = assess(right=right, requester=requester, birth_date=birth, on=ON, parental_authority=authority,
               subject="requester")
    assert (a.outcome, a.scope, a.grounds) == ("allowed", "full", ("§9-EIGEN",))
    assert "eigen gegevens" in a.explanation


def test_own_data_of_a_student_is_the_student_file():
    """A student's "own data" is the student file: the age rules apply as for any student request."""
    a = assess(right="access", requester="student", birth_date=AGE_14, on=ON, subject="requester")
    assert a.grounds == ("R-CH-2",)


def test_unknown_subject_is_rejected():
    with pytest.raises(ValueError):
        assess(right="access", requester="parent", birth_date=AGE_14, on=ON, subject="neighbour")
