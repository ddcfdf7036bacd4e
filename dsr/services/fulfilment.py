"""Fulfilment core: which cases can be worked on, Art. 19 tasks (R-RI-7), and what the workflow needs to
know before a case may be closed (the facts ``services.cases.transition`` passes to the machine's guard).

The details live next door: ``services.packages`` (access), ``services.corrections`` (rectification,
erasure, restriction/objection/portability decisions) and ``services.letters``. Every function that
changes something writes its audit event in the same transaction and commits once.
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    AccessPackage,
    Case,
    ErasureItem,
    RecipientTask,
    RectificationItem,
    RegisterCategory,
    RightDecision,
)
from ..models._types import utcnow
from ..models.fulfilment import TASK_DONE, TASK_EXCEPTION, TASK_EXCEPTIONS, TASK_OPEN
from ..workflows import states as S
from . import audit
from .cases import CaseNotFound, ConflictError, get_visible_case
from .retention import REMOVED, on_anonymise
from .transaction import transactional

#: States in which staff collect documents and record items (after verification, before the director).
WORK_STATES = (S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED)
#: Rights whose fulfilment changes data and so triggers Art. 19 notices (R-RI-7).
NOTIFYING_RIGHTS = ("rectification", "erasure", "restriction", "consent_withdrawal")


class FulfilmentError(Exception):
    """A fulfilment action refused, with a message in the current language (``gettext`` at raise time, inside
    the staff member's request); ``field`` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None, form: str | None = None):
        message = str(message)  # a lazy message is fixed in the language of the request that raised it
        super().__init__(message)
        self.message, self.field, self.form = message, field, form


def case_for_work(user, case_id: int, *, states: Iterable[str] = WORK_STATES, right: str | None = None) -> Case:
    """The case if ``user`` may see it (else :class:`CaseNotFound`) and it is in one of ``states``."""
    case = get_visible_case(user, case_id)
    if right is not None and case.right != right:
        raise FulfilmentError(_("Deze stap hoort niet bij dit soort verzoek."))
    states = tuple(states)
    if case.state not in states:
        label = S.STATE_LABELS.get(case.state, case.state)
        raise FulfilmentError(_("Dit kan niet in de status '%(state)s'.", state=label))
    return case


def check_version(case: Case, version: int | None) -> None:
    """Optimistic locking for steps that change what closing depends on: the form must be current,
    and the case's version moves on, so a close form loaded before this change is refused."""
    if version is None or case.version != version:
        raise ConflictError()
    flag_modified(case, "state")  # UPDATE ... SET version = version + 1 WHERE version = :loaded


def flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise ConflictError() from exc


# ---- Art. 19 tasks (R-RI-7) ----------------------------------------------------------------------

def tasks_for(case_id: int) -> list[RecipientTask]:
    return list(db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)
                                   .order_by(RecipientTask.id)).scalars())


def open_task_count(case_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count(RecipientTask.id)).where(
        RecipientTask.case_id == case_id, RecipientTask.status == TASK_OPEN)).scalar_one()


def create_tasks(case: Case, reason: str, categories: Iterable[RegisterCategory]) -> list[RecipientTask]:
    """One open task per active recipient of ``categories`` (deduplicated per case and recipient)."""
    per_recipient: dict[int, tuple] = {}
    for category in categories:
        for recipient in category.active_recipients:
            codes = per_recipient.setdefault(recipient.id, (recipient, set()))[1]
            codes.add(category.code)
    existing = {t.recipient_id: t for t in tasks_for(case.id)}
    created = []
    for recipient_id, (recipient, codes) in sorted(per_recipient.items(), key=lambda kv: kv[1][0].name):
        task = existing.get(recipient_id)
        if task is not None:
            merged = sorted(set(task.category_codes.split(",")) - {""} | codes)
            task.category_codes = ",".join(merged)
            if task.status != TASK_OPEN:
                task.status, task.resolved_at, task.resolved_by_id = TASK_OPEN, None, None
            continue
        task = RecipientTask(case_id=case.id, recipient=recipient, reason=reason,
                             category_codes=",".join(sorted(codes)), status=TASK_OPEN)
        db.session.add(task)
        created.append(task)
    db.session.flush()
    return created


