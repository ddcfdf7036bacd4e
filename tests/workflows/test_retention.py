"""Retention and the erasure decision (docs/legal.md §6, R-RI-3, R-CH-8): pure, table-driven by rule id.

Expected dates are written out literally from docs/legal.md, never computed with the code under test.
The register rules come from ``dsr.register_defaults`` (ASG's seed), so a change to the seed that
changes an erasure outcome shows up here.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.register_defaults import CATEGORIES
from dsr.workflows.retention import (
    KEEP_GROUNDS,
    PeriodSpec,
    RetentionRule,
    decide_item,
    describe_retention,
    erasure_outcome,
    keep_until,
    propose_erasure,
    propose_erasures,
    rule_for_school_type,
)

D = dt.date


def _seed(school_type: str | None = None) -> dict[str, RetentionRule]:
    """ASG's seed register as the pure rules for one school type (None: each category's own period)."""
    rules = {}
    for c in CATEGORIES:
        base = RetentionRule(c["code"], c["name"], c["legal_basis"], c["retention_kind"], c["retention_months"],
                             c["retention_note"], statutory=c.get("retention_statutory", False))
        periods = {t: PeriodSpec(*spec) for t, spec in c.get("periods", {}).items()}
        rules[c["code"]] = rule_for_school_type(base, periods, school_type)
    return rules


SEED = _seed("vo")
SEED_PO = _seed("po")


def rule(kind: str, months: int | None = None, basis: str = "6_1_c", code: str = "x", *, statutory: bool = False,
         note: str = "") -> RetentionRule:
    return RetentionRule(code, code, basis, kind, months, note, statutory=statutory)


# --- keep_until: §6 ---------------------------------------------------------------------------------

KEEP_UNTIL = [
    # (id, rule, left_on, expected end)
    ("§6 general file: left 2024-07-31 -> purge due 2026-07-31", SEED["leerlingdossier"],
     D(2024, 7, 31), D(2026, 7, 31)),
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

AWR = "AWR art. 52 lid 4"

PROPOSALS = [
    # (id, rule, left_on, today, outcome, keep_until, ground)
    ("R-RI-3 policy period over: erase (17(1)(a))", SEED["leerlingdossier"], D(2024, 7, 31), TODAY, "erase", None,
     None),
    ("R-RI-3 the last day of the period: erase", rule("after_leaving", 24), D(2024, 7, 31), D(2026, 7, 31),
     "erase", None, None),
    ("R-RI-3 statutory period, the day before the end: keep until the end on 17(3)(b)",
     rule("after_leaving", 24, statutory=True, note=AWR), D(2024, 7, 31), D(2026, 7, 30), "keep", D(2026, 7, 31),
     "art17_3_b"),
    ("R-RI-3 policy period, the day before the end: staff decide on 17(1), never 17(3)(b)",
     rule("after_leaving", 24), D(2024, 7, 31), D(2026, 7, 30), "decide", D(2026, 7, 31), None),
    ("R-RI-3 a 'statutory' period without a source counts as policy", rule("after_leaving", 24, statutory=True),
     D(2024, 7, 31), D(2026, 7, 30), "decide", D(2026, 7, 31), None),
    ("R-RI-3 vo verzuim within 5 years: policy (no statute traced for vo), staff decide", SEED["verzuim"],
     D(2024, 7, 31), TODAY, "decide", D(2029, 7, 31), None),
    ("R-RI-3 po verzuim within 5 years: statutory (Bekostigingsbesluit WPO), keep", SEED_PO["verzuim"],
     D(2024, 7, 31), TODAY, "keep", D(2029, 7, 31), "art17_3_b"),
    ("R-RI-3 financial within 7 years: statutory (AWR art. 52 lid 4), keep", SEED["financieel"], D(2024, 7, 31),
     TODAY, "keep", D(2031, 7, 31), "art17_3_b"),
    ("R-RI-3 diploma: keep without end date (Archiefwet)", SEED["diploma"], D(2010, 7, 31), TODAY, "keep", None,
     "art17_3_b"),
    ("R-CH-8 consent-based: erase, also while enrolled (17(1)(b))", SEED["beeldmateriaal"], None, TODAY, "erase", None,
     None),
    ("R-CH-8 sharing with other organisations on consent: erase (17(1)(b))", SEED["delen_met_toestemming"], None,
     TODAY, "erase", None, None),
    ("R-CH-8 consent basis with a period rule still erases", rule("after_leaving", 24, basis="6_1_a"), None, TODAY,
     "erase", None, None),
    ("R-RI-3 still enrolled, policy category: kept because no 17(1) ground applies", SEED["cijfers"], None, TODAY,
     "keep", None, "no_17_1_ground"),
    ("R-RI-3 still enrolled, statutory category: kept on 17(3)(b)", SEED["financieel"], None, TODAY, "keep", None,
     "art17_3_b"),
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
    financial (to yr 7) and diploma records kept -> PARTIAL". In a po school verzuim is a statutory duty."""
    left_on, today = D(2023, 7, 31), D(2026, 7, 31)
    proposals = {p.code: p for p in propose_erasures(list(SEED_PO.values()), left_on, today)}
    assert proposals["leerlingdossier"].outcome == "erase"
    assert proposals["zorg"].outcome == "erase"
    assert (proposals["verzuim"].outcome, proposals["verzuim"].keep_until) == ("keep", D(2028, 7, 31))
    assert (proposals["financieel"].outcome, proposals["financieel"].keep_until) == ("keep", D(2030, 7, 31))
    assert (proposals["diploma"].outcome, proposals["diploma"].keep_until) == ("keep", None)
    assert all(p.ground == "art17_3_b" and p.statute for p in proposals.values() if p.outcome == "keep")
    assert "avg_verzoeken" not in proposals, "the request file itself is not part of the student's data"
    assert erasure_outcome(list(proposals.values())) == "partial"


