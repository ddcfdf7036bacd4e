"""The fulfilment section of the staff case page as a view-model: the package, corrections, erasure,
decisions, Art. 19 tasks and letters of one case, with their forms (dsr/views/fulfilment.py serves
the actions the forms post to)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from ..forms.fulfilment import (
    AllChecksForm,
    BulkUploadForm,
    ChecksForm,
    DecisionForm,
    ErasureDecisionForm,
    LeavingForm,
    RectificationForm,
    ReleaseForm,
    SingleItemForm,
    TaskForm,
    UploadForm,
    VersionForm,
    WithdrawalItemForm,
)
from ..models import Case, ErasureItem, RectificationItem
from ..models.fulfilment import RECTIFICATION_KINDS, TASK_EXCEPTIONS
from ..services import corrections, fulfilment, letters
from ..services import register as register_service
from ..workflows import states as S
from ..workflows.retention import ERASURE_GROUNDS, KEEP_GROUNDS, NO_GROUND
from ..workflows.rights import OUTCOMES, RESTRICTION_GROUNDS, WITHDRAWAL_OUTCOMES
from ..workflows.scope import categories_in_scope
from ..workflows.vocabulary import REFUSAL_GROUNDS


@dataclass
class Section:
    """Everything ``staff/_case_fulfilment.html`` shows for one case."""

    case: Case
    forms: dict
    package: object = None
    scope_categories: list = field(default_factory=list)
    rectification_items: list = field(default_factory=list)
    erasure_items: list = field(default_factory=list)
    decision: object = None
    decision_outcomes: dict = field(default_factory=dict)
    tasks: list = field(default_factory=list)
    letters: list = field(default_factory=list)
    available_letters: list = field(default_factory=list)
    due_letters: list = field(default_factory=list)
    work_state: bool = False
    reviewed: bool = False
    #: A consent withdrawal (or an objection handled as one) is carried out per category (R-CH-8).
    withdrawal: bool = False

    def form(self, key: str):
        return self.forms.get(key)


def outcome_choices(right: str) -> list:
    """The outcomes of a decision on ``right`` as choices (a list, not a dict: each label stays lazy)."""
    return [SelectChoice(key, outcome.label) for key, outcome in OUTCOMES.get(right, {}).items()]


def erasure_choices() -> list:
    """The Art. 17(1) grounds staff choose from for a policy-period category, and "none applies"."""
    choices = [choice for choice in ERASURE_GROUNDS.choices() if choice.value != "17_1_b"]
    return choices + [SelectChoice(NO_GROUND, _(
        "Geen grond van toepassing: bewaren tot het einde van de "
        "beleidstermijn (de brief zegt dat eerlijk, niet 'wettelijke plicht')"))]


def ground_label(key: str | None) -> str:
    """A kept or erased item's ground, for staff."""
    if not key:
        return ""
    for labels in (KEEP_GROUNDS, ERASURE_GROUNDS, REFUSAL_GROUNDS):
        if key in labels:
            return labels[key]
    return key


def _dutch(text: str):
    """The register's Dutch ``text``, marked as Dutch on a page in another language."""
    return text if get_locale().language == "nl" else Markup('<span lang="nl">{}</span>').format(text)


def category_choices(categories) -> dict[int, str]:
    """Register categories as choices, learning results marked."""
    marker = " " + _("(leerresultaat)")
    return {c.id: c.name + (marker if c.is_learning_result else "") for c in categories}


def bulk_category_choices(categories) -> list:
    """The categories for several files at once: first "choose", so that no category is taken by accident."""
    return [("", _("Kies een categorie"))] + list(category_choices(categories).items())


def student_file(categories) -> list:
    """The categories of the student's file: the handling of requests itself (R-AC-3/4) is not part of it."""
    return [c for c in categories if c.retention_kind != "after_closing"]


