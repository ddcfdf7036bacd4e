"""Issue 11 (b), pure and table-driven by rule id: the one appeal route with the Awb 6:5 elements (R-LT-1), the
student's consent route after a refusal on age (R-CH-3, R-CH-4), the BW 1:377c information letter (R-CH-5),
only the rights a requester has and named recipients (R-RI-1), the school's contact details wherever a letter
says "bel" or "kom langs" (point 11), the refusal grounds that name their basis, and how staff grant a 1:377c
case (the review accepts "grant" for an "info_only" assessment)."""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.workflows import letters as L
from dsr.workflows.letter_markers import MARKERS, VARIANT_MARKERS, mentions
from dsr.workflows.letters import LetterFacts, ListedItem, long_date, missing_elements
from dsr.workflows.machine import problem
from dsr.workflows.policy import assess
from dsr.workflows.vocabulary import APPEAL_ROUTES, CONSENT_GROUNDS, GROUND_LABELS, REFUSAL_GROUNDS
from tests.workflows.helpers import ACTORS, IDENTITY_CHECKED, REASON, case_for

TODAY = dt.date(2026, 2, 27)
REF = "AVG-2026-00042"
CONTACT = "ibp@asg.nl"
AP = f"{L.AP_NAME}, {L.AP_ADDRESS}."


def base(kind: str, **facts) -> LetterFacts:
    return LetterFacts(kind=kind, reference=REF, letter_date=TODAY, contact=CONTACT, **facts)


def _with(facts: LetterFacts, **change) -> LetterFacts:
    return LetterFacts(**{**facts.__dict__, **change})


# ---- R-LT-1: exactly the school's route ----------------------------------------------------------------------

TEXTS = {
    "nl": {
        "common": f"Datum: {long_date(TODAY)}\nOns kenmerk: {REF}\nVragen? Mail {CONTACT}.\n## Item X\nReden.\n"
                  f"Wettelijke grond: Grond.\nna goedkeuring door de directeur.\n{AP}\n",
        "bezwaar": "U kunt een bezwaarschrift tegen dit besluit indienen (Algemene wet bestuursrecht), binnen zes "
                   "weken.\nIn uw bezwaarschrift zet u: uw naam en adres; de datum; het kenmerk; waarom u het niet "
                   "eens bent; uw handtekening.\n",
        "rechtbank": "Dien binnen zes weken een verzoekschrift in bij de rechtbank (artikel 35 Uitvoeringswet AVG).\n",
        "elements": MARKERS["nl"].objection_elements,
    },
    "en": {
        "common": f"Date: {long_date(TODAY, 'en')}\nOur reference: {REF}\nQuestions? Email {CONTACT}.\n## Item X\n"
                  f"Reden.\nLegal ground: Grond.\nafter approval by the director.\n{AP}\n",
        "bezwaar": "You can lodge a notice of objection (bezwaarschrift) under the General Administrative Law Act "
                   "(Algemene wet bestuursrecht), within six weeks.\nIt must contain your name and address, the date, "
                   "the reference, why you disagree and your signature.\n",
        "rechtbank": "File a petition with the district court within six weeks (article 35 of the Dutch GDPR "
                     "Implementation Act).\n",
        "elements": MARKERS["en"].objection_elements,
    },
}
REFUSAL = base("refusal", right="access", refused_items=(ListedItem("Item X", ("Grond",), "Reden."),),
               director_approved=True)
ROUTE_ROWS = []
for lang in ("nl", "en"):
    t = TEXTS[lang]
    ROUTE_ROWS += [
        (f"R-LT-1 {lang}: bezwaar school, bezwaar letter", "bezwaar", t["common"] + t["bezwaar"], lang, []),
        (f"R-LT-1 {lang}: rechtbank school, court letter", "rechtbank", t["common"] + t["rechtbank"], lang, []),
        (f"R-LT-1 {lang}: bezwaar school, both routes named", "bezwaar",
         t["common"] + t["bezwaar"] + t["rechtbank"], lang, ["LT1_OTHER_ROUTE"]),
        (f"R-LT-1 {lang}: rechtbank school, both routes named", "rechtbank",
         t["common"] + t["bezwaar"] + t["rechtbank"], lang, ["LT1_OTHER_ROUTE"]),
        (f"R-LT-1 {lang}: rechtbank school, bezwaar letter", "rechtbank", t["common"] + t["bezwaar"], lang,
         ["LT1_MISSING_COURT_ROUTE", "LT1_OTHER_ROUTE"]),
        (f"R-LT-1 {lang}: bezwaar school, court letter", "bezwaar", t["common"] + t["rechtbank"], lang,
         ["LT1_MISSING_OBJECTION_ROUTE", "LT1_MISSING_OBJECTION_ELEMENTS", "LT1_OTHER_ROUTE"]),
        (f"R-LT-1 {lang}: an unknown route reads as bezwaar", "both", t["common"] + t["bezwaar"], lang, []),
    ]
    for element in t["elements"]:
        ROUTE_ROWS.append((f"R-LT-1 {lang}: Awb 6:5 element missing: {element}", "bezwaar",
                           t["common"] + t["bezwaar"].replace(element, "..."), lang,
                           ["LT1_MISSING_OBJECTION_ELEMENTS"]))


