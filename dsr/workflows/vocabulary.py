"""What the workflow records besides states and roles (docs/legal.md §10): the rights (request types),
who asks and about whom, how identity was checked, what may be asked, the decisions and their grounds,
and the school's type and appeal route. Keys are stored; labels are translated on lookup.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .labels import Labels

# Rights (request types) — the contract of dsr.workflows.policy.
RIGHT_LABELS = Labels({
    "access": _l("Inzage"),
    "rectification": _l("Rectificatie (wijzigen)"),
    "erasure": _l("Verwijdering"),
    "restriction": _l("Beperking van de verwerking"),
    "objection": _l("Bezwaar tegen het gebruik van gegevens (art. 21 AVG)"),
    "portability": _l("Overdraagbaarheid"),
    "consent_withdrawal": _l("Toestemming intrekken"),
})
REQUESTER_LABELS = Labels({
    "student": _l("De leerling zelf"),
    "parent": _l("Ouder"),
    "guardian": _l("Voogd"),
    "representative": _l("Vertegenwoordiger (gemachtigde)"),
    "carer": _l("Verzorger (stiefouder, pleegouder)"),
})
#: Whose data a request is about (policy.SUBJECTS): the student's, or the requester's own.
SUBJECT_LABELS = Labels({
    "student": _l("De leerling"),
    "requester": _l("Mijzelf (ouder/verzorger)"),
})

#: R-ID-1/R-ID-2: the light verification methods; an ID copy is never one of them.
VERIFICATION_METHODS = Labels({
    "portal": _l("Ingediend of bevestigd via het ouder-/leerlingportaal (Magister/Somtoday)"),
    "known_contact": _l("Antwoord vanaf e-mailadres of telefoonnummer dat al bekend is in de administratie"),
    "desk": _l("Persoonlijk aan de balie van de school"),
    "video": _l("Videogesprek waarin het identiteitsbewijs is getoond (niet gekopieerd)"),
    "id_shown": _l("Identiteitsbewijs getoond aan de balie (niet gekopieerd)"),
})

#: What staff may ask the requester for (R-DL-6, R-LT-3).
INFORMATION_KINDS = Labels({
    "identity": _l("Identiteit van de aanvrager"),
    "authority": _l("Ouderlijk gezag of machtiging"),
    "clarification": _l("Verduidelijking van het verzoek"),
})

# Review decisions (docs/legal.md §10: grant / partial / refuse with grounds).
GRANT = "grant"
PARTIAL = "partial"
REFUSE = "refuse"
DECISION_LABELS = Labels({GRANT: _l("Toewijzen"), PARTIAL: _l("Gedeeltelijk toewijzen"), REFUSE: _l("Weigeren")})

#: R-EX-1 closed list of grounds, plus the policy grounds of §3 and the Art. 17(3) exception. Each ground names
#: its source, so the letter that cites it tells the requester what the refusal rests on (R-LT-1).
REFUSAL_GROUNDS = Labels({
    "art15_4": _l("Art. 15 lid 4 AVG: rechten en vrijheden van anderen (bijv. medeleerlingen)"),
    "art12_5": _l("Art. 12 lid 5 AVG: kennelijk ongegrond of buitensporig verzoek"),
    "uavg41_i": _l("Art. 41 lid 1 sub i UAVG: bescherming van de betrokkene of van anderen"),
    "art17_3_b": _l("Art. 17 lid 3 sub b AVG: wettelijke bewaarplicht of publieke taak"),
    "art17_3_e": _l("Art. 17 lid 3 sub e AVG: rechtsvordering"),
    # R-CH-3, R-CH-4, R-CH-5: who may exercise the student's rights, each with its own basis.
    "student_16": _l("De leerling is 16 jaar of ouder en oefent de privacyrechten zelf uit; een ouder kan dat "
                     "alleen met schriftelijke toestemming van de leerling, en krijgt zonder die toestemming alleen "
                     "de leerresultaten (privacyverklaring van ASG: de rechten gaan over op de leerling als deze 16 "
                     "jaar wordt; Autoriteit Persoonsgegevens over de privacyrechten van kinderen)"),
    "student_18": _l("De leerling is 18 jaar of ouder (meerderjarig) en beslist zelf over zijn of haar gegevens; "
                     "een ouder krijgt gegevens alleen met toestemming van de leerling (privacyverklaring van ASG; "
                     "het ouderlijk gezag eindigt bij 18 jaar, art. 1:233 BW)"),
    "no_gezag": _l("De aanvrager heeft geen ouderlijk gezag over de leerling en kan daarom geen privacyrechten "
                   "namens de leerling uitoefenen; een ouder zonder gezag heeft wel recht op informatie over "
                   "belangrijke zaken rond het kind (art. 1:377c BW)"),
    "not_factual": _l("Het gaat niet om een feitelijk onjuist gegeven, maar om een mening of professioneel oordeel; "
                      "dat wordt niet gewijzigd"),
    "not_applicable": _l("Dit recht geldt niet voor deze verwerking van gegevens"),
})
#: Grounds no longer offered for new decisions, kept so that decisions stored with them stay readable.
RETIRED_REFUSAL_GROUNDS = Labels({
    "no_authority": _l("De aanvrager mag dit recht niet namens de leerling uitoefenen, gezien de leeftijd van de "
                       "leerling of het ouderlijk gezag"),
})
#: Every ground a stored decision can carry (current and retired): use this to show a stored value.
GROUND_LABELS = Labels({**REFUSAL_GROUNDS._labels, **RETIRED_REFUSAL_GROUNDS._labels})
#: The grounds after which a letter explains how the student can give consent (R-CH-3, R-CH-4).
CONSENT_GROUNDS = ("student_16", "student_18")

#: Types of school (retention periods can differ per type, docs/legal.md).
SCHOOL_TYPES = ("po", "vo", "mbo")
SCHOOL_TYPE_LABELS = Labels({
    "po": _l("Primair onderwijs"),
    "vo": _l("Voortgezet onderwijs"),
    "mbo": _l("Middelbaar beroepsonderwijs"),
})
#: The one legal remedy against a refusal, per school: Awb bezwaar (UAVG art. 34) or the court (UAVG art. 35).
APPEAL_ROUTES = ("bezwaar", "rechtbank")
APPEAL_ROUTE_LABELS = Labels({
    "bezwaar": _l("Bezwaarschrift bij het bestuur binnen zes weken (Algemene wet bestuursrecht; art. 34 UAVG): "
                  "het bestuur beslist als bestuursorgaan, zoals bij openbaar onderwijs"),
    "rechtbank": _l("Verzoekschrift bij de rechtbank binnen zes weken (art. 35 UAVG): het bestuur is een "
                    "privaatrechtelijke rechtspersoon, zoals bij bijzonder onderwijs"),
})
