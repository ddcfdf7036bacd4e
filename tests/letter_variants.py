"""The letters of the snapshot tests (tests/test_letter_snapshots.py, its English twin and the PDF layout
tests): transient schools, staff, register categories and cases with a fixed context (nothing read from or
written to the database), every variant of every letter kind in ``VARIANTS``, and ``render_variant``, which
renders one variant and checks it for its mandatory elements."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from dsr.models import Case, PackageDocument, RegisterCategory, RegisterRecipient, RightDecision, School, User
from dsr.services import letter_context
from dsr.services import letters as service
from dsr.services.corrections import LetterOutcome
from dsr.workflows import letters as L
from dsr.workflows import states as S
from dsr.workflows.deadlines import ClockPause
from dsr.workflows.letter_phrases import PHRASES
from dsr.workflows.letters import ListedItem, missing_elements
from dsr.workflows.retention import KEEP_GROUNDS, describe_retention
from dsr.workflows.rights import OUTCOMES
from dsr.workflows.vocabulary import GRANT, PARTIAL, REFUSAL_GROUNDS, REFUSE

SNAPSHOT_DIR = Path(__file__).parent / "snapshots" / "letters"
UPDATE = os.environ.get("DSR_UPDATE_SNAPSHOTS") == "1"
TODAY = dt.date(2026, 2, 27)
REFERENCE = "AVG-2026-00042"
FIXED_CONFIG = {"ORGANISATION_NAME": "Almeerse Scholen Groep", "PRIVACY_OFFICER_EMAIL": "ibp@asg.nl",
                "ORGANISATION_POSTAL_ADDRESS": "Postbus 60276, 1320 AH Almere",
                "PACKAGE_LINK_DAYS": 7, "PUBLIC_BASE_URL": "http://dsr.test", "SUSPENSION_MAX_WORKING_DAYS": 3}

SCHOOL = School(id=3, code="RGB", name="OBS De Regenboog", active=True, appeal_route="bezwaar",
                phone="036 123 45 67", visiting_address="Regenboogweg 1, 1325 AB Almere")
DIRECTOR = User(id=6, name="Ingrid Visser", email="i.visser@asg.test", role="director")
DUO = RegisterRecipient(id=1, code="duo_bron", name="DUO (Dienst Uitvoering Onderwijs), via BRON", kind="duo",
                        active=True, named=True)
OSO = RegisterRecipient(id=2, code="oso", name="De nieuwe school van de leerling (overstapdossier via OSO)",
                        kind="school", active=True, named=True)
GRADES = RegisterCategory(
    id=4, code="cijfers", name="Cijfers, rapporten, overgang en studieadvies", legal_basis="6_1_e",
    description="Cijfers en beoordelingen, rapporten, beslissingen over overgang, studie- en niveauadvies.",
    purpose="Onderwijs geven, de voortgang volgen en beslissen over overgang en advies.",
    retention_kind="after_leaving", retention_months=24, source="Docenten van de school; de vorige school (via OSO).",
    is_learning_result=True, active=True, recipients=[OSO])
EXAM = RegisterCategory(
    id=6, code="centraal_examen", name="Centraal examen: werk en uitslag", legal_basis="6_1_c",
    description="Het gemaakte werk en de antwoordbladen van het centraal examen, met de uitslag.",
    purpose="Het centraal examen afnemen en de uitslag vaststellen.", retention_kind="after_leaving",
    retention_months=6, source="De school en het College voor Toetsen en Examens.", is_learning_result=True,
    active=True, recipients=[DUO])
ZORG = RegisterCategory(
    id=8, code="zorg", name="Zorg en ondersteuning", legal_basis="6_1_c", description="Het ontwikkelingsperspectief.",
    purpose="Ondersteuning geven.", retention_kind="after_leaving", retention_months=24, source="De school.",
    is_learning_result=False, active=True, recipients=[])


def make_case(**overrides) -> Case:
    values = {
        "id": 42, "reference": REFERENCE, "school": SCHOOL, "school_id": SCHOOL.id, "right": "access",
        "state": S.SUBMITTED, "version": 1, "language": "nl", "channel": "web",
        "student_name": "Sam Jansen", "student_birth_date": dt.date(2009, 5, 17), "student_number": None,
        "requester_role": "parent", "requester_name": "Alex Jansen", "requester_email": "alex.jansen@example.nl",
        "parental_authority": True, "details": "", "data_concerned": "", "correct_value": "",
        "received_on": dt.date(2026, 1, 30), "due_on": dt.date(2026, 3, 2), "extended": False, "suspended_days": 0,
        "decision_grounds": "",
    }
    values.update(overrides)
    return Case(**values)


def info_case(**values) -> Case:
    """A father without gezag asks about his 12-year-old (BW 1:377c, R-CH-5)."""
    base = {"state": S.LEGAL_BASIS_REVIEWED, "decision": GRANT, "parental_authority": False,
            "assessment_outcome": "info_only", "assessment_scope": "learning_results",
            "student_birth_date": dt.date(2013, 9, 1)}
    return make_case(**{**base, **values})


def child_case(**values) -> Case:
    """Sam, 12, asks about Sam's own data (letters addressed with "je")."""
    base = {"requester_role": "student", "requester_name": "Sam Jansen", "parental_authority": None,
            "student_birth_date": dt.date(2013, 9, 1)}
    return make_case(**{**base, **values})


