"""Decisions on restriction, objection and portability (docs/legal.md R-RI-4, R-RI-5, R-RI-6): pure, no I/O.

Each right has a closed list of outcomes. An outcome either grants the request (the case can be
fulfilled) or refuses it, in which case it carries the legal ground the refusal letter states and goes
through the director (docs/legal.md §10). Whether objection or portability can apply at all follows from the
register's legal basis of each category concerned.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .states import Labels

__all__ = ["OUTCOMES", "RESTRICTION_GROUNDS", "Outcome", "decision_problem", "objection_applies",
           "portability_applies"]

#: Art. 18(1)(a)-(d): when a restriction must be granted.
RESTRICTION_GROUNDS = Labels({
    "18_1_a": _l("De juistheid van de gegevens wordt betwist; beperking zolang de school dat controleert "
                 "(art. 18 lid 1 sub a AVG)"),
    "18_1_b": _l("Het gebruik is onrechtmatig, maar de aanvrager wil beperking in plaats van verwijdering "
                 "(art. 18 lid 1 sub b AVG)"),
    "18_1_c": _l("De school heeft de gegevens niet meer nodig, maar de aanvrager heeft ze nodig voor een "
                 "rechtsvordering (art. 18 lid 1 sub c AVG)"),
    "18_1_d": _l("De aanvrager heeft bezwaar gemaakt; beperking zolang dat wordt beoordeeld "
                 "(art. 18 lid 1 sub d AVG)"),
})


@dataclass(frozen=True)
class Outcome:
    """One possible decision: its label for staff (lazy: it reads in the staff member's language), whether it
    grants, and for refusals the ground as a Dutch letter states it (``letter_phrases`` has the others)."""

    label: str
    grants: bool
    ground_text: str = ""


OUTCOMES: dict[str, dict[str, Outcome]] = {
    "restriction": {
        "restricted": Outcome(_l("Beperken: de gegevens worden alleen nog bewaard (R-RI-4)"), True),
        "no_ground": Outcome(_l("Niet beperken: geen van de gronden van art. 18 lid 1 is van toepassing"), False,
                             "Art. 18 lid 1 AVG: geen van de situaties waarin de school het gebruik moet beperken, "
                             "doet zich voor"),
    },
    "objection": {
        "stopped": Outcome(_l("Stoppen met het gebruik (R-RI-5)"), True),
        "compelling_grounds": Outcome(_l("Doorgaan: dwingende gerechtvaardigde gronden (afweging vastgelegd)"),
                                      False,
                                      "Art. 21 lid 1 AVG: de school heeft dwingende redenen om door te gaan die "
                                      "zwaarder wegen dan uw belang"),
        "legal_obligation": Outcome(_l("Bezwaar niet mogelijk: de wet verplicht de school (art. 6 lid 1 sub c)"),
                                    False,
                                    "Art. 21 lid 1 AVG geldt niet: de school gebruikt deze gegevens omdat de wet dat "
                                    "verplicht (art. 6 lid 1 sub c AVG); daartegen is geen bezwaar mogelijk"),
    },
    "portability": {
        "provided": Outcome(_l("Verstrekken in een gangbaar bestandsformaat (toestemming of overeenkomst)"), True),
        "not_applicable": Outcome(_l("Niet van toepassing: publieke taak; inzagekopie aangeboden (R-RI-6)"), False,
                                  "Art. 20 lid 3 AVG: het recht op overdraagbaarheid geldt niet voor gegevens die de "
                                  "school gebruikt voor haar publieke taak of wettelijke plicht"),
    },
}


def objection_applies(legal_basis: str) -> bool:
    """R-RI-5: objection only against processing on Art. 6(1)(e) or (f)."""
    return legal_basis in ("6_1_e", "6_1_f")


def portability_applies(legal_basis: str) -> bool:
    """R-RI-6: portability only for consent- or contract-based (automated) processing."""
    return legal_basis in ("6_1_a", "6_1_b")


def decision_problem(right: str, outcome: str, ground: str | None, explanation: str,
                     legal_bases: list[str]) -> tuple[str, str] | None:
    """Why a decision cannot be recorded, as (field, message in the current language), or None.

    ``legal_bases`` are the register bases of the categories the decision concerns.
    """
    if right not in OUTCOMES:
        return "outcome", _l("Voor dit soort verzoek wordt geen beslissing op deze manier vastgelegd.")
    if outcome not in OUTCOMES[right]:
        return "outcome", _l("Kies een beslissing.")
    if not legal_bases:
        return "category_ids", _l("Kies de categorieën van gegevens waar het verzoek over gaat.")
    if not (explanation or "").strip():
        return "explanation", _l("Leg de beslissing uit; de aanvrager leest deze uitleg in de brief.")
    if right == "restriction" and outcome == "restricted" and ground not in RESTRICTION_GROUNDS:
        return "ground", _l("Kies op welke grond van art. 18 lid 1 de verwerking wordt beperkt.")
    if right == "objection":
        applies = [objection_applies(b) for b in legal_bases]
        if outcome in ("stopped", "compelling_grounds") and not any(applies):
            return "outcome", _l("Bezwaar kan alleen tegen gebruik op grond van een publieke taak of gerechtvaardigd "
                                 "belang; deze gegevens verwerkt de school op grond van een wettelijke plicht of "
                                 "toestemming (R-RI-5). Kies 'Bezwaar niet mogelijk'.")
        if outcome == "legal_obligation" and any(applies):
            return "outcome", _l("Minstens één gekozen categorie gebruikt de school voor haar publieke taak; daartegen "
                                 "is bezwaar wel mogelijk (R-RI-5). Maak een afweging of stop het gebruik.")
    if right == "portability":
        applies = any(portability_applies(b) for b in legal_bases)
        if outcome == "provided" and not applies:
            return "outcome", _l("Overdraagbaarheid geldt alleen voor gegevens op grond van toestemming of een "
                                 "overeenkomst (R-RI-6). Kies 'Niet van toepassing' en bied inzage aan.")
    return None