@transactional
def resolve_task(user, case_id: int, task_id: int, version: int, outcome: str, exception_kind: str | None,
                 note: str) -> RecipientTask:
    """Mark a task done, or record the exception (impossible / disproportionate) with its reason; commits."""
    case = case_for_work(user, case_id, states=(S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR))
    task = db.session.get(RecipientTask, task_id)
    if task is None or task.case_id != case.id:
        raise CaseNotFound(task_id)
    note = (note or "").strip()
    if outcome == TASK_DONE:
        if not note:
            raise FulfilmentError(_("Noteer hoe en wanneer de ontvanger bericht kreeg."), field="note", form="task")
        task.exception_kind = None
    elif outcome == TASK_EXCEPTION:
        if exception_kind not in TASK_EXCEPTIONS:
            raise FulfilmentError(_("Kies waarom de ontvanger geen bericht krijgt."), field="exception_kind",
                                  form="task")
        if not note:
            raise FulfilmentError(_("Leg uit waarom berichten onmogelijk is of een onevenredige inspanning kost "
                                    "(R-RI-7)."), field="note", form="task")
        task.exception_kind = exception_kind
    else:
        raise FulfilmentError(_("Kies: bericht gestuurd, of een uitzondering."), field="outcome", form="task")
    check_version(case, version)
    task.status, task.note, task.resolved_by_id, task.resolved_at = outcome, note, user.id, utcnow()
    flush_or_conflict()
    audit.record("fulfilment.task_resolved", case=case, actor=user, reason=note,
                 details={"task_id": task.id, "recipient": task.recipient.code, "outcome": outcome,
                          "exception": task.exception_kind})
    db.session.commit()
    return task


# ---- what closing a case needs ---------------------------------------------------------------------

def package_of(case_id: int) -> AccessPackage | None:
    return db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar()


def items_of(model, case_id: int) -> list:
    """The rectification or erasure items of a case, oldest first."""
    return list(db.session.execute(sa.select(model).where(model.case_id == case_id).order_by(model.id)).scalars())


def work_problem(case: Case, trigger: str) -> str | None:
    """What is still missing before ``trigger`` may close (or propose to close) the case, in the current
    language (the machine's guard shows it to staff)."""
    decision = case.decision
    if trigger == "fulfil" and case.right == "access":
        from .packages import package_problem

        return package_problem(case)
    if decision == S.REFUSE:
        return None  # a full refusal carries nothing out
    if trigger == "fulfil" or decision == S.PARTIAL:
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
            from .corrections import decision_grants

            if trigger == "fulfil" and not decision_grants(decision_row):
                return _("De vastgelegde beslissing wijst het verzoek (deels) af; leg 'gedeeltelijk toewijzen' of "
                         "'weigeren' vast en leg die voor aan de directeur.")
            if decision_grants(decision_row) and decision_row.carried_out_at is None and case.right == "restriction":
                return _("Voer eerst de beperking door; daarna krijgt elke ontvanger een art. 19-taak.")
            from ..workflows.rights import WITHDRAWAL_OUTCOMES

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
    """Remove the personal data fulfilment keeps per case: package files and titles, letter PDFs, the
    values of rectification items, the free text of decisions and Art. 19 notes. What was decided, when,
    and for which categories and recipients stays for the statistics."""
    from ..models import Letter
    from . import storage

    package = package_of(case.id)
    for document in package.documents if package else []:
        if document.storage_key:
            storage.delete(document.storage_key)
        document.storage_key, document.title = None, REMOVED
        document.purged_at = document.purged_at or utcnow()
    for letter in db.session.execute(sa.select(Letter).where(Letter.case_id == case.id)).scalars():
        if letter.storage_key:
            storage.delete(letter.storage_key)
        letter.storage_key = ""
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


def after_transition(case: Case, trigger: str, actor) -> None:
    """Inside the transition's transaction: deliver a released access package when the case is decided."""
    if case.right != "access":
        return
    if trigger == "fulfil" or (trigger == "approve_refusal" and case.state == S.PARTIALLY_FULFILLED):
        from .packages import deliver_if_released

        deliver_if_released(case, actor)
