"""Erasure items beyond the category proposal (R-RI-3, R-CH-8): staff's Art. 17(1) decision for a
policy-period category, single outdated or unlawful items, and the items of a consent withdrawal (what stopped,
what was erased). ``services.corrections`` proposes per category and carries erasure out; this module records what
staff decide in between. Every function that changes something audits it and commits once.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import NotFound
from ..extensions import db
from ..models import Case, ErasureItem, RegisterCategory, User
from ..models._types import utcnow
from ..workflows.retention import NO_GROUND, decide_item
from . import audit
from .case_access import WORK_STATES, FulfilmentError, case_for_work, check_version, flush_or_conflict
from .case_records import items_of
from .transaction import transactional

#: The grounds for erasing one item while the rest stays (R-RI-3 step 3): no longer needed, or unlawful.
SINGLE_ITEM_GROUNDS = ("17_1_a", "17_1_d")

_DECIDE_PROBLEMS = {
    "statutory": _l("Deze gegevens moet de school volgens de wet bewaren (art. 17 lid 3 sub b); dat verandert "
                   "een beslissing hier niet."),
    "consent": _l("Gegevens op grond van toestemming worden altijd verwijderd (art. 17 lid 1 sub b)."),
    "consent_basis": _l("Intrekken van toestemming (sub b) geldt alleen voor gegevens op grond van toestemming."),
    "objection_basis": _l("Bezwaar (sub c) geldt alleen voor gegevens die de school gebruikt voor haar publieke taak."),
    "choice": _l("Kies een grond van art. 17 lid 1, of dat geen grond van toepassing is."),
}


def _item(case: Case, item_id: int) -> ErasureItem:
    """The case's erasure item not carried out yet, or :class:`NotFound` / :class:`FulfilmentError`."""
    item = db.session.get(ErasureItem, item_id)
    if item is None or item.case_id != case.id:
        raise NotFound(item_id)
    if item.carried_out_at is not None:
        raise FulfilmentError(_("Dit is al doorgevoerd en kan niet meer veranderen."))
    return item


@transactional
def decide(user: User, case_id: int, item_id: int, version: int, choice: str) -> ErasureItem:
    """Record staff's Art. 17(1) decision for one category (R-RI-3 step 1): a ground erases it, ``none`` keeps
    it until the end of the policy period on the ground that no 17(1) ground applies. Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="erasure")
    item = _item(case, item_id)
    check_version(case, version)
    try:
        outcome, ground, erase_ground = decide_item(item.outcome, item.ground, item.category.legal_basis, choice)
    except ValueError as exc:
        raise FulfilmentError(str(_DECIDE_PROBLEMS.get(str(exc), _DECIDE_PROBLEMS["choice"])), field="choice",
                              form=f"decide_{item.id}") from exc
    item.outcome, item.ground, item.erase_ground = outcome, ground, erase_ground
    if outcome == "erase":
        assert erase_ground is not None  # decide_item erases only on a ground
        item.explanation = f"Verwijderen op grond van art. 17 lid 1 sub {erase_ground[-1]} AVG (beslissing medewerker)."
    elif item.keep_until is not None:
        item.explanation = (f"Bewaren tot {item.keep_until:%d-%m-%Y}: geen grond van art. 17 lid 1 AVG van "
                            "toepassing (beleid van ASG, geen wettelijke plicht).")
    flush_or_conflict()
    audit.record("erasure.decided", case=case, actor=user,
                 details={"item_id": item.id, "category": item.category.code, "choice": choice})
    return item


@transactional
def add_single_item(user: User, case_id: int, *, category_id: int | None, document: str, ground: str,
                    reason: str) -> ErasureItem:
    """Erase one outdated or unlawful item (a document, a note) while the rest stays, also while the student
    is enrolled (R-RI-3 step 3, Art. 17(1)(a)/(d)). ``document`` and ``reason`` are read by the requester.
    Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="erasure")
    category = db.session.get(RegisterCategory, category_id) if category_id else None
    if category is None or not category.active or category.retention_kind == "after_closing":
        raise FulfilmentError(_("Kies een categorie uit het verwerkingsregister."), field="category_id", form="single")
    document = (document or "").strip()
    if not document:
        raise FulfilmentError(_("Noem het stuk dat wordt verwijderd (bijvoorbeeld: gespreksverslag van 3 maart)."),
                              field="document", form="single")
    if ground not in SINGLE_ITEM_GROUNDS:
        raise FulfilmentError(_("Kies: niet meer nodig (sub a) of onrechtmatig (sub d)."), field="ground",
                              form="single")
    if any(i.category_id == category.id and i.document == document for i in items_of(ErasureItem, case.id)):
        raise FulfilmentError(_("Dit stuk staat er al."), field="document", form="single")
    item = ErasureItem(case_id=case.id, category=category, outcome="erase", erase_ground=ground, document=document,
                       explanation=(reason or "").strip(), created_at=utcnow())
    db.session.add(item)
    flush_or_conflict()
    audit.record("erasure.single_item_added", case=case, actor=user,
                 details={"item_id": item.id, "category": category.code, "ground": ground})
    return item


@transactional
def remove_single_item(user: User, case_id: int, item_id: int) -> None:
    """Take back a single item that was not erased yet. Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES, right="erasure")
    item = _item(case, item_id)
    if not item.document:
        raise NotFound(item_id)
    db.session.delete(item)
    audit.record("erasure.single_item_removed", case=case, actor=user, details={"item_id": item_id})


def withdrawal_items(case: Case, categories: list[RegisterCategory]) -> list[ErasureItem]:
    """Inside a decision's transaction: one item per consent-based category whose consent is withdrawn
    (R-CH-8): what stops (the register's ``consent_covers``) and the erasure (Art. 17(1)(b)). Replaces the
    items of an earlier decision that was not carried out."""
    for item in items_of(ErasureItem, case.id):
        if item.carried_out_at is None:
            db.session.delete(item)
    db.session.flush()
    items = [ErasureItem(case_id=case.id, category=c, outcome="erase", erase_ground="17_1_b",
                         stopped=c.consent_covers or c.purpose,
                         explanation="Alle gegevens in deze categorie.", created_at=utcnow()) for c in categories]
    db.session.add_all(items)
    return items


@transactional
def edit_withdrawal_item(user: User, case_id: int, item_id: int, *, stopped: str, erased: str) -> ErasureItem:
    """Say in the requester's words what stopped and what was erased for one category (R-CH-8). Commits."""
    case = case_for_work(user, case_id, states=WORK_STATES)
    item = _item(case, item_id)
    if item.erase_ground != "17_1_b":
        raise NotFound(item_id)
    if not (stopped or "").strip():
        raise FulfilmentError(_("Beschrijf welk gebruik is gestopt."), field="stopped", form=f"withdrawal_{item.id}")
    if not (erased or "").strip():
        raise FulfilmentError(_("Beschrijf wat is verwijderd."), field="erased", form=f"withdrawal_{item.id}")
    item.stopped, item.explanation = stopped.strip(), erased.strip()
    audit.record("withdrawal.item_edited", case=case, actor=user, details={"item_id": item.id})
    return item


__all__ = ["NO_GROUND", "SINGLE_ITEM_GROUNDS", "add_single_item", "decide", "edit_withdrawal_item",
           "remove_single_item", "withdrawal_items"]
