"""What each audit event means, as a sentence for the history on the case page (issue 15 point 5).

The audit log stores an action key (``transition.verify_identity``, ``case.viewed``, ...) and a few
facts in its details. Staff read "Identiteit vastgesteld door A. Jansen, via bekend e-mailadres of
telefoonnummer" instead: :data:`ACTION_LABELS` holds one sentence per action (``%(who)s`` is who did
it) and :data:`DETAIL_PHRASES` adds the useful detail for some. tests/integration/test_desk_history.py
collects every action the code can record and fails on one without a sentence here.

Only what the case page already shows goes into a sentence: names of staff, labels of stored keys,
dates and counts; never an address, a free text from the details or a link. An event of an action that
has no sentence (one recorded by an older version) still shows, with its key.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .templating import short_date
from .workflows.channels import CHANNEL_LABELS, DESK_CHANNELS
from .workflows.letters import KIND_LABELS
from .workflows.rule_text import split_rule_ids
from .workflows.vocabulary import DECISION_LABELS, INFORMATION_KINDS, RIGHT_LABELS

#: Who did it, when it was not a staff member (actor_kind of the event).
ACTOR_KINDS = {
    "requester": _l("de aanvrager"),
    "student": _l("de leerling"),
    "system": _l("dsr (automatisch)"),
    "owner": _l("de eigenaar van het systeem"),
    "api": _l("een koppeling (API-token)"),
}
#: A staff event whose user no longer exists (never the case: users are deactivated, not deleted).
UNKNOWN_STAFF = _l("een medewerker")

#: The workflow steps (``transition.<trigger>``), one per trigger of dsr.workflows.machine.
_TRANSITIONS = {
    "verify_identity": _l("Identiteit vastgesteld door %(who)s"),
    "request_information": _l("Informatie opgevraagd bij de aanvrager door %(who)s"),
    "information_received": _l("Gevraagde informatie ontvangen, vastgelegd door %(who)s"),
    "close_unverified": _l("Gesloten zonder vastgestelde identiteit door %(who)s"),
    "review": _l("Juridische beoordeling vastgelegd door %(who)s"),
    "fulfil": _l("Uitgevoerd en afgerond door %(who)s"),
    "propose_refusal": _l("Weigering voorgelegd ter goedkeuring door %(who)s"),
    "approve_refusal": _l("Weigering goedgekeurd door %(who)s"),
    "reject_refusal": _l("Weigering afgewezen door %(who)s, terug naar beoordeling"),
    "withdraw": _l("Verzoek ingetrokken, vastgelegd door %(who)s"),
    "reopen": _l("Heropend door %(who)s"),
    "reassess": _l("Terug naar beoordeling gezet door %(who)s (leeftijd van de leerling veranderd)"),
}

#: action -> the sentence; ``%(who)s`` is the staff member's name, "de aanvrager" or "dsr (automatisch)".
ACTION_LABELS: dict[str, Any] = {
    **{f"transition.{trigger}": label for trigger, label in _TRANSITIONS.items()},
    # the request and its deadline
    "case.submitted": _l("Verzoek ingediend door %(who)s"),
    "case.email_confirmed": _l("E-mailadres bevestigd door %(who)s"),
    "case.viewed": _l("Bekeken door %(who)s"),
    "case.extended": _l("Termijn met twee maanden verlengd door %(who)s"),
    "case.deadline_moved": _l("Uiterste datum verschoven door %(who)s"),
    "case.approver_appointed": _l("Directeur van een andere school aangewezen door %(who)s"),
    "case.child_interest_checked": _l("Belang van het kind afgewogen door %(who)s"),
    "case.anonymised": _l("Verzoek geanonimiseerd door %(who)s (bewaartermijn verstreken)"),
    # the portal and messages
    "portal.opened": _l("Mijn verzoek geopend door %(who)s"),
    "portal.link_requested": _l("Nieuwe link naar Mijn verzoek aangevraagd door %(who)s"),
    "portal.signed_out": _l("Afgemeld van Mijn verzoek door %(who)s"),
    "portal.status_read": _l("Stand van zaken opgevraagd via de API door %(who)s"),
    "portal.read": _l("Berichten van de aanvrager gelezen door %(who)s"),
    "message.from_requester": _l("Bericht gestuurd door %(who)s"),
    "message.to_requester": _l("Bericht aan de aanvrager gestuurd door %(who)s"),
    "upload.added": _l("Bestand meegestuurd door %(who)s"),
    "upload.downloaded": _l("Meegestuurd bestand geopend door %(who)s"),
    # the student's consent
    "consent.requested": _l("Toestemming van de leerling gevraagd door %(who)s"),
    "consent.given": _l("Toestemming gegeven door %(who)s"),
    "consent.declined": _l("Toestemming geweigerd door %(who)s"),
    "consent.withdrawn": _l("Toestemming ingetrokken door %(who)s"),
    "consent.signed_out": _l("Toestemmingspagina verlaten door %(who)s"),
    # letters
    "letter.created": _l("Brief opgesteld door %(who)s"),
    "letter.sent": _l("Brief verstuurd door %(who)s"),
    "letter.downloaded": _l("Brief geopend door %(who)s"),
    # the access package
    "package.document_added": _l("Document toegevoegd aan het inzagepakket door %(who)s"),
    "package.document_checked": _l("Document gecontroleerd door %(who)s"),
    "package.document_removed": _l("Document uit het inzagepakket gehaald door %(who)s"),
    "package.document_viewed": _l("Document uit het inzagepakket bekeken door %(who)s"),
    "package.released": _l("Inzagepakket vrijgegeven door %(who)s"),
    "package.unreleased": _l("Vrijgave van het inzagepakket ingetrokken door %(who)s"),
    "package.delivered": _l("Inzagepakket verstuurd door %(who)s"),
    "package.viewed": _l("Inzagepakket geopend door %(who)s"),
    "package.downloaded": _l("Inzagepakket gedownload door %(who)s"),
    "package.purged": _l("Bestanden van het inzagepakket verwijderd door %(who)s"),
    # manual tasks for the owner of a system or a processor (issue 17)
    "manual_task.opened": _l("Taak voor de eigenaar van een systeem gemaild door %(who)s"),
    "manual_task.reminded": _l("Herinnering aan de eigenaar van een systeem gemaild door %(who)s"),
    "manual_task.link_renewed": _l("Nieuwe link voor de eigenaar van een systeem gestuurd door %(who)s"),
    "manual_task.answered": _l("Taak beantwoord door %(who)s"),
    "manual_task.confirmed": _l("Uitvoering bevestigd door %(who)s"),
    # collecting from and carrying out in the school's systems (issue 17)
    "collection.started": _l("Gegevens verzamelen uit de systemen gestart door %(who)s"),
    "collection.retried": _l("Verzamelen uit een systeem opnieuw gestart door %(who)s"),
    "collection.system_done": _l("Gegevens uit een systeem verzameld door %(who)s"),
    "collection.system_failed": _l("Verzamelen uit een systeem mislukt (%(who)s)"),
    "execution.planned": _l("Proefrun in de systemen gevraagd door %(who)s"),
    "execution.plan_ready": _l("Proefrun in een systeem klaar (%(who)s)"),
    "execution.confirmed": _l("Uitvoeren in de systemen bevestigd door %(who)s"),
    "execution.retried": _l("Uitvoeren in een systeem opnieuw gestart door %(who)s"),
    "execution.step_done": _l("Categorie in een systeem doorgevoerd door %(who)s"),
    "execution.system_done": _l("Uitgevoerd in een systeem door %(who)s"),
    "execution.system_failed": _l("Uitvoeren in een systeem mislukt (%(who)s)"),
    # rectification, erasure and the other rights
    "rectification.item_added": _l("Te corrigeren gegeven toegevoegd door %(who)s"),
    "rectification.item_removed": _l("Te corrigeren gegeven verwijderd door %(who)s"),
    "rectification.carried_out": _l("Correcties doorgevoerd door %(who)s"),
    "erasure.proposed": _l("Voorstel voor verwijdering gemaakt door %(who)s"),
    "erasure.decided": _l("Keuze voor verwijdering vastgelegd door %(who)s"),
    "erasure.single_item_added": _l("Los te verwijderen gegeven toegevoegd door %(who)s"),
    "erasure.single_item_removed": _l("Los te verwijderen gegeven weggehaald door %(who)s"),
    "erasure.carried_out": _l("Verwijdering doorgevoerd door %(who)s"),
    "withdrawal.item_edited": _l("Gevolg van ingetrokken toestemming aangepast door %(who)s"),
    "decision.recorded": _l("Beslissing per categorie vastgelegd door %(who)s"),
    "decision.carried_out": _l("Beslissing doorgevoerd door %(who)s"),
    "fulfilment.task_resolved": _l("Taak voor een ontvanger afgehandeld door %(who)s"),
    # events without a case (the audit log, sign-in, settings, operations)
    "audit.exported": _l("Auditlog geëxporteerd door %(who)s"),
    "audit.checkpoint": _l("Controlepunt van het auditlog gezet door %(who)s"),
    "auth.sign_in": _l("Aangemeld: %(who)s"),
    "auth.sign_out": _l("Afgemeld: %(who)s"),
    "auth.locked": _l("Account tijdelijk geblokkeerd: %(who)s"),
    "auth.address_stopped": _l("Aanmelden vanaf een adres tijdelijk gestopt door %(who)s"),
    "auth.recovery_code_used": _l("Herstelcode gebruikt door %(who)s"),
    "auth.totp_enrolled": _l("Authenticator ingesteld door %(who)s"),
    "auth.password_reset_requested": _l("Nieuw wachtwoord aangevraagd door %(who)s"),
    "auth.password_reset": _l("Nieuw wachtwoord gekozen door %(who)s"),
    "user.settings": _l("Eigen instellingen gewijzigd door %(who)s"),
    "school.settings": _l("Instellingen van de school gewijzigd door %(who)s"),
    "register.changed": _l("Verwerkingsregister gewijzigd door %(who)s"),
    "system.saved": _l("Systeem in het register opgeslagen door %(who)s"),
    "roster.synced": _l("Leerlingen en contacten bijgewerkt uit de leerlingadministratie door %(who)s"),
    "roster.pruned": _l("Vertrokken leerlingen uit de contactenlijst verwijderd door %(who)s"),
    "system.mapping_saved": _l("Categorie bij een systeem opgeslagen door %(who)s"),
    "system.mapping_removed": _l("Categorie bij een systeem weggehaald door %(who)s"),
    "system.check_requested": _l("Verbinding met een systeem laten testen door %(who)s"),
    "system.checked": _l("Verbinding met een systeem getest door %(who)s"),
    "ops.job_retried": _l("Achtergrondtaak opnieuw gestart door %(who)s"),
    "ops.outbox_retried": _l("Mail opnieuw verstuurd door %(who)s"),
    # the desk (issue 15): other channels, assignment, notes, accounts and schools
    "intake.document_viewed": _l("Ontvangen brief of e-mail geopend door %(who)s"),
    "case.assigned": _l("Toewijzing gewijzigd door %(who)s"),
    "case.note_added": _l("Interne notitie geschreven door %(who)s"),
    "user.created": _l("Account aangemaakt door %(who)s"),
    "user.changed": _l("Account gewijzigd door %(who)s"),
    "user.deactivated": _l("Account uitgeschakeld door %(who)s"),
    "user.reactivated": _l("Account weer ingeschakeld door %(who)s"),
    "user.authenticator_reset": _l("Authenticator van een account gewist door %(who)s"),
    "user.password_link_sent": _l("Link voor een nieuw wachtwoord gemaild door %(who)s"),
    "school.created": _l("School toegevoegd door %(who)s"),
    "school.changed": _l("Gegevens van een school gewijzigd door %(who)s"),
    "school.deactivated": _l("School uitgeschakeld door %(who)s"),
    "school.reactivated": _l("School weer ingeschakeld door %(who)s"),
    # the API (issue 18): tokens for the school's integrations, and every call made with one
    "api_token.created": _l("API-token aangemaakt door %(who)s"),
    "api_token.revoked": _l("API-token ingetrokken door %(who)s"),
    "api.call": _l("Gegevens opgevraagd door %(who)s"),
}

#: A request staff registered from another channel: the requester asked, staff entered it (issue 15).
_REGISTERED = _l("Verzoek geregistreerd door %(who)s")

#: How the identity was established, as the end of the sentence.
_VERIFIED_VIA = {
    "portal": _l("via het ouder- of leerlingportaal"),
    "known_contact": _l("via bekend e-mailadres of telefoonnummer"),
    "desk": _l("aan de balie"),
    "video": _l("in een videogesprek"),
    "id_shown": _l("met identiteitsbewijs aan de balie"),
}


def _label(labels: Mapping[str, str], key: object) -> str | None:
    """The label of a stored key from the details, or None for a key that is not (or no longer) known."""
    return labels[key] if isinstance(key, str) and key in labels else None


def _letter(kind: object) -> str | None:
    """The letter kind's label without the rule id it cites (that sits behind "Waarom?", not in the history)."""
    label = _label(KIND_LABELS, kind)
    return split_rule_ids(label).text if label else None


