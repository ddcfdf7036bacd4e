"""The school's roster on the case page (issue 17 point 5): what it says at the identity check, and the
one-click confirmation of a known contact with gezag.

The panel (``staff/_case_roster.html``) shows while the case waits for its identity check (state submitted)
to whoever may see the case; ``/zaken/<id>/identiteit/leerlingadministratie`` fires the identity step as the
roster proposes it (version-checked, audited; a case the user may not see is the 404 page).
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.roster import RosterConfirmForm
from ..models import Case
from ..services import cases, roster_intake
from ..workflows import states as S
from ..workflows.machine import WorkflowError, available_triggers
from ..workflows.roster_match import RELATION_LABELS
from .staff import _case_page, show_conflicts_on_the_case_page

bp = Blueprint("case_roster", __name__, url_prefix="/zaken")
show_conflicts_on_the_case_page(bp)  # a stale page: the case page as it is now (409)


@bp.before_request
@login_required
def _casework_only():
    if not current_user.does_casework:
        abort(403)


@bp.app_context_processor
def _roster_panel():
    """``roster_panel(case)`` for the case page's roster section (None: nothing to show)."""

    def panel(case: Case) -> SimpleNamespace | None:
        built = g.setdefault("roster_panels", {})
        if case.id not in built:
            built[case.id] = _build_panel(case)
        return built[case.id]

    return {"roster_panel": panel}


def _build_panel(case: Case) -> SimpleNamespace | None:
    """The roster's outcome while the identity is to be checked, and the one-click form when it applies."""
    if case.state != S.SUBMITTED or not current_user.is_authenticated or not current_user.does_casework:
        return None
    outcome = roster_intake.outcome_for(case)
    if outcome is None:
        return None
    may_verify = "verify_identity" in available_triggers(case, current_user)
    return SimpleNamespace(
        outcome=outcome, relation_labels=RELATION_LABELS,
        form=RosterConfirmForm(formdata=None, version=case.version) if outcome.one_click and may_verify else None,
    )


@bp.route("/<int:case_id>/identiteit/leerlingadministratie", methods=["POST"])
def confirm(case_id: int):
    """Record the identity as the roster proposes it: method known contact, gezag yes (R-ID-1, R-ID-4)."""
    cases.get_visible_case(current_user, case_id)  # CaseNotFound: the 404 page (errors.NotFound)
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        return _case_page(cases.get_visible_case(current_user, case_id),
                          error=_("Niet vastgelegd: laad de pagina opnieuw en probeer het nog eens."), status=422)
    try:
        roster_intake.confirm_known_contact(current_user, case_id, form.version.data)
    except (roster_intake.RosterError, WorkflowError) as exc:
        return _case_page(cases.get_visible_case(current_user, case_id), error=exc.message, status=409)
    flash(_("Identiteit vastgesteld: bekend contact met gezag volgens de leerlingadministratie."))
    return redirect(url_for("staff.case", case_id=case_id))
