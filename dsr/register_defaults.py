"""ASG's default processing register, from ASG's privacy statement and docs/legal.md §6.

What the statement says and where it lands here:

* "studievoortgangsgegevens, zoals examenresultaten, aanwezigheidsregistratie en te volgen
  studietrajecten" and "naam, adres, geboortedatum en BSN" -> the categories below;
* "De leveranciers van die leermaterialen ontvangen een beperkt aantal leerlinggegevens" and
  "persoonsgegevens gedeeld met de Dienst Uitvoering Onderwijs ... een wettelijke verplichting"
  -> the recipients DUO (BRON) and the learning-material suppliers;
* "Voor de meeste gegevens geldt een bewaartermijn van 2 jaar na beëindigen van de opleiding.
  Sommige gegevens, zoals financiële, moeten we ... 7 jaar bewaren" -> 24 months after leaving
  by default, 84 months fixed for financial records; the other periods come from docs/legal.md §6.

* "Leerlinginformatie wordt alleen gedeeld met andere organisaties als ouders daar toestemming voor
  geven, tenzij die uitwisseling verplicht is volgens de wet" -> the consent-based category
  "delen_met_toestemming"; each consent-based category says in ``consent_covers`` what the consent
  covers (R-CH-8), so a withdrawal says what stops.

Retention (R-RI-3): ``retention_statutory`` is True only where a statute sets the period, named with
its article in ``retention_note``; every other period is ASG policy. ``periods`` holds the periods
that differ per school type (po/vo/mbo, docs/legal.md §6); a type without an entry uses the category's own.

The statement names no individual suppliers. Art. 15(1)(c) wants named recipients (C-154/21), so the
supplier entry is a placeholder (``named`` False) that the privacy officer must replace with one entry
per supplier; the register page warns until then (docs/fulfilment.md).
Seeding is idempotent: existing codes are left as the privacy officer edited them.
"""
from __future__ import annotations

RECIPIENTS = [
    {
        "code": "duo_bron", "name": "DUO (Dienst Uitvoering Onderwijs), via BRON", "kind": "duo", "processor": False,
        "description": "De overheidsdienst die onder meer bekostiging, leerplicht en diploma's registreert. Scholen "
                       "moeten gegevens van leerlingen doorgeven via BRON, het Basisregister Onderwijs.",
        "notification_route": "Correctie doorgeven via de eigen BRON-uitwisseling van de school; DUO volgt de "
                              "gegevens van de school (ABRvS 12-05-2021).",
    },
    {
        "code": "leermiddelen", "name": "Leveranciers van digitaal leermateriaal (lijst per school)",
        "kind": "supplier", "processor": True, "named": False,
        "description": "Uitgevers en distributeurs van lesmethodes en oefenprogramma's. Zij krijgen alleen wat nodig "
                       "is om in te loggen en de voortgang bij te houden (zoals naam, klas en een nummer), en werken "
                       "volgens het Privacyconvenant Onderwijs. Vervang deze regel door één regel per leverancier.",
        "notification_route": "Melden aan de leverancier (verwerker, art. 28 lid 3 sub e AVG), meestal via de "
                              "distributeur of het beheerportaal van de leverancier.",
    },
    {
        "code": "swv", "name": "Samenwerkingsverband passend onderwijs Almere", "kind": "swv", "processor": False,
        "description": "De scholen in de regio die samen extra ondersteuning regelen. Zij krijgen gegevens als een "
                       "leerling extra ondersteuning of een plek in het speciaal onderwijs nodig heeft.",
        "notification_route": "Schriftelijk melden aan het samenwerkingsverband.",
    },
    {
        "code": "leerplicht", "name": "Leerplicht en RMC, gemeente Almere", "kind": "municipality", "processor": False,
        "description": "De leerplichtambtenaar van de gemeente. De school moet ongeoorloofd verzuim en vertrek van "
                       "school melden (Leerplichtwet).",
        "notification_route": "Via het verzuimloket van DUO of rechtstreeks aan de leerplichtambtenaar.",
    },
    {
        "code": "oso", "name": "De nieuwe school van de leerling (overstapdossier via OSO)", "kind": "school",
        "processor": False,
        "description": "Gaat een leerling naar een andere school, dan krijgt die school een overstapdossier via OSO "
                       "(Overstapservice Onderwijs). Ouders en leerling kunnen dat dossier vooraf inzien.",
        "notification_route": "Schriftelijk melden aan de nieuwe school.",
    },
    {
        "code": "ap_rechter", "name": "Autoriteit Persoonsgegevens of de rechter (alleen bij een klacht of rechtszaak)",
        "kind": "authority", "processor": False,
        "description": "Alleen als iemand een klacht indient of naar de rechter gaat over een privacyverzoek.",
        "notification_route": "",
    },
]

