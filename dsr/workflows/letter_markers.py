"""The phrases and dates a letter is checked for, per language (used by ``workflows.letters``).

Pure data, no I/O. ``missing_elements`` looks for these phrases in the rendered text, so each letter
template in ``templates/letters/<language>/`` must carry them word for word (case-insensitive). The
Autoriteit Persoonsgegevens keeps its Dutch name and address in every language: that is how the
requester finds it. A language without its own table is checked with the Dutch one, just as its
letters fall back to the Dutch templates.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

__all__ = ["AP_ADDRESS", "AP_NAME", "AP_WEBSITE", "DEFAULT_LANGUAGE", "MARKERS", "Markers", "VARIANT_MARKERS",
           "long_date", "markers_for", "mentions"]

DEFAULT_LANGUAGE = "nl"
AP_NAME = "Autoriteit Persoonsgegevens"
AP_WEBSITE = "autoriteitpersoonsgegevens.nl"
AP_ADDRESS = "Postbus 93374, 2509 AJ Den Haag"


@dataclass(frozen=True)
class Markers:
    """What one language's letters must say for each element (all matched case-insensitively)."""

    days: tuple[str, ...]
    months: tuple[str, ...]
    #: R-LT-1: bezwaar within six weeks (Awb, UAVG art. 34) or a petition to the rechtbank within six weeks
    #: (UAVG art. 35): exactly one of them, the school's. ``objection_only``/``court_only`` are the words
    #: that belong to one route alone: a letter for the other route may not contain them.
    objection: tuple[str, ...]
    court: tuple[str, ...]
    #: Awb 6:5: what a bezwaarschrift must contain (name and address, date, the decision with its
    #: reference, the reasons, signature).
    objection_elements: tuple[str, ...]
    objection_only: tuple[str, ...]
    court_only: tuple[str, ...]
    #: R-CH-3/R-CH-4: how the student can give consent (after a refusal on the student's age).
    consent_route: tuple[str, ...]
    #: R-RI-1 for a parent who gets the learning results only: the rights are the student's own.
    rights_of_student: tuple[str, ...]
    #: BW 1:377c information letter: its basis, "not a copy of the file", and that it ends at 18.
    info_basis: tuple[str, ...]
    info_not_a_copy: str
    info_ends: str
    #: Point 11: words that send the reader to the phone or the school's front door (regular expressions).
    calls: tuple[str, ...]
    visits: tuple[str, ...]
    director: str
    #: R-LT-4 / R-RI-1: said plainly when the data went to no one outside the school.
    no_recipients: str
    #: R-RI-1 (iii): the rights the cover letter names (rectify, erase, restrict, object).
    rights: tuple[str, ...]
    automated: str
    #: R-RI-1 (i): the confirmation that ASG processes the person's data.
    confirmation: str
    #: R-RI-6: a refused portability request offers an access copy.
    access_offer: str
    #: R-LT-3: the low-intrusion options per kind of information, and "no copy of your ID".
    identity_options: tuple[str, ...]
    authority_options: tuple[str, ...]
    no_id_copy: str
    clock_suspended: tuple[str, ...]
    clock_running: tuple[str, ...]

    def long_date(self, day: dt.date) -> str:
        """The date as this language's letters write it."""
        return f"{self.days[day.weekday()]} {day.day} {self.months[day.month - 1]} {day.year}"


