"""The case states and the vocabularies the workflow records (rules.md §10, design.md)."""
from __future__ import annotations

SUBMITTED = "submitted"
AWAITING_REQUESTER = "awaiting_requester"
IDENTITY_CHECKED = "identity_checked"
LEGAL_BASIS_REVIEWED = "legal_basis_reviewed"
AWAITING_DIRECTOR = "awaiting_director"
FULFILLED = "fulfilled"
PARTIALLY_FULFILLED = "partially_fulfilled"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
CLOSED_UNVERIFIED = "closed_unverified"

STATES = (
    SUBMITTED,
    AWAITING_REQUESTER,
    IDENTITY_CHECKED,
    LEGAL_BASIS_REVIEWED,
    AWAITING_DIRECTOR,
    FULFILLED,
    PARTIALLY_FULFILLED,
    REFUSED,
    WITHDRAWN,
    CLOSED_UNVERIFIED,
)
#: States in which the legal clock runs and reminders are due.
OPEN_STATES = (SUBMITTED, AWAITING_REQUESTER, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR)
#: Decided states: the privacy officer may reopen them (objection, complaint, court).
DECIDED_STATES = (FULFILLED, PARTIALLY_FULFILLED, REFUSED)
ENDED_STATES = DECIDED_STATES + (WITHDRAWN, CLOSED_UNVERIFIED)

STATE_LABELS = {
    SUBMITTED: "Ontvangen",
    AWAITING_REQUESTER: "Wacht op aanvrager",
    IDENTITY_CHECKED: "Identiteit gecontroleerd",
    LEGAL_BASIS_REVIEWED: "Juridisch beoordeeld",
    AWAITING_DIRECTOR: "Wacht op directeur",
    FULFILLED: "Uitgevoerd",
    PARTIALLY_FULFILLED: "Deels uitgevoerd",
    REFUSED: "Geweigerd",
    WITHDRAWN: "Ingetrokken",
    CLOSED_UNVERIFIED: "Gesloten (niet geverifieerd)",
}

# Roles (design.md "Who uses it").
STAFF = "staff"
DIRECTOR = "director"
PRIVACY_OFFICER = "privacy_officer"
ADMIN = "admin"
REQUESTER = "requester"
ROLES = (STAFF, DIRECTOR, PRIVACY_OFFICER, ADMIN)
ROLE_LABELS = {
    STAFF: "Leerlingadministratie",
    DIRECTOR: "Directeur",
    PRIVACY_OFFICER: "Privacy officer",
    ADMIN: "Beheerder",
}
#: Roles that work on case content; admins manage users and schools only.
CASEWORK_ROLES = (STAFF, DIRECTOR, PRIVACY_OFFICER)

# Rights (request types) — the contract of dsr.workflows.policy.
RIGHT_LABELS = {
    "access": "Inzage",
    "rectification": "Rectificatie (wijzigen)",
    "erasure": "Verwijdering",
    "restriction": "Beperking van de verwerking",
    "objection": "Bezwaar tegen de verwerking",
    "portability": "Overdraagbaarheid",
}
REQUESTER_LABELS = {
    "student": "De leerling zelf",
    "parent": "Ouder",
    "guardian": "Voogd",
    "representative": "Vertegenwoordiger (gemachtigde)",
}

#: R-ID-1/R-ID-2: the light verification methods; an ID copy is never one of them.
VERIFICATION_METHODS = {
    "portal": "Ingediend of bevestigd via het ouder-/leerlingportaal (Magister/Somtoday)",
    "known_contact": "Antwoord vanaf e-mailadres of telefoonnummer dat al bekend is in de administratie",
    "desk": "Persoonlijk aan de balie van de school",
    "video": "Videogesprek waarin het identiteitsbewijs is getoond (niet gekopieerd)",
    "id_shown": "Identiteitsbewijs getoond aan de balie (niet gekopieerd)",
}

#: What staff may ask the requester for (R-DL-6, R-LT-3).
INFORMATION_KINDS = {
    "identity": "Identiteit van de aanvrager",
    "authority": "Ouderlijk gezag of machtiging",
    "clarification": "Verduidelijking van het verzoek",
}

# Review decisions (design.md: grant / partial / refuse with grounds).
GRANT = "grant"
PARTIAL = "partial"
REFUSE = "refuse"
DECISION_LABELS = {GRANT: "Toewijzen", PARTIAL: "Gedeeltelijk toewijzen", REFUSE: "Weigeren"}

#: R-EX-1 closed list of grounds, plus the policy grounds of §3 and the Art. 17(3) exception.
REFUSAL_GROUNDS = {
    "art15_4": "Art. 15 lid 4 AVG: rechten en vrijheden van anderen (bijv. medeleerlingen)",
    "art12_5": "Art. 12 lid 5 AVG: kennelijk ongegrond of buitensporig verzoek",
    "uavg41_i": "Art. 41 lid 1 sub i UAVG: bescherming van de betrokkene of van anderen",
    "art17_3_b": "Art. 17 lid 3 sub b AVG: wettelijke bewaarplicht of publieke taak",
    "art17_3_e": "Art. 17 lid 3 sub e AVG: rechtsvordering",
    "no_authority": "De aanvrager mag dit recht niet namens de leerling uitoefenen, gezien de leeftijd van de leerling of het ouderlijk gezag",
    "not_factual": "Het gaat niet om een feitelijk onjuist gegeven, maar om een mening of professioneel oordeel; dat wordt niet gewijzigd",
    "not_applicable": "Dit recht geldt niet voor deze verwerking van gegevens",
}
