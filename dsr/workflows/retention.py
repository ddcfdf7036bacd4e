"""Retention and erasure (docs/legal.md §6 retention table, R-RI-3 erasure decision tree).

Pure functions, no I/O. The processing register (``dsr.models.register``) stores for each data
category a legal basis and a retention rule; this module turns a rule and the student's leaving
date (the BRON uitschrijfdatum, §6) into a keep-until date, and a request for erasure into a
proposal per category: erase, or keep until a date with the legal ground (Art. 17(3)(b)).

Retention kinds (the register's ``retention_kind``):

* ``after_leaving`` -- N months after the student left (e.g. 24 for the general file [ASG],
  60 for in/uitschrijving and verzuim, 6 for central-exam work);
* ``fixed`` -- a fixed period of N months for records that must be kept by law whatever happens
  to the student (7 years for financial records, AWR art. 52(4), BW 2:10(3)). A pupil's last
  such record dates from their time at school at the latest, so the period is counted from the
  leaving date [ENG: the later end, never too early];
* ``until_selectielijst`` -- not destroyed until a sector selectielijst exists (Archiefwet;
  diploma/cijferlijst records): kept, with no end date;
* ``consent`` -- processed on consent (Art. 6(1)(a)); a request to erase is a withdrawal
  (Art. 17(1)(b)), so these are always erased;
* ``after_closing`` -- N months after a case is closed: the handling of data-subject requests
  itself (R-AC-3, R-AC-4). Not part of the student's file, so never proposed for erasure here.

Erasure rule (R-RI-3, ENG): a retention period in the register is a duty to keep the data for
the school's legal obligation or public task (17(3)(b)) until it ends; on and after the end date
the data is erased. While the student is still enrolled the period has not started.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .deadlines import add_months

__all__ = [
    "LEGAL_BASES", "LEGAL_BASIS_PLAIN", "RETENTION_KINDS", "ErasureProposal", "RetentionRule",
    "describe_retention", "erasure_outcome", "keep_until", "propose_erasure", "propose_erasures",
]

#: Art. 6(1) bases used by a school (docs/legal.md R-RI-5: objection only against (e)/(f)).
LEGAL_BASES = {
    "6_1_a": "Toestemming (art. 6 lid 1 sub a AVG)",
    "6_1_c": "Wettelijke plicht (art. 6 lid 1 sub c AVG)",
    "6_1_e": "Taak van algemeen belang: onderwijs geven (art. 6 lid 1 sub e AVG)",
}
#: The same, as a parent reads it on the public register and in letters.
LEGAL_BASIS_PLAIN = {
    "6_1_a": "U of de leerling heeft er toestemming voor gegeven (artikel 6 lid 1 onder a AVG). "
             "Die toestemming kunt u altijd weer intrekken.",
    "6_1_c": "De wet verplicht de school om deze gegevens te verwerken (artikel 6 lid 1 onder c AVG).",
    "6_1_e": "De school heeft deze gegevens nodig om onderwijs te geven; dat is een taak van algemeen belang "
             "(artikel 6 lid 1 onder e AVG).",
}

AFTER_LEAVING, FIXED, SELECTIELIJST, CONSENT, AFTER_CLOSING = (
    "after_leaving", "fixed", "until_selectielijst", "consent", "after_closing")
RETENTION_KINDS = {
    AFTER_LEAVING: "Een aantal maanden/jaren nadat de leerling van school is gegaan",
    FIXED: "Een vaste wettelijke termijn (geteld vanaf het vertrek van de leerling)",
    SELECTIELIJST: "Niet vernietigen tot er een selectielijst is (Archiefwet)",
    CONSENT: "Zolang de toestemming geldt",
    AFTER_CLOSING: "Een aantal maanden/jaren na het afsluiten van het verzoek",
}
#: Kinds that need a number of months.
KINDS_WITH_PERIOD = (AFTER_LEAVING, FIXED, AFTER_CLOSING)


@dataclass(frozen=True)
class RetentionRule:
    """One category's rule as the register stores it."""

    code: str
    name: str
    legal_basis: str
    kind: str
    months: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ErasureProposal:
    """What dsr proposes for one category: ``erase``, or ``keep`` until ``keep_until`` (None: no end
    date yet) on ``ground`` (a key of ``states.REFUSAL_GROUNDS``), with a Dutch ``explanation``."""

    code: str
    name: str
    outcome: str
    keep_until: dt.date | None
    ground: str | None
    explanation: str


def _period_text(months: int, language: str = "nl") -> str:
    if language == "en":
        if months % 12 == 0:
            years = months // 12
            return f"{years} year" + ("" if years == 1 else "s")
        return f"{months} month" + ("" if months == 1 else "s")
    if months % 12 == 0:
        years = months // 12
        return f"{years} jaar"
    return f"{months} maanden"


_RETENTION_EN = {
    AFTER_LEAVING: "until {period} after the student has left the school",
    FIXED: "for {period} (a legal duty to keep them), counted from when the student left the school",
    SELECTIELIJST: ("until there is a national selection list (selectielijst) for schools that says when this data "
                    "may go (Archives Act, Archiefwet); until then it is not destroyed"),
    CONSENT: "for as long as the consent applies; once it is withdrawn, we delete the data",
    AFTER_CLOSING: "until {period} after the request has been closed",
}


