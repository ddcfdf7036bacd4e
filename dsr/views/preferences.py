"""A staff member's own settings: ``/instellingen`` (issue 16 point 4).

Who handles requests (the staff role: they are the ones told of new requests) chooses whether new requests
reach them in a digest or one mail each; the language of pages and mails is chosen with the switch in the
header (views/language.py). Saved through services/preferences.py, audited as a settings change.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.preferences import CaseNoticesForm
from ..services import preferences
from ..workflows.roles import STAFF

bp = Blueprint("preferences", __name__, url_prefix="/instellingen")


@bp.before_request
@login_required
def _staff_only():
    if current_user.role != STAFF:
        abort(403)


@bp.route("/", methods=["GET", "POST"])
def index():
    """Show and save how this staff member hears of new requests."""
    form = CaseNoticesForm(case_notices=current_user.case_notices)
    if form.validate_on_submit():
        if preferences.save_case_notices(current_user, form.case_notices.data):
            flash(_("Uw keuze is bewaard."))
        return redirect(url_for("preferences.index"), code=303)
    return render_template("staff/preferences.html", form=form), 200 if not form.errors else 422