@pytest.mark.parametrize(("route", "text", "language", "codes"), [r[1:] for r in ROUTE_ROWS],
                         ids=[r[0] for r in ROUTE_ROWS])
def test_r_lt_1_exactly_the_schools_route(route, text, language, codes):
    assert missing_elements(_with(REFUSAL, appeal_route=route), text, language) == codes


def test_r_lt_1_both_is_no_longer_a_route():
    assert APPEAL_ROUTES == ("bezwaar", "rechtbank") and L.APPEAL_ROUTES == APPEAL_ROUTES
    assert LetterFacts(kind="refusal").appeal_route == "bezwaar"


# ---- R-CH-3 / R-CH-4: how the student can consent --------------------------------------------------------------

NL_REFUSAL = TEXTS["nl"]["common"] + TEXTS["nl"]["bezwaar"]
CONSENT = "Sam kan toestemming geven via een persoonlijke link.\n"
CONSENT_ROWS = [
    ("R-CH-3 refused on age: consent route explained", True, NL_REFUSAL + CONSENT, []),
    ("R-CH-3 refused on age: consent route missing", True, NL_REFUSAL, ["LT1_MISSING_CONSENT_ROUTE"]),
    ("R-CH-4 refused on age: consent without the link", True, NL_REFUSAL + "Sam kan toestemming geven.\n",
     ["LT1_MISSING_CONSENT_ROUTE"]),
    ("R-LT-1 another ground: no consent route needed", False, NL_REFUSAL, []),
]


@pytest.mark.parametrize(("consent", "text", "codes"), [r[1:] for r in CONSENT_ROWS], ids=[r[0] for r in CONSENT_ROWS])
def test_r_ch_3_4_refusal_on_age_explains_consent(consent, text, codes):
    assert missing_elements(_with(REFUSAL, consent_route=consent), text) == codes


GROUND_ROWS = [
    ("R-CH-3 16-17: ASG's statement and the AP", "student_16", ("16 jaar", "privacyverklaring van ASG",
                                                                 "Autoriteit Persoonsgegevens", "toestemming")),
    ("R-CH-4 18+: only with the student's consent", "student_18", ("18 jaar", "toestemming van de leerling",
                                                                    "privacyverklaring van ASG", "1:233 BW")),
    ("R-CH-5 no gezag: BW 1:377c", "no_gezag", ("geen ouderlijk gezag", "1:377c BW")),
]


@pytest.mark.parametrize(("key", "words"), [r[1:] for r in GROUND_ROWS], ids=[r[0] for r in GROUND_ROWS])
def test_refusal_grounds_name_their_basis(key, words):
    label = REFUSAL_GROUNDS[key]
    assert all(w in label for w in words), label
    assert "gezien de leeftijd" not in label


def test_the_vague_ground_is_retired_but_stays_readable():
    assert "no_authority" not in REFUSAL_GROUNDS
    assert "gezien de leeftijd" in GROUND_LABELS["no_authority"]
    assert set(GROUND_LABELS) == set(REFUSAL_GROUNDS) | {"no_authority"}
    assert set(CONSENT_GROUNDS) <= set(REFUSAL_GROUNDS)


@pytest.mark.parametrize(("grounds", "expected"), [
    (["no_authority"], "Kies bij een (gedeeltelijke) weigering"),
    (["student_16"], None),
], ids=["R-CH-3 the retired ground cannot ground a new decision", "R-CH-3 the named ground can"])
def test_review_accepts_only_current_grounds(grounds, expected):
    case = case_for(IDENTITY_CHECKED)
    found = problem(case, "review", ACTORS["staff_own"], {"decision": "partial", "grounds": grounds, "reason": REASON})
    assert (found or "").startswith(expected or "") and (found is None) == (expected is None)


# ---- R-CH-5: BW 1:377c ------------------------------------------------------------------------------------------

NO_GEZAG_12 = assess(right="access", requester="parent", birth_date=dt.date(2013, 9, 1), on=TODAY,
                     parental_authority=False)


