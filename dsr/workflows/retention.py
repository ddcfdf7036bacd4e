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

Erasure rule (R-RI-3): first a ground of Art. 17(1), then an exception of Art. 17(3).

* A period the register marks *statutory* (``statutory``, with the law and article in its note,
  e.g. AWR art. 52 lid 4) is a legal obligation: the data is kept until it ends, on Art. 17(3)(b),
  and the letter cites that article. On and after the end date the data is erased (17(1)(a)).
* A *policy* period (ASG's own, no statute: "geen wettelijke termijn; beleid van ASG") is not a
  legal obligation and never grounds a refusal by itself. Once it is over the data is erased
  (17(1)(a)); while it runs, staff decide per category on Art. 17(1) (no longer necessary,
  unlawful, objection, consent withdrawn) or record that no ground applies (``no_17_1_ground``).
* While the student is enrolled the school still needs its data to teach: statutory categories
  are kept (17(3)(b)), the others are kept because no ground of 17(1) applies; single outdated or
  unlawful items can still be erased (17(1)(a)/(d)).
* Consent-based data (6(1)(a)) is always erased: the request is a withdrawal (17(1)(b), R-CH-8).

Periods can differ per school type (po/vo/mbo): :func:`rule_for_school_type` picks the one that
applies; a period without a source is a policy period.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l

from .deadlines import add_months
from .labels import Labels

__all__ = [
    "ERASURE_GROUNDS", "KEEP_GROUNDS", "LEGAL_BASES", "LEGAL_BASIS_PLAIN", "RETENTION_KINDS", "ErasureProposal",
    "PeriodSpec", "RetentionRule", "decide_item", "describe_retention", "erasure_outcome", "keep_until",
    "propose_erasure", "propose_erasures", "rule_for_school_type",
]

#: Art. 17(1): the grounds on which data must be erased; staff choose one for each policy-period category.
ERASURE_GROUNDS = Labels({
    "17_1_a": _l("Niet meer nodig voor het doel waarvoor de school ze had (art. 17 lid 1 sub a AVG)"),
    "17_1_b": _l("Toestemming ingetrokken, en er is geen andere grondslag (art. 17 lid 1 sub b AVG)"),
    "17_1_c": _l("Bezwaar gemaakt, en de school heeft geen zwaarder wegende reden om door te gaan "
                 "(art. 17 lid 1 sub c AVG)"),
    "17_1_d": _l("Onrechtmatig verwerkt (art. 17 lid 1 sub d AVG)"),
})
#: The grounds on which an erasure item is kept. Only a statutory duty (or another exception Art. 17(3) lists)
#: is a refusal "because the law says so"; a policy period is never one (R-RI-3).
KEEP_GROUNDS = Labels({
    "art17_3_b": _l("Art. 17 lid 3 sub b AVG: een wettelijke plicht verplicht de school deze gegevens te bewaren"),
    "art17_3_e": _l("Art. 17 lid 3 sub e AVG: de gegevens zijn nodig voor een rechtsvordering"),
    "no_17_1_ground": _l("Art. 17 lid 1 AVG: geen van de gronden voor verwijdering is van toepassing; de school "
                         "heeft deze gegevens nog nodig voor het doel waarvoor zij ze heeft"),
})
#: What staff may record for an item still to decide: one of the 17(1) grounds (erase) or "none" (keep).
NO_GROUND = "none"

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
    FIXED: "Een vaste termijn (geteld vanaf het vertrek van de leerling)",
    SELECTIELIJST: "Niet vernietigen tot er een selectielijst is (Archiefwet)",
    CONSENT: "Zolang de toestemming geldt",
    AFTER_CLOSING: "Een aantal maanden/jaren na het afsluiten van het verzoek",
}
#: Kinds that need a number of months.
KINDS_WITH_PERIOD = (AFTER_LEAVING, FIXED, AFTER_CLOSING)


@dataclass(frozen=True)
class RetentionRule:
    """One category's rule as the register stores it (for one school type). ``statutory`` is True only
    when a statute (named in ``note``) obliges the school to keep the data; otherwise it is policy."""

    code: str
    name: str
    legal_basis: str
    kind: str
    months: int | None = None
    note: str = ""
    statutory: bool = False
    consent_covers: str = ""

    @property
    def is_statutory(self) -> bool:
        """A selectielijst rule is the Archiefwet's duty not to destroy; other kinds need the flag."""
        return self.kind == SELECTIELIJST or (self.statutory and self.kind in (AFTER_LEAVING, FIXED))


