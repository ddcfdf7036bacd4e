"""Mandatory elements of English letters (docs/legal.md §7 R-LT-1..4, §5 R-RI-1, R-RI-6): pure, table-driven by
rule id, like tests/workflows/test_letters.py for Dutch.

Each case starts from an English letter that has everything and removes one element; the English check
(``missing_elements(..., language="en")``) must name exactly that element. The rendered English templates
are checked against the same rules in tests/test_letter_snapshots_en.py.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.templating import long_date as template_long_date
from dsr.workflows import letters as L
from dsr.workflows.letter_markers import MARKERS
from dsr.workflows.letters import CategoryInfo, LetterFacts, ListedItem, long_date, missing_elements

EN = MARKERS["en"]
D = dt.date
TODAY = D(2026, 2, 27)
REF = "AVG-2026-00042"
CONTACT = "ibp@asg.nl"
COMMON = f"Date: {long_date(TODAY, 'en')}\nOur reference: {REF}\nQuestions? Email {CONTACT}.\n"
APPEAL = ("You can lodge a notice of objection (bezwaarschrift) against this decision under the General "
          "Administrative Law Act (Algemene wet bestuursrecht). Do so within six weeks.\n"
          "It must contain your name and address, the date, the reference, why you disagree and your signature.\n"
          f"- Complaint: {L.AP_NAME}, the Dutch Data Protection Authority, {L.AP_WEBSITE}, {L.AP_ADDRESS}.\n")
COURT = ("You can file a petition (verzoekschrift) with the district court (rechtbank) within six weeks (article 35 "
         "of the Dutch GDPR Implementation Act).\n"
         f"- Complaint: {L.AP_NAME}, the Dutch Data Protection Authority, {L.AP_WEBSITE}, {L.AP_ADDRESS}.\n")
GROUND = "Art. 12(5) GDPR: a manifestly unfounded or excessive request"
REASON = "The same request five times in eight weeks."
KEPT = ListedItem("Financiële gegevens", ("Art. 17(3)(b) GDPR",), "The school still has to keep this data.",
                  D(2030, 7, 31))


def base(kind: str, **facts) -> LetterFacts:
    return LetterFacts(kind=kind, reference=REF, letter_date=TODAY, contact=CONTACT, **facts)


def _with(facts: LetterFacts, **change) -> LetterFacts:
    return LetterFacts(**{**facts.__dict__, **change})


def _without(text: str, *parts: str) -> str:
    for part in parts:
        assert part in text, part
        text = text.replace(part, "")
    return text


REFUSAL = base("refusal", right="access", refused_items=(ListedItem("Your request", (GROUND,), REASON),),
               director_approved=True)
REFUSAL_TEXT = (f"{COMMON}## Your request\n{REASON}\nLegal ground: {GROUND}.\nThis decision was taken after approval "
                f"by the director.\n{APPEAL}")
PORTABILITY = _with(REFUSAL, right="portability")
PORTABILITY_TEXT = REFUSAL_TEXT + "Would you like a copy of the data? Then request access; it is free of charge.\n"
COMPLETION = base("completion", right="rectification", actions=("Date of birth: changed.",),
                  recipients_notified=("DUO (Dienst Uitvoering Onderwijs), via BRON", "Leerplicht"))
COMPLETION_TEXT = f"{COMMON}- Date of birth: changed.\n- DUO (Dienst Uitvoering Onderwijs), via BRON\n- Leerplicht\n"
PARTIAL_ERASURE = base("partial_refusal", right="erasure", refused_items=(KEPT,), kept_items=(KEPT,),
                       director_approved=True, actions=("Leerlingdossier (algemeen): deleted.",),
                       recipients_notified=("De nieuwe school",))
PARTIAL_ERASURE_TEXT = (f"{COMMON}- Leerlingdossier (algemeen): deleted.\n- De nieuwe school\n## Financiële gegevens\n"
                        f"The school still has to keep this data. We will keep this data until "
                        f"{long_date(D(2030, 7, 31), 'en')}.\nLegal ground: Art. 17(3)(b) GDPR.\n"
                        f"This decision was taken {EN.director}.\n{APPEAL}")
EXTENSION = base("extension", new_deadline=D(2026, 4, 28), extension_reasons="The file is in three systems.",
                 extension_sent_on=D(2026, 2, 20), extension_notice_deadline=D(2026, 3, 2))
EXTENSION_TEXT = f"{COMMON}We will answer by {long_date(D(2026, 4, 28), 'en')}.\nThe file is in three systems.\n"
INFO = base("information_request", info_kind="identity", info_reason="Your address is unknown.", clock_suspended=True,
            answer_by=D(2026, 2, 16))
INFO_TEXT = (f"{COMMON}Your address is unknown.\nYou do not need to send a copy of your identity document: log in to "
             "the portal or come to the reception desk.\nWhile we wait, the time limit is paused.\n"
             f"Please answer us by {long_date(D(2026, 2, 16), 'en')} at the latest.")
AUTHORITY = _with(INFO, info_kind="authority", clock_suspended=False)
AUTHORITY_TEXT = (f"{COMMON}Your address is unknown.\nSend an extract from the register of parental authority "
                  f"(gezagsregister).\nThe time limit keeps running.\nAnswer by {long_date(D(2026, 2, 16), 'en')}.")
RECEIPT = base("receipt", received_on=D(2026, 1, 30), due_on=D(2026, 3, 2))
RECEIPT_TEXT = f"{COMMON}Received on {long_date(D(2026, 1, 30), 'en')}; answer by {long_date(D(2026, 3, 2), 'en')}."
CATEGORY = CategoryInfo("Cijfers", "Onderwijs geven.", "until 2 years after the student has left the school",
                        "Docenten van de school.")
COVER = base("access_cover", right="access", documents=("Rapport leerjaar 5",), categories=(CATEGORY,),
             recipients=("De nieuwe school",))
COVER_TEXT = (f"{COMMON}Yes, ASG processes data about Sam.\n- Rapport leerjaar 5\n## Cijfers\nOnderwijs geven.\n"
              "until 2 years after the student has left the school\nDocenten van de school.\nDe nieuwe school\n"
              "You can ask for data to be corrected or deleted, ask us to restrict its use, or object.\n"
              f"{L.AP_NAME}\nThe school does not take automated decisions about students.")

COMPLETE = [
    ("R-LT-1 refusal", REFUSAL, REFUSAL_TEXT),
    ("R-LT-1 + R-RI-6 portability refused with the access offer", PORTABILITY, PORTABILITY_TEXT),
    ("R-LT-1 + R-LT-4 partial erasure", PARTIAL_ERASURE, PARTIAL_ERASURE_TEXT),
    ("R-LT-2 extension", EXTENSION, EXTENSION_TEXT),
    ("R-LT-3 information request, identity, clock paused", INFO, INFO_TEXT),
    ("R-LT-3 information request, authority, clock running", AUTHORITY, AUTHORITY_TEXT),
    ("R-LT-4 completion", COMPLETION, COMPLETION_TEXT),
    ("R-LT-4 no recipients, said plainly", _with(COMPLETION, recipients_notified=()), COMPLETION_TEXT
     + EN.no_recipients),
    ("R-RI-1 access cover letter", COVER, COVER_TEXT),
    ("receipt", RECEIPT, RECEIPT_TEXT),
]


@pytest.mark.parametrize(("facts", "text"), [c[1:] for c in COMPLETE], ids=[c[0] for c in COMPLETE])
def test_a_complete_english_letter_misses_nothing(facts, text):
    assert missing_elements(facts, text, "en") == []


MISSING = [
    # (id, facts, text, expected codes)
    ("R-LT-1 letter missing the AP line -> LT1_MISSING_COMPLAINT_RIGHT", REFUSAL,
     _without(REFUSAL_TEXT, L.AP_ADDRESS), ["LT1_MISSING_COMPLAINT_RIGHT"]),
    ("R-LT-1 the AP not named", REFUSAL, _without(REFUSAL_TEXT, L.AP_NAME), ["LT1_MISSING_COMPLAINT_RIGHT"]),
    ("R-LT-1 no bezwaar clause", REFUSAL, _without(REFUSAL_TEXT, "notice of objection (bezwaarschrift)"),
     ["LT1_MISSING_OBJECTION_ROUTE"]),
    ("R-LT-1 bezwaar without its six weeks", REFUSAL, _without(REFUSAL_TEXT, "within six weeks"),
     ["LT1_MISSING_OBJECTION_ROUTE"]),
    ("R-LT-1 school route rechtbank: the court route only", _with(REFUSAL, appeal_route="rechtbank"),
     REFUSAL_TEXT.replace(APPEAL, COURT), []),
    ("R-LT-1 school route rechtbank: court named without the petition", _with(REFUSAL, appeal_route="rechtbank"),
     _without(REFUSAL_TEXT.replace(APPEAL, COURT), "petition"), ["LT1_MISSING_COURT_ROUTE"]),
    ("R-LT-1 an item without a ground", _with(REFUSAL, refused_items=(ListedItem("Your request", (), REASON),)),
     REFUSAL_TEXT, ["LT1_MISSING_GROUND"]),
    ("R-LT-1 the ground not in the text", REFUSAL, _without(REFUSAL_TEXT, GROUND), ["LT1_MISSING_GROUND"]),
    ("R-LT-1 an item without reasons", _with(REFUSAL, refused_items=(ListedItem("Your request", (GROUND,), ""),)),
     REFUSAL_TEXT, ["LT1_MISSING_REASON"]),
    ("R-LT-1 the reasons not in the text", REFUSAL, _without(REFUSAL_TEXT, REASON), ["LT1_MISSING_REASON"]),
    ("R-LT-1 nothing refused", _with(REFUSAL, refused_items=()), REFUSAL_TEXT, ["LT1_MISSING_ITEMS"]),
    ("R-LT-1 no director approval yet", _with(REFUSAL, director_approved=False), REFUSAL_TEXT,
     ["LT1_MISSING_DIRECTOR_APPROVAL"]),
    ("R-LT-1 director approval not stated", REFUSAL, _without(REFUSAL_TEXT, EN.director),
     ["LT1_MISSING_DIRECTOR_APPROVAL"]),
    ("R-LT-1 no reference", REFUSAL, _without(REFUSAL_TEXT, REF), ["LT1_MISSING_REFERENCE"]),
    ("R-LT-1 no date", REFUSAL, _without(REFUSAL_TEXT, long_date(TODAY, "en")), ["LT1_MISSING_DATE"]),
    ("R-LT-1 the date in Dutch only", REFUSAL, REFUSAL_TEXT.replace(long_date(TODAY, "en"), long_date(TODAY, "nl")),
     ["LT1_MISSING_DATE"]),
    ("R-LT-1 no contact point", REFUSAL, _without(REFUSAL_TEXT, CONTACT), ["LT1_MISSING_CONTACT"]),
    ("R-RI-6 portability refused without the offer of access", PORTABILITY, REFUSAL_TEXT,
     ["LT1_MISSING_ACCESS_OFFER"]),
    ("R-LT-2 no new deadline", EXTENSION, _without(EXTENSION_TEXT, long_date(D(2026, 4, 28), "en")),
     ["LT2_MISSING_NEW_DEADLINE"]),
    ("R-LT-2 no reasons", _with(EXTENSION, extension_reasons=" "), EXTENSION_TEXT, ["LT2_MISSING_REASONS"]),
    ("R-LT-2 reasons not in the text", EXTENSION, _without(EXTENSION_TEXT, "The file is in three systems."),
     ["LT2_MISSING_REASONS"]),
    ("R-LT-2 after the first month", _with(EXTENSION, extension_sent_on=D(2026, 3, 3)), EXTENSION_TEXT,
     ["LT2_TOO_LATE"]),
    ("R-LT-3 no reason why", INFO, _without(INFO_TEXT, "Your address is unknown."), ["LT3_MISSING_WHY"]),
    ("R-LT-3 identity without the portal", INFO, _without(INFO_TEXT, "portal"), ["LT3_MISSING_OPTIONS"]),
    ("R-LT-3 identity without the reception desk", INFO, _without(INFO_TEXT, "reception desk"),
     ["LT3_MISSING_OPTIONS"]),
    ("R-LT-3 not saying no ID copy is needed", INFO, _without(INFO_TEXT, "do not need to send a copy"),
     ["LT3_MISSING_OPTIONS"]),
    ("R-LT-3 silent about the paused clock", INFO, _without(INFO_TEXT, "is paused"), ["LT3_MISSING_CLOCK"]),
    ("R-LT-3 R-ID-6 no answer-by date", INFO, _without(INFO_TEXT, long_date(D(2026, 2, 16), "en")),
     ["LT3_MISSING_ANSWER_BY"]),
    ("R-LT-3 a running clock must say so", AUTHORITY, _without(AUTHORITY_TEXT, "keeps running"),
     ["LT3_MISSING_CLOCK"]),
    ("R-LT-3 authority without the gezagsregister route", AUTHORITY, _without(AUTHORITY_TEXT, "gezagsregister"),
     ["LT3_MISSING_OPTIONS"]),
    ("R-LT-4 nothing done", _with(COMPLETION, actions=()), COMPLETION_TEXT, ["LT4_MISSING_ACTIONS"]),
    ("R-LT-4 an action not in the text", COMPLETION, _without(COMPLETION_TEXT, "Date of birth: changed."),
     ["LT4_MISSING_ACTIONS"]),
    ("R-LT-4 a recipient not named", COMPLETION, _without(COMPLETION_TEXT, "- Leerplicht\n"),
     ["LT4_MISSING_RECIPIENTS"]),
    ("R-LT-4 no recipients and not saying so", _with(COMPLETION, recipients_notified=()), COMPLETION_TEXT,
     ["LT4_MISSING_RECIPIENTS"]),
    ("R-LT-4 the Dutch 'no recipients' sentence does not count",
     _with(COMPLETION, recipients_notified=()), COMPLETION_TEXT + L.NO_RECIPIENTS_MARKER, ["LT4_MISSING_RECIPIENTS"]),
    ("R-LT-4 an exception without its reason",
     _with(COMPLETION, recipient_exceptions=(ListedItem("Leerplicht", reason=""),)), COMPLETION_TEXT,
     ["LT4_MISSING_EXCEPTION_REASON"]),
    ("R-LT-4 a kept item without its end date", PARTIAL_ERASURE,
     _without(PARTIAL_ERASURE_TEXT, long_date(D(2030, 7, 31), "en")), ["LT4_MISSING_KEPT"]),
    ("R-LT-4 a kept item without its reason", PARTIAL_ERASURE,
     _without(PARTIAL_ERASURE_TEXT, "The school still has to keep this data."),
     ["LT1_MISSING_REASON", "LT4_MISSING_KEPT"]),
    ("R-RI-1 no confirmation", COVER, _without(COVER_TEXT, EN.confirmation), ["RI1_MISSING_CONFIRMATION"]),
    ("R-RI-1 no documents", _with(COVER, documents=()), COVER_TEXT, ["RI1_MISSING_DOCUMENTS"]),
    ("R-RI-1 a document not listed", COVER, _without(COVER_TEXT, "Rapport leerjaar 5"), ["RI1_MISSING_DOCUMENTS"]),
    ("R-RI-1 no categories", _with(COVER, categories=()), COVER_TEXT, ["RI1_MISSING_CATEGORIES"]),
    ("R-RI-1 no purpose", COVER, _without(COVER_TEXT, "Onderwijs geven."), ["RI1_MISSING_PURPOSES"]),
    ("R-RI-1 no retention", COVER, _without(COVER_TEXT, "until 2 years after the student has left the school"),
     ["RI1_MISSING_RETENTION"]),
    ("R-RI-1 no source", COVER, _without(COVER_TEXT, "Docenten van de school."), ["RI1_MISSING_SOURCE"]),
    ("R-RI-1 recipient not named", COVER, _without(COVER_TEXT, "De nieuwe school\n"), ["RI1_MISSING_RECIPIENTS"]),
    ("R-RI-1 no recipients and not saying so", _with(COVER, recipients=()), COVER_TEXT, ["RI1_MISSING_RECIPIENTS"]),
    ("R-RI-1 the right to restrict not named", COVER, _without(COVER_TEXT, "restrict"), ["RI1_MISSING_RIGHTS"]),
    ("R-RI-1 the right to object not named", COVER, _without(COVER_TEXT, ", or object"), ["RI1_MISSING_RIGHTS"]),
    ("R-RI-1 no AP", COVER, _without(COVER_TEXT, L.AP_NAME), ["RI1_MISSING_COMPLAINT_RIGHT"]),
    ("R-RI-1 silent on automated decisions", COVER, _without(COVER_TEXT, EN.automated),
     ["RI1_MISSING_AUTOMATED_DECISIONS"]),
    ("receipt without the date received", RECEIPT, _without(RECEIPT_TEXT, long_date(D(2026, 1, 30), "en")),
     ["RC_MISSING_RECEIVED_DATE"]),
    ("receipt without deadline", RECEIPT, _without(RECEIPT_TEXT, long_date(D(2026, 3, 2), "en")),
     ["RC_MISSING_DEADLINE"]),
]


@pytest.mark.parametrize(("facts", "text", "codes"), [c[1:] for c in MISSING], ids=[c[0] for c in MISSING])
def test_an_english_letter_without_an_element_names_it(facts, text, codes):
    assert missing_elements(facts, text, "en") == codes


@pytest.mark.parametrize(("facts", "text"), [c[1:] for c in COMPLETE], ids=[c[0] for c in COMPLETE])
def test_an_english_letter_does_not_pass_the_dutch_check(facts, text):
    """Language matters both ways: the Dutch check does not accept the English letter."""
    assert missing_elements(facts, text, "nl") != []


def test_unknown_language_is_checked_in_dutch():
    assert missing_elements(REFUSAL, REFUSAL_TEXT, "de") == missing_elements(REFUSAL, REFUSAL_TEXT, "nl") != []


def test_long_dates_match_the_template_filter():
    for day in (D(2026, 3, 2), D(2026, 12, 27), D(2030, 7, 31)):
        for language in ("nl", "en"):
            assert long_date(day, language) == template_long_date(day, language)
    assert long_date(D(2026, 3, 2), "en") == "Monday 2 March 2026"
    assert long_date(D(2026, 3, 2)) == "maandag 2 maart 2026"


def test_every_language_has_markers_for_every_element():
    assert set(L.LANGUAGES) == {"nl", "en"}
    for markers in MARKERS.values():
        assert all(value for value in markers.__dict__.values()), markers


def test_phrases_exist_in_every_language_and_dutch_matches_the_staff_labels():
    from dsr.models.fulfilment import TASK_EXCEPTIONS
    from dsr.workflows.letter_phrases import PHRASES
    from dsr.workflows.rights import OUTCOMES

    assert set(PHRASES["nl"]) <= set(PHRASES["en"])
    for kind, label in TASK_EXCEPTIONS.items():
        assert PHRASES["nl"][f"exception_{kind}"] == label and PHRASES["en"][f"exception_{kind}"]
    refusing = {f"ground_{right}_{key}" for right, outcomes in OUTCOMES.items()
                for key, outcome in outcomes.items() if not outcome.grants}
    assert refusing <= set(PHRASES["en"]), "every refusing outcome has its English ground"
