"""Decisions on restriction, objection, portability and consent withdrawal (R-RI-4/5/6, R-CH-8): pure,
table-driven by rule id."""
from __future__ import annotations

import pytest

from dsr.workflows.rights import OUTCOMES, decision_grants, decision_problem, objection_applies, portability_applies

CASES = [
    # (id, right, outcome, ground, explanation, bases, expected field or None)
    ("R-RI-4 restriction with a ground", "restriction", "restricted", "18_1_a", "Juistheid betwist.", ["6_1_c"], None),
    ("R-RI-4 restriction needs one of the grounds (a)-(d)", "restriction", "restricted", None, "x", ["6_1_c"],
     "ground"),
    ("R-RI-4 refusing a restriction", "restriction", "no_ground", None, "Geen grond.", ["6_1_e"], None),
    ("R-RI-5 objection to public-task processing can stop it", "objection", "stopped", None, "Gestopt.", ["6_1_e"],
     None),
    ("R-RI-5 or be refused on compelling grounds", "objection", "compelling_grounds", None, "Afweging.", ["6_1_e"],
     None),
    ("R-RI-5 no objection against a legal obligation", "objection", "stopped", None, "x", ["6_1_c"], "outcome"),
    ("R-RI-5 ... which is said so", "objection", "legal_obligation", None, "Wettelijke plicht.", ["6_1_c"], None),
    ("R-RI-5 'not possible' is wrong when a category is public task", "objection", "legal_obligation", None, "x",
     ["6_1_c", "6_1_e"], "outcome"),
    ("R-RI-6 portability does not apply to the public task", "portability", "not_applicable", None, "Publieke taak.",
     ["6_1_e"], None),
    ("R-RI-6 providing needs consent or contract", "portability", "provided", None, "x", ["6_1_e"], "outcome"),
    ("R-RI-6 consent-based data can be provided", "portability", "provided", None, "Foto's als bestand.", ["6_1_a"],
     None),
    ("R-RI-5 objection to consent-based data (photos) is a withdrawal", "objection", "consent_withdrawn", None,
     "Foto's verwijderd.", ["6_1_a"], None),
    ("R-RI-5 objection to consent-based data is never refused with 'legal obligation'", "objection",
     "legal_obligation", None, "x", ["6_1_a"], "outcome"),
    ("R-RI-5 ... nor with compelling grounds", "objection", "compelling_grounds", None, "x", ["6_1_a"], "outcome"),
    ("R-RI-5 ... nor simply 'stopped' without erasure", "objection", "stopped", None, "x", ["6_1_a"], "outcome"),
    ("R-RI-5 a consent category mixed with public-task data is decided as a withdrawal on its own", "objection",
     "stopped", None, "x", ["6_1_a", "6_1_e"], "outcome"),
    ("R-RI-5 withdrawal only for consent-based categories", "objection", "consent_withdrawn", None, "x", ["6_1_e"],
     "category_ids"),
    ("R-CH-8 withdrawing consent stops and erases", "consent_withdrawal", "withdrawn", None, "Gestopt.", ["6_1_a"],
     None),
    ("R-CH-8 withdrawal of something that is not consent-based", "consent_withdrawal", "withdrawn", None, "x",
     ["6_1_c"], "category_ids"),
    ("R-CH-8 'not consent-based' is refused when the data is consent-based", "consent_withdrawal",
     "not_consent_based", None, "x", ["6_1_a"], "outcome"),
    ("R-CH-8 'not consent-based' for public-task data", "consent_withdrawal", "not_consent_based", None,
     "De school gebruikt deze gegevens voor haar taak.", ["6_1_e"], None),
    ("every decision is explained", "objection", "stopped", None, " ", ["6_1_e"], "explanation"),
    ("every decision names its categories", "objection", "stopped", None, "x", [], "category_ids"),
    ("unknown outcome", "restriction", "stopped", None, "x", ["6_1_e"], "outcome"),
    ("not a right with a decision here", "access", "stopped", None, "x", ["6_1_e"], "outcome"),
]


@pytest.mark.parametrize(("right", "outcome", "ground", "explanation", "bases", "field"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_decision_problem(right, outcome, ground, explanation, bases, field):
    problem = decision_problem(right, outcome, ground, explanation, bases)
    assert (problem[0] if problem else None) == field
    if problem:
        assert problem[1].endswith(".")


def test_applicability_by_legal_basis():
    assert [b for b in ("6_1_a", "6_1_b", "6_1_c", "6_1_e", "6_1_f") if objection_applies(b)] == ["6_1_e", "6_1_f"]
    assert [b for b in ("6_1_a", "6_1_b", "6_1_c", "6_1_e", "6_1_f") if portability_applies(b)] == ["6_1_a", "6_1_b"]


def test_refusing_outcomes_carry_the_ground_the_letter_states():
    for right, outcomes in OUTCOMES.items():
        assert any(o.grants for o in outcomes.values()), right
        for key, outcome in outcomes.items():
            assert outcome.grants or "Art." in outcome.ground_text, (right, key)


def test_r_ch_8_consent_based_is_basis_6_1_a_only():
    from dsr.workflows.rights import WITHDRAWAL_OUTCOMES, consent_based

    assert [b for b in ("6_1_a", "6_1_b", "6_1_c", "6_1_e", "6_1_f") if consent_based(b)] == ["6_1_a"]
    assert all(OUTCOMES[r][o].grants for r in OUTCOMES for o in OUTCOMES[r] if o in WITHDRAWAL_OUTCOMES)


def test_decision_grants_reads_the_outcome_table():
    """Issue 12: whether a decision grants is a pure lookup in OUTCOMES (an unknown outcome never grants)."""
    assert decision_grants("restricted") and decision_grants("stopped") and decision_grants("withdrawn")
    assert not decision_grants("no_ground") and not decision_grants("compelling_grounds")
    assert not decision_grants("no_such_outcome") and not decision_grants(None)
    assert all(decision_grants(key) == outcome.grants for table in OUTCOMES.values() for key, outcome in table.items())
