"""Rectification (R-RI-2), erasure (R-RI-3) and the decisions on restriction, objection and portability
(R-RI-4/5/6); carrying them out creates the Art. 19 tasks (R-RI-7). Also what the letters say about it.

Audit events name items by id and register code only: the old and new values stay in their table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import (
    Case,
    ConnectorRun,
    ErasureItem,
    RecipientTask,
    RectificationItem,
    RegisterCategory,
    RightDecision,
    User,
)
from ..models._types import utcnow
from ..models.fulfilment import RECTIFICATION_KINDS, TASK_DONE, TASK_EXCEPTION, TASK_EXCEPTIONS
from ..workflows import letters as L
from ..workflows import states as S
from ..workflows.letter_phrases import phrases_for
from ..workflows.retention import KEEP_GROUNDS, SELECTIELIJST, describe_retention, propose_erasures
from ..workflows.rights import OUTCOMES, RESTRICTION_GROUNDS, WITHDRAWAL_OUTCOMES, decision_grants, decision_problem
from ..workflows.vocabulary import GRANT, GROUND_LABELS, PARTIAL, REFUSAL_GROUNDS, REFUSE
from . import audit, erasure
from .case_access import WORK_STATES, FulfilmentError, case_for_work, check_version, flush_or_conflict
from .case_records import decision_of, items_of
from .clock import local_today
from .connector_runs import complete_recipient_task
from .recipient_tasks import create_tasks, tasks_for
from .register import categories as register_categories
from .transaction import transactional


def _category(category_id: int | None, form: str) -> RegisterCategory:
    """The active register category chosen in ``form``, or a :class:`FulfilmentError` on its field."""
    category = db.session.get(RegisterCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise FulfilmentError(_("Kies een categorie uit het verwerkingsregister."), field="category_id", form=form)
    return category


def _carry_out_case(user: User, case_id: int, version: int, right: str) -> Case:
    """The case to carry out: reviewed, (partly) granted, and the version staff saw."""
    case = case_for_work(user, case_id, states=(S.LEGAL_BASIS_REVIEWED,), right=right)
    if case.decision not in (GRANT, PARTIAL):
        raise FulfilmentError(_("Doorvoeren kan na een beslissing 'toewijzen' of 'gedeeltelijk toewijzen'."))
    check_version(case, version)
    return case


def _completed_by_systems(case: Case) -> None:
    """Art. 19 tasks made after a linked system already carried the right out (issue 17): that system's
    recipient was told by the act itself, so its task is completed at once (the other order is
    ``execution.finish_execution``)."""
    done = db.session.execute(sa.select(ConnectorRun).where(
        ConnectorRun.case_id == case.id, ConnectorRun.purpose != "collect", ConnectorRun.status == "done")
        .order_by(ConnectorRun.id)).scalars()
    for run in done:
        complete_recipient_task(run)


# ---- rectification (R-RI-2) ------------------------------------------------------------------------

@transactional
def add_rectification(user: User, case_id: int, *, category_id: int, kind: str, field: str, old_value: str,
                      new_value: str, evidence: str, statement: str) -> RectificationItem:
    """Record one field; a factual correction needs the new value and the evidence seen, an opinion the
    requester's statement that is added to the file instead. Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="rectification")
    category = _category(category_id, "rectification")
    if kind not in RECTIFICATION_KINDS:
        raise FulfilmentError(_("Kies: feitelijk gegeven of mening."), field="kind", form="rectification")
    if not field.strip():
        raise FulfilmentError(_("Noem het gegeven (bijvoorbeeld: geboortedatum)."), field="field", form="rectification")
    if kind == "factual":
        if not new_value.strip():
            raise FulfilmentError(_("Vul de juiste waarde in."), field="new_value", form="rectification")
        if not evidence.strip():
            raise FulfilmentError(_("Noteer welk bewijs u heeft gezien (bijvoorbeeld: uittreksel BRP)."),
                                  field="evidence", form="rectification")
        statement = ""
    else:
        if not statement.strip():
            raise FulfilmentError(_("Een mening of oordeel wordt niet gewijzigd. Noteer de verklaring van de aanvrager "
                                    "die aan het dossier wordt toegevoegd (R-RI-2)."), field="statement",
                                  form="rectification")
        new_value = ""
    item = RectificationItem(case_id=case.id, category=category, kind=kind, field=field.strip(),
                             old_value=old_value.strip(), new_value=new_value.strip(), evidence=evidence.strip(),
                             statement=statement.strip(), created_by_id=user.id, created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    audit.record("rectification.item_added", case=case, actor=user,
                 details={"item_id": item.id, "category": category.code, "kind": kind})
    return item


@transactional
def remove_rectification(user: User, case_id: int, item_id: int) -> None:
    """Take a recorded field out again, as long as it was not carried out; commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="rectification")
    item = db.session.get(RectificationItem, item_id)
    if item is None or item.case_id != case.id:
        raise NotFound(item_id)
    if item.carried_out_at is not None:
        raise FulfilmentError(_("Dit gegeven is al doorgevoerd en blijft in het dossier."))
    db.session.delete(item)
    audit.record("rectification.item_removed", case=case, actor=user, details={"item_id": item_id})


@transactional
def carry_out_rectification(user: User, case_id: int, version: int) -> list[RecipientTask]:
    """Confirm the corrections were made in the school's systems (and statements added); one Art. 19 task
    per recipient of the corrected categories (R-RI-7). Commits."""
    case = _carry_out_case(user, case_id, version, "rectification")
    items = [i for i in items_of(RectificationItem, case.id) if i.carried_out_at is None]
    if not items:
        raise FulfilmentError(_("Er is niets (meer) door te voeren; leg eerst de gegevens vast."), form="carry_out")
    if case.decision == GRANT and any(i.kind == "opinion" for i in items):
        raise FulfilmentError(_("Een mening wordt niet gewijzigd: dat is een gedeeltelijke weigering (grond: geen "
                                "feitelijk onjuist gegeven). Leg eerst 'gedeeltelijk toewijzen' vast."),
                              form="carry_out")
    now = utcnow()
    for item in items:
        item.carried_out_at = now
    corrected = [i.category for i in items if i.kind == "factual"]
    created = create_tasks(case, "rectification", corrected)
    flush_or_conflict()
    _completed_by_systems(case)
    audit.record("rectification.carried_out", case=case, actor=user,
                 details={"items": [i.id for i in items], "tasks": [t.recipient.code for t in created]})
    return created


# ---- erasure (R-RI-3) ----------------------------------------------------------------------------

@transactional
def propose_erasure(user: User, case_id: int, version: int, *, left_on: dt.date | None,
                    enrolled: bool) -> list[ErasureItem]:
    """Record the leaving date (or that the student is still enrolled) and let dsr propose per register
    category: erase, or keep until a date with the legal ground. Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="erasure")
    today = local_today()
    if (left_on is None) == (not enrolled):
        raise FulfilmentError(_("Vul de uitschrijfdatum in, of geef aan dat de leerling nog ingeschreven staat."),
                              field="left_on", form="erasure")
    if left_on is not None and left_on > today:
        raise FulfilmentError(_("De uitschrijfdatum ligt in de toekomst."), field="left_on", form="erasure")
    if left_on is not None and left_on < case.student_birth_date:
        raise FulfilmentError(_("De uitschrijfdatum ligt vóór de geboortedatum."), field="left_on", form="erasure")
    existing = [i for i in items_of(ErasureItem, case.id) if not i.document]  # single items stay
    if any(i.carried_out_at is not None for i in existing):
        raise FulfilmentError(_("De verwijdering is al doorgevoerd; het voorstel kan niet meer veranderen."),
                              form="erasure")
    check_version(case, version)
    categories = register_categories()
    by_code = {c.code: c for c in categories}
    proposals = propose_erasures([c.rule(case.school.school_type) for c in categories], left_on, today)
    for item in existing:
        db.session.delete(item)
    db.session.flush()
    case.student_left_on = left_on
    items = [ErasureItem(case_id=case.id, category=by_code[p.code], outcome=p.outcome, keep_until=p.keep_until,
                         ground=p.ground, erase_ground=p.erase_ground, statute=p.statute, explanation=p.explanation,
                         created_at=utcnow()) for p in proposals]
    db.session.add_all(items)
    flush_or_conflict()
    audit.record("erasure.proposed", case=case, actor=user,
                 details={"left_on": left_on.isoformat() if left_on else None, "enrolled": enrolled,
                          "school_type": case.school.school_type,
                          "erase": [p.code for p in proposals if p.outcome == "erase"],
                          "keep": [p.code for p in proposals if p.outcome == "keep"],
                          "decide": [p.code for p in proposals if p.outcome == "decide"]})
    return items