def _date(value: str | None) -> str:
    try:
        return short_date(dt.date.fromisoformat(value or ""))
    except ValueError:
        return ""


def _verified(details: Mapping) -> str | None:
    method = details.get("method")
    return str(_VERIFIED_VIA[method]) if method in _VERIFIED_VIA else None


def _information(details: Mapping) -> str | None:
    kind = _label(INFORMATION_KINDS, details.get("kind"))
    return _("gevraagd: %(kind)s", kind=kind.lower()) if kind else None


def _review(details: Mapping) -> str | None:
    # The grounds are long sentences; the request card on the same page lists them with the decision.
    decision = _label(DECISION_LABELS, details.get("decision"))
    return _("beslissing: %(decision)s", decision=decision.lower()) if decision else None


def _submitted(details: Mapping) -> str | None:
    right = _label(RIGHT_LABELS, details.get("right"))
    text = _("recht: %(right)s", right=right.lower()) if right else None
    channel = details.get("channel")
    if channel in DESK_CHANNELS:  # registered by staff: how and when it reached the school (R-DL-1)
        received = _date(details.get("received_on"))
        via = _("ontvangen per %(channel)s", channel=str(CHANNEL_LABELS[channel]).lower())
        via = _("%(via)s op %(date)s", via=via, date=received) if received else via
        text = f"{text}, {via}" if text else via
    return text