MARKERS: dict[str, Markers] = {
    "nl": Markers(
        days=("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        months=("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
                "november", "december"),
        objection=("bezwaarschrift", "binnen zes weken", "Algemene wet bestuursrecht"),
        court=("rechtbank", "binnen zes weken", "verzoekschrift", "artikel 35 Uitvoeringswet AVG"),
        objection_elements=("uw naam en adres", "de datum", "het kenmerk", "waarom u het niet eens bent",
                            "uw handtekening"),
        objection_only=("bezwaarschrift", "Algemene wet bestuursrecht"),
        court_only=("verzoekschrift", "artikel 35 Uitvoeringswet AVG"),
        consent_route=("toestemming", "persoonlijke link"),
        rights_of_student=("heeft de leerling zelf", "uw eigen gegevens"),
        info_basis=("artikel 1:377c", "Burgerlijk Wetboek"),
        info_not_a_copy="geen kopie van het leerlingdossier",
        info_ends="tot 18 jaar",
        calls=(r"\bbel\b", r"\bbellen\b", r"\bbelt\b"),
        visits=(r"\bkom\b[^.\n]*\blangs\b", r"\blangskomen\b"),
        director="na goedkeuring door",  # de directeur, or the privacy adviser / another school's director (four-eyes)
        no_recipients="Deze gegevens hebben wij aan niemand buiten de school gegeven",
        rights=("verbeteren", "verwijderen", "beperken", "bezwaar"),
        automated="geautomatiseerde besluiten",
        confirmation="verwerkt gegevens over",
        access_offer="inzage",
        identity_options=("portaal", "balie"),
        authority_options=("gezagsregister",),
        no_id_copy="geen kopie van uw identiteitsbewijs",
        clock_suspended=("staat de termijn", "stil"),
        clock_running=("loopt gewoon door",),
    ),
    "en": Markers(
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"),
        objection=("notice of objection (bezwaarschrift)", "within six weeks",
                   "General Administrative Law Act (Algemene wet bestuursrecht)"),
        court=("district court", "within six weeks", "petition", "article 35 of the Dutch GDPR Implementation Act"),
        objection_elements=("your name and address", "the date", "the reference", "why you disagree",
                            "your signature"),
        objection_only=("bezwaarschrift", "Algemene wet bestuursrecht"),
        court_only=("petition", "article 35 of the Dutch GDPR Implementation Act"),
        consent_route=("consent", "personal link"),
        rights_of_student=("belong to the student", "your own data"),
        info_basis=("article 1:377c", "Dutch Civil Code"),
        info_not_a_copy="not a copy of the student file",
        info_ends="until the age of 18",
        calls=(r"\bcall\b", r"\bphone us\b"),
        visits=(r"\bcome by\b", r"\bvisit us\b", r"\bcome to the school\b"),
        director="after approval by",
        no_recipients="We have not given this data to anyone outside the school",
        rights=("corrected", "deleted", "restrict", "object"),
        automated="automated decisions about students",
        confirmation="processes data about",
        access_offer="request access",
        identity_options=("portal", "reception desk"),
        authority_options=("gezagsregister",),
        no_id_copy="you do not need to send a copy of your identity document",
        clock_suspended=("the time limit", "is paused"),
        clock_running=("keeps running",),
    ),
}


#: Letter variants in a language (``templates/letters/<language>_<variant>/``): "nl_je" is the plain Dutch
#: version for a student under 16, addressed with "je". Its phrases differ where "u" becomes "je".
VARIANT_MARKERS: dict[str, Markers] = {
    "nl_je": replace(
        MARKERS["nl"],
        no_recipients="Deze gegevens hebben wij aan niemand buiten de school gegeven",
        objection_elements=("je naam en adres", "de datum", "het kenmerk", "waarom je het niet eens bent",
                            "je handtekening"),
        no_id_copy="geen kopie van je identiteitsbewijs",
    ),
}


def markers_for(language: str | None) -> Markers:
    """The markers of ``language`` (or of a variant such as "nl_je"); Dutch for a language without its own."""
    language = language or DEFAULT_LANGUAGE
    if language in VARIANT_MARKERS:
        return VARIANT_MARKERS[language]
    return MARKERS.get(language, MARKERS[DEFAULT_LANGUAGE])


def mentions(text: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``text`` matches one of the regular expressions ``patterns`` (case-insensitive)."""
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


def long_date(day: dt.date, language: str = DEFAULT_LANGUAGE) -> str:
    """``maandag 2 maart 2026`` / ``Monday 2 March 2026`` (the same as ``templating.long_date``)."""
    return markers_for(language).long_date(day)
