"""Mandatory elements of letters (docs/legal.md §7 R-LT-1..4, R-RI-1, R-RI-6): pure, table-driven by rule id.

Each case starts from a letter that has everything and removes one element (from the facts or from the
text); the validator must name exactly the missing element. The rendered templates are checked against
the same rules in tests/test_letter_snapshots.py.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dsr.workflows import letters as L
from dsr.workflows.letters import CategoryInfo, LetterFacts, ListedItem, long_date, missing_elements

D = dt.date
TODAY = D(2026, 2, 3)
REF = "AVG-2026-00042"
CONTACT = "ibp@asg.nl"
COMMON = f"Datum: {long_date(TODAY)}\nOns kenmerk: {REF}\nVragen? Mail {CONTACT}.\n"
APPEAL = ("U kunt een bezwaarschrift tegen dit besluit indienen (Algemene wet bestuursrecht), binnen zes weken. Zet "
          "erin: uw naam en adres, de datum, het kenmerk, waarom u het niet eens bent en uw handtekening. "
          f"Klacht: {L.AP_NAME}, {L.AP_WEBSITE}, {L.AP_ADDRESS}.")
COURT = ("U kunt binnen zes weken een verzoekschrift indienen bij de rechtbank (artikel 35 Uitvoeringswet AVG). "
         f"Klacht: {L.AP_NAME}, {L.AP_WEBSITE}, {L.AP_ADDRESS}.")
GROUND = "Art. 12 lid 5 AVG: kennelijk ongegrond of buitensporig verzoek"
REASON = "Vijf keer hetzelfde verzoek in acht weken."
KEPT = ListedItem("Financiële gegevens", ("Art. 17 lid 3 sub b AVG",), "De school moet deze gegevens nog bewaren.",
                  D(2030, 7, 31))


def base(kind: str, **facts) -> LetterFacts:
    return LetterFacts(kind=kind, reference=REF, letter_date=TODAY, contact=CONTACT, **facts)


REFUSAL = base("refusal", right="access", refused_items=(ListedItem("Uw verzoek", (GROUND,), REASON),),
               director_approved=True)
REFUSAL_TEXT = f"{COMMON}## Uw verzoek\n{REASON}\nWettelijke grond: {GROUND}.\n{L.DIRECTOR_MARKER}.\n{APPEAL}"

COMPLETION = base("completion", right="rectification", actions=("Geboortedatum: gewijzigd.",),
                  recipients_notified=("DUO (Dienst Uitvoering Onderwijs), via BRON", "Leerplicht"))
COMPLETION_TEXT = f"{COMMON}- Geboortedatum: gewijzigd.\n- DUO (Dienst Uitvoering Onderwijs), via BRON\n- Leerplicht\n"

PARTIAL_ERASURE = base("partial_refusal", right="erasure", refused_items=(KEPT,), kept_items=(KEPT,),
                       director_approved=True, actions=("Leerlingdossier (algemeen): verwijderd.",),
                       recipients_notified=("De nieuwe school",))
PARTIAL_ERASURE_TEXT = (f"{COMMON}- Leerlingdossier (algemeen): verwijderd.\n- De nieuwe school\n## Financiële "
                        f"gegevens\nDe school moet deze gegevens nog bewaren. Wij bewaren deze gegevens tot "
                        f"{long_date(D(2030, 7, 31))}.\nWettelijke grond: Art. 17 lid 3 sub b AVG.\n"
                        f"{L.DIRECTOR_MARKER}.\n{APPEAL}")

EXTENSION = base("extension", new_deadline=D(2026, 4, 28), extension_reasons="Dossier in drie systemen.",
                 extension_sent_on=D(2026, 2, 20), extension_notice_deadline=D(2026, 3, 2))
EXTENSION_TEXT = f"{COMMON}Wij antwoorden uiterlijk op {long_date(D(2026, 4, 28))}.\nDossier in drie systemen.\n"

INFO = base("information_request", info_kind="identity", info_reason="Uw adres is onbekend.", clock_suspended=True,
            answer_by=D(2026, 2, 16))
INFO_TEXT = (f"{COMMON}Uw adres is onbekend.\nU hoeft geen kopie van uw identiteitsbewijs te sturen: log in op het "
             "portaal of kom naar de balie.\nZolang wij wachten, staat de termijn stil.\n"
             f"Wilt u uiterlijk op {long_date(D(2026, 2, 16))} antwoorden?")

RECEIPT = base("receipt", received_on=D(2026, 1, 30), due_on=D(2026, 3, 2))
RECEIPT_TEXT = f"{COMMON}Ontvangen op {long_date(D(2026, 1, 30))}; antwoord uiterlijk {long_date(D(2026, 3, 2))}."

CATEGORY = CategoryInfo("Cijfers", "Onderwijs geven.", "tot 2 jaar nadat de leerling van school is gegaan",
                        "Docenten van de school.")
COVER = base("access_cover", right="access", documents=("Rapport leerjaar 5",), categories=(CATEGORY,),
             recipients=("De nieuwe school",))
COVER_TEXT = (f"{COMMON}Ja, ASG {L.CONFIRMATION_MARKER} Sam.\n- Rapport leerjaar 5\n## Cijfers\nOnderwijs geven.\n"
              "tot 2 jaar nadat de leerling van school is gegaan\nDocenten van de school.\nDe nieuwe school\n"
              "U kunt vragen om verbeteren, verwijderen of beperken, of bezwaar maken.\n"
              f"{L.AP_NAME}\nGeen {L.AUTOMATED_MARKER}.")

COMPLETE = [
    ("R-LT-1 refusal", REFUSAL, REFUSAL_TEXT),
    ("R-LT-1 + R-LT-4 partial erasure", PARTIAL_ERASURE, PARTIAL_ERASURE_TEXT),
    ("R-LT-2 extension", EXTENSION, EXTENSION_TEXT),
    ("R-LT-3 information request", INFO, INFO_TEXT),
    ("R-LT-4 completion", COMPLETION, COMPLETION_TEXT),
    ("R-RI-1 access cover letter", COVER, COVER_TEXT),
    ("receipt", RECEIPT, RECEIPT_TEXT),
]


@pytest.mark.parametrize(("facts", "text"), [c[1:] for c in COMPLETE], ids=[c[0] for c in COMPLETE])
def test_a_complete_letter_misses_nothing(facts, text):
    assert missing_elements(facts, text) == []


def _without(text: str, *parts: str) -> str:
    for part in parts:
        assert part in text, part
        text = text.replace(part, "")
    return text


MISSING = [
    # (id, facts, text, expected codes)
    ("R-LT-1 letter missing the AP line -> LT1_MISSING_COMPLAINT_RIGHT", REFUSAL,
     _without(REFUSAL_TEXT, L.AP_ADDRESS), ["LT1_MISSING_COMPLAINT_RIGHT"]),
    ("R-LT-1 the AP named without its postal address", REFUSAL, _without(REFUSAL_TEXT, L.AP_NAME),
     ["LT1_MISSING_COMPLAINT_RIGHT"]),
    ("R-LT-1 no bezwaar clause", REFUSAL, _without(REFUSAL_TEXT, "bezwaarschrift tegen dit besluit "),
     ["LT1_MISSING_OBJECTION_ROUTE"]),
    ("R-LT-1 school route rechtbank: the court route only", dict(appeal_route="rechtbank"),
     REFUSAL_TEXT.replace(APPEAL, COURT), []),
    ("R-LT-1 school route rechtbank: no court route", dict(appeal_route="rechtbank"),
     REFUSAL_TEXT, ["LT1_MISSING_COURT_ROUTE", "LT1_OTHER_ROUTE"]),
    ("R-LT-1 an item without a ground", dict(refused_items=(ListedItem("Uw verzoek", (), REASON),)),
     REFUSAL_TEXT, ["LT1_MISSING_GROUND"]),
    ("R-LT-1 the ground not in the text", REFUSAL, _without(REFUSAL_TEXT, GROUND), ["LT1_MISSING_GROUND"]),
    ("R-LT-1 an item without reasons", dict(refused_items=(ListedItem("Uw verzoek", (GROUND,), ""),)),
     REFUSAL_TEXT, ["LT1_MISSING_REASON"]),
    ("R-LT-1 nothing refused", dict(refused_items=()), REFUSAL_TEXT, ["LT1_MISSING_ITEMS"]),
    ("R-LT-1 no director approval yet", dict(director_approved=False), REFUSAL_TEXT,
     ["LT1_MISSING_DIRECTOR_APPROVAL"]),
    ("R-LT-1 no reference", REFUSAL, _without(REFUSAL_TEXT, REF), ["LT1_MISSING_REFERENCE"]),
    ("R-LT-1 no date", REFUSAL, _without(REFUSAL_TEXT, long_date(TODAY)), ["LT1_MISSING_DATE"]),
    ("R-LT-1 no contact point", REFUSAL, _without(REFUSAL_TEXT, CONTACT), ["LT1_MISSING_CONTACT"]),
    ("R-RI-6 portability refused without the offer of access", dict(right="portability"), REFUSAL_TEXT,
     ["LT1_MISSING_ACCESS_OFFER"]),
]


@pytest.mark.parametrize(("change", "text", "codes"), [c[1:] for c in MISSING], ids=[c[0] for c in MISSING])
def test_refusal_elements(change, text, codes):
    facts = change if isinstance(change, LetterFacts) else LetterFacts(**{**REFUSAL.__dict__, **change})
    assert missing_elements(facts, text) == codes


def _with(facts: LetterFacts, **change) -> LetterFacts:
    return LetterFacts(**{**facts.__dict__, **change})


OTHER = [
    ("R-LT-4 a kept item without its end date", PARTIAL_ERASURE,
     _without(PARTIAL_ERASURE_TEXT, long_date(D(2030, 7, 31))), ["LT4_MISSING_KEPT"]),
    ("R-LT-4 a recipient not named", COMPLETION, _without(COMPLETION_TEXT, "- Leerplicht\n"),
     ["LT4_MISSING_RECIPIENTS"]),
    ("R-LT-4 no recipients and not saying so", _with(COMPLETION, recipients_notified=()),
     COMPLETION_TEXT, ["LT4_MISSING_RECIPIENTS"]),
    ("R-LT-4 no recipients, said plainly", _with(COMPLETION, recipients_notified=()),
     COMPLETION_TEXT + L.NO_RECIPIENTS_MARKER, []),
    ("R-LT-4 an exception without its reason",
     _with(COMPLETION, recipient_exceptions=(ListedItem("Leerplicht", reason=""),)), COMPLETION_TEXT,
     ["LT4_MISSING_EXCEPTION_REASON"]),
    ("R-LT-4 nothing done", _with(COMPLETION, actions=()), COMPLETION_TEXT, ["LT4_MISSING_ACTIONS"]),
    ("R-LT-4 objection granted: no Art. 19 recipients needed", _with(COMPLETION, right="objection",
                                                                     recipients_notified=()), COMPLETION_TEXT, []),
    ("R-LT-2 no new deadline", EXTENSION, _without(EXTENSION_TEXT, long_date(D(2026, 4, 28))),
     ["LT2_MISSING_NEW_DEADLINE"]),
    ("R-LT-2 no reasons", _with(EXTENSION, extension_reasons=" "), EXTENSION_TEXT, ["LT2_MISSING_REASONS"]),
    ("R-LT-2 after the first month", _with(EXTENSION, extension_sent_on=D(2026, 3, 3)), EXTENSION_TEXT,
     ["LT2_TOO_LATE"]),
    ("R-LT-3 no reason why", INFO, _without(INFO_TEXT, "Uw adres is onbekend."), ["LT3_MISSING_WHY"]),
    ("R-LT-3 R-ID-6 no answer-by date", INFO, _without(INFO_TEXT, long_date(D(2026, 2, 16))),
     ["LT3_MISSING_ANSWER_BY"]),
    ("R-LT-3 R-ID-6 answer-by date unknown", _with(INFO, answer_by=None), INFO_TEXT, ["LT3_MISSING_ANSWER_BY"]),
    ("R-LT-3 identity without the light options", INFO, _without(INFO_TEXT, "balie"), ["LT3_MISSING_OPTIONS"]),
    ("R-LT-3 asks for an ID copy", INFO, _without(INFO_TEXT, "geen kopie van uw identiteitsbewijs"),
     ["LT3_MISSING_OPTIONS"]),
    ("R-LT-3 silent about the clock", INFO, _without(INFO_TEXT, "staat de termijn stil"), ["LT3_MISSING_CLOCK"]),
    ("R-LT-3 running clock must say so", _with(INFO, clock_suspended=False), INFO_TEXT, ["LT3_MISSING_CLOCK"]),
    ("R-LT-3 authority: the gezagsregister route", _with(INFO, info_kind="authority"), INFO_TEXT,
     ["LT3_MISSING_OPTIONS"]),
    ("R-RI-1 no retention", COVER, _without(COVER_TEXT, "tot 2 jaar nadat de leerling van school is gegaan"),
     ["RI1_MISSING_RETENTION"]),
    ("R-RI-1 recipient not named", COVER, _without(COVER_TEXT, "De nieuwe school\n"), ["RI1_MISSING_RECIPIENTS"]),
    ("R-RI-1 no source", COVER, _without(COVER_TEXT, "Docenten van de school."), ["RI1_MISSING_SOURCE"]),
    ("R-RI-1 no purpose", COVER, _without(COVER_TEXT, "Onderwijs geven."), ["RI1_MISSING_PURPOSES"]),
    ("R-RI-1 no rights", COVER, _without(COVER_TEXT, "beperken"), ["RI1_MISSING_RIGHTS"]),
    ("R-RI-1 no AP", COVER, _without(COVER_TEXT, L.AP_NAME), ["RI1_MISSING_COMPLAINT_RIGHT"]),
    ("R-RI-1 silent on automated decisions", COVER, _without(COVER_TEXT, L.AUTOMATED_MARKER),
     ["RI1_MISSING_AUTOMATED_DECISIONS"]),
    ("R-RI-1 no documents", _with(COVER, documents=()), COVER_TEXT, ["RI1_MISSING_DOCUMENTS"]),
    ("R-RI-1 no confirmation", COVER, _without(COVER_TEXT, L.CONFIRMATION_MARKER), ["RI1_MISSING_CONFIRMATION"]),
    ("receipt without deadline", RECEIPT, _without(RECEIPT_TEXT, long_date(D(2026, 3, 2))),
     ["RC_MISSING_DEADLINE"]),
]


@pytest.mark.parametrize(("facts", "text", "codes"), [c[1:] for c in OTHER], ids=[c[0] for c in OTHER])
def test_other_letters(facts, text, codes):
    assert missing_elements(facts, text) == codes


def test_partial_refusal_of_access_is_not_a_completion_letter():
    facts = _with(REFUSAL, kind="partial_refusal")
    assert missing_elements(facts, REFUSAL_TEXT) == []


def test_every_code_has_a_dutch_label():
    import re
    from pathlib import Path

    source = Path(L.__file__).read_text()
    codes = set(re.findall(r'"((?:LT\d|RI1|RC|IC)_[A-Z_]+)"', source)) | {
        f"{p}_MISSING_{x}" for p in ("LT1", "LT2", "LT3", "LT4", "RI1", "RC", "IC")
        for x in ("REFERENCE", "DATE", "CONTACT", "PHONE", "VISITING_ADDRESS")}
    for code in codes:
        assert L.element_label(code) != code, code


def test_unknown_kind():
    with pytest.raises(ValueError):
        missing_elements(base("memo"), "")
