"""Staff record the check of the child's interest on a BW 1:377c case (R-CH-5)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.info_377c import ChildInterestForm
from ..services import info_377c
from ..services.cases import ConflictError
from ..workflows.roles import CASEWORK_ROLES

bp = Blueprint("info_377c", __name__, url_prefix="/zaken")


@bp.before_request
@login_required
def _casework_only():
    if current_user.role not in CASEWORK_ROLES:
        abort(403)


def _back_to_the_case(message: str):
    flash(message, "error")
    return redirect(url_for("staff.case", case_id=(request.view_args or {})["case_id"]))


# What the service refuses with goes back to the case page as a message, in one place.

@bp.errorhandler(ConflictError)
def _conflict(exc: ConflictError):
    return _back_to_the_case(_("Iemand anders heeft dit verzoek intussen gewijzigd. Probeer het opnieuw."))


@bp.errorhandler(info_377c.CheckError)
def _refused(exc: info_377c.CheckError):
    return _back_to_the_case(exc.message)


@bp.route("/<int:case_id>/belang-van-het-kind", methods=["POST"])
def child_interest(case_id: int):
    """Record the check and the care information; errors go back to the case page as a message."""
    form = ChildInterestForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("staff.case", case_id=case_id))
    info_377c.record_check(current_user, case_id, form.version.data, reason=form.reason.data,
                           care_info=form.care_info.data or "")
    flash(_("De toets van het belang van het kind is vastgelegd."))
    return redirect(url_for("staff.case", case_id=case_id))