@pytest.mark.parametrize(("decision", "grounds", "ok"), [
    ("grant", [], True), ("partial", ["no_gezag"], True), ("refuse", ["no_gezag"], True),
], ids=["R-CH-5 grant = give the 1:377c information", "R-CH-5 partial", "R-CH-5 refuse"])
def test_r_ch_5_review_of_a_parent_without_gezag(decision, grounds, ok):
    assert NO_GEZAG_12.outcome == "info_only"
    case = case_for(IDENTITY_CHECKED)
    data = {"decision": decision, "grounds": grounds, "reason": REASON, "assessment": NO_GEZAG_12}
    assert (problem(case, "review", ACTORS["staff_own"], data) is None) == ok


def test_r_ch_3_a_17_year_old_still_blocks_a_full_grant():
    partial = assess(right="access", requester="parent", birth_date=dt.date(2008, 9, 1), on=TODAY)
    case = case_for(IDENTITY_CHECKED)
    assert problem(case, "review", ACTORS["staff_own"],
                   {"decision": "grant", "reason": REASON, "assessment": partial}) is not None


INFO_TEXT = (f"Datum: {long_date(TODAY)}\nOns kenmerk: {REF}\nMail {CONTACT}.\n"
             "Informatie op grond van artikel 1:377c Burgerlijk Wetboek. Dit is geen kopie van het leerlingdossier.\n"
             "- Rapport leerjaar 1\nDit recht geldt tot 18 jaar.\nKlacht: Autoriteit Persoonsgegevens.\n")
INFO = base("info_377c", right="access", documents=("Rapport leerjaar 1",), student_age=12, scope="learning_results")
CARE = "Sam krijgt extra begeleiding bij rekenen."
INFO_ROWS = [
    ("R-CH-5 a complete 1:377c letter", INFO, INFO_TEXT, []),
    ("R-CH-5 no basis", INFO, INFO_TEXT.replace("1:377c", "..."), ["IC_MISSING_BASIS"]),
    ("R-CH-5 presented as a copy", INFO, INFO_TEXT.replace("geen kopie van het leerlingdossier", "een kopie"),
     ["IC_MISSING_NOT_A_COPY"]),
    ("R-CH-5 silent on the end at 18", INFO, INFO_TEXT.replace("tot 18 jaar", "voorlopig"), ["IC_MISSING_END"]),
    ("R-CH-5 ends at 18", _with(INFO, student_age=18), INFO_TEXT, ["IC_ENDED"]),
    ("R-CH-5 care information without a recorded check", _with(INFO, care_info=CARE), INFO_TEXT + CARE,
     ["IC_CARE_WITHOUT_CHECK"]),
    ("R-CH-5 care information after the check", _with(INFO, care_info=CARE, child_interest_checked=True),
     INFO_TEXT + CARE, []),
    ("R-CH-5 checked care information left out of the text", _with(INFO, care_info=CARE, child_interest_checked=True),
     INFO_TEXT, ["IC_CARE_WITHOUT_CHECK"]),
    ("R-CH-5 the Art. 15 confirmation is not this parent's", INFO,
     INFO_TEXT + "ASG verwerkt gegevens over Sam.", ["IC_GDPR_RIGHTS"]),
    ("R-CH-5 no documents listed", INFO, INFO_TEXT.replace("Rapport leerjaar 1", "..."), ["IC_MISSING_DOCUMENTS"]),
    ("R-CH-5 no AP", INFO, INFO_TEXT.replace(L.AP_NAME, "..."), ["IC_MISSING_COMPLAINT_RIGHT"]),
]


@pytest.mark.parametrize(("facts", "text", "codes"), [r[1:] for r in INFO_ROWS], ids=[r[0] for r in INFO_ROWS])
def test_r_ch_5_the_377c_letter(facts, text, codes):
    assert missing_elements(facts, text) == codes


# ---- R-RI-1: only the requester's rights, named recipients ------------------------------------------------------

CATEGORY = L.CategoryInfo("Cijfers", "Onderwijs geven.", "2 jaar", "Docenten.")
COVER = base("access_cover", right="access", documents=("Rapport",), categories=(CATEGORY,),
             recipients=("Uitgeverij Noordhoff",))
COVER_TEXT = (f"Datum: {long_date(TODAY)}\nOns kenmerk: {REF}\nMail {CONTACT}.\nASG verwerkt gegevens over Sam.\n"
              "- Rapport\n## Cijfers\nOnderwijs geven.\n2 jaar\nDocenten.\nUitgeverij Noordhoff\n"
              f"verbeteren, verwijderen, beperken, bezwaar\n{L.AP_NAME}\ngeautomatiseerde besluiten\n")