def _assigned(details: Mapping) -> str | None:
    return str(_("nu aan niemand toegewezen")) if details.get("to_user_id") is None else None


def _new_deadline(details: Mapping) -> str | None:
    new = _date(details.get("new_due_on"))
    return _("nieuwe uiterste datum %(date)s", date=new) if new else None


def _moved(details: Mapping) -> str | None:
    old, new = _date(details.get("old_due_on")), _date(details.get("new_due_on"))
    return _("van %(old)s naar %(new)s", old=old, new=new) if old and new else None


def _letter_kind(details: Mapping) -> str | None:
    label = _letter(details.get("kind"))
    if label and details.get("corrected"):
        return _("%(letter)s (gecorrigeerde brief)", letter=label)
    return label


def _documents(details: Mapping) -> str | None:
    count = details.get("documents")
    if not isinstance(count, int):
        return None
    return ngettext("%(num)s document", "%(num)s documenten", count)


def _downloaded(details: Mapping) -> str | None:
    return str(_("via Mijn verzoek")) if details.get("via") == "portal" else None


def _checked(details: Mapping) -> str | None:
    if details.get("third_party") and details.get("work_notes"):
        return _("anderen weggelakt, werkaantekeningen eruit")
    return None


#: action -> the detail that ends the sentence (None: no detail for this event).
DETAIL_PHRASES: dict[str, Callable[[Mapping], str | None]] = {
    "transition.verify_identity": _verified,
    "transition.request_information": _information,
    "transition.review": _review,
    "case.submitted": _submitted,
    "case.assigned": _assigned,
    "case.extended": _new_deadline,
    "case.deadline_moved": _moved,
    "letter.created": _letter_kind,
    "letter.sent": _letter_kind,
    "package.released": _documents,
    "package.delivered": _documents,
    "package.downloaded": _downloaded,
    "letter.downloaded": _downloaded,
    "package.document_checked": _checked,
}


def who(actor_kind: str, staff_name: str | None) -> str:
    """Who did it: the staff member's name, "de aanvrager", "de leerling" or "dsr (automatisch)"."""
    if actor_kind == "staff":
        return staff_name or str(UNKNOWN_STAFF)
    return str(ACTOR_KINDS.get(actor_kind, ACTOR_KINDS["system"]))


def sentence(action: str, *, actor: str, details: Mapping | None = None) -> str:
    """The history line of one event in the current language, e.g. "Identiteit vastgesteld door A. Jansen,
    via bekend e-mailadres of telefoonnummer". ``actor`` is what :func:`who` says."""
    label = ACTION_LABELS.get(action)
    if action == "case.submitted" and (details or {}).get("channel") in DESK_CHANNELS:
        label = _REGISTERED  # staff registered a request that came by letter, e-mail, phone or at the counter
    if label is None:
        return _("%(action)s door %(who)s", action=action, who=actor)
    text = str(label) % {"who": actor}
    detail = DETAIL_PHRASES[action](details or {}) if action in DETAIL_PHRASES else None
    return f"{text}, {detail}" if detail else text


def known_actions() -> frozenset[str]:
    """Every action with a sentence (the test compares it with what the code records)."""
    return frozenset(ACTION_LABELS)