def document(n: int, title: str, category: RegisterCategory) -> PackageDocument:
    return PackageDocument(id=n, title=title, category=category, content_type="application/pdf", size_bytes=1000,
                           sha256="0" * 64)


KEPT = ListedItem("Financiële gegevens", (REFUSAL_GROUNDS["art17_3_b"],),
                  "De school moet deze gegevens nog bewaren (Algemene wet inzake rijksbelastingen art. 52 lid 4; "
                  "BW 2:10 lid 3).", dt.date(2030, 7, 31), "7 jaar (wettelijke bewaarplicht)")
DIPLOMA = ListedItem("Diploma en cijferlijst", (REFUSAL_GROUNDS["art17_3_b"],),
                     "De school moet deze gegevens nog bewaren (Archiefwet; Eindexamenbesluit VO).", None,
                     "tot er een landelijke selectielijst is die zegt wanneer deze gegevens weg mogen")
EXCEPTION = ListedItem("Leveranciers van digitaal leermateriaal (lijst per school)",
                       reason="Onmogelijk: de leverancier is failliet en bestaat niet meer.")


PHOTOGRAPHER = "Fotostudio Voorbeeld (demo)"
#: Issue 11 (R-RI-3): a statutory duty cites its article; a policy period kept because no Art. 17(1) ground applies
#: says exactly that (never "the law obliges").
KEPT_STATUTE = ListedItem("Financiële gegevens", (KEEP_GROUNDS["art17_3_b"] + " (AWR art. 52 lid 4; BW 2:10 lid 3)",),
                          PHRASES["nl"]["must_keep"].format(basis=" (AWR art. 52 lid 4; BW 2:10 lid 3)"),
                          dt.date(2030, 7, 31), "7 jaar, gerekend vanaf het vertrek van de leerling")
KEPT_POLICY = ListedItem("Inschrijving en persoonsgegevens", (KEEP_GROUNDS["no_17_1_ground"],),
                         PHRASES["nl"]["still_needed_policy"], dt.date(2028, 7, 31),
                         "tot 5 jaar nadat de leerling van school is gegaan")
WITHDRAWN = PHRASES["nl"]["withdrawn"].format(
    category="Foto's en video's", stopped="Foto's van Sam op de website en in de nieuwsbrief",
    erased="Alle foto's en video's van Sam uit het beeldarchief", ground=PHRASES["nl"]["ground_17_1_b"])


def outcome(**values) -> LetterOutcome:
    base = {"actions": (), "refused": (), "kept": (), "notified": (), "exceptions": ()}
    base.update(values)
    return LetterOutcome(**base)