def test_r_ri_3_vo_pupil_three_years_after_leaving_policy_data_goes_statutory_data_stays():
    """R-RI-3 (issue 11): in a vo school only statutory duties are kept on 17(3)(b), each naming its law;
    policy periods that still run wait for staff's 17(1) decision; expired ones are erased."""
    left_on, today = D(2023, 7, 31), D(2026, 7, 31)
    proposals = {p.code: p for p in propose_erasures(list(SEED.values()), left_on, today)}
    kept = {code for code, p in proposals.items() if p.outcome == "keep"}
    assert kept == {"financieel", "diploma"}
    assert "AWR art. 52 lid 4" in proposals["financieel"].statute
    assert "Archiefwet" in proposals["diploma"].statute
    assert {code for code, p in proposals.items() if p.outcome == "decide"} == {"inschrijving", "verzuim"}
    assert {"leerlingdossier", "zorg", "cijfers", "schoolexamen", "verwijzing", "beeldmateriaal"} <= {
        code for code, p in proposals.items() if p.outcome == "erase"}
    assert erasure_outcome(list(proposals.values())) is None, "undecided until staff decide"


KEEP_TEXTS = [
    ("R-RI-3 a statutory keep says the law obliges", "art17_3_b", "wettelijke plicht"),
    ("R-RI-3 a policy keep never says the law obliges", "no_17_1_ground", "geen van de gronden"),
]


@pytest.mark.parametrize(("ground", "text"), [c[1:] for c in KEEP_TEXTS], ids=[c[0] for c in KEEP_TEXTS])
def test_keep_grounds_say_what_is_true(ground, text):
    # The grounds are lazy texts; outside an app they read as their Dutch source, which is what a Dutch
    # reader gets (Dutch is the source language: there is no Dutch catalogue), so no app is needed.
    assert text in KEEP_GROUNDS[ground]
    if ground == "no_17_1_ground":
        assert "wettelijke" not in KEEP_GROUNDS[ground]


DECISIONS = [
    # (id, outcome, ground, basis, choice, expected (outcome, ground, erase_ground) or error)
    ("R-RI-3 policy period: no longer necessary erases (17(1)(a))", "decide", None, "6_1_e", "17_1_a",
     ("erase", None, "17_1_a")),
    ("R-RI-3 policy period: unlawful erases (17(1)(d))", "decide", None, "6_1_c", "17_1_d", ("erase", None, "17_1_d")),
    ("R-RI-3 policy period: objection to public task erases (17(1)(c))", "decide", None, "6_1_e", "17_1_c",
     ("erase", None, "17_1_c")),
    ("R-RI-3 policy period: no ground kept truthfully, not 'legal obligation'", "decide", None, "6_1_e", "none",
     ("keep", "no_17_1_ground", None)),
    ("R-RI-3 enrolled: a kept policy category can still be erased", "keep", "no_17_1_ground", "6_1_e", "17_1_a",
     ("erase", None, "17_1_a")),
    ("R-RI-3 a statutory duty is not overridden", "keep", "art17_3_b", "6_1_c", "17_1_a", "statutory"),
    ("R-RI-3 objection (17(1)(c)) not against a legal obligation", "decide", None, "6_1_c", "17_1_c",
     "objection_basis"),
    ("R-CH-8 consent withdrawn (17(1)(b)) only for consent-based data", "decide", None, "6_1_e", "17_1_b",
     "consent_basis"),
    ("R-CH-8 consent-based data is never kept on 'no ground'", "decide", None, "6_1_a", "none", "consent"),
    ("unknown choice", "decide", None, "6_1_e", "17_3_b", "choice"),
]


