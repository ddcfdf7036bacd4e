"""The staff desk on the case page (issue 15 point 3): who handles the case, and internal notes.

``/zaken/<id>/toewijzen`` hands the case to a colleague (or to nobody), ``/zaken/<id>/toewijzen/mij`` takes
it in one click, ``/zaken/<id>/notities`` appends a note. The panels are ``staff/_case_assignment.html`` and
``staff/_case_notes.html`` on the case page; every route checks the case against the user's schools (404).
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.desk import NOBODY, AssignForm, AssignSelfForm, NoteForm
from ..models import Case
from ..services import assignment, case_notes, cases
from .staff import _case_page, show_conflicts_on_the_case_page

bp = Blueprint("case_desk", __name__, url_prefix="/zaken")
show_conflicts_on_the_case_page(bp)  # a stale assignment form: the case page as it is now (409)


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


def _assign_form(case: Case, *, posted: bool = False) -> AssignForm:
    """The assignment form for ``case`` (``posted``: filled from the request): nobody, the school's staff and
    directors, and whoever has the case now (so that keeping the choice never unassigns, even an assignee who
    is no longer on the list)."""
    people = assignment.candidates(case)
    if case.assigned_to is not None and case.assigned_to not in people:
        people.append(case.assigned_to)
    if posted:
        form = AssignForm()
    else:
        form = AssignForm(formdata=None, version=case.version, assignee_id=case.assigned_to_id or NOBODY)
    return form.offer(people, _("Niemand"))


@bp.app_context_processor
def _desk_panel():
    """``desk_panel(case)`` for the assignment and notes panels (the case page does not pass them)."""

    def panel(case: Case) -> SimpleNamespace:
        # Both panels ask for it: built once per page.
        built = g.setdefault("desk_panels", {})
        if case.id not in built:
            built[case.id] = _build_panel(case)
        return built[case.id]

    return {"desk_panel": panel}


def _build_panel(case: Case) -> SimpleNamespace:
    """What the panels show: the forms (as posted when they failed), the notes, what the user may do."""
    forms = g.get("desk_forms", {})
    may_assign = assignment.may_assign(current_user, case) and case.in_queue
    return SimpleNamespace(
        may_assign=may_assign,
        assign_form=forms.get("assign") or (_assign_form(case) if may_assign else None),
        self_form=AssignSelfForm(formdata=None, version=case.version)
        if may_assign and case.assigned_to_id != current_user.id else None,
        notes=case_notes.notes_of(case),
        note_form=forms.get("note") or NoteForm(formdata=None),
        may_write=case.anonymised_at is None,
    )


def _desk_page(case_id: int, forms: dict, error: str, status: int):
    """The case page again with the desk's forms as posted (their choices and errors kept)."""
    g.desk_forms = forms
    return _case_page(cases.get_visible_case(current_user, case_id), error=error, status=status)


def _assign(case_id: int, version: int | None, assignee_id: int | None):
    """Run the assignment; a refusal that is not a conflict becomes AssignmentError for the caller."""
    try:
        return assignment.assign(current_user, case_id, version, assignee_id)
    except assignment.AssignmentError as exc:
        if exc.forbidden:
            abort(403)
        raise


def _done(case: Case):
    if case.assigned_to is None:
        flash(_("Het verzoek is aan niemand toegewezen."))
    elif case.assigned_to_id == current_user.id:
        flash(_("Het verzoek is aan u toegewezen. U krijgt de herinneringen over de termijn."))
    else:
        flash(_("Het verzoek is toegewezen aan %(name)s. Die krijgt hierover een e-mail en voortaan de "
                "herinneringen over de termijn.", name=case.assigned_to.name))
    return redirect(url_for("staff.case", case_id=case.id) + "#toewijzing")


@bp.route("/<int:case_id>/toewijzen", methods=["POST"])
def assign(case_id: int):
    """Hand the case to a colleague of its school, or to nobody (version-checked, audited)."""
    found = cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    if not assignment.may_assign(current_user, found):
        abort(403)
    form = _assign_form(found, posted=True)
    allowed = {value for value, _label in form.assignee_id.choices}
    valid = form.validate_on_submit()
    if valid and form.assignee_id.data not in allowed:
        form.assignee_id.errors = [_("Kies een medewerker van de lijst, of niemand.")]
        valid = False
    if not valid:
        return _desk_page(case_id, {"assign": form}, _("Niet toegewezen: controleer de keuze."), 422)
    try:
        done = _assign(case_id, form.version.data, form.chosen_id)
    except assignment.AssignmentError as exc:
        form.assignee_id.errors = [exc.message]
        return _desk_page(case_id, {"assign": form}, _("Niet toegewezen: controleer de keuze."), 422)
    return _done(done)


@bp.route("/<int:case_id>/toewijzen/mij", methods=["POST"])
def assign_self(case_id: int):
    """"Aan mij toewijzen": the signed-in user takes the case (version-checked, audited, no mail)."""
    cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = AssignSelfForm()
    if not form.validate_on_submit():
        return _desk_page(case_id, {}, _("Niet toegewezen: laad de pagina opnieuw en probeer het nog eens."), 422)
    try:
        done = _assign(case_id, form.version.data, current_user.id)
    except assignment.AssignmentError as exc:
        return _desk_page(case_id, {}, exc.message, 422)
    return _done(done)


@bp.route("/<int:case_id>/notities", methods=["POST"])
def add_note(case_id: int):
    """Append an internal note (who and when recorded; the text never leaves the case page)."""
    cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            case_notes.add_note(current_user, case_id, form.body.data)
        except case_notes.NoteError as exc:  # the case takes no notes (any more): no field to mark
            return _desk_page(case_id, {}, exc.message, 422)
        flash(_("De notitie is toegevoegd."))
        return redirect(url_for("staff.case", case_id=case_id) + "#notities")
    return _desk_page(case_id, {"note": form}, _("De notitie is niet opgeslagen: controleer de invoer."), 422)

