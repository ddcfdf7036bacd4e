"""The owner's task page (issue 17 point 2): ``/taak/<token>``, opened from the task mail without an account.

The owner of a system without an interface (or a processor, Art. 28(3)(e) AVG) delivers the student's data
per category, or confirms that a right was carried out. The token is signed, expiring, and holds the task's
id and nonce (``services.manual_tasks``); a used, replaced or expired link shows a calm page that says to ask
the school for a new one. Like the requester's pages these send no Referer, and they are rate-limited.

Staff send a new link from the case page: ``/zaken/<id>/taken/<task_id>/nieuwe-link``
(``staff/_case_manual_tasks.html``).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.owner_tasks import NewLinkForm, confirm_form, deliver_form
from ..security import limiter
from ..services import manual_task_answers as answers
from ..services import manual_tasks
from ..services.case_access import FulfilmentError
from ..services.clock import local_today
from .portal import UPLOAD_MARGIN

bp = Blueprint("owner_tasks", __name__)


@bp.url_value_preprocessor
def _no_referrer(endpoint, values) -> None:
    g.no_referrer = True  # the link's token never leaves in a Referer header (views/portal.py adds the header)


def _invalid(reason: str):
    return render_template("owner_tasks/link_invalid.html", reason=reason), 410 if reason in ("used", "closed") else 400


def _page(token: str, task, status: int = 200, form=None, error: str | None = None):
    case = answers.case_of(task)
    categories = answers.categories_of(task, case)
    if form is None:
        form = deliver_form([c.id for c in categories], formdata=None) if task.kind == "deliver" \
            else confirm_form(task.kind, formdata=None, done_on=local_today())
    return render_template("owner_tasks/task.html", task=task, case=case, categories=categories, form=form,
                           token=token, error=error, today=local_today(),
                           max_size_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)), status


@bp.route("/taak/<token>", methods=["GET", "POST"], endpoint="task")
@limiter.limit("30 per minute")
@limiter.limit("10 per minute", methods=["POST"])
def task_page(token: str):
    """The task (GET), and the owner's answer (POST)."""
    try:
        task = manual_tasks.task_of_link(token)
    except manual_tasks.TaskLinkError as exc:
        return _invalid(exc.reason)
    if request.method == "GET":
        return _page(token, task)
    case = answers.case_of(task)
    categories = answers.categories_of(task, case)
    if task.kind == "deliver":
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] * max(1, len(categories)) + UPLOAD_MARGIN
        form = deliver_form([c.id for c in categories])
    else:
        form = confirm_form(task.kind)
    if not form.validate_on_submit():
        return _page(token, task, 422, form=form, error=_("Controleer de invoer."))
    try:
        if task.kind == "deliver":
            given = []
            for category in categories:
                upload = form[f"file_{category.id}"].data
                data = upload.read() if upload and getattr(upload, "filename", "") else b""
                given.append(answers.CategoryAnswer(category.id, data, getattr(upload, "filename", "") or "",
                                                    none=bool(form[f"none_{category.id}"].data) and not data))
            answers.deliver(token, given, form.note.data or "")
        else:
            answers.confirm(token, form.done_on.data, form.note.data or "")
    except manual_tasks.TaskLinkError as exc:
        return _invalid(exc.reason)
    except FulfilmentError as exc:
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*field.errors, exc.message]
        return _page(token, task, 422, form=form, error=exc.message)
    return redirect(url_for("owner_tasks.thanks"))


@bp.route("/taak/bedankt", endpoint="thanks")
def thanks():
    """After the answer: what happens next."""
    return render_template("owner_tasks/answered.html")


@bp.route("/zaken/<int:case_id>/taken/<int:task_id>/nieuwe-link", methods=["POST"], endpoint="new_link")
@login_required
def new_link(case_id: int, task_id: int):
    """Staff send the owner a new link; the old one stops working (audited)."""
    if not current_user.does_casework:
        abort(403)
    if not NewLinkForm().validate_on_submit():
        abort(400)
    try:
        manual_tasks.send_new_link(current_user, case_id, task_id)
    except FulfilmentError as exc:
        flash(exc.message)
    else:
        flash(_("De eigenaar krijgt een nieuwe link per e-mail. De vorige link werkt niet meer."))
    return redirect(url_for("staff.case", case_id=case_id) + "#eigenaarstaken")


@bp.app_context_processor
def _manual_tasks_panel():
    """``manual_tasks_panel(case)`` for ``staff/_case_manual_tasks.html`` (the case page does not pass it)."""

    def panel(case) -> dict:
        return {"tasks": manual_tasks.tasks_of(case.id), "today": local_today(),
                "form": NewLinkForm(formdata=None), "may_renew": case.anonymised_at is None}

    return {"manual_tasks_panel": panel}
