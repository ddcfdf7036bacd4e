"""The letters the law requires and their mandatory elements (docs/legal.md §7 R-LT-1..4, §5 R-RI-1, R-RI-6).

Pure functions, no I/O. A letter is checked twice: the *facts* it is built from must be there (a
refusal without a ground, an extension without reasons, ...) and the *rendered text* must carry each
element (so a template edit that drops the Autoriteit Persoonsgegevens paragraph is caught). A letter
with a missing element cannot be sent; :func:`missing_elements` names each one with a code such as
``LT1_MISSING_COMPLAINT_RIGHT`` and :data:`ELEMENT_LABELS` explains the code to staff (in their language).

Letters are written in Dutch or English (``templates/letters/<language>/``); the phrases and the long
date format the text is checked for are kept per language in ``letter_markers.MARKERS`` (``AP_NAME``,
``AP_ADDRESS`` are the same in every language and passed to the templates), so the check and the
letter cannot drift apart silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from .labels import Labels
from .letter_markers import AP_ADDRESS, AP_NAME, AP_WEBSITE, MARKERS, Markers, long_date, markers_for, mentions
from .vocabulary import APPEAL_ROUTES, CONSENT_GROUNDS

__all__ = [
    "AP_ADDRESS", "AP_NAME", "AP_WEBSITE", "APPEAL_ROUTES", "CategoryInfo", "ELEMENT_LABELS", "KINDS", "KIND_LABELS",
    "CONSENT_GROUNDS", "INFO_377C", "LANGUAGES", "LetterFacts", "ListedItem", "element_label", "long_date",
    "missing_elements",
]

RECEIPT, INFORMATION_REQUEST, EXTENSION = "receipt", "information_request", "extension"
REFUSAL, PARTIAL_REFUSAL, COMPLETION, ACCESS_COVER = "refusal", "partial_refusal", "completion", "access_cover"
#: R-CH-5: the information a parent without gezag gets under BW 1:377c (not an Art. 15 copy).
INFO_377C = "info_377c"
KINDS = (RECEIPT, INFORMATION_REQUEST, EXTENSION, REFUSAL, PARTIAL_REFUSAL, COMPLETION, ACCESS_COVER, INFO_377C)
KIND_LABELS = Labels({
    RECEIPT: _l("Ontvangstbevestiging"),
    INFORMATION_REQUEST: _l("Verzoek om informatie (R-LT-3)"),
    EXTENSION: _l("Verlenging van de termijn (R-LT-2)"),
    REFUSAL: _l("Weigering (R-LT-1)"),
    PARTIAL_REFUSAL: _l("Gedeeltelijke weigering (R-LT-1)"),
    COMPLETION: _l("Afronding: wat is gedaan (R-LT-4)"),
    ACCESS_COVER: _l("Begeleidende brief bij het inzagepakket (R-RI-1)"),
    INFO_377C: _l("Informatie aan een ouder zonder gezag (art. 1:377c BW, R-CH-5)"),
})
#: Prefix of the element codes per kind.
#: Rights after which recipients are notified (Art. 19, R-RI-7) and the letter names them (R-LT-4).
NOTIFYING_RIGHTS = ("rectification", "erasure", "restriction", "consent_withdrawal")
_PREFIX = {RECEIPT: "RC", INFORMATION_REQUEST: "LT3", EXTENSION: "LT2", REFUSAL: "LT1", PARTIAL_REFUSAL: "LT1",
           COMPLETION: "LT4", ACCESS_COVER: "RI1", INFO_377C: "IC"}

# R-LT-1 judicial route: exactly one per school (``School.appeal_route``, ``states.APPEAL_ROUTES``): Awb
# bezwaar when the board decides as a bestuursorgaan (UAVG art. 34), else a petition to the rechtbank
# (UAVG art. 35). Never both, never a choice for the requester.
#: The Dutch markers under their historical names; every language's are in ``letter_markers.MARKERS``.
_NL = MARKERS["nl"]
OBJECTION_MARKERS, COURT_MARKERS, DIRECTOR_MARKER = _NL.objection, _NL.court, _NL.director
NO_RECIPIENTS_MARKER, RIGHTS_MARKERS, AUTOMATED_MARKER = _NL.no_recipients, _NL.rights, _NL.automated
CONFIRMATION_MARKER, ACCESS_OFFER_MARKER = _NL.confirmation, _NL.access_offer
#: The languages letters are written and checked in.
LANGUAGES = tuple(MARKERS)


@dataclass(frozen=True)
class ListedItem:
    """One item a letter must name: a refused or kept item (with its grounds, reason and end date), a
    data category (with purpose, retention, source), a recipient or a document."""

    name: str
    grounds: tuple[str, ...] = ()
    reason: str = ""
    keep_until: dt.date | None = None
    #: For kept items without a date: how long instead (e.g. "tot er een selectielijst is").
    keep_text: str = ""


@dataclass(frozen=True)
class CategoryInfo:
    """A data category as the access cover letter must describe it (Art. 15(1)(a), (b), (d), (g))."""

    name: str
    purpose: str
    retention: str
    source: str


@dataclass(frozen=True)
class LetterFacts:
    """What a letter is built from; each kind uses the fields it needs."""

    kind: str
    reference: str = ""
    letter_date: dt.date | None = None
    contact: str = ""
    right: str = ""
    # receipt
    received_on: dt.date | None = None
    due_on: dt.date | None = None
    # R-LT-3 information request
    info_kind: str = ""
    info_reason: str = ""
    clock_suspended: bool | None = None
    #: R-LT-3 / R-ID-6: the date the requester is asked to answer by.
    answer_by: dt.date | None = None
    # R-LT-2 extension
    new_deadline: dt.date | None = None
    extension_reasons: str = ""
    extension_sent_on: dt.date | None = None
    extension_notice_deadline: dt.date | None = None
    # R-LT-1 refusal and partial refusal
    refused_items: tuple[ListedItem, ...] = ()
    director_approved: bool = False
    appeal_route: str = "bezwaar"
    #: R-CH-3/R-CH-4: refused on the student's age, so the letter explains how the student can consent.
    consent_route: bool = False
    # R-LT-4 completion (and the completed part of a partial refusal)
    actions: tuple[str, ...] = ()
    recipients_notified: tuple[str, ...] = ()
    recipient_exceptions: tuple[ListedItem, ...] = ()
    kept_items: tuple[ListedItem, ...] = ()
    # R-RI-1 access cover letter
    categories: tuple[CategoryInfo, ...] = ()
    recipients: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    #: Art. 15(1)(c): recipients the register holds only as a placeholder for a group (not named).
    unnamed_recipients: tuple[str, ...] = ()
    #: "full" | "learning_results" (R-CH-3/R-CH-7: the rights are then the student's own).
    scope: str = ""
    # BW 1:377c information letter (R-CH-5)
    student_age: int | None = None
    child_interest_checked: bool = False
    care_info: str = ""
    # Point 11: the school's contact details, for every letter that says "bel" or "kom langs".
    phone: str = ""
    visiting_address: str = ""
    extra: dict = field(default_factory=dict)


ELEMENT_LABELS = Labels({
    "MISSING_REFERENCE": _l("het kenmerk van het verzoek"),
    "MISSING_DATE": _l("de datum van de brief"),
    "MISSING_CONTACT": _l("een contactpunt voor vragen"),
    "MISSING_PHONE": _l("het telefoonnummer van de school (de brief zegt 'bel'; vul het in bij de school)"),
    "MISSING_VISITING_ADDRESS": _l("het bezoekadres van de school (de brief zegt 'kom langs'; vul het in bij de "
                                   "school)"),
    "RC_MISSING_RECEIVED_DATE": _l("de datum waarop het verzoek is ontvangen"),
    "RC_MISSING_DEADLINE": _l("de uiterste datum voor het antwoord"),
    "LT3_MISSING_WHY": _l("waarom de informatie nodig is"),
    "LT3_MISSING_OPTIONS": _l("de lichte manieren om de informatie te geven (geen kopie identiteitsbewijs)"),
    "LT3_MISSING_CLOCK": _l("of de termijn stilstaat of doorloopt"),
    "LT3_MISSING_ANSWER_BY": _l("de datum waarop de aanvrager uiterlijk antwoordt, en wat er gebeurt zonder antwoord"),
    "LT2_MISSING_NEW_DEADLINE": _l("de nieuwe uiterste datum"),
    "LT2_MISSING_REASONS": _l("de concrete redenen voor de verlenging"),
    "LT2_TOO_LATE": _l("verzending binnen de eerste maand (daarna mag niet meer worden verlengd)"),
    "LT1_MISSING_ITEMS": _l("welke onderdelen worden geweigerd"),
    "LT1_MISSING_GROUND": _l("de wettelijke grond per geweigerd onderdeel"),
    "LT1_MISSING_REASON": _l("de motivering per geweigerd onderdeel"),
    "LT1_MISSING_COMPLAINT_RIGHT": _l("het recht op een klacht bij de Autoriteit Persoonsgegevens, met adres"),
    "LT1_MISSING_OBJECTION_ROUTE": _l("een bezwaarschrift tegen dit besluit binnen zes weken (Algemene wet "
                                      "bestuursrecht)"),
    "LT1_MISSING_OBJECTION_ELEMENTS": _l("wat een bezwaarschrift moet bevatten (naam en adres, datum, het besluit "
                                         "met kenmerk, de redenen, handtekening; art. 6:5 Awb)"),
    "LT1_MISSING_COURT_ROUTE": _l("een verzoekschrift bij de rechtbank binnen zes weken"),
    "LT1_OTHER_ROUTE": _l("alleen de rechtsgang van deze school (de brief noemt ook de andere)"),
    "LT1_MISSING_CONSENT_ROUTE": _l("hoe de leerling toestemming kan geven"),
    "LT1_MISSING_DIRECTOR_APPROVAL": _l("de goedkeuring door de directeur"),
    "LT1_MISSING_ACCESS_OFFER": _l("het aanbod van een inzagekopie (overdraagbaarheid, R-RI-6)"),
    "LT4_MISSING_ACTIONS": _l("wat er is gedaan"),
    "LT4_MISSING_RECIPIENTS": _l("de ontvangers die bericht kregen (art. 19 AVG)"),
    "LT4_MISSING_EXCEPTION_REASON": _l("waarom een ontvanger geen bericht kreeg"),
    "LT4_MISSING_KEPT": _l("wat bewaard blijft, met reden en einddatum"),
    "RI1_MISSING_CONFIRMATION": _l("de bevestiging dat de school gegevens verwerkt"),
    "RI1_MISSING_DOCUMENTS": _l("de lijst van meegestuurde documenten (de kopie)"),
    "RI1_MISSING_PURPOSES": _l("de doelen per categorie"),
    "RI1_MISSING_CATEGORIES": _l("de categorieën van gegevens"),
    "RI1_MISSING_RECIPIENTS": _l("de ontvangers bij naam"),
    "RI1_UNNAMED_RECIPIENT": _l("elke ontvanger bij naam (het register heeft een ontvanger zonder naam, "
                                "art. 15 lid 1 sub c AVG)"),
    "RI1_WRONG_RIGHTS": _l("alleen de rechten die deze aanvrager heeft (bij leerresultaten: de rechten zijn van de "
                           "leerling zelf)"),
    "RI1_MISSING_RETENTION": _l("de bewaartermijnen"),
    "RI1_MISSING_SOURCE": _l("de herkomst van de gegevens"),
    "RI1_MISSING_RIGHTS": _l("de rechten op verbetering, verwijdering, beperking en bezwaar"),
    "RI1_MISSING_COMPLAINT_RIGHT": _l("het recht op een klacht bij de Autoriteit Persoonsgegevens"),
    "RI1_MISSING_AUTOMATED_DECISIONS": _l("of er geautomatiseerde besluiten zijn"),
    "IC_MISSING_BASIS": _l("de grond: informatie op grond van art. 1:377c BW"),
    "IC_MISSING_NOT_A_COPY": _l("dat dit geen kopie van het leerlingdossier is"),
    "IC_MISSING_END": _l("dat dit recht eindigt als de leerling 18 jaar wordt"),
    "IC_ENDED": _l("de leerling is 18 jaar of ouder: het recht op informatie is geëindigd"),
    "IC_CARE_WITHOUT_CHECK": _l("zorginformatie alleen na een vastgelegde toets van het belang van het kind"),
    "IC_GDPR_RIGHTS": _l("geen AVG-rechten die deze ouder niet heeft"),
    "IC_MISSING_DOCUMENTS": _l("de lijst van meegestuurde documenten"),
    "IC_MISSING_COMPLAINT_RIGHT": _l("het recht op een klacht bij de Autoriteit Persoonsgegevens"),
})


def element_label(code: str) -> str:
    """What an element code stands for, in the current language (common codes without their prefix)."""
    return ELEMENT_LABELS.get(code) or ELEMENT_LABELS.get(code.split("_", 1)[1], code)


def _has(text: str, *phrases: str) -> bool:
    lowered = text.lower()
    return all(p and p.lower() in lowered for p in phrases)


def _common(facts: LetterFacts, text: str, prefix: str, m: Markers) -> list[str]:
    missing = []
    if not facts.reference or not _has(text, facts.reference):
        missing.append(f"{prefix}_MISSING_REFERENCE")
    if facts.letter_date is None or not _has(text, m.long_date(facts.letter_date)):
        missing.append(f"{prefix}_MISSING_DATE")
    if not facts.contact or not _has(text, facts.contact):
        missing.append(f"{prefix}_MISSING_CONTACT")
    # Point 11: a letter that says "bel" or "kom langs" gives the number and the address, never a blank.
    if mentions(text, m.calls) and (not facts.phone.strip() or not _has(text, facts.phone.strip())):
        missing.append(f"{prefix}_MISSING_PHONE")
    if mentions(text, m.visits) and (not facts.visiting_address.strip()
                                     or not _has(text, facts.visiting_address.strip())):
        missing.append(f"{prefix}_MISSING_VISITING_ADDRESS")
    return missing


def _receipt(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    missing = []
    if facts.received_on is None or not _has(text, m.long_date(facts.received_on)):
        missing.append("RC_MISSING_RECEIVED_DATE")
    if facts.due_on is None or not _has(text, m.long_date(facts.due_on)):
        missing.append("RC_MISSING_DEADLINE")
    return missing


def _information_request(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-LT-3: why, the acceptable low-intrusion options, and whether the clock is suspended."""
    missing = []
    if not facts.info_reason.strip() or not _has(text, facts.info_reason.strip()):
        missing.append("LT3_MISSING_WHY")
    options = {"identity": m.identity_options, "authority": m.authority_options}.get(facts.info_kind)
    if options is not None and not _has(text, *options):
        missing.append("LT3_MISSING_OPTIONS")
    if facts.info_kind == "identity" and not _has(text, m.no_id_copy):
        missing.append("LT3_MISSING_OPTIONS")
    clock = m.clock_suspended if facts.clock_suspended else m.clock_running
    if facts.clock_suspended is None or not _has(text, *clock):
        missing.append("LT3_MISSING_CLOCK")
    if facts.answer_by is None or not _has(text, m.long_date(facts.answer_by)):
        missing.append("LT3_MISSING_ANSWER_BY")
    return list(dict.fromkeys(missing))


