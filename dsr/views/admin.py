"""Admin pages: users and schools (no case content), and the demo mailbox."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from ..services import schools as school_service
from ..services import staff_pages
from ..workflows.roles import ADMIN, PRIVACY_OFFICER

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.before_request
@login_required
def _admins_only():
    if current_user.role not in (ADMIN, PRIVACY_OFFICER):
        abort(403)


@bp.route("/gebruikers")
def users():
    """Users and their schools."""
    return render_template("admin/users.html", users=staff_pages.users_by_role(), schools=school_service.schools())


@bp.route("/mail")
def mailbox():
    """Demo only: the mails the local SMTP sink received, newest first. They hold working links (confirm,
    portal, reset), so the page exists only in the demo (``DSR_DEMO``, set by ``make run``), never because a
    mailbox folder happens to be configured."""
    folder = current_app.config.get("DEMO_MAILBOX")
    if not folder or not current_app.config.get("DEMO"):
        abort(404)
    messages = []
    for path in sorted(Path(folder).glob("*.eml"), reverse=True)[:100]:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        messages.append({"to": msg["To"], "subject": msg["Subject"], "date": msg["Date"],
                         "body": body.get_content() if body else ""})
    return render_template("admin/mail.html", messages=messages)
