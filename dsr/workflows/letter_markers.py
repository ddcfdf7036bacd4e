"""The phrases and dates a letter is checked for, per language (used by ``workflows.letters``).

Pure data, no I/O. ``missing_elements`` looks for these phrases in the rendered text, so each letter
template in ``templates/letters/<language>/`` must carry them word for word (case-insensitive). The
Autoriteit Persoonsgegevens keeps its Dutch name and address in every language: that is how the
requester finds it. A language without its own table is checked with the Dutch one, just as its
letters fall back to the Dutch templates.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["AP_ADDRESS", "AP_NAME", "AP_WEBSITE", "DEFAULT_LANGUAGE", "MARKERS", "Markers", "long_date", "markers_for"]

DEFAULT_LANGUAGE = "nl"
AP_NAME = "Autoriteit Persoonsgegevens"
AP_WEBSITE = "autoriteitpersoonsgegevens.nl"
AP_ADDRESS = "Postbus 93374, 2509 AJ Den Haag"


@dataclass(frozen=True)
class Markers:
    """What one language's letters must say for each element (all matched case-insensitively)."""

    days: tuple[str, ...]
    months: tuple[str, ...]
    #: R-LT-1: bezwaar within six weeks (Awb) and a petition to the rechtbank within six weeks (UAVG 35).
    objection: tuple[str, ...]
    court: tuple[str, ...]
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
        objection=("bezwaar", "binnen zes weken"),
        court=("rechtbank", "binnen zes weken", "verzoekschrift"),
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
        objection=("objection (bezwaar)", "within six weeks"),
        court=("district court", "within six weeks", "file a petition"),
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


def markers_for(language: str | None) -> Markers:
    """The markers of ``language``; Dutch for a language without its own."""
    return MARKERS.get(language or DEFAULT_LANGUAGE, MARKERS[DEFAULT_LANGUAGE])


def long_date(day: dt.date, language: str = DEFAULT_LANGUAGE) -> str:
    """``maandag 2 maart 2026`` / ``Monday 2 March 2026`` (the same as ``templating.long_date``)."""
    return markers_for(language).long_date(day)