def _extension(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-LT-2: the new deadline and concrete reasons, sent before the first-month deadline (R-DL-5)."""
    missing = []
    if facts.new_deadline is None or not _has(text, m.long_date(facts.new_deadline)):
        missing.append("LT2_MISSING_NEW_DEADLINE")
    if not facts.extension_reasons.strip() or not _has(text, facts.extension_reasons.strip()):
        missing.append("LT2_MISSING_REASONS")
    if (facts.extension_sent_on is None or facts.extension_notice_deadline is None
            or facts.extension_sent_on > facts.extension_notice_deadline):
        missing.append("LT2_TOO_LATE")
    return missing


def _refusal(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-LT-1: items with a ground and reasons each, the AP with its address, the judicial route(s)."""
    missing = []
    if not facts.refused_items:
        missing.append("LT1_MISSING_ITEMS")
    for item in facts.refused_items:
        if not _has(text, item.name):
            missing.append("LT1_MISSING_ITEMS")
        if not item.grounds or not all(_has(text, g) for g in item.grounds):
            missing.append("LT1_MISSING_GROUND")
        if not item.reason.strip() or not _has(text, item.reason.strip()):
            missing.append("LT1_MISSING_REASON")
    if not _has(text, AP_NAME, AP_ADDRESS):
        missing.append("LT1_MISSING_COMPLAINT_RIGHT")
    missing.extend(_appeal_route(facts, text, m))
    if facts.consent_route and not _has(text, *m.consent_route):
        missing.append("LT1_MISSING_CONSENT_ROUTE")
    if not facts.director_approved or not _has(text, m.director):
        missing.append("LT1_MISSING_DIRECTOR_APPROVAL")
    if facts.right == "portability" and not _has(text, m.access_offer):
        missing.append("LT1_MISSING_ACCESS_OFFER")
    return list(dict.fromkeys(missing))


def _appeal_route(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-LT-1: exactly the school's route (UAVG art. 34 bezwaar with the Awb 6:5 elements, or UAVG art. 35)."""
    missing = []
    route = facts.appeal_route if facts.appeal_route in APPEAL_ROUTES else "bezwaar"
    if route == "bezwaar":
        if not _has(text, *m.objection):
            missing.append("LT1_MISSING_OBJECTION_ROUTE")
        if not _has(text, *m.objection_elements):
            missing.append("LT1_MISSING_OBJECTION_ELEMENTS")
        if any(_has(text, word) for word in m.court_only):
            missing.append("LT1_OTHER_ROUTE")
    else:
        if not _has(text, *m.court):
            missing.append("LT1_MISSING_COURT_ROUTE")
        if any(_has(text, word) for word in m.objection_only):
            missing.append("LT1_OTHER_ROUTE")
    return missing


def _completion(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-LT-4: what was done, the Art. 19 recipients notified, anything kept with reason and end date."""
    missing = []
    if not facts.actions or not all(_has(text, a) for a in facts.actions):
        missing.append("LT4_MISSING_ACTIONS")
    if facts.right in NOTIFYING_RIGHTS:  # Art. 19 applies after rectification, erasure and restriction
        if facts.recipients_notified:
            if not all(_has(text, r) for r in facts.recipients_notified):
                missing.append("LT4_MISSING_RECIPIENTS")
        elif not facts.recipient_exceptions and not _has(text, m.no_recipients):
            missing.append("LT4_MISSING_RECIPIENTS")
    for exception in facts.recipient_exceptions:
        if not exception.reason.strip() or not _has(text, exception.name, exception.reason.strip()):
            missing.append("LT4_MISSING_EXCEPTION_REASON")
    for item in facts.kept_items:
        end = m.long_date(item.keep_until) if item.keep_until else item.keep_text
        if not item.reason.strip() or not end or not _has(text, item.name, item.reason.strip(), end):
            missing.append("LT4_MISSING_KEPT")
    return list(dict.fromkeys(missing))


def _access_cover(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-RI-1: confirmation, the copy, and the Art. 15(1)(a)-(h) information from the register."""
    missing = []
    if not _has(text, m.confirmation):
        missing.append("RI1_MISSING_CONFIRMATION")
    if not facts.documents or not all(_has(text, d) for d in facts.documents):
        missing.append("RI1_MISSING_DOCUMENTS")
    if not facts.categories or not all(_has(text, c.name) for c in facts.categories):
        missing.append("RI1_MISSING_CATEGORIES")
    if not all(c.purpose.strip() and _has(text, c.purpose.strip()) for c in facts.categories):
        missing.append("RI1_MISSING_PURPOSES")
    if not all(c.retention.strip() and _has(text, c.retention.strip()) for c in facts.categories):
        missing.append("RI1_MISSING_RETENTION")
    if not all(c.source.strip() and _has(text, c.source.strip()) for c in facts.categories):
        missing.append("RI1_MISSING_SOURCE")
    if facts.recipients:
        if not all(_has(text, r) for r in facts.recipients):
            missing.append("RI1_MISSING_RECIPIENTS")
    elif not _has(text, m.no_recipients):
        missing.append("RI1_MISSING_RECIPIENTS")
    if facts.unnamed_recipients:  # Art. 15(1)(c): "leveranciers" is not a recipient's name
        missing.append("RI1_UNNAMED_RECIPIENT")
    if not _has(text, *m.rights):
        missing.append("RI1_MISSING_RIGHTS")
    if facts.scope == "learning_results" and not _has(text, *m.rights_of_student):
        missing.append("RI1_WRONG_RIGHTS")
    if not _has(text, AP_NAME):
        missing.append("RI1_MISSING_COMPLAINT_RIGHT")
    if not _has(text, m.automated):
        missing.append("RI1_MISSING_AUTOMATED_DECISIONS")
    return missing


def _info_377c(facts: LetterFacts, text: str, m: Markers) -> list[str]:
    """R-CH-5: information under BW 1:377c, not a copy; no GDPR rights over the child; care information
    only after a recorded check of the child's interest; ends at 18."""
    missing = []
    if not _has(text, *m.info_basis):
        missing.append("IC_MISSING_BASIS")
    if not _has(text, m.info_not_a_copy):
        missing.append("IC_MISSING_NOT_A_COPY")
    if not _has(text, m.info_ends):
        missing.append("IC_MISSING_END")
    if facts.student_age is None or facts.student_age >= 18:
        missing.append("IC_ENDED")
    if facts.care_info.strip() and (not facts.child_interest_checked or not _has(text, facts.care_info.strip())):
        missing.append("IC_CARE_WITHOUT_CHECK")
    # The Art. 15 letter's confirmation and the rights over the child's data are not this parent's.
    if _has(text, m.confirmation) or _has(text, m.automated):
        missing.append("IC_GDPR_RIGHTS")
    if not facts.documents or not all(_has(text, d) for d in facts.documents):
        missing.append("IC_MISSING_DOCUMENTS")
    if not _has(text, AP_NAME):
        missing.append("IC_MISSING_COMPLAINT_RIGHT")
    return missing


_CHECKS = {
    RECEIPT: (_receipt,),
    INFORMATION_REQUEST: (_information_request,),
    EXTENSION: (_extension,),
    REFUSAL: (_refusal,),
    PARTIAL_REFUSAL: (_refusal, _completion),
    COMPLETION: (_completion,),
    ACCESS_COVER: (_access_cover,),
    INFO_377C: (_info_377c,),
}


def missing_elements(facts: LetterFacts, text: str, language: str = "nl") -> list[str]:
    """Every mandatory element ``text`` (the rendered letter) lacks, as codes; empty when it may go.

    ``language`` is the language the letter was rendered in: its marker phrases and long dates
    (``letter_markers.MARKERS``) are what the text is checked for, so an English letter that drops
    an element is refused just like a Dutch one. A partial refusal is also a completion letter for
    the part that was carried out (R-LT-4), except for access, whose granted part is the package
    with its own cover letter (R-RI-1).
    """
    if facts.kind not in _CHECKS:
        raise ValueError(f"unknown letter kind {facts.kind!r}")
    m = markers_for(language)
    missing = _common(facts, text, _PREFIX[facts.kind], m)
    checks = _CHECKS[facts.kind]
    if facts.kind == PARTIAL_REFUSAL and facts.right not in NOTIFYING_RIGHTS:
        checks = (_refusal,)
    for check in checks:
        missing.extend(check(facts, text, m))
    return list(dict.fromkeys(missing))
