"""Snapshot tests of every letter in ``templates/letters/en/`` (R-LT-1..4, R-RI-1) for requesters who chose
English: the same variants as tests/test_letter_snapshots.py, rendered in English from transient objects,
with the sentences dsr writes itself in English (``workflows.letter_phrases``) and the grounds translated
as the letter path does it (``force_locale("en")``); each is checked with the English validator.

Update after an intended wording change, then read every changed letter before committing::

    DSR_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_letter_snapshots_en.py -p no:cacheprovider
    git diff tests/snapshots/letters/en/
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask_babel import force_locale

from dsr import TEMPLATE_DIR
from dsr.models import RightDecision
from dsr.services import letters as service
from dsr.workflows import letters as L
from dsr.workflows import states as S
from dsr.workflows.letter_phrases import phrases_for
from dsr.workflows.letters import ListedItem, long_date, missing_elements
from dsr.workflows.retention import KEEP_GROUNDS
from dsr.workflows.vocabulary import GRANT, PARTIAL, REFUSAL_GROUNDS, REFUSE
from tests.letter_variants import (
    DIRECTOR,
    DUO,
    EXAM,
    FIXED_CONFIG,
    GRADES,
    OSO,
    PHOTOGRAPHER,
    REFERENCE,
    SNAPSHOT_DIR,
    TODAY,
    UPDATE,
    VARIANTS,
    ZORG,
    approved_by,
    child_case,
    decided,
    document,
    info_case,
    make_case,
    outcome,
    refusal_case,
    render_variant,
)

EN_DIR = SNAPSHOT_DIR / "en"
SAY = phrases_for("en")


def english_variants() -> dict[str, dict]:
    """The variants of the Dutch snapshots with an English requester; call inside ``force_locale("en")``
    (the grounds come from the message catalogue, as in ``services.corrections.outcome_for_letter``)."""
    G = REFUSAL_GROUNDS
    case = lambda **v: make_case(language="en", **v)  # noqa: E731
    refused = lambda right="access", **v: refusal_case(right, language="en", **v)  # noqa: E731
    kept = ListedItem("Financiële gegevens", (G["art17_3_b"],), SAY["must_keep"].format(
        basis=" (Algemene wet inzake rijksbelastingen art. 52 lid 4; BW 2:10 lid 3)"), dt.date(2030, 7, 31),
        "for 7 years (a legal duty to keep them)")
    diploma = ListedItem("Diploma en cijferlijst", (G["art17_3_b"],), SAY["must_keep"].format(
        basis=" (Archiefwet; Eindexamenbesluit VO)"), None, SAY["until_selectielijst"])
    exception = ListedItem("Leveranciers van digitaal leermateriaal (lijst per school)",
                           reason=f"{SAY['exception_impossible']}: the supplier has gone bankrupt and no longer "
                                  "exists.")
    excessive = ListedItem(SAY["whole_request"], (G["art12_5"],),
                           "You have made the same request five times in the past eight weeks. On 12 January 2026 "
                           "we sent you all the data.")
    statute = "AWR art. 52 lid 4; BW 2:10 lid 3"
    kept_statute = ListedItem("Financiële gegevens", (f"{KEEP_GROUNDS['art17_3_b']} ({statute})",),
                              SAY["must_keep"].format(basis=f" ({statute})"), dt.date(2030, 7, 31),
                              "for 7 years, counted from when the student left the school")
    kept_policy = ListedItem("Inschrijving en persoonsgegevens", (KEEP_GROUNDS["no_17_1_ground"],),
                             SAY["still_needed_policy"], dt.date(2028, 7, 31),
                             "until 5 years after the student has left the school")
    withdrawn = SAY["withdrawn"].format(category="Foto's en video's",
                                        stopped="Photos of Sam on the website and in the newsletter",
                                        erased="All photos and videos of Sam in the image archive",
                                        ground=SAY["ground_17_1_b"])
    info = {"identity": "We cannot find your email address in our student records.",
            "authority": "Our records do not list you as a parent with parental authority over Sam.",
            "clarification": "Do you mean the whole student file, or only this school year's marks?"}
    reason = "The student file is kept in three systems and partly on paper in the archive."
    field = lambda f, c: {"field": f, "category": c}  # noqa: E731
    variants = {
        "receipt": {**VARIANTS["receipt"], "case": case()},
        **{name: {**spec, "case": case(state=S.AWAITING_REQUESTER, info_kind=spec["facts"]["info_kind"],
                                       info_requested_on=dt.date(2026, 2, 2),
                                       info_reason=info[spec["facts"]["info_kind"]]),
                  "facts": {**spec["facts"], "info_reason": info[spec["facts"]["info_kind"]]}}
           for name, spec in VARIANTS.items() if name.startswith("information_request_")},
        "extension": {**VARIANTS["extension"], "case": case(state=S.IDENTITY_CHECKED, extended=True,
                                                              due_on=dt.date(2026, 4, 28), extension_reason=reason),
                      "facts": {**VARIANTS["extension"]["facts"], "extension_reasons": reason}},
        "refusal_excessive": decided(L.REFUSAL, refused(), outcome(refused=(excessive,))),
        "refusal_approved_by_privacy_adviser": approved_by(
            decided(L.REFUSAL, refused(), outcome(refused=(excessive,))), "privacy_officer"),
        "refusal_appeal_bezwaar_only": {**decided(L.REFUSAL, refused(), outcome(refused=(excessive,))),
                                        "route": "bezwaar"},
        "refusal_appeal_rechtbank_only": {**decided(L.REFUSAL, refused(), outcome(refused=(excessive,))),
                                          "route": "rechtbank"},
        "refusal_objection_legal_obligation": decided(L.REFUSAL, refused("objection"), outcome(refused=(ListedItem(
            SAY["right_objection"], (SAY["ground_objection_legal_obligation"],),
            "The Compulsory Education Act (Leerplichtwet) requires the school to keep track of attendance and "
            "absence."),))),
        "refusal_portability": decided(L.REFUSAL, refused("portability"), outcome(refused=(ListedItem(
            SAY["right_portability"], (SAY["ground_portability_not_applicable"],),
            "The school uses the marks for its task as an educational institution."),))),
        "partial_refusal_access_learning_results": decided(L.PARTIAL_REFUSAL, case(
            state=S.PARTIALLY_FULFILLED, decision=PARTIAL, assessment_scope="learning_results",
            decision_grounds="student_16", student_birth_date=dt.date(2008, 9, 1)), outcome(
            refused=(ListedItem(SAY["not_learning_results"], (G["student_16"],),
                                "Sam is 17. Without Sam's written consent, you only receive the learning results."),))),
        "refusal_parent_of_adult": decided(L.REFUSAL, refused(decision_grounds="student_18",
                                                              student_birth_date=dt.date(2007, 5, 17)), outcome(
            refused=(ListedItem(SAY["whole_request"], (G["student_18"],),
                                "Sam is 18. Sam has not given consent."),))),
        "info_377c_age_12": {"kind": L.INFO_377C, "case": info_case(language="en"), "documents": [
            document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
        "info_377c_care_checked": {"kind": L.INFO_377C, "case": info_case(
            language="en", care_info="Since September, Sam has had extra help with arithmetic twice a week.",
            child_interest_checked_at=dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)),
            "documents": [document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
        # English has no "je" version yet: a student under 16 gets the English letter (the fallback).
        "receipt_child_je": {**VARIANTS["receipt_child_je"], "case": child_case(language="en")},
        "extension_child_je": {**VARIANTS["extension_child_je"], "case": child_case(
            language="en", state=S.IDENTITY_CHECKED, extended=True, due_on=dt.date(2026, 4, 28),
            extension_reason=reason),
            "facts": {**VARIANTS["extension_child_je"]["facts"], "extension_reasons": reason}},
        "refusal_child_je": decided(L.REFUSAL, child_case(language="en", right="erasure", state=S.REFUSED,
                                                          decision=REFUSE, director_id=DIRECTOR.id),
                                    outcome(refused=(kept,))),
        "refusal_child_je_rechtbank": {**decided(L.REFUSAL, child_case(language="en", right="erasure",
                                                                       state=S.REFUSED, decision=REFUSE,
                                                                       director_id=DIRECTOR.id),
                                                 outcome(refused=(kept,))), "route": "rechtbank"},
        "partial_refusal_child_je": decided(L.PARTIAL_REFUSAL, child_case(
            language="en", right="rectification", state=S.PARTIALLY_FULFILLED, decision=PARTIAL), outcome(
            actions=(SAY["changed_from"].format(old="14-03-2013", new="14-03-2014",
                                                **field("Geboortedatum", "Inschrijving en persoonsgegevens")),),
            notified=(DUO.name,),
            refused=(ListedItem("Opmerking van de mentor", (G["not_factual"],), SAY["opinion_reason"]),))),
        "completion_child_je": decided(L.COMPLETION, child_case(language="en", right="rectification",
                                                                state=S.FULFILLED, decision=GRANT), outcome(
            actions=(SAY["changed"].format(new="Stationsstraat 1, Almere",
                                           **field("Adres", "Inschrijving en persoonsgegevens")),),
            notified=(DUO.name,)), approved=False),
        "access_cover_child_je": {"kind": L.ACCESS_COVER, "case": child_case(
            language="en", state=S.LEGAL_BASIS_REVIEWED, decision=GRANT, assessment_scope="full"),
            "documents": [document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
        "partial_refusal_erasure": decided(L.PARTIAL_REFUSAL, case(
            right="erasure", requester_role="student", requester_name="Sam Jansen", state=S.PARTIALLY_FULFILLED,
            decision=PARTIAL), outcome(
            actions=tuple(SAY["erased"].format(category=c) for c in (
                "Leerlingdossier (algemeen)", "Zorg en ondersteuning", "Foto's en video's")),
            notified=(OSO.name, "Samenwerkingsverband passend onderwijs Almere"), exceptions=(exception,),
            refused=(kept, diploma), kept=(kept, diploma))),
        "partial_refusal_rectification_opinion": decided(L.PARTIAL_REFUSAL, case(
            right="rectification", requester_role="student", requester_name="Sam Jansen",
            state=S.PARTIALLY_FULFILLED, decision=PARTIAL), outcome(
            actions=(SAY["changed_from"].format(old="14-03-2008", new="14-03-2009",
                                                **field("Geboortedatum", "Inschrijving en persoonsgegevens")),
                     SAY["statement_added"].format(**field("Opmerking van de mentor", "Leerlingdossier (algemeen)"))),
            notified=(DUO.name,),
            refused=(ListedItem("Opmerking van de mentor", (G["not_factual"],), SAY["opinion_reason"]),))),
        "completion_rectification": decided(L.COMPLETION, case(right="rectification", state=S.FULFILLED,
                                                               decision=GRANT), outcome(
            actions=(SAY["changed_from"].format(old="Dorpsstraat 3, Almere", new="Stationsstraat 1, Almere",
                                                **field("Adres", "Inschrijving en persoonsgegevens")),),
            notified=(DUO.name, "Leerplicht en RMC, gemeente Almere", OSO.name), exceptions=(exception,)),
            approved=False),
        "completion_restriction": decided(L.COMPLETION, case(right="restriction", state=S.FULFILLED,
                                                             decision=GRANT), outcome(
            actions=("The absence data for March will only be stored while we check whether it is correct.",),
            notified=(DUO.name, "Leerplicht en RMC, gemeente Almere")), approved=False),
        "completion_no_recipients": decided(L.COMPLETION, case(right="rectification", state=S.FULFILLED,
                                                               decision=GRANT), outcome(
            actions=(SAY["changed"].format(new="Stationsstraat 1", **field("Factuuradres", "Financiële gegevens")),)),
            approved=False),
        "completion_objection_stopped": decided(L.COMPLETION, case(right="objection", state=S.FULFILLED,
                                                                   decision=GRANT), outcome(
            actions=("The school no longer uses the data in the practice programme for extra analyses.",)),
            approved=False),
        "partial_refusal_erasure_statute_and_policy": decided(L.PARTIAL_REFUSAL, case(
            right="erasure", requester_role="student", requester_name="Sam Jansen", state=S.PARTIALLY_FULFILLED,
            decision=PARTIAL), outcome(
            actions=tuple(SAY["erased_ground"].format(category=c, ground=SAY["ground_17_1_a"])
                          for c in ("Leerlingdossier (algemeen)", "Aanwezigheid en verzuim")),
            notified=(OSO.name, "Leerplicht en RMC, gemeente Almere"), notifies=True,
            refused=(kept_policy, kept_statute), kept=(kept_policy, kept_statute))),
        "completion_consent_withdrawal": decided(L.COMPLETION, case(
            right="consent_withdrawal", state=S.FULFILLED, decision=GRANT), outcome(
            actions=(withdrawn, "We no longer use photos of Sam."), notified=(PHOTOGRAPHER,), notifies=True,
            decision=RightDecision(outcome="withdrawn")), approved=False),
        "completion_objection_consent_withdrawn": decided(L.COMPLETION, case(
            right="objection", state=S.FULFILLED, decision=GRANT), outcome(
            actions=(withdrawn, "We no longer use photos of Sam."), notified=(PHOTOGRAPHER,), notifies=True,
            decision=RightDecision(outcome="consent_withdrawn")), approved=False),
        "access_cover_learning_results": {"kind": L.ACCESS_COVER, "case": case(
            state=S.LEGAL_BASIS_REVIEWED, decision=PARTIAL, assessment_scope="learning_results"),
            "documents": [document(1, "Rapport leerjaar 5", GRADES), document(2, "Cijferlijst centraal examen", EXAM)]},
        "access_cover_student_full": {"kind": L.ACCESS_COVER, "case": case(
            state=S.LEGAL_BASIS_REVIEWED, decision=GRANT, assessment_scope="full", requester_role="student",
            requester_name="Sam Jansen", parental_authority=None),
            "documents": [document(1, "Ontwikkelingsperspectief 2025", ZORG)]},
    }
    assert set(variants) == set(VARIANTS)
    return variants


@pytest.fixture
def render(app):
    saved = {key: app.config.get(key) for key in FIXED_CONFIG}
    with app.app_context(), force_locale("en"):
        variants = english_variants()
    yield lambda name: render_variant(app, name, variants, "en")
    app.config.update(saved)


def test_every_letter_and_partial_has_an_english_text():
    dutch = {p.name for p in (TEMPLATE_DIR / "letters" / "nl").glob("*.txt")}
    assert {p.name for p in (TEMPLATE_DIR / "letters" / "en").glob("*.txt")} == dutch


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_english_letter_matches_snapshot(render, name):
    draft = render(name)
    assert draft.language == "en"
    path = EN_DIR / f"{name}.txt"
    content = f"Title: {draft.title}\n\n{draft.text}"
    if UPDATE:
        EN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no snapshot {path}; run with DSR_UPDATE_SNAPSHOTS=1"
    assert content == path.read_text(encoding="utf-8"), f"{name} differs; DSR_UPDATE_SNAPSHOTS=1 and review"


def test_no_stale_english_snapshots():
    stale = {p.stem for p in EN_DIR.glob("*.txt")} - set(VARIANTS) if EN_DIR.exists() else set()
    if UPDATE:
        for name in stale:
            (EN_DIR / f"{name}.txt").unlink()
        return
    assert not stale


#: Dutch words that must not turn up in an English letter outside names, register texts and the Dutch
#: terms the letter explains (bezwaar, verzoekschrift, rechtbank, gezagsregister, selectielijst, ...).
DUTCH_WORDS = re.compile(r"\b(uw|wij|niet|gegevens van|verzoek om|bewaren|maandag|dinsdag|woensdag|donderdag|"
                         r"vrijdag|januari|februari|maart|mei|juni|juli|augustus|oktober|Wettelijke grond|"
                         r"Ons kenmerk|Datum|Beste|pagina)\b")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_english_letter_has_its_mandatory_elements(render, name):
    draft = render(name)
    assert draft.missing == (), draft.problems
    text = draft.text
    assert REFERENCE in text and f"Date: {long_date(TODAY, 'en')}\n" in text and "ibp@asg.nl" in text
    assert text.startswith("Almeerse Scholen Groep\nOBS De Regenboog\nPostbus 60276, 1320 AH Almere\n")
    assert "Dear Alex Jansen,\n" in text or "Dear Sam Jansen,\n" in text
    assert "\n\n\n" not in text and not re.search(r"[ \t]+\n", text) and "{{" not in text and "None" not in text
    assert not re.search(r"\bR-[A-Z]{2}-\d", text) and "⚠" not in text
    register_texts = "\n".join(c.description + c.purpose + c.source + c.name for c in (GRADES, EXAM, ZORG))
    prose = "\n".join(line for line in text.splitlines()
                      if not line.startswith(("- Which data:", "- What for:", "- Where it comes from:", "## ", "- "))
                      or line.startswith(("- You can", "- log in", "- reply", "- come", "- request", "- or send")))
    found = {m.group(0) for m in DUTCH_WORDS.finditer(prose) if m.group(0) not in register_texts}
    assert not found, f"Dutch in the English letter: {found}"


@pytest.mark.parametrize("name", sorted(n for n, s in VARIANTS.items() if s["kind"] in (L.REFUSAL, L.PARTIAL_REFUSAL)))
def test_english_refusals_name_items_grounds_ap_and_the_routes(render, name):
    draft = render(name)
    text, route = draft.text, VARIANTS[name].get("route", "bezwaar")
    for item in draft.facts.refused_items:
        assert f"## {item.name}\n" in text and item.reason in text
        for ground in item.grounds:
            assert f"Legal ground: {ground}." in text
    assert "Autoriteit Persoonsgegevens, the Dutch Data Protection Authority" in text and L.AP_ADDRESS in text
    # R-LT-1: exactly the school's route, never both, never a choice.
    assert ("lodge a notice of objection (bezwaarschrift) against this decision" in text) == (route == "bezwaar")
    assert ("file a petition (verzoekschrift) with the district court (rechtbank) within six weeks" in text) == (
        route == "rechtbank")
    assert ("article 35 of the Dutch GDPR Implementation Act" in text) == (route == "rechtbank")
    assert "you only need to choose one" not in text
    approver = ("the privacy adviser of Almeerse Scholen Groep" if name.endswith("privacy_adviser")
                else "the director of OBS De Regenboog")
    assert f"after approval by {approver}, Ingrid Visser, on Thursday 26 February 2026" in text


def test_english_grounds_come_from_the_catalogue(render):
    assert "Legal ground: Art. 12(5) GDPR: a manifestly unfounded or excessive request." in render(
        "refusal_excessive").text
    assert "Legal ground: Art. 17(3)(b) GDPR" in render("partial_refusal_erasure").text


@pytest.mark.parametrize(("name", "element", "code"), [
    ("refusal_excessive", "Autoriteit Persoonsgegevens", "LT1_MISSING_COMPLAINT_RIGHT"),
    ("refusal_excessive", "notice of objection (bezwaarschrift)", "LT1_MISSING_OBJECTION_ROUTE"),
    ("refusal_appeal_rechtbank_only", "district court", "LT1_MISSING_COURT_ROUTE"),
    ("refusal_excessive", "after approval by the director", "LT1_MISSING_DIRECTOR_APPROVAL"),
    ("refusal_portability", "request access", "LT1_MISSING_ACCESS_OFFER"),
    ("information_request_identity_suspended", "You do not need to send a copy of your identity document",
     "LT3_MISSING_OPTIONS"),
    ("information_request_identity_suspended", "is paused", "LT3_MISSING_CLOCK"),
    ("information_request_clarification_running", "keeps running", "LT3_MISSING_CLOCK"),
    ("completion_no_recipients", "We have not given this data to anyone outside the school", "LT4_MISSING_RECIPIENTS"),
    ("access_cover_student_full", "automated decisions about students", "RI1_MISSING_AUTOMATED_DECISIONS"),
    ("access_cover_student_full", "processes data about", "RI1_MISSING_CONFIRMATION"),
    ("receipt", "Monday 2 March 2026", "RC_MISSING_DEADLINE"),
])
def test_an_english_letter_without_an_element_is_refused(render, name, element, code):
    """The rendered English letter with one element edited out is refused with that element's code
    (docs/legal.md R-LT-1 test: a letter missing the AP line -> LT1_MISSING_COMPLAINT_RIGHT)."""
    draft = render(name)
    assert element in draft.text
    assert code in missing_elements(draft.facts, draft.text.replace(element, "..."), "en")
    assert missing_elements(draft.facts, draft.text, "en") == []


def test_an_english_letter_is_not_passed_by_the_dutch_check(render):
    """The check follows the language: the Dutch markers are not in an English letter."""
    draft = render("refusal_excessive")
    assert "LT1_MISSING_DIRECTOR_APPROVAL" in missing_elements(draft.facts, draft.text, "nl")
    assert "LT1_MISSING_DATE" in missing_elements(draft.facts, draft.text, "nl")


def test_english_pdf_reads_back_with_an_english_footer(render):
    from pypdf import PdfReader

    for name in ("refusal_excessive", "partial_refusal_erasure", "access_cover_learning_results"):
        draft = render(name)
        data = service.pdf_bytes(draft.title, draft.text, reference=REFERENCE, author="Almeerse Scholen Groep",
                                 language="en")
        reader = PdfReader(io.BytesIO(data))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert f"page 1 of {len(reader.pages)}" in text and "pagina" not in text
        assert "Dear " in text and reader.metadata.title == draft.title


def test_english_describes_retention(render):
    text = render("access_cover_learning_results").text
    assert "- How long we keep it: until 6 months after the student has left the school" in text
    assert "- Why this is allowed: The law requires the school to process this data (Article 6(1)(c) GDPR)." in text
    assert "This letter comes with 2 files:" in text
    assert "Yes, Almeerse Scholen Groep processes data about Sam Jansen." in text
    student = render("access_cover_student_full").text
    assert "processes data about you." in student and "This letter comes with 1 file:" in student
    assert "Who else receives it: no one outside the school" in student
    assert "We will keep this data until Wednesday 31 July 2030; after that we will delete it." in render(
        "partial_refusal_erasure").text
    assert DIRECTOR.name in render("refusal_excessive").text