def decided(kind: str, case: Case, result: LetterOutcome, approved: bool = True) -> dict:
    return {"kind": kind, "case": case, "facts": {
        "refused_items": result.refused if kind != L.COMPLETION else (), "director_approved": approved,
        "actions": result.actions, "recipients_notified": result.notified,
        "recipient_exceptions": result.exceptions, "kept_items": result.kept},
        "context": {"outcome": result, "director": DIRECTOR if approved else None,
                    "approved_on": dt.date(2026, 2, 26) if approved else None}}


def approved_by(variant: dict, approver_kind: str) -> dict:
    """``variant`` approved by someone other than the school's director (services.letter_context.approver_kind)."""
    return {**variant, "context": {**variant["context"], "approver_kind": approver_kind}}


def refusal_case(right="access", **values) -> Case:
    return make_case(right=right, state=S.REFUSED, decision=REFUSE, director_id=DIRECTOR.id, **values)


EXCESSIVE = ListedItem("Uw verzoek", (REFUSAL_GROUNDS["art12_5"],),
                       "U heeft in de afgelopen acht weken vijf keer hetzelfde verzoek gedaan. Op 12 januari 2026 "
                       "hebben wij u alle gegevens gestuurd.")

VARIANTS: dict[str, dict] = {
    "receipt": {"kind": L.RECEIPT, "case": make_case(),
                "facts": {"received_on": dt.date(2026, 1, 30), "due_on": dt.date(2026, 3, 2)}},
    # R-DL-6: which case applies is in the letter (identity, authority, large amount of data; or not paused);
    # R-ID-6: the answer-by date.
    **{name: {
        "kind": L.INFORMATION_REQUEST,
        "case": make_case(state=S.AWAITING_REQUESTER, info_kind=kind, info_requested_on=dt.date(2026, 2, 2),
                          info_reason=reason),
        "facts": {"info_kind": kind, "info_reason": reason, "clock_suspended": pause.paused,
                  "answer_by": dt.date(2026, 3, 13)},
        "context": {"clock_suspended": pause.paused, "pause": pause, "answer_by": dt.date(2026, 3, 13),
                    "pause_max_days": 3}}
       for name, kind, reason, pause in (
           ("information_request_identity_suspended", "identity",
            "Wij kunnen uw e-mailadres niet terugvinden in onze leerlingadministratie.", ClockPause(True, "identity")),
           ("information_request_authority_suspended", "authority",
            "In onze administratie staat u niet als ouder met gezag van Sam.", ClockPause(True, "authority")),
           ("information_request_clarification_running", "clarification",
            "Bedoelt u het hele leerlingdossier of alleen de cijfers van dit schooljaar?",
            ClockPause(False, "clarification_not_large")),
           ("information_request_clarification_large_data", "clarification",
            "Over Sam zijn zes jaar aan gegevens in vier systemen. Welke gegevens zoekt u?",
            ClockPause(True, "large_amount_of_data")),
           ("information_request_identity_late", "identity",
            "Wij kunnen uw e-mailadres niet terugvinden in onze leerlingadministratie.", ClockPause(False, "late")))},
    "extension": {"kind": L.EXTENSION, "case": make_case(
        state=S.IDENTITY_CHECKED, extended=True, due_on=dt.date(2026, 4, 28),
        extension_reason="Het leerlingdossier staat in drie systemen en deels op papier in het archief."),
        "facts": {"new_deadline": dt.date(2026, 4, 28), "extension_sent_on": TODAY,
                  "extension_reasons": "Het leerlingdossier staat in drie systemen en deels op papier in het archief.",
                  "extension_notice_deadline": dt.date(2026, 3, 2)}},
    "refusal_excessive": decided(L.REFUSAL, refusal_case(), outcome(refused=(EXCESSIVE,))),
    # Four-eyes (issue 11 point 8): the school's only director was involved, the privacy adviser approved.
    "refusal_approved_by_privacy_adviser": approved_by(
        decided(L.REFUSAL, refusal_case(), outcome(refused=(EXCESSIVE,))), "privacy_officer"),
    "refusal_appeal_bezwaar_only": {**decided(L.REFUSAL, refusal_case(), outcome(refused=(EXCESSIVE,))),
                                    "route": "bezwaar"},
    "refusal_appeal_rechtbank_only": {**decided(L.REFUSAL, refusal_case(), outcome(refused=(EXCESSIVE,))),
                                      "route": "rechtbank"},
    "refusal_objection_legal_obligation": decided(L.REFUSAL, refusal_case("objection"), outcome(refused=(ListedItem(
        "Uw bezwaar tegen het gebruik van de gegevens (artikel 21 AVG)",
        (OUTCOMES["objection"]["legal_obligation"].ground_text,),
        "De Leerplichtwet verplicht de school om aanwezigheid en verzuim bij te houden."),))),
    "refusal_portability": decided(L.REFUSAL, refusal_case("portability"), outcome(refused=(ListedItem(
        "Uw verzoek om de gegevens in een bestand te ontvangen",
        (OUTCOMES["portability"]["not_applicable"].ground_text,),
        "De cijfers gebruikt de school voor haar taak als onderwijsinstelling."),))),
    "partial_refusal_access_learning_results": decided(L.PARTIAL_REFUSAL, make_case(
        state=S.PARTIALLY_FULFILLED, decision=PARTIAL, assessment_scope="learning_results",
        decision_grounds="student_16", student_birth_date=dt.date(2008, 9, 1)), outcome(
        refused=(ListedItem("De gegevens die geen leerresultaten zijn", (REFUSAL_GROUNDS["student_16"],),
                            "Sam is 17 jaar. Zonder schriftelijke toestemming van Sam krijgt u alleen de "
                            "leerresultaten."),))),
    "refusal_parent_of_adult": decided(L.REFUSAL, refusal_case(decision_grounds="student_18",
                                                               student_birth_date=dt.date(2007, 5, 17)),
                                       outcome(refused=(ListedItem("Uw verzoek", (REFUSAL_GROUNDS["student_18"],),
                                                                   "Sam is 18 jaar. Sam heeft geen toestemming "
                                                                   "gegeven."),))),
    "info_377c_age_12": {"kind": L.INFO_377C, "case": info_case(), "documents": [
        document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
    "info_377c_care_checked": {"kind": L.INFO_377C, "case": info_case(
        care_info="Sam krijgt sinds september twee keer per week extra begeleiding bij rekenen.",
        child_interest_checked_at=dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)),
        "documents": [document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
    "receipt_child_je": {"kind": L.RECEIPT, "case": child_case(),
                         "facts": {"received_on": dt.date(2026, 1, 30), "due_on": dt.date(2026, 3, 2)}},
    "extension_child_je": {"kind": L.EXTENSION, "case": child_case(
        state=S.IDENTITY_CHECKED, extended=True, due_on=dt.date(2026, 4, 28),
        extension_reason="Je dossier staat in drie systemen en deels op papier in het archief."),
        "facts": {"new_deadline": dt.date(2026, 4, 28), "extension_sent_on": TODAY,
                  "extension_reasons": "Je dossier staat in drie systemen en deels op papier in het archief.",
                  "extension_notice_deadline": dt.date(2026, 3, 2)}},
    "refusal_child_je": decided(L.REFUSAL, child_case(right="erasure", state=S.REFUSED, decision=REFUSE,
                                                      director_id=DIRECTOR.id), outcome(refused=(KEPT,))),
    "refusal_child_je_rechtbank": {**decided(L.REFUSAL, child_case(right="erasure", state=S.REFUSED,
                                                                   decision=REFUSE, director_id=DIRECTOR.id),
                                             outcome(refused=(KEPT,))), "route": "rechtbank"},
    "partial_refusal_child_je": decided(L.PARTIAL_REFUSAL, child_case(
        right="rectification", state=S.PARTIALLY_FULFILLED, decision=PARTIAL), outcome(
        actions=("Geboortedatum (Inschrijving en persoonsgegevens): gewijzigd van '14-03-2013' in '14-03-2014'.",),
        notified=(DUO.name,),
        refused=(ListedItem("Opmerking van de mentor", (REFUSAL_GROUNDS["not_factual"],),
                            "Dit is een mening van de mentor, geen fout in een gegeven."),))),
    "completion_child_je": decided(L.COMPLETION, child_case(right="rectification", state=S.FULFILLED,
                                                            decision=GRANT), outcome(
        actions=("Adres (Inschrijving en persoonsgegevens): gewijzigd in 'Stationsstraat 1, Almere'.",),
        notified=(DUO.name,)), approved=False),
    "access_cover_child_je": {"kind": L.ACCESS_COVER, "case": child_case(
        state=S.LEGAL_BASIS_REVIEWED, decision=GRANT, assessment_scope="full"),
        "documents": [document(1, "Rapport leerjaar 1, eerste periode", GRADES)]},
    "partial_refusal_erasure": decided(L.PARTIAL_REFUSAL, make_case(
        right="erasure", requester_role="student", requester_name="Sam Jansen", state=S.PARTIALLY_FULFILLED,
        decision=PARTIAL), outcome(
        actions=("Leerlingdossier (algemeen): verwijderd.", "Zorg en ondersteuning: verwijderd.",
                 "Foto's en video's: verwijderd."),
        notified=(OSO.name, "Samenwerkingsverband passend onderwijs Almere"), exceptions=(EXCEPTION,),
        refused=(KEPT, DIPLOMA), kept=(KEPT, DIPLOMA))),
    "partial_refusal_rectification_opinion": decided(L.PARTIAL_REFUSAL, make_case(
        right="rectification", requester_role="student", requester_name="Sam Jansen", state=S.PARTIALLY_FULFILLED,
        decision=PARTIAL), outcome(
        actions=("Geboortedatum (Inschrijving en persoonsgegevens): gewijzigd van '14-03-2008' in '14-03-2009'.",
                 "Opmerking van de mentor (Leerlingdossier (algemeen)): uw eigen verklaring is aan het dossier "
                 "toegevoegd."),
        notified=(DUO.name,),
        refused=(ListedItem("Opmerking van de mentor", (REFUSAL_GROUNDS["not_factual"],),
                            "Dit is een mening of professioneel oordeel, geen feitelijk onjuist gegeven. In plaats "
                            "daarvan hebben wij uw eigen verklaring aan het dossier toegevoegd."),))),
    "completion_rectification": decided(L.COMPLETION, make_case(right="rectification", state=S.FULFILLED,
                                                                decision=GRANT), outcome(
        actions=("Adres (Inschrijving en persoonsgegevens): gewijzigd van 'Dorpsstraat 3, Almere' in "
                 "'Stationsstraat 1, Almere'.",),
        notified=(DUO.name, "Leerplicht en RMC, gemeente Almere", OSO.name), exceptions=(EXCEPTION,)), approved=False),
    "completion_restriction": decided(L.COMPLETION, make_case(right="restriction", state=S.FULFILLED,
                                                              decision=GRANT), outcome(
        actions=("De verzuimgegevens van maart worden alleen bewaard zolang wij controleren of ze kloppen.",),
        notified=(DUO.name, "Leerplicht en RMC, gemeente Almere")), approved=False),
    "completion_no_recipients": decided(L.COMPLETION, make_case(right="rectification", state=S.FULFILLED,
                                                                decision=GRANT), outcome(
        actions=("Factuuradres (Financiële gegevens): gewijzigd van 'Dorpsstraat 3' in 'Stationsstraat 1'.",)),
        approved=False),
    "completion_objection_stopped": decided(L.COMPLETION, make_case(right="objection", state=S.FULFILLED,
                                                                    decision=GRANT), outcome(
        actions=("De school gebruikt de gegevens in het oefenprogramma niet meer voor extra analyses.",)),
        approved=False),
    "partial_refusal_erasure_statute_and_policy": decided(L.PARTIAL_REFUSAL, make_case(
        right="erasure", requester_role="student", requester_name="Sam Jansen", state=S.PARTIALLY_FULFILLED,
        decision=PARTIAL), outcome(
        actions=tuple(PHRASES["nl"]["erased_ground"].format(category=c, ground=PHRASES["nl"]["ground_17_1_a"])
                      for c in ("Leerlingdossier (algemeen)", "Aanwezigheid en verzuim")),
        notified=(OSO.name, "Leerplicht en RMC, gemeente Almere"), refused=(KEPT_POLICY, KEPT_STATUTE),
        kept=(KEPT_POLICY, KEPT_STATUTE), notifies=True)),
    "completion_consent_withdrawal": decided(L.COMPLETION, make_case(
        right="consent_withdrawal", state=S.FULFILLED, decision=GRANT), outcome(
        actions=(WITHDRAWN, "Wij gebruiken geen foto's van Sam meer."), notified=(PHOTOGRAPHER,), notifies=True,
        decision=RightDecision(outcome="withdrawn")), approved=False),
    "completion_objection_consent_withdrawn": decided(L.COMPLETION, make_case(
        right="objection", state=S.FULFILLED, decision=GRANT), outcome(
        actions=(WITHDRAWN, "Wij gebruiken geen foto's van Sam meer."), notified=(PHOTOGRAPHER,), notifies=True,
        decision=RightDecision(outcome="consent_withdrawn")), approved=False),
    "access_cover_learning_results": {"kind": L.ACCESS_COVER, "case": make_case(
        state=S.LEGAL_BASIS_REVIEWED, decision=PARTIAL, assessment_scope="learning_results"),
        "documents": [document(1, "Rapport leerjaar 5", GRADES), document(2, "Cijferlijst centraal examen", EXAM)]},
    "access_cover_student_full": {"kind": L.ACCESS_COVER, "case": make_case(
        state=S.LEGAL_BASIS_REVIEWED, decision=GRANT, assessment_scope="full", requester_role="student",
        requester_name="Sam Jansen", parental_authority=None),
        "documents": [document(1, "Ontwikkelingsperspectief 2025", ZORG)]},
}


def render_variant(app, name: str, variants: dict | None = None, language: str = "nl") -> service.Draft:
    """Variant ``name`` rendered in ``language`` and checked in that language (also used by the English
    snapshots in tests/test_letter_snapshots_en.py)."""
    spec = (variants or VARIANTS)[name]
    kind, case = spec["kind"], spec["case"]
    with app.app_context():
        for key, value in FIXED_CONFIG.items():
            app.config[key] = value
        case.school.appeal_route = spec.get("route", "bezwaar")
        facts, context = letter_context.base_context(case, kind, TODAY)
        facts.update(spec.get("facts", {}))
        context.update(spec.get("context", {}))
        if kind in (L.ACCESS_COVER, L.INFO_377C):
            documents = spec["documents"]
            categories = list(dict.fromkeys(d.category for d in documents))
            facts.update(documents=tuple(d.title for d in documents),
                         recipients=tuple(sorted({r.name for c in categories for r in c.active_recipients})),
                         categories=tuple(L.CategoryInfo(c.name, c.purpose, describe_retention(
                             c.retention_kind, c.retention_months, language), c.source) for c in categories))
            facts.update(scope=case.assessment_scope or "", student_age=context["student_age"],
                         care_info=case.care_info or "",
                         child_interest_checked=case.child_interest_checked_at is not None,
                         unnamed_recipients=tuple(r.name for c in categories for r in c.active_recipients
                                                  if r.named is False))
            context.update(documents=documents, categories=categories, link_days=7)
        title, text, used = service.render_letter(kind, language, context, service.letter_variant(case, TODAY))
        letter_facts = L.LetterFacts(**facts)
        return service.Draft(kind, used.split("_")[0], title, text, letter_facts,
                             tuple(missing_elements(letter_facts, text, used)), used.partition("_")[2])
