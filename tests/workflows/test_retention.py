"""Retention and the erasure decision (docs/legal.md §6, R-RI-3): pure, table-driven by rule id.

Expected dates are written out literally from docs/legal.md, never computed with the code under test.
The register rules come from ``dsr.register_defaults`` (ASG's seed), so a change to the seed that
changes an erasure outcome shows up here.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.register_defaults import CATEGORIES
from dsr.workflows.retention import (
    RetentionRule,
    describe_retention,
    erasure_outcome,
    keep_until,
    propose_erasure,
    propose_erasures,
)

D = dt.date
SEED = {c["code"]: RetentionRule(c["code"], c["name"], c["legal_basis"], c["retention_kind"],
                                 c["retention_months"], c["retention_note"]) for c in CATEGORIES}


def rule(kind: str, months: int | None = None, basis: str = "6_1_c", code: str = "x") -> RetentionRule:
    return RetentionRule(code, code, basis, kind, months)


# --- keep_until: §6 ---------------------------------------------------------------------------------

KEEP_UNTIL = [
    # (id, rule, left_on, expected end)
    ("§6 general file: left 2024-07-31 -> purge due 2026-07-31", SEED["leerlingdossier"], D(2024, 7, 31), D(2026, 7, 31)),
    ("§6 verzuim: left 2024-07-31 -> purge due 2029-07-31", SEED["verzuim"], D(2024, 7, 31), D(2029, 7, 31)),
    ("§6 financial: 7 years", SEED["financieel"], D(2024, 7, 31), D(2031, 7, 31)),
    ("§6 referral to special education: 3 years", SEED["verwijzing"], D(2024, 7, 31), D(2027, 7, 31)),
    ("§6 central-exam work: 6 months", SEED["centraal_examen"], D(2026, 1, 31), D(2026, 7, 31)),
    ("§6 zorg: 2 years [ASG]", SEED["zorg"], D(2025, 6, 30), D(2027, 6, 30)),
    ("29 February + 2 years -> 28 February", rule("after_leaving", 24), D(2024, 2, 29), D(2026, 2, 28)),
    ("31 August + 6 months -> 28 February", rule("after_leaving", 6), D(2025, 8, 31), D(2026, 2, 28)),
    ("§6 diploma: no end date until a selectielijst exists", SEED["diploma"], D(2024, 7, 31), None),
    ("consent: no retention duty, no end date", SEED["beeldmateriaal"], D(2024, 7, 31), None),
    ("still enrolled: the period has not started", SEED["leerlingdossier"], None, None),
    ("R-AC-4 case handling: counted from closing, not from leaving", SEED["avg_verzoeken"], D(2024, 7, 31), None),
]


@pytest.mark.parametrize(("rule_", "left_on", "expected"), [c[1:] for c in KEEP_UNTIL], ids=[c[0] for c in KEEP_UNTIL])
def test_keep_until(rule_, left_on, expected):
    assert keep_until(rule_, left_on) == expected


def test_a_period_rule_needs_months():
    with pytest.raises(ValueError):
        keep_until(rule("fixed", None), D(2024, 7, 31))
    with pytest.raises(ValueError):
        keep_until(rule("forever", 12), D(2024, 7, 31))


# --- propose_erasure: R-RI-3 -----------------------------------------------------------------------

TODAY = D(2026, 7, 31)

PROPOSALS = [
    # (id, rule, left_on, today, outcome, keep_until, ground)
    ("R-RI-3 period over: erase", SEED["leerlingdossier"], D(2024, 7, 31), TODAY, "erase", None, None),
    ("R-RI-3 the last day of the period: erase", rule("after_leaving", 24), D(2024, 7, 31), D(2026, 7, 31),
     "erase", None, None),
    ("R-RI-3 the day before the end: keep until the end", rule("after_leaving", 24), D(2024, 7, 31), D(2026, 7, 30),
     "keep", D(2026, 7, 31), "art17_3_b"),
    ("R-RI-3 verzuim within 5 years: keep", SEED["verzuim"], D(2024, 7, 31), TODAY, "keep", D(2029, 7, 31), "art17_3_b"),
    ("R-RI-3 financial within 7 years: keep", SEED["financieel"], D(2024, 7, 31), TODAY, "keep", D(2031, 7, 31),
     "art17_3_b"),
    ("R-RI-3 diploma: keep without end date (Archiefwet)", SEED["diploma"], D(2010, 7, 31), TODAY, "keep", None,
     "art17_3_b"),
    ("R-RI-3 consent-based: erase, also while enrolled (17(1)(b))", SEED["beeldmateriaal"], None, TODAY, "erase", None,
     None),
    ("R-RI-3 consent basis with a period rule still erases", rule("after_leaving", 24, basis="6_1_a"), None, TODAY,
     "erase", None, None),
    ("R-RI-3 still enrolled: keep, period not started", SEED["cijfers"], None, TODAY, "keep", None, "art17_3_b"),
]


@pytest.mark.parametrize(("rule_", "left_on", "today", "outcome", "until", "ground"), [c[1:] for c in PROPOSALS],
                         ids=[c[0] for c in PROPOSALS])
def test_propose_erasure(rule_, left_on, today, outcome, until, ground):
    proposal = propose_erasure(rule_, left_on, today)
    assert (proposal.outcome, proposal.keep_until, proposal.ground) == (outcome, until, ground)
    assert proposal.explanation and proposal.code == rule_.code
    if until is not None:
        assert f"{until:%d-%m-%Y}" in proposal.explanation


def test_rules_md_example_erasure_three_years_after_leaving_is_partial():
    """R-RI-3: "erasure request 3 yrs after leaving -> general and zorg file erased; verzuim (to yr 5),
    financial (to yr 7) and diploma records kept -> PARTIAL"."""
    left_on, today = D(2023, 7, 31), D(2026, 7, 31)
    proposals = {p.code: p for p in propose_erasures(list(SEED.values()), left_on, today)}
    assert proposals["leerlingdossier"].outcome == "erase"
    assert proposals["zorg"].outcome == "erase"
    assert (proposals["verzuim"].outcome, proposals["verzuim"].keep_until) == ("keep", D(2028, 7, 31))
    assert (proposals["financieel"].outcome, proposals["financieel"].keep_until) == ("keep", D(2030, 7, 31))
    assert (proposals["diploma"].outcome, proposals["diploma"].keep_until) == ("keep", None)
    assert all(p.ground == "art17_3_b" for p in proposals.values() if p.outcome == "keep")
    assert "avg_verzoeken" not in proposals, "the request file itself is not part of the student's data"
    assert erasure_outcome(list(proposals.values())) == "partial"