def describe_retention(kind: str, months: int | None, language: str = "nl") -> str:
    """The rule in plain Dutch, e.g. "tot 2 jaar nadat de leerling van school is gegaan", or, with
    ``language="en"``, in plain English ("until 2 years after the student has left the school")."""
    if language == "en":
        if kind not in _RETENTION_EN:
            raise ValueError(f"unknown retention kind {kind!r}")
        return _RETENTION_EN[kind].format(period=_period_text(months or 0, "en"))
    if kind == AFTER_LEAVING:
        return f"tot {_period_text(months or 0)} nadat de leerling van school is gegaan"
    if kind == FIXED:
        return f"{_period_text(months or 0)} (wettelijke bewaarplicht), gerekend vanaf het vertrek van de leerling"
    if kind == SELECTIELIJST:
        return ("tot er een landelijke selectielijst voor scholen is die zegt wanneer deze gegevens weg mogen "
                "(Archiefwet); tot die tijd worden ze niet vernietigd")
    if kind == CONSENT:
        return "zolang de toestemming geldt; na intrekken verwijderen wij de gegevens"
    if kind == AFTER_CLOSING:
        return f"tot {_period_text(months or 0)} nadat het verzoek is afgerond"
    raise ValueError(f"unknown retention kind {kind!r}")


def keep_until(rule: RetentionRule, left_on: dt.date | None) -> dt.date | None:
    """The day the retention period of ``rule`` ends for a student who left on ``left_on``.

    None when there is no end date: the student is still enrolled (``left_on`` None), the rule
    waits for a selectielijst, or the data is consent-based (no retention duty at all).
    """
    if rule.kind in (AFTER_LEAVING, FIXED):
        if rule.months is None or rule.months < 0:
            raise ValueError(f"rule {rule.code} needs a number of months")
        return None if left_on is None else add_months(left_on, rule.months)
    if rule.kind in (SELECTIELIJST, CONSENT, AFTER_CLOSING):
        return None
    raise ValueError(f"unknown retention kind {rule.kind!r}")


def propose_erasure(rule: RetentionRule, left_on: dt.date | None, today: dt.date) -> ErasureProposal | None:
    """R-RI-3 for one category; None for categories outside the student's file (``after_closing``)."""
    if rule.kind == AFTER_CLOSING:
        return None
    if left_on is not None and left_on > today:
        raise ValueError("the leaving date lies in the future")
    if rule.kind == CONSENT or rule.legal_basis == "6_1_a":
        return ErasureProposal(rule.code, rule.name, "erase", None, None,
                               "Verwerkt op basis van toestemming: het verzoek geldt als intrekking "
                               "(art. 17 lid 1 sub b AVG). Verwijderen.")
    if rule.kind == SELECTIELIJST:
        return ErasureProposal(rule.code, rule.name, "keep", None, "art17_3_b",
                               "Bewaren: deze gegevens mogen niet worden vernietigd zolang er geen selectielijst is "
                               "(Archiefwet; art. 17 lid 3 sub b AVG). DUO bewaart ook het diplomaregister.")
    end = keep_until(rule, left_on)
    period = _period_text(rule.months or 0)
    basis = f" ({rule.note})" if rule.note else ""
    if end is None:
        return ErasureProposal(rule.code, rule.name, "keep", None, "art17_3_b",
                               f"Bewaren: de leerling staat nog ingeschreven; de bewaartermijn van {period}{basis} "
                               "begint pas bij uitschrijving (art. 17 lid 3 sub b AVG).")
    if today >= end:
        return ErasureProposal(rule.code, rule.name, "erase", None, None,
                               f"De bewaartermijn van {period}{basis} is verstreken op {end:%d-%m-%Y}. Verwijderen.")
    return ErasureProposal(rule.code, rule.name, "keep", end, "art17_3_b",
                           f"Bewaren tot {end:%d-%m-%Y}: de bewaartermijn van {period}{basis} loopt nog "
                           "(wettelijke plicht of publieke taak, art. 17 lid 3 sub b AVG). Daarna verwijderen.")


def propose_erasures(rules: list[RetentionRule], left_on: dt.date | None,
                     today: dt.date) -> list[ErasureProposal]:
    """Proposals for every category of the student's file, in the given order."""
    proposals = (propose_erasure(rule, left_on, today) for rule in rules)
    return [p for p in proposals if p is not None]


def erasure_outcome(proposals: list[ErasureProposal]) -> str:
    """The review decision the proposals lead to: ``grant`` (all erased), ``partial`` or ``refuse``
    (all kept); a kept category is a (partial) refusal and goes to the director (R-RI-3, §10)."""
    if not proposals:
        raise ValueError("no categories to decide on")
    kept = sum(1 for p in proposals if p.outcome == "keep")
    if kept == 0:
        return "grant"
    return "refuse" if kept == len(proposals) else "partial"
