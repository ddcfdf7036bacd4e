"""Fulfilment core: what the workflow needs to know before a case may be closed (the facts
``services.cases.transition`` passes to the machine's guard), what a step sets going (delivering a released
access package), and what anonymising a case file removes of its fulfilment.

The shared pieces live in modules every service may import: ``services.case_access`` (which cases can be
worked on, optimistic locking), ``services.case_records`` (a case's package, items and decision) and
``services.recipient_tasks`` (Art. 19 tasks, R-RI-7). The details live next door: ``services.packages``
(access), ``services.corrections`` (rectification, erasure, restriction/objection/portability decisions)
and ``services.letters``. Every function that changes something writes its audit event in the same
transaction and commits once.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, ErasureItem, Letter, RectificationItem, RightDecision
from ..models._types import utcnow
from ..workflows import states as S
from ..workflows.machine import Actor
from ..workflows.rights import WITHDRAWAL_OUTCOMES, decision_grants
from ..workflows.vocabulary import PARTIAL, REFUSE
from . import storage
from .case_access import WORK_STATES, FulfilmentError
from .case_records import items_of, package_of
from .packages import deliver_if_released, package_problem
from .recipient_tasks import open_task_count, resolve_task, tasks_for
from .retention import REMOVED, on_anonymise

#: Rights whose fulfilment changes data and so triggers Art. 19 notices (R-RI-7).
NOTIFYING_RIGHTS = ("rectification", "erasure", "restriction", "consent_withdrawal")


# ---- what closing a case needs ---------------------------------------------------------------------

def work_problem(case: Case, trigger: str) -> str | None:
    """What is still missing before ``trigger`` may close (or propose to close) the case, in the current
    language (the machine's guard shows it to staff)."""
    decision = case.decision
    if trigger == "fulfil" and case.right == "access":
        return package_problem(case)
    if decision == REFUSE:
        return None  # a full refusal carries nothing out
    if trigger == "fulfil" or decision == PARTIAL:
        if case.right == "rectification":
            items = items_of(RectificationItem, case.id)
            if not items:
                return _("Leg eerst per gegeven vast wat er wordt verbeterd (oude waarde, nieuwe waarde, bewijs).")
            if any(i.carried_out_at is None for i in items):
                return _("Voer eerst de rectificatie door; daarna krijgt elke ontvanger een art. 19-taak.")
            if trigger == "fulfil" and any(i.kind == "opinion" for i in items):
                return _("Een mening wordt niet gewijzigd: dat is een gedeeltelijke weigering. Leg 'gedeeltelijk "
                         "toewijzen' vast en leg die voor aan de directeur.")
        elif case.right == "erasure":
            items = items_of(ErasureItem, case.id)
            if not items:
                return _("Bepaal eerst per categorie wat wordt verwijderd en wat bewaard blijft (vertrekdatum "
                         "invullen).")
            if any(i.outcome == "decide" for i in items):
                return _("Beslis eerst voor elke categorie met een beleidstermijn of een grond van art. 17 lid 1 geldt "
                         "(R-RI-3).")
            if any(i.outcome == "erase" and i.carried_out_at is None for i in items):
                return _("Voer eerst de verwijdering door; daarna krijgt elke ontvanger een art. 19-taak.")
            if trigger == "fulfil" and any(i.outcome == "keep" for i in items):
                return _("Er blijven gegevens bewaard: dat is een gedeeltelijke weigering. Leg 'gedeeltelijk "
                         "toewijzen' vast met de grond die bij elke bewaarde categorie staat, en leg die voor aan de "
                         "directeur.")
        elif case.right in ("restriction", "objection", "portability", "consent_withdrawal"):
            decision_row = db.session.execute(sa.select(RightDecision).where(
                RightDecision.case_id == case.id)).scalar()
            if decision_row is None:
                return _("Leg eerst de beslissing op dit verzoek vast, met de grond.")
            if trigger == "fulfil" and not decision_grants(decision_row.outcome):
                return _("De vastgelegde beslissing wijst het verzoek (deels) af; leg 'gedeeltelijk toewijzen' of "
                         "'weigeren' vast en leg die voor aan de directeur.")
            grants = decision_grants(decision_row.outcome)
            if grants and decision_row.carried_out_at is None and case.right == "restriction":
                return _("Voer eerst de beperking door; daarna krijgt elke ontvanger een art. 19-taak.")
            if decision_row.outcome in WITHDRAWAL_OUTCOMES and decision_row.carried_out_at is None:
                return _("Stop eerst het gebruik en verwijder de gegevens, en bevestig dat hier; daarna krijgt elke "
                         "ontvanger een art. 19-taak (R-CH-8).")
    return None


def closing_facts(case: Case, trigger: str) -> dict:
    """The facts the machine's guard checks before ``fulfil``, ``propose_refusal`` and ``approve_refusal``:
    open Art. 19 tasks (R-RI-7: no closing while one is open) and missing fulfilment work."""
    facts: dict = {"fulfilment_problem": work_problem(case, trigger)}
    if trigger in ("fulfil", "approve_refusal"):
        facts["open_recipient_tasks"] = open_task_count(case.id)
    return facts


# ---- R-AC-4: when the case file itself expires (services.retention anonymises it) ---------------------

@on_anonymise
def _anonymise_fulfilment(case: Case) -> None:
    """Remove the personal data fulfilment keeps per case: package files and titles, letter PDFs and titles, the
    values of rectification items, the free text of decisions and Art. 19 notes. What was decided, when,
    and for which categories and recipients stays for the statistics."""
    package = package_of(case.id)
    for document in package.documents if package else []:
        if document.storage_key:
            storage.delete(document.storage_key)
        document.storage_key, document.title = None, REMOVED
        document.purged_at = document.purged_at or utcnow()
    for letter in db.session.execute(sa.select(Letter).where(Letter.case_id == case.id)).scalars():
        if letter.storage_key:
            storage.delete(letter.storage_key)
        letter.storage_key, letter.title = "", REMOVED  # a title can name the student
    for item in items_of(RectificationItem, case.id):
        item.field = item.old_value = item.new_value = item.evidence = item.statement = REMOVED
    for item in items_of(ErasureItem, case.id):  # staff's words about single items and withdrawals
        if item.document:  # still unique per case and category
            item.document = f"{REMOVED} {item.id}"
        if item.stopped:
            item.stopped = REMOVED
        if item.document or item.erase_ground == "17_1_b":
            item.explanation = REMOVED
    decision = db.session.execute(sa.select(RightDecision).where(RightDecision.case_id == case.id)).scalar()
    if decision is not None:
        decision.explanation = REMOVED
    for task in tasks_for(case.id):
        task.note = REMOVED if task.note else ""


def after_transition(case: Case, trigger: str, actor: Actor) -> None:
    """Inside the transition's transaction: deliver a released access package when the case is decided."""
    if case.right != "access":
        return
    if trigger == "fulfil" or (trigger == "approve_refusal" and case.state == S.PARTIALLY_FULFILLED):
        deliver_if_released(case, actor)


#: What the views use from here; the shared pieces live in case_access, case_records and recipient_tasks.
__all__ = ["NOTIFYING_RIGHTS", "WORK_STATES", "FulfilmentError", "after_transition", "closing_facts", "items_of",
           "package_of", "resolve_task", "tasks_for", "work_problem"]