@transactional
def carry_out_erasure(user: User, case_id: int, version: int) -> list[RecipientTask]:
    """Confirm the erasable categories were erased (backups: marked beyond use); one Art. 19 task per
    recipient of the erased categories (R-RI-7). Commits."""
    case = _carry_out_case(user, case_id, version, "erasure")
    items = items_of(ErasureItem, case.id)
    if not items:
        raise FulfilmentError(_("Laat dsr eerst per categorie bepalen wat weg mag (vertrekdatum)."), form="carry_out")
    if any(i.outcome == "decide" for i in items):
        raise FulfilmentError(_("Beslis eerst voor elke categorie met een beleidstermijn of een grond van art. 17 "
                                "lid 1 geldt (R-RI-3)."), form="carry_out")
    if case.decision == GRANT and any(i.outcome == "keep" for i in items):
        raise FulfilmentError(_("Er blijven gegevens bewaard: dat is een gedeeltelijke weigering. Leg eerst "
                                "'gedeeltelijk toewijzen' vast, met de grond die bij elke bewaarde categorie staat."),
                              form="carry_out")
    to_erase = [i for i in items if i.outcome == "erase" and i.carried_out_at is None]
    if not to_erase:
        raise FulfilmentError(_("Er is niets (meer) te verwijderen."), form="carry_out")
    now = utcnow()
    for item in to_erase:
        item.carried_out_at = now
    created = create_tasks(case, "erasure", [i.category for i in to_erase])
    flush_or_conflict()
    _completed_by_systems(case)
    audit.record("erasure.carried_out", case=case, actor=user,
                 details={"erased": [i.category.code for i in to_erase], "tasks": [t.recipient.code for t in created]})
    return created