@dataclass(frozen=True)
class PeriodSpec:
    """A category's period for one school type: months, whether a statute sets it, and its source."""

    months: int
    statutory: bool = False
    source: str = ""


@dataclass(frozen=True)
class ErasureProposal:
    """What dsr proposes for one category: ``erase`` (on the Art. 17(1) ground ``erase_ground``),
    ``keep`` until ``keep_until`` (None: no end date yet) on ``ground`` (a key of :data:`KEEP_GROUNDS`,
    with the law in ``statute`` for a statutory duty), or ``decide`` (a policy period runs until
    ``keep_until``: staff choose), with a Dutch ``explanation`` for staff."""

    code: str
    name: str
    outcome: str
    keep_until: dt.date | None
    ground: str | None
    explanation: str
    erase_ground: str | None = None
    statute: str = ""


def rule_for_school_type(rule: RetentionRule, periods: dict[str, PeriodSpec], school_type: str | None
                         ) -> RetentionRule:
    """``rule`` with the period set for ``school_type`` in ``periods`` (docs/legal.md §6: periods differ between
    po, vo and mbo). A period without a source is never statutory: an unsourced period is policy."""
    spec = periods.get(school_type or "")
    if spec is None:
        return rule if rule.note.strip() else replace(rule, statutory=False)
    statutory = spec.statutory and bool(spec.source.strip())
    return replace(rule, months=spec.months, note=spec.source, statutory=statutory)


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
    FIXED: "for {period}, counted from when the student left the school",
    SELECTIELIJST: ("until there is a national selection list (selectielijst) for schools that says when this data "
                    "may go (Archives Act, Archiefwet); until then it is not destroyed"),
    CONSENT: "for as long as the consent applies; once it is withdrawn, we delete the data",
    AFTER_CLOSING: "until {period} after the request has been closed",
}


def describe_retention(kind: str, months: int | None, language: str = "nl", statutory: bool | None = None) -> str:
    """The rule in plain Dutch, e.g. "tot 2 jaar nadat de leerling van school is gegaan", or, with
    ``language="en"``, in plain English ("until 2 years after the student has left the school").

    With ``statutory`` True or False a period says whether the law sets it or it is the school's policy
    (R-RI-3: the reader can tell a legal duty from a choice of the school)."""
    text = _describe(kind, months, language)
    if statutory is None or kind not in KINDS_WITH_PERIOD or kind == AFTER_CLOSING:
        return text
    if language == "en":
        return text + (" (a legal duty)" if statutory else " (the school's own policy, not a legal duty)")
    return text + (" (wettelijke bewaarplicht)" if statutory else " (beleid van de school, geen wettelijke plicht)")


def _describe(kind: str, months: int | None, language: str) -> str:
    if language == "en":
        if kind not in _RETENTION_EN:
            raise ValueError(f"unknown retention kind {kind!r}")
        return _RETENTION_EN[kind].format(period=_period_text(months or 0, "en"))
    if kind == AFTER_LEAVING:
        return f"tot {_period_text(months or 0)} nadat de leerling van school is gegaan"
    if kind == FIXED:
        return f"{_period_text(months or 0)}, gerekend vanaf het vertrek van de leerling"
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


def _statute(rule: RetentionRule) -> str:
    return rule.note.strip() or ("Archiefwet" if rule.kind == SELECTIELIJST else "")