def test_erasure_outcome():
    erase = propose_erasure(SEED["beeldmateriaal"], None, TODAY)
    keep = propose_erasure(SEED["diploma"], None, TODAY)
    assert erasure_outcome([erase, erase]) == "grant"
    assert erasure_outcome([erase, keep]) == "partial"
    assert erasure_outcome([keep]) == "refuse"
    with pytest.raises(ValueError):
        erasure_outcome([])


def test_leaving_date_in_the_future_is_refused():
    with pytest.raises(ValueError):
        propose_erasure(SEED["leerlingdossier"], D(2026, 8, 1), TODAY)


@pytest.mark.parametrize(("kind", "months", "text"), [
    ("after_leaving", 24, "tot 2 jaar nadat de leerling van school is gegaan"),
    ("after_leaving", 6, "tot 6 maanden nadat de leerling van school is gegaan"),
    ("fixed", 84, "7 jaar (wettelijke bewaarplicht), gerekend vanaf het vertrek van de leerling"),
    ("until_selectielijst", None, "selectielijst"),
    ("consent", None, "zolang de toestemming geldt"),
    ("after_closing", 60, "tot 5 jaar nadat het verzoek is afgerond"),
])
def test_describe_retention_in_plain_dutch(kind, months, text):
    assert text in describe_retention(kind, months)


@pytest.mark.parametrize(("kind", "months", "text"), [
    ("after_leaving", 24, "until 2 years after the student has left the school"),
    ("after_leaving", 1, "until 1 month after the student has left the school"),
    ("after_leaving", 12, "until 1 year after"),
    ("fixed", 84, "for 7 years (a legal duty to keep them), counted from when the student left the school"),
    ("until_selectielijst", None, "national selection list (selectielijst)"),
    ("consent", None, "for as long as the consent applies"),
    ("after_closing", 6, "until 6 months after the request has been closed"),
])
def test_describe_retention_in_plain_english(kind, months, text):
    """For English letters (R-RI-1 (iii) retention in the requester's language)."""
    assert text in describe_retention(kind, months, "en")
    with pytest.raises(ValueError):
        describe_retention("forever", None, "en")
