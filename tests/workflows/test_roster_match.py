"""What the school's roster says about a request at intake (issue 17 point 5; R-ID-1, R-ID-4): pure, table-driven."""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.workflows.roster_match import (
    FACTS_DIFFER,
    KNOWN_WITH_GEZAG,
    KNOWN_WITHOUT_GEZAG,
    NOT_FOUND,
    REQUESTER_UNKNOWN,
    CaseFacts,
    RosterContactFacts,
    RosterStudentFacts,
    match,
    normalised_name,
)

BORN = dt.date(2012, 3, 4)
MOTHER = RosterContactFacts("Alex Jansen", "alex@example.nl", "parent", True)
FATHER = RosterContactFacts("Kim Jansen", "kim@example.nl", "parent", False)
SAM = RosterStudentFacts("1001", "Sam Jansen", BORN, None, (MOTHER, FATHER))
TWIN = RosterStudentFacts("1002", "Sem Jansen", BORN, None, (MOTHER,))
OTHER = RosterStudentFacts("1003", "Eva Smit", dt.date(2011, 1, 1), None, ())
ROSTER = [SAM, TWIN, OTHER]


def facts(**changes) -> CaseFacts:
    base = dict(student_number="1001", student_name="Sam Jansen", birth_date=BORN, requester_email="alex@example.nl",
                requester_role="parent", stated_gezag=True, email_confirmed=True)
    return CaseFacts(**{**base, **changes})


# (id, request, outcome, one click, the fields that differ)
CASES = [
    ("mother with gezag, all facts agree", facts(), KNOWN_WITH_GEZAG, True, []),
    ("address compared without case or spaces", facts(requester_email="  Alex@Example.NL "), KNOWN_WITH_GEZAG, True,
     []),
    ("name in another order, accents and case", facts(student_name="jansen, Sám"), KNOWN_WITH_GEZAG, True, []),
    ("address not confirmed yet: no click", facts(email_confirmed=False), KNOWN_WITH_GEZAG, False, []),
    ("guardian (voogd) with gezag", facts(requester_role="guardian"), KNOWN_WITH_GEZAG, True, []),
    ("carer with gezag", facts(requester_role="carer", stated_gezag=None), KNOWN_WITH_GEZAG, True, []),
    ("stated no gezag, roster says gezag: shown, still proposed", facts(stated_gezag=False), KNOWN_WITH_GEZAG, True,
     ["gezag"]),
    ("a contact asking as the student: role does not fit, no click", facts(requester_role="student", stated_gezag=None),
     KNOWN_WITH_GEZAG, False, ["role"]),
    ("a contact asking as representative: mandate needed, no click",
     facts(requester_role="representative", stated_gezag=None), KNOWN_WITH_GEZAG, False, ["role"]),
    ("father without gezag who stated gezag", facts(requester_email="kim@example.nl"), KNOWN_WITHOUT_GEZAG, False,
     ["gezag"]),
    ("father without gezag who stated none", facts(requester_email="kim@example.nl", stated_gezag=False),
     KNOWN_WITHOUT_GEZAG, False, []),
    ("unknown address", facts(requester_email="someone@example.nl"), REQUESTER_UNKNOWN, False, []),
    ("no address", facts(requester_email=""), REQUESTER_UNKNOWN, False, []),
    ("birth date differs", facts(birth_date=dt.date(2012, 4, 3)), FACTS_DIFFER, False, ["birth_date"]),
    ("name differs", facts(student_name="Sam Pietersen"), FACTS_DIFFER, False, ["name"]),
    ("both differ", facts(student_name="Eva Smit", birth_date=dt.date(2011, 1, 1)), FACTS_DIFFER, False,
     ["birth_date", "name"]),
    ("number not in roster", facts(student_number="9999"), NOT_FOUND, False, []),
    ("number with spaces", facts(student_number=" 1001 "), KNOWN_WITH_GEZAG, True, []),
    ("no number: found by name and birth date", facts(student_number=None), KNOWN_WITH_GEZAG, True, []),
    ("no number: the twin by name", facts(student_number="", student_name="Sem Jansen"), KNOWN_WITH_GEZAG, True, []),
    ("no number: name unknown", facts(student_number=None, student_name="Tim Jansen"), NOT_FOUND, False, []),
]


@pytest.mark.parametrize(("request_facts", "kind", "one_click", "differ"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_match(request_facts, kind, one_click, differ):
    outcome = match(request_facts, ROSTER)
    assert outcome.kind == kind
    assert outcome.one_click is one_click
    assert [d.field for d in outcome.differences] == differ


def test_facts_differ_still_names_the_contact_and_both_values():
    outcome = match(facts(birth_date=dt.date(2012, 4, 3)), ROSTER)
    assert outcome.student == SAM and outcome.contact == MOTHER
    [difference] = outcome.differences
    assert (difference.request_value, difference.roster_value) == ("03-04-2012", "04-03-2012")


def test_two_students_with_the_same_name_and_birth_date_are_not_guessed():
    twins = [SAM, RosterStudentFacts("1009", "Sam Jansen", BORN, None, (MOTHER,))]
    assert match(facts(student_number=None), twins).kind == NOT_FOUND


def test_a_contact_with_and_without_gezag_under_one_address_counts_with_gezag():
    both = RosterStudentFacts("1001", "Sam Jansen", BORN, None,
                              (RosterContactFacts("A", "a@example.nl", "other", False),
                               RosterContactFacts("A", "a@example.nl", "parent", True)))
    assert match(facts(requester_email="a@example.nl"), [both]).contact.gezag is True


def test_no_roster_rows_is_not_found():
    assert match(facts(), []).kind == NOT_FOUND


@pytest.mark.parametrize(("left", "right", "same"), [
    ("Jan de Vries", "de Vries, Jan", True), ("Zoë Ünal", "zoe unal", True), ("Jan-Peter Smit", "Jan Peter Smit", True),
    ("Jan de Vries", "Jan Vries", False), ("", "", True)])
def test_normalised_name(left, right, same):
    assert (normalised_name(left) == normalised_name(right)) is same


def test_an_unconfirmed_address_waits_for_the_requester():
    assert match(facts(email_confirmed=False), ROSTER).awaits_confirmed_email is True
    assert match(facts(), ROSTER).awaits_confirmed_email is False
    # A role without the click never waits for it.
    assert match(facts(email_confirmed=False, requester_role="student"), ROSTER).awaits_confirmed_email is False