def propose_erasure(rule: RetentionRule, left_on: dt.date | None, today: dt.date) -> ErasureProposal | None:
    """R-RI-3 for one category; None for categories outside the student's file (``after_closing``)."""
    if rule.kind == AFTER_CLOSING:
        return None
    if left_on is not None and left_on > today:
        raise ValueError("the leaving date lies in the future")
    if rule.kind == CONSENT or rule.legal_basis == "6_1_a":
        return ErasureProposal(rule.code, rule.name, "erase", None, None,
                               "Verwerkt op basis van toestemming: het verzoek geldt als intrekking "
                               "(art. 7 lid 3 en art. 17 lid 1 sub b AVG). Stoppen en verwijderen.", "17_1_b")
    statute = _statute(rule) if rule.is_statutory else ""
    if rule.kind == SELECTIELIJST:
        return ErasureProposal(rule.code, rule.name, "keep", None, "art17_3_b",
                               f"Bewaren: wettelijke plicht ({statute}); deze gegevens mogen niet worden vernietigd "
                               "zolang er geen selectielijst is (art. 17 lid 3 sub b AVG). DUO bewaart ook het "
                               "diplomaregister.", None, statute)
    end = keep_until(rule, left_on)
    period = _period_text(rule.months or 0)
    source = f" ({rule.note})" if rule.note else ""
    if end is None:
        if statute:
            return ErasureProposal(rule.code, rule.name, "keep", None, "art17_3_b",
                                   f"Bewaren: de leerling staat nog ingeschreven; de wettelijke bewaartermijn van "
                                   f"{period} ({statute}) begint pas bij uitschrijving (art. 17 lid 3 sub b AVG).",
                                   None, statute)
        return ErasureProposal(rule.code, rule.name, "keep", None, "no_17_1_ground",
                               "Bewaren: de leerling staat nog ingeschreven en de school heeft deze gegevens nodig "
                               "om onderwijs te geven; geen grond van art. 17 lid 1 AVG. Is een los stuk verouderd "
                               "of onrechtmatig, verwijder dat stuk apart (art. 17 lid 1 sub a of d).")
    if today >= end:
        return ErasureProposal(rule.code, rule.name, "erase", None, None,
                               f"De bewaartermijn van {period}{source} is verstreken op {end:%d-%m-%Y}: niet meer "
                               "nodig (art. 17 lid 1 sub a AVG). Verwijderen.", "17_1_a")
    if statute:
        return ErasureProposal(rule.code, rule.name, "keep", end, "art17_3_b",
                               f"Bewaren tot {end:%d-%m-%Y}: de wettelijke bewaartermijn van {period} ({statute}) "
                               "loopt nog (art. 17 lid 3 sub b AVG). Daarna verwijderen.", None, statute)
    return ErasureProposal(rule.code, rule.name, "decide", end, None,
                           f"Beleidstermijn van ASG van {period}{source}, loopt tot {end:%d-%m-%Y}. Dat is geen "
                           "wettelijke plicht: beslis of een grond van art. 17 lid 1 AVG geldt (dan verwijderen), "
                           "of leg vast dat geen grond geldt (dan bewaren tot die datum).")


def decide_item(outcome: str, ground: str | None, legal_basis: str, choice: str) -> tuple[str, str | None, str | None]:
    """Staff's choice for one proposed item (R-RI-3 step 1): a key of :data:`ERASURE_GROUNDS` erases it on
    that ground; :data:`NO_GROUND` keeps it on ``no_17_1_ground``. Returns (outcome, keep ground,
    erase ground). Raises ValueError when the choice is not allowed: a statutory duty (Art. 17(3)(b)) is
    not overridden here, and consent (17(1)(b)) applies only to consent-based data."""
    if outcome == "keep" and ground in ("art17_3_b", "art17_3_e"):
        raise ValueError("statutory")
    if choice == NO_GROUND:
        if legal_basis == "6_1_a":
            raise ValueError("consent")
        return "keep", "no_17_1_ground", None
    if choice not in ERASURE_GROUNDS:
        raise ValueError("choice")
    if choice == "17_1_b" and legal_basis != "6_1_a":
        raise ValueError("consent_basis")
    if choice == "17_1_c" and legal_basis not in ("6_1_e", "6_1_f"):
        raise ValueError("objection_basis")
    return "erase", None, choice


def propose_erasures(rules: list[RetentionRule], left_on: dt.date | None,
                     today: dt.date) -> list[ErasureProposal]:
    """Proposals for every category of the student's file, in the given order."""
    proposals = (propose_erasure(rule, left_on, today) for rule in rules)
    return [p for p in proposals if p is not None]


def erasure_outcome(proposals: list) -> str | None:
    """The review decision the proposals (or recorded items) lead to: ``grant`` (all erased), ``partial`` or
    ``refuse`` (all kept), None while an item is still to decide; a kept category is a (partial) refusal and
    goes to the director (R-RI-3, §10)."""
    if not proposals:
        raise ValueError("no categories to decide on")
    if any(p.outcome == "decide" for p in proposals):
        return None
    kept = sum(1 for p in proposals if p.outcome == "keep")
    if kept == 0:
        return "grant"
    return "refuse" if kept == len(proposals) else "partial"