# ---- restriction, objection, portability (R-RI-4/5/6) ---------------------------------------------------

@transactional
def record_decision(user: User, case_id: int, version: int, *, outcome: str, ground: str | None, explanation: str,
                    category_ids: list[int]) -> RightDecision:
    """Record the decision with its ground and the categories concerned (replacing an earlier one that was
    not carried out). Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES)
    if case.right not in OUTCOMES:
        raise FulfilmentError(_("Voor dit soort verzoek wordt geen beslissing op deze manier vastgelegd."))
    chosen = [c for c in register_categories() if c.id in set(category_ids or [])]
    problem = decision_problem(case.right, outcome, ground, explanation, [c.legal_basis for c in chosen])
    if problem:
        raise FulfilmentError(str(problem[1]), field=problem[0], form="decision")
    decision = decision_of(case.id)
    if decision is not None and decision.carried_out_at is not None:
        raise FulfilmentError(_("De beslissing is al doorgevoerd."), form="decision")
    check_version(case, version)
    if decision is None:
        decision = RightDecision(case_id=case.id)
        db.session.add(decision)
    decision.outcome = outcome
    decision.ground = ground if case.right == "restriction" and outcome == "restricted" else None
    decision.explanation = explanation.strip()
    decision.category_codes = ",".join(c.code for c in chosen)
    decision.created_by_id, decision.created_at = user.id, utcnow()
    # R-CH-8: a withdrawal (or an objection to consent-based data) is carried out as erasure per category;
    # any other outcome leaves no erasure items behind.
    erasure.withdrawal_items(case, chosen if outcome in WITHDRAWAL_OUTCOMES else [])
    flush_or_conflict()
    audit.record("decision.recorded", case=case, actor=user,
                 details={"right": case.right, "outcome": outcome, "ground": decision.ground,
                          "categories": decision.codes})
    return decision


@transactional
def carry_out_decision(user: User, case_id: int, version: int) -> list[RecipientTask]:
    """A granted decision carried out (a restriction: one Art. 19 task per recipient, R-RI-7). Commits."""
    case = case_for_work(user, case_id, states=(S.LEGAL_BASIS_REVIEWED,))
    decision = decision_of(case.id)
    if decision is None or not decision_grants(decision.outcome):
        raise FulfilmentError(_("Er is geen toegewezen beslissing om door te voeren."), form="carry_out")
    if decision.carried_out_at is not None:
        raise FulfilmentError(_("De beslissing is al doorgevoerd."), form="carry_out")
    if case.decision not in (GRANT, PARTIAL):
        raise FulfilmentError(_("Doorvoeren kan na een beslissing 'toewijzen' of 'gedeeltelijk toewijzen'."))
    check_version(case, version)
    decision.carried_out_at = utcnow()
    created: list[RecipientTask] = []
    if case.right == "restriction":
        by_code = {c.code: c for c in register_categories(active_only=False)}
        created = create_tasks(case, "restriction", [by_code[c] for c in decision.codes if c in by_code])
    elif decision.outcome in WITHDRAWAL_OUTCOMES:
        # R-CH-8: the use stopped and the data erased (Art. 7(3), 17(1)(b)); recipients told (Art. 19, R-RI-7).
        items = [i for i in items_of(ErasureItem, case.id) if i.carried_out_at is None]
        for item in items:
            item.carried_out_at = decision.carried_out_at
        created = create_tasks(case, "erasure", [i.category for i in items])
    flush_or_conflict()
    _completed_by_systems(case)
    audit.record("decision.carried_out", case=case, actor=user,
                 details={"right": case.right, "tasks": [t.recipient.code for t in created]})
    return created


# ---- what the letters say -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LetterOutcome:
    """What was done, refused, kept and notified, as the decision and completion letters state it."""

    actions: tuple[str, ...]
    refused: tuple[L.ListedItem, ...]
    kept: tuple[L.ListedItem, ...]
    notified: tuple[str, ...]
    exceptions: tuple[L.ListedItem, ...]
    decision: RightDecision | None = None
    #: Whether the letter says who was told (Art. 19): after rectification, erasure, restriction and a
    #: consent withdrawal (also one that came as an objection, R-CH-8).
    notifies: bool = False


def _kept_item(item: ErasureItem, say: dict[str, str], language: str) -> L.ListedItem:
    """A kept category as the letter states it: a statutory duty cites its law and article (R-RI-3); a policy
    period kept because no Art. 17(1) ground applies says exactly that, never "the law obliges"."""
    category, ground = item.category, item.ground or ""
    if ground in ("art17_3_b", "art17_3_e"):
        statute = item.statute or category.retention_note or category.legal_basis_note
        grounds = (f"{KEEP_GROUNDS[ground]} ({statute})" if statute else KEEP_GROUNDS[ground],)
        reason = say["must_keep"].format(basis=f" ({statute})" if statute else "")
    elif ground in KEEP_GROUNDS:
        grounds = (KEEP_GROUNDS[ground],)
        reason = say["still_needed_enrolled"] if item.keep_until is None else say["still_needed_policy"]
    else:  # a ground from before issue 11 (states.REFUSAL_GROUNDS)
        grounds = (GROUND_LABELS.get(ground, ground),)
        reason = say["must_keep"].format(basis="")
    if category.retention_kind == SELECTIELIJST:
        keep_text = say["until_selectielijst"]
    elif item.ground == "no_17_1_ground" and item.keep_until is None:
        keep_text = say["while_enrolled"]
    else:
        keep_text = describe_retention(category.retention_kind, category.retention_months, language)
    return L.ListedItem(category.name, grounds, reason, item.keep_until, keep_text)


def _erased_action(item: ErasureItem, say: dict[str, str]) -> str:
    """What the letter says was erased (and, for a withdrawal, what stopped), with its Art. 17(1) ground."""
    ground = say.get(f"ground_{item.erase_ground}", "") if item.erase_ground else ""
    if item.erase_ground == "17_1_b":
        return say["withdrawn"].format(category=item.category.name, stopped=item.stopped.rstrip("."),
                                       erased=item.explanation.rstrip("."), ground=ground)
    if item.document:
        text = say["erased_item"].format(category=item.category.name, document=item.document, ground=ground)
        return f"{text} {item.explanation}".strip() if item.explanation else text
    return say["erased_ground"].format(category=item.category.name, ground=ground) if ground else \
        say["erased"].format(category=item.category.name)


def _generic_refused(case: Case, say: dict[str, str]) -> tuple[L.ListedItem, ...]:
    """The refused part as one item, when no item of the case says what was refused."""
    if case.decision == REFUSE:
        name = say["whole_request"]
    elif case.right == "access" and case.assessment_scope == "learning_results":
        name = say["not_learning_results"]
    else:
        name = say["refused_part"]
    grounds = tuple(GROUND_LABELS.get(ground, ground) for ground in case.grounds_list)
    # The explanation written for the requester; the note to the approver (proposal_reason) is internal
    # and never printed (issue 11 point 7).
    return (L.ListedItem(name, grounds, (case.requester_explanation or "").strip()),)


def _exception(say: dict[str, str], kind: str) -> str:
    """Why a recipient was not told, in the letter's words."""
    return say.get(f"exception_{kind}") or TASK_EXCEPTIONS[kind]