@pytest.mark.parametrize(("outcome", "ground", "basis", "choice", "expected"), [c[1:] for c in DECISIONS],
                         ids=[c[0] for c in DECISIONS])
def test_decide_item(outcome, ground, basis, choice, expected):
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            decide_item(outcome, ground, basis, choice)
    else:
        assert decide_item(outcome, ground, basis, choice) == expected


PERIODS = [
    # (id, category, school type, months, statutory)
    ("R-RI-3 §6 po verzuim: 5 years, statutory", "verzuim", "po", 60, True),
    ("R-RI-3 §6 vo verzuim: 5 years, policy (unverified for vo)", "verzuim", "vo", 60, False),
    ("R-RI-3 §6 mbo inschrijving: policy", "inschrijving", "mbo", 60, False),
    ("R-RI-3 §6 mbo exam data: 1.5 years, policy (Inspectie guidance, no statute)", "centraal_examen", "mbo", 18,
     False),
    ("R-RI-3 §6 vo central exam: 6 months, statutory (Eindexamenbesluit VO art. 57)", "centraal_examen", "vo", 6,
     True),
    ("R-RI-3 ASG default: 2 years after leaving for most data, policy", "leerlingdossier", "po", 24, False),
    ("R-RI-3 ASG default: 7 years for financial data, statutory", "financieel", "mbo", 84, True),
]


@pytest.mark.parametrize(("code", "school_type", "months", "statutory"), [c[1:] for c in PERIODS],
                         ids=[c[0] for c in PERIODS])
def test_periods_per_school_type_have_a_source(code, school_type, months, statutory):
    r = _seed(school_type)[code]
    assert (r.months, r.is_statutory) == (months, statutory)
    assert r.note.strip(), "every period names its source"
    if not statutory:
        assert "wettelijke termijn" in r.note.lower() or "beleid" in r.note.lower()


def test_an_unsourced_period_is_policy():
    base = RetentionRule("x", "x", "6_1_c", "after_leaving", 24, "", statutory=True)
    assert not rule_for_school_type(base, {}, "vo").is_statutory
    assert not rule_for_school_type(base, {"po": PeriodSpec(60, True, "")}, "po").is_statutory
    assert rule_for_school_type(base, {"po": PeriodSpec(60, True, "Wet X art. 1")}, "po").is_statutory


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
    ("fixed", 84, "7 jaar, gerekend vanaf het vertrek van de leerling"),
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
    ("fixed", 84, "for 7 years, counted from when the student left the school"),
    ("until_selectielijst", None, "national selection list (selectielijst)"),
    ("consent", None, "for as long as the consent applies"),
    ("after_closing", 6, "until 6 months after the request has been closed"),
])
def test_describe_retention_in_plain_english(kind, months, text):
    """For English letters (R-RI-1 (iii) retention in the requester's language)."""
    assert text in describe_retention(kind, months, "en")
    with pytest.raises(ValueError):
        describe_retention("forever", None, "en")


@pytest.mark.parametrize(("statutory", "language", "text"), [
    (True, "nl", "(wettelijke bewaarplicht)"), (False, "nl", "(beleid van de school, geen wettelijke plicht)"),
    (True, "en", "(a legal duty)"), (False, "en", "(the school's own policy, not a legal duty)"),
], ids=["R-RI-3 nl statutory", "R-RI-3 nl policy", "R-RI-3 en statutory", "R-RI-3 en policy"])
def test_describe_retention_tells_statute_from_policy(statutory, language, text):
    assert describe_retention("after_leaving", 24, language, statutory).endswith(text)
    assert "wettelijke" not in describe_retention("consent", None, "nl", True)
