"""The sentences dsr writes itself into decision and completion letters, per language (pure data).

``services.corrections.outcome_for_letter`` builds the items a letter lists (what was changed or deleted,
what is kept and why, which recipient was not told) from these phrases in the letter's language, so an
English letter does not carry Dutch sentences that dsr generated. What staff typed (explanations, reasons,
register texts) is quoted as typed. The legal grounds staff choose (``states.REFUSAL_GROUNDS``) are
translated by the message catalogue; the grounds of the restriction/objection/portability outcomes are
here, next to their Dutch text in ``workflows.rights.OUTCOMES``.
"""
from __future__ import annotations

__all__ = ["PHRASES", "phrases_for"]

PHRASES: dict[str, dict[str, str]] = {
    "nl": {
        "changed": "{field} ({category}): gewijzigd in '{new}'.",
        "changed_from": "{field} ({category}): gewijzigd van '{old}' in '{new}'.",
        "statement_added": "{field} ({category}): uw eigen verklaring is aan het dossier toegevoegd.",
        "opinion_reason": "Dit is een mening of professioneel oordeel, geen feitelijk onjuist gegeven. "
                          "In plaats daarvan hebben wij uw eigen verklaring aan het dossier toegevoegd.",
        "erased": "{category}: verwijderd.",
        "must_keep": "De school moet deze gegevens nog bewaren{basis}.",
        "until_selectielijst": "tot er een landelijke selectielijst is die zegt wanneer deze gegevens weg mogen",
        "whole_request": "Uw verzoek",
        "not_learning_results": "De gegevens die geen leerresultaten zijn",
        "refused_part": "Het deel van uw verzoek dat wij niet uitvoeren",
        "right_restriction": "Uw verzoek om het gebruik van de gegevens te beperken",
        "right_objection": "Uw bezwaar tegen het gebruik van de gegevens (artikel 21 AVG)",
        "right_portability": "Uw verzoek om de gegevens in een bestand te ontvangen",
        "exception_impossible": "Onmogelijk",
        "exception_disproportionate": "Onevenredige inspanning",
        # Erasure and consent withdrawal (R-RI-3, R-CH-8): what was erased on which Art. 17(1) ground, what stopped.
        "erased_ground": "{category}: verwijderd ({ground}).",
        "erased_item": "{category}, {document}: verwijderd ({ground}).",
        "withdrawn": "{category}: de toestemming is ingetrokken. Gestopt: {stopped}. Verwijderd: {erased} ({ground}).",
        "ground_17_1_a": "niet meer nodig, artikel 17 lid 1 onder a AVG",
        "ground_17_1_b": "toestemming ingetrokken, artikel 7 lid 3 en artikel 17 lid 1 onder b AVG",
        "ground_17_1_c": "bezwaar, artikel 17 lid 1 onder c AVG",
        "ground_17_1_d": "onrechtmatig gebruikt, artikel 17 lid 1 onder d AVG",
        "still_needed_enrolled": "De leerling staat nog ingeschreven. De school heeft deze gegevens nodig om onderwijs "
                                 "te geven. Daarom is er geen reden uit de wet om ze nu te verwijderen.",
        "still_needed_policy": "Geen wet verplicht de school deze gegevens te bewaren; het is het beleid van de "
                               "school. Wij hebben gekeken of er een reden uit de wet is om ze nu al te verwijderen "
                               "(bijvoorbeeld omdat de school ze niet meer nodig heeft), en die is er niet.",
        "while_enrolled": "zolang de leerling op school zit; daarna geldt de bewaartermijn uit het verwerkingsregister",
        "right_consent_withdrawal": "Uw verzoek om uw toestemming in te trekken",
    },
    "en": {
        "changed": "{field} ({category}): changed to '{new}'.",
        "changed_from": "{field} ({category}): changed from '{old}' to '{new}'.",
        "statement_added": "{field} ({category}): your own statement has been added to the file.",
        "opinion_reason": "This is an opinion or a professional judgement, not a factually incorrect piece of data. "
                          "Instead, we have added your own statement to the file.",
        "erased": "{category}: deleted.",
        "must_keep": "The school still has to keep this data{basis}.",
        "until_selectielijst": "until there is a national selection list (selectielijst) that says when this data "
                               "may go",
        "whole_request": "Your request",
        "not_learning_results": "The data other than learning results",
        "refused_part": "The part of your request that we are not carrying out",
        "right_restriction": "Your request to restrict the use of the data",
        "right_objection": "Your objection to the use of the data (Article 21 GDPR)",
        "right_portability": "Your request to receive the data in a file",
        "exception_impossible": "Impossible",
        "exception_disproportionate": "Disproportionate effort",
        "erased_ground": "{category}: deleted ({ground}).",
        "erased_item": "{category}, {document}: deleted ({ground}).",
        "withdrawn": "{category}: the consent has been withdrawn. Stopped: {stopped}. Deleted: {erased} ({ground}).",
        "ground_17_1_a": "no longer needed, Article 17(1)(a) GDPR",
        "ground_17_1_b": "consent withdrawn, Article 7(3) and Article 17(1)(b) GDPR",
        "ground_17_1_c": "objection, Article 17(1)(c) GDPR",
        "ground_17_1_d": "used unlawfully, Article 17(1)(d) GDPR",
        "still_needed_enrolled": "The student is still enrolled. The school needs this data to teach. So there is no "
                                 "reason in the law to delete it now.",
        "still_needed_policy": "No law requires the school to keep this data; it is the school's own policy. We have "
                               "checked whether there is a reason in the law to delete it now (for example because "
                               "the school no longer needs it), and there is none.",
        "while_enrolled": "for as long as the student is at the school; after that the retention period in the "
                          "register applies",
        "right_consent_withdrawal": "Your request to withdraw your consent",
        "ground_consent_withdrawal_not_consent_based": "Art. 7(3) GDPR: consent can only be withdrawn where the school "
                                                       "relies on consent; the school does not use this data on the "
                                                       "basis of consent, but on the basis the register names",
        # The grounds of workflows.rights.OUTCOMES, as an English letter states them.
        "ground_restriction_no_ground": "Art. 18(1) GDPR: none of the situations in which the school must restrict "
                                        "the use of the data applies",
        "ground_objection_compelling_grounds": "Art. 21(1) GDPR: the school has compelling reasons to continue that "
                                               "outweigh your interests",
        "ground_objection_legal_obligation": "Art. 21(1) GDPR does not apply: the school uses this data because the "
                                             "law requires it (Art. 6(1)(c) GDPR); that cannot be objected to",
        "ground_portability_not_applicable": "Art. 20(3) GDPR: the right to data portability does not apply to data "
                                             "the school uses for its public task or a legal obligation",
    },
}


def phrases_for(language: str | None) -> dict[str, str]:
    """The phrases of ``language``; Dutch for a language without its own."""
    return PHRASES.get(language or "nl", PHRASES["nl"])
