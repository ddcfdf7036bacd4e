"""Decisions on restriction, objection, portability and consent withdrawal (docs/legal.md R-RI-4, R-RI-5, R-RI-6,
R-CH-8): pure, no I/O.

Each right has a closed list of outcomes. An outcome either grants the request (the case can be
fulfilled) or refuses it, in which case it carries the legal ground the refusal letter states and goes
through the director (docs/legal.md §10). Whether objection or portability can apply at all follows from the
register's legal basis of each category concerned.

Consent (6(1)(a), R-CH-8, R-RI-5): processing on consent ends when the consent is withdrawn (Art. 7(3)),
which leads to erasure (Art. 17(1)(b)). An objection to consent-based data is handled as a withdrawal
(outcome ``consent_withdrawn``) and is never refused with "legal obligation". Both withdrawal outcomes are
carried out per category: what stopped, what was erased, and Art. 19 notices to the recipients.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .labels import Labels

__all__ = ["OUTCOMES", "RESTRICTION_GROUNDS", "WITHDRAWAL_OUTCOMES", "Outcome", "consent_based", "decision_problem",
           "objection_applies", "portability_applies"]

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
        "consent_withdrawn": Outcome(_l("Toestemming: behandelen als intrekking, stoppen en verwijderen "
                                        "(art. 7 lid 3 en art. 17 lid 1 sub b AVG, R-CH-8)"), True),
    },
    "consent_withdrawal": {
        "withdrawn": Outcome(_l("Intrekking verwerken: stoppen en verwijderen (art. 7 lid 3 en art. 17 lid 1 sub b "
                                "AVG, R-CH-8)"), True),
        "not_consent_based": Outcome(_l("Niet van toepassing: de school gebruikt deze gegevens niet op grond van "
                                        "toestemming"), False,
                                     "Art. 7 lid 3 AVG: intrekken kan alleen bij toestemming; de school gebruikt deze "
                                     "gegevens niet op grond van toestemming, maar op de grond die het "
                                     "verwerkingsregister noemt"),
    },
    "portability": {
        "provided": Outcome(_l("Verstrekken in een gangbaar bestandsformaat (toestemming of overeenkomst)"), True),
        "not_applicable": Outcome(_l("Niet van toepassing: publieke taak; inzagekopie aangeboden (R-RI-6)"), False,
                                  "Art. 20 lid 3 AVG: het recht op overdraagbaarheid geldt niet voor gegevens die de "
                                  "school gebruikt voor haar publieke taak of wettelijke plicht"),
    },
}


#: Outcomes that withdraw consent: carried out as erasure of the consent-based categories (R-CH-8).
WITHDRAWAL_OUTCOMES = ("withdrawn", "consent_withdrawn")


def decision_grants(outcome: str | None) -> bool:
    """Whether a recorded outcome grants the request (outcome keys are unique across rights)."""
    for outcomes in OUTCOMES.values():
        if outcome in outcomes:
            return outcomes[outcome].grants
    return False


def consent_based(legal_basis: str) -> bool:
    """R-CH-8: processing on consent (Art. 6(1)(a)) ends by withdrawal (Art. 7(3)), not by objection."""
    return legal_basis == "6_1_a"


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
    if outcome in WITHDRAWAL_OUTCOMES and not all(consent_based(b) for b in legal_bases):
        return "category_ids", _l("Intrekken van toestemming gaat alleen over gegevens die de school met toestemming "
                                  "gebruikt (art. 6 lid 1 sub a, R-CH-8). Kies alleen zulke categorieën.")
    if right == "consent_withdrawal" and outcome == "not_consent_based" and any(consent_based(b) for b in legal_bases):
        return "outcome", _l("Minstens één gekozen categorie gebruikt de school met toestemming; die toestemming kan "
                             "altijd worden ingetrokken (art. 7 lid 3 AVG, R-CH-8). Kies 'Intrekking verwerken'.")
    if right == "objection":
        applies = [objection_applies(b) for b in legal_bases]
        if any(consent_based(b) for b in legal_bases) and outcome != "consent_withdrawn":
            return "outcome", _l("Deze gegevens gebruikt de school met toestemming. Een bezwaar daartegen geldt als "
                                 "intrekking van de toestemming: stoppen en verwijderen, nooit weigeren met "
                                 "'wettelijke plicht' (R-RI-5, R-CH-8). Kies 'Toestemming: behandelen als intrekking' "
                                 "en behandel andere gegevens in een eigen beslissing.")
        if outcome in ("stopped", "compelling_grounds") and not any(applies):
            return "outcome", _l("Bezwaar kan alleen tegen gebruik op grond van een publieke taak of gerechtvaardigd "
                                 "belang; deze gegevens verwerkt de school op grond van een wettelijke plicht of "
                                 "toestemming (R-RI-5). Kies 'Bezwaar niet mogelijk'.")
        if outcome == "legal_obligation" and any(applies):
            return "outcome", _l("Minstens één gekozen categorie gebruikt de school voor haar publieke taak; daartegen "
                                 "is bezwaar wel mogelijk (R-RI-5). Maak een afweging of stop het gebruik.")
    if right == "portability":
        portable = any(portability_applies(b) for b in legal_bases)
        if outcome == "provided" and not portable:
            return "outcome", _l("Overdraagbaarheid geldt alleen voor gegevens op grond van toestemming of een "
                                 "overeenkomst (R-RI-6). Kies 'Niet van toepassing' en bied inzage aan.")
    return None