def outcome_for_letter(case: Case, language: str = "nl") -> LetterOutcome:
    """Collect the items, decisions and Art. 19 tasks of ``case`` for its letters, with the sentences dsr
    writes itself in ``language`` (``workflows.letter_phrases``). Call it inside ``force_locale(language)``
    so the catalogue-translated grounds are in the same language."""
    say = phrases_for(language)
    actions: list[str] = []
    refused: list[L.ListedItem] = []
    kept: list[L.ListedItem] = []
    decision = None
    notifies = case.right in ("rectification", "restriction")
    if case.right == "rectification":
        for item in items_of(RectificationItem, case.id):
            if item.carried_out_at is None:
                continue
            where = {"field": item.field, "category": item.category.name}
            if item.kind == "factual":
                phrase = say["changed_from"] if item.old_value else say["changed"]
                actions.append(phrase.format(old=item.old_value, new=item.new_value, **where))
            else:
                actions.append(say["statement_added"].format(**where))
                refused.append(L.ListedItem(item.field, (REFUSAL_GROUNDS["not_factual"],), say["opinion_reason"]))
    elif case.right == "erasure":
        for item in items_of(ErasureItem, case.id):
            if item.outcome == "erase" and item.carried_out_at is not None:
                actions.append(_erased_action(item, say))
            elif item.outcome == "keep":
                kept.append(_kept_item(item, say, language))
        refused = list(kept)
        notifies = True
    elif case.right in OUTCOMES:
        decision = decision_of(case.id)
        if decision is not None:
            outcome = OUTCOMES[case.right][decision.outcome]
            if decision.outcome in WITHDRAWAL_OUTCOMES:
                notifies = True
                actions.extend(_erased_action(i, say) for i in items_of(ErasureItem, case.id)
                               if i.carried_out_at is not None)
            if outcome.grants:
                actions.append(decision.explanation)
            else:
                ground = say.get(f"ground_{case.right}_{decision.outcome}", outcome.ground_text)
                refused.append(L.ListedItem(say[f"right_{case.right}"], (ground,), decision.explanation))
    if not refused and case.decision in (PARTIAL, REFUSE):
        refused = list(_generic_refused(case, say))
    if case.fulfilment_note and case.state == S.FULFILLED:
        actions.append(case.fulfilment_note.strip())
    tasks = tasks_for(case.id)
    notified = tuple(t.recipient.name for t in tasks if t.status == TASK_DONE)
    exceptions = tuple(L.ListedItem(t.recipient.name, reason=f"{_exception(say, t.exception_kind or '')}: {t.note}")
                       for t in tasks if t.status == TASK_EXCEPTION)
    return LetterOutcome(tuple(actions), tuple(refused), tuple(kept), notified, exceptions, decision, notifies)


__all__ = ["LetterOutcome", "RESTRICTION_GROUNDS", "add_rectification", "carry_out_decision", "carry_out_erasure",
           "carry_out_rectification", "decision_of", "outcome_for_letter", "propose_erasure",
           "record_decision", "remove_rectification"]