OWN = "Deze rechten heeft de leerling zelf. Over uw eigen gegevens heeft u ze wel.\n"
COVER_ROWS = [
    ("R-RI-1 full scope: the rights listed", COVER, COVER_TEXT, []),
    ("R-RI-1 learning results: the rights are the student's", _with(COVER, scope="learning_results"),
     COVER_TEXT + OWN, []),
    ("R-RI-1 learning results: rights offered as the parent's", _with(COVER, scope="learning_results"),
     COVER_TEXT, ["RI1_WRONG_RIGHTS"]),
    ("R-RI-1 Art. 15(1)(c): an unnamed recipient", _with(COVER, unnamed_recipients=("Leveranciers",)),
     COVER_TEXT, ["RI1_UNNAMED_RECIPIENT"]),
]


@pytest.mark.parametrize(("facts", "text", "codes"), [r[1:] for r in COVER_ROWS], ids=[r[0] for r in COVER_ROWS])
def test_r_ri_1_rights_and_named_recipients(facts, text, codes):
    assert missing_elements(facts, text) == codes


# ---- point 11: contact details wherever a letter says "bel" or "kom langs" --------------------------------------

RECEIPT = base("receipt", received_on=dt.date(2026, 1, 30), due_on=dt.date(2026, 3, 2))
RECEIPT_TEXT = (f"Datum: {long_date(TODAY)}\nOns kenmerk: {REF}\nMail {CONTACT}.\n"
                f"Ontvangen {long_date(dt.date(2026, 1, 30))}, antwoord {long_date(dt.date(2026, 3, 2))}.\n")
PHONE, VISIT = "036 123 45 67", "Regenboogweg 1, Almere"
CONTACT_ROWS = [
    ("R-LT-1 point 11: no 'bel', no number needed", RECEIPT, RECEIPT_TEXT, "nl", []),
    ("R-LT-1 point 11: 'belangrijk' is not a call", RECEIPT, RECEIPT_TEXT + "Belangrijk: bewaar deze brief.", "nl", []),
    ("R-LT-1 point 11: 'bel' without the number", RECEIPT, RECEIPT_TEXT + "Bel ons gerust.", "nl",
     ["RC_MISSING_PHONE"]),
    ("R-LT-1 point 11: 'bel' with the number", _with(RECEIPT, phone=PHONE), RECEIPT_TEXT + f"Bel ons: {PHONE}.",
     "nl", []),
    ("R-LT-1 point 11: the number known but not written", _with(RECEIPT, phone=PHONE), RECEIPT_TEXT + "Bel ons.",
     "nl", ["RC_MISSING_PHONE"]),
    ("R-LT-1 point 11: 'kom langs' without the address", RECEIPT, RECEIPT_TEXT + "Kom gerust langs op school.",
     "nl", ["RC_MISSING_VISITING_ADDRESS"]),
    ("R-LT-1 point 11: 'langskomen' with the address", _with(RECEIPT, visiting_address=VISIT),
     RECEIPT_TEXT + f"U kunt ook langskomen: {VISIT}.", "nl", []),
    ("R-LT-1 point 11 en: 'call' without the number", RECEIPT,
     RECEIPT_TEXT.replace(long_date(TODAY), long_date(TODAY, "en"))
     .replace(long_date(dt.date(2026, 1, 30)), long_date(dt.date(2026, 1, 30), "en"))
     .replace(long_date(dt.date(2026, 3, 2)), long_date(dt.date(2026, 3, 2), "en")) + "Or call the school.", "en",
     ["RC_MISSING_PHONE"]),
]


@pytest.mark.parametrize(("facts", "text", "language", "codes"), [r[1:] for r in CONTACT_ROWS],
                         ids=[r[0] for r in CONTACT_ROWS])
def test_point_11_contact_details(facts, text, language, codes):
    assert missing_elements(facts, text, language) == codes


@pytest.mark.parametrize(("text", "calls", "visits"), [
    ("Bel de school.", True, False), ("bellen kan ook", True, False), ("Belangrijk", False, False),
    ("Kom gerust even langs.", False, True), ("Kom naar de balie.", False, False), ("langskomen", False, True),
], ids=lambda v: str(v))
def test_point_11_what_counts_as_bel_or_kom_langs(text, calls, visits):
    m = MARKERS["nl"]
    assert (mentions(text, m.calls), mentions(text, m.visits)) == (calls, visits)


def test_point_11_the_je_markers_differ_only_where_u_becomes_je():
    je, nl = VARIANT_MARKERS["nl_je"], MARKERS["nl"]
    assert je.objection == nl.objection and je.court == nl.court and je.director == nl.director
    assert all(e.startswith(("je ", "de ", "het ", "waarom je")) for e in je.objection_elements)
    assert L.markers_for("nl_je") is je and L.markers_for("xx") is nl