_LEAVE_2Y = ("Geen wettelijke termijn; beleid van ASG (privacystatement: 2 jaar na beëindigen van de opleiding), "
             "afgeleid van het vroegere Vrijstellingsbesluit Wbp")
_PO_5Y = ("5 jaar na uitschrijving: Bekostigingsbesluit WPO (volgens de PO-Raad); bewaarplicht voor de "
          "leerlingadministratie van het primair onderwijs")
_POLICY_5Y = ("Geen wettelijke termijn gevonden voor dit schooltype; beleid van ASG (5 jaar na uitschrijving, "
              "zoals in het po)")

CATEGORIES = [
    {
        "code": "inschrijving", "name": "Inschrijving en persoonsgegevens",
        "description": "Naam, adres, geboortedatum, burgerservicenummer (BSN) of onderwijsnummer, contactgegevens "
                       "van ouders of verzorgers, datum van in- en uitschrijving.",
        "purpose": "De leerling inschrijven en herkennen, contact houden met leerling en ouders, en de verplichte "
                   "gegevens aan DUO doorgeven.",
        "legal_basis": "6_1_c", "legal_basis_note": "Wet op het voortgezet onderwijs 2020; Wet primair onderwijs",
        "retention_kind": "after_leaving", "retention_months": 60, "retention_note": _POLICY_5Y,
        "retention_statutory": False, "periods": {"po": (60, True, _PO_5Y)},
        "is_learning_result": False,
        "source": "De ouders of de leerling bij inschrijving; de vorige school (via OSO); adresgegevens uit de "
                  "Basisregistratie Personen via DUO.",
        "recipients": ["duo_bron", "leermiddelen", "leerplicht", "oso"],
    },
    {
        "code": "verzuim", "name": "Aanwezigheid en verzuim",
        "description": "Wanneer de leerling er wel of niet was, te laat kwam of verlof had.",
        "purpose": "Toezien op aanwezigheid en verzuim melden zoals de Leerplichtwet voorschrijft.",
        "legal_basis": "6_1_c", "legal_basis_note": "Leerplichtwet 1969",
        "retention_kind": "after_leaving", "retention_months": 60, "retention_note": _POLICY_5Y,
        "retention_statutory": False, "periods": {"po": (60, True, _PO_5Y)},
        "is_learning_result": False,
        "source": "Docenten en de leerlingadministratie van de school.",
        "recipients": ["leerplicht", "duo_bron"],
    },
    {
        "code": "leerlingdossier", "name": "Leerlingdossier (algemeen)",
        "description": "Verslagen van gesprekken, notities van de mentor in het leerlingvolgsysteem, correspondentie "
                       "met ouders, meldingen van incidenten.",
        "purpose": "De leerling volgen en begeleiden tijdens de schoolloopbaan.",
        "legal_basis": "6_1_e", "legal_basis_note": "Wet op het voortgezet onderwijs 2020 (zorgplicht en begeleiding)",
        "retention_kind": "after_leaving", "retention_months": 24, "retention_note": _LEAVE_2Y,
        "is_learning_result": False,
        "source": "Medewerkers van de school; de ouders en de leerling.",
        "recipients": ["oso"],
    },
    {
        "code": "cijfers", "name": "Cijfers, rapporten, overgang en studieadvies",
        "description": "Cijfers en beoordelingen, rapporten, beslissingen over overgang naar het volgende leerjaar, "
                       "studie- en niveauadvies.",
        "purpose": "Onderwijs geven, de voortgang volgen en beslissen over overgang en advies.",
        "legal_basis": "6_1_e", "legal_basis_note": "Wet op het voortgezet onderwijs 2020",
        "retention_kind": "after_leaving", "retention_months": 24, "retention_note": _LEAVE_2Y,
        "is_learning_result": True,
        "source": "Docenten van de school; de vorige school (via OSO).",
        "recipients": ["oso"],
    },
    {
        "code": "schoolexamen", "name": "Schoolexamen (PTA): werk en resultaten",
        "description": "Toetsen en werkstukken van het schoolexamen volgens het programma van toetsing en afsluiting "
                       "(PTA), met de beoordeling.",
        "purpose": "Het schoolexamen afnemen en beoordelen.",
        "legal_basis": "6_1_c", "legal_basis_note": "Eindexamenbesluit VO",
        "retention_kind": "after_leaving", "retention_months": 24,
        "retention_note": "Geen wettelijke termijn; beleid van ASG (2 jaar na vertrek)", "retention_statutory": False,
        "is_learning_result": True,
        "source": "Docenten en de examencommissie van de school.",
        "recipients": [],
    },
    {
        "code": "centraal_examen", "name": "Centraal examen: werk en uitslag",
        "description": "Het gemaakte werk en de antwoordbladen van het centraal examen, met de uitslag.",
        "purpose": "Het centraal examen afnemen en de uitslag vaststellen.",
        "legal_basis": "6_1_c", "legal_basis_note": "Eindexamenbesluit VO",
        "retention_kind": "after_leaving", "retention_months": 6,
        "retention_note": "Ten minste 6 maanden na de uitslag, Eindexamenbesluit VO art. 57 (geteld vanaf vertrek)",
        "retention_statutory": True,
        "periods": {"mbo": (18, False, "Geen wettelijke termijn; 1,5 jaar na diplomering volgens de Inspectie van het "
                                       "Onderwijs (via het Servicepunt examinering mbo): beleid van ASG")},
        "is_learning_result": True,
        "source": "De school en het College voor Toetsen en Examens.",
        "recipients": ["duo_bron"],
    },
    {
        "code": "diploma", "name": "Diploma en cijferlijst",
        "description": "Gegevens over het behaalde diploma en de cijferlijst.",
        "purpose": "Vastleggen welk diploma de leerling heeft behaald, ook voor later.",
        "legal_basis": "6_1_c", "legal_basis_note": "Archiefwet; Eindexamenbesluit VO",
        "retention_kind": "until_selectielijst", "retention_months": None,
        "retention_note": "Archiefwet 1995 art. 3 en 5; niet vernietigen zolang er geen selectielijst is (advies "
                          "VO-raad); DUO houdt ook een diplomaregister bij",
        "retention_statutory": True,
        "is_learning_result": True,
        "source": "De school en het College voor Toetsen en Examens.",
        "recipients": ["duo_bron"],
    },
    {
        "code": "zorg", "name": "Zorg en ondersteuning",
        "description": "Het ontwikkelingsperspectief (OPP), verslagen van begeleiding, ondersteuning en onderzoek, "
                       "gegevens over gezondheid voor zover nodig voor de begeleiding.",
        "purpose": "De leerling de ondersteuning geven die hij of zij nodig heeft.",
        "legal_basis": "6_1_c", "legal_basis_note": "Wet op het voortgezet onderwijs 2020 (passend onderwijs)",
        "retention_kind": "after_leaving", "retention_months": 24, "retention_note": _LEAVE_2Y,
        "is_learning_result": False,
        "source": "Medewerkers van de school; ouders; het samenwerkingsverband; onderzoekers of hulpverleners met "
                  "toestemming van ouders of leerling.",
        "recipients": ["swv", "oso"],
    },
    {
        "code": "verwijzing", "name": "Verwijzing naar speciaal onderwijs",
        "description": "De aanvraag van een toelaatbaarheidsverklaring en de stukken over een overstap naar het "
                       "(voortgezet) speciaal onderwijs.",
        "purpose": "Een passende plek voor de leerling regelen.",
        "legal_basis": "6_1_c", "legal_basis_note": "Wet op het voortgezet onderwijs 2020 art. 17a (passend onderwijs)",
        "retention_kind": "after_leaving", "retention_months": 36,
        "retention_note": "Geen wettelijke termijn gevonden; beleid van ASG (3 jaar na vertrek, zoals de PO-Raad "
                          "aanraadt)",
        "retention_statutory": False,
        "is_learning_result": False,
        "source": "De school, de ouders en het samenwerkingsverband.",
        "recipients": ["swv"],
    },
    {
        "code": "financieel", "name": "Financiële gegevens",
        "description": "De vrijwillige ouderbijdrage, facturen en betalingen (bijvoorbeeld voor excursies).",
        "purpose": "Bijdragen en betalingen administreren.",
        "legal_basis": "6_1_c", "legal_basis_note": "Algemene wet inzake rijksbelastingen art. 52 lid 4; BW 2:10 lid 3",
        "retention_kind": "fixed", "retention_months": 84,
        "retention_note": "AWR art. 52 lid 4; BW 2:10 lid 3",
        "retention_statutory": True,
        "is_learning_result": False,
        "source": "De ouders of verzorgers.",
        "recipients": [],
    },
    {
        "code": "beeldmateriaal", "name": "Foto's en video's",
        "description": "Foto's en video's van de leerling, bijvoorbeeld op de website of in de schoolgids.",
        "purpose": "Laten zien wat er op school gebeurt.",
        "legal_basis": "6_1_a", "legal_basis_note": "Toestemming van de ouders (leerling onder 16) of de leerling",
        "retention_kind": "consent", "retention_months": None, "retention_note": "",
        "consent_covers": "Foto's en video's waarop de leerling herkenbaar is gebruiken op de website, in de "
                          "schoolgids, in nieuwsbrieven en op sociale media van de school.",
        "is_learning_result": False,
        "source": "Medewerkers van de school.",
        "recipients": [],
    },
    {
        "code": "delen_met_toestemming", "name": "Gegevens delen met andere organisaties (met toestemming)",
        "description": "Gegevens over de leerling die de school aan een organisatie buiten de school geeft als de wet "
                       "dat niet verplicht, bijvoorbeeld aan een hulpverlener of een onderzoeker.",
        "purpose": "Samenwerken met een organisatie buiten de school, alleen als ouders (of de leerling vanaf 16 jaar) "
                   "daar toestemming voor geven.",
        "legal_basis": "6_1_a",
        "legal_basis_note": "Toestemming van de ouders (leerling onder 16) of de leerling (privacystatement van ASG: "
                            "leerlinginformatie wordt alleen met toestemming gedeeld, tenzij de wet het verplicht)",
        "retention_kind": "consent", "retention_months": None, "retention_note": "",
        "consent_covers": "Het delen van de gegevens waarvoor toestemming is gegeven met de organisatie die in de "
                          "toestemming staat. Wat de wet verplicht (zoals aan DUO of de leerplichtambtenaar) valt "
                          "hier niet onder.",
        "is_learning_result": False,
        "source": "De school; de ouders of de leerling.",
        "recipients": [],
    },
    {
        "code": "leermiddelen", "name": "Digitaal leermateriaal",
        "description": "Inloggegevens en voortgang in digitale lesmethodes en oefenprogramma's.",
        "purpose": "Digitaal leermateriaal gebruiken in de lessen.",
        "legal_basis": "6_1_e", "legal_basis_note": "Wet op het voortgezet onderwijs 2020; Privacyconvenant Onderwijs",
        "retention_kind": "after_leaving", "retention_months": 24, "retention_note": _LEAVE_2Y,
        "is_learning_result": False,
        "source": "De school; de leerling tijdens het werken in het programma.",
        "recipients": ["leermiddelen"],
    },
    {
        "code": "avg_verzoeken", "name": "Afhandeling van privacyverzoeken",
        "description": "Wie een verzoek deed, over welke leerling, wat er is besloten en wat er is verstuurd "
                       "(dit systeem). Een kopie van een identiteitsbewijs bewaren wij nooit.",
        "purpose": "Privacyverzoeken binnen de wettelijke termijn behandelen en kunnen laten zien dat dat goed "
                   "is gebeurd.",
        "legal_basis": "6_1_c", "legal_basis_note": "AVG art. 5 lid 2, art. 12 en art. 24",
        "retention_kind": "after_closing", "retention_months": 60,
        "retention_note": "5 jaar na afronding; het inzagepakket zelf 6 maanden na verzending",
        "is_learning_result": False,
        "source": "De aanvrager en de school.",
        "recipients": ["ap_rechter"],
    },
]