def build_section(case: Case, forms: dict | None) -> Section:
    """The view-model of the fulfilment section; forms passed in (with errors) win over fresh ones."""
    forms = forms if forms is not None else {}
    all_categories = register_service.categories()
    section = Section(case=case, forms=forms, work_state=case.state in fulfilment.WORK_STATES,
                      reviewed=case.state == S.LEGAL_BASIS_REVIEWED)
    fresh = {"formdata": None}
    if case.right == "access":
        section.package = fulfilment.package_of(case.id)
        section.scope_categories = categories_in_scope(case.assessment_scope, all_categories)
        forms.setdefault("f_upload", UploadForm(**fresh))
        forms["f_upload"].category_id.choices = category_choices(section.scope_categories)
        forms.setdefault("f_upload_several", BulkUploadForm(**fresh))
        forms["f_upload_several"].category_id.choices = bulk_category_choices(section.scope_categories)
        forms.setdefault("f_all_checks", AllChecksForm(**fresh))
        forms.setdefault("f_release", ReleaseForm(**fresh, version=case.version))
        for document in section.package.documents if section.package else []:
            forms.setdefault(f"f_checks_{document.id}", ChecksForm(
                **fresh, prefix=f"d{document.id}", third_party=document.third_party_checked_at is not None,
                work_notes=document.work_notes_checked_at is not None))
    elif case.right == "rectification":
        section.rectification_items = fulfilment.items_of(RectificationItem, case.id)
        forms.setdefault("f_rectification", RectificationForm(**fresh))
        forms["f_rectification"].kind.choices = RECTIFICATION_KINDS.choices()
        forms["f_rectification"].category_id.choices = category_choices(all_categories)
        forms.setdefault("f_carry_out", VersionForm(**fresh, version=case.version))
    elif case.right == "erasure":
        section.erasure_items = fulfilment.items_of(ErasureItem, case.id)
        forms.setdefault("f_erasure", LeavingForm(**fresh, version=case.version, left_on=case.student_left_on))
        forms.setdefault("f_carry_out", VersionForm(**fresh, version=case.version))
        forms.setdefault("f_single", SingleItemForm(**fresh))
        forms["f_single"].category_id.choices = category_choices(student_file(all_categories))
        for item in section.erasure_items:
            # Staff decide on Art. 17(1) where no statute decides: a running policy period, or an enrolled
            # student's data kept because no ground applied (R-RI-3).
            if item.carried_out_at is None and not item.document and (
                    item.outcome == "decide" or item.ground == "no_17_1_ground"):
                forms.setdefault(f"f_decide_{item.id}", ErasureDecisionForm(**fresh, prefix=f"e{item.id}",
                                                                          version=case.version))
                forms[f"f_decide_{item.id}"].choice.choices = erasure_choices()
    elif case.right in OUTCOMES:
        section.decision = corrections.decision_of(case.id)
        section.decision_outcomes = OUTCOMES[case.right]
        forms.setdefault("f_decision", DecisionForm(**fresh, version=case.version))
        forms["f_decision"].outcome.choices = outcome_choices(case.right)
        forms["f_decision"].ground.choices = RESTRICTION_GROUNDS.choices()
        forms["f_decision"].category_ids.choices = {c.id: _dutch(c.name) + f" ({c.legal_basis_label})"
                                                    for c in all_categories}
        forms.setdefault("f_carry_out", VersionForm(**fresh, version=case.version))
        if section.decision is not None and section.decision.outcome in WITHDRAWAL_OUTCOMES:
            section.erasure_items = fulfilment.items_of(ErasureItem, case.id)
            section.withdrawal = True
            for item in section.erasure_items:
                forms.setdefault(f"f_withdrawal_{item.id}", WithdrawalItemForm(
                    **fresh, prefix=f"w{item.id}", stopped=item.stopped, erased=item.explanation))
    for key in ("f_upload", "f_upload_several", "f_rectification", "f_single"):
        if key in forms:  # the register's category names are Dutch data: say so to screen readers
            forms[key].category_id.render_kw = None if get_locale().language == "nl" else {"lang": "nl"}
    section.tasks = fulfilment.tasks_for(case.id)
    for task in section.tasks:
        forms.setdefault(f"f_task_{task.id}", TaskForm(**fresh, prefix=f"t{task.id}", version=case.version))
        forms[f"f_task_{task.id}"].exception_kind.choices = TASK_EXCEPTIONS.choices()
    section.letters = letters.letters_of(case.id)
    section.available_letters = letters.available_kinds(case)
    section.due_letters = letters.due_kinds(case)
    return section
