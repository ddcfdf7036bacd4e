"""Admin pages: staff accounts (no case content), and the demo mailbox.

The admin creates and changes accounts (issue 15 point 6); the privacy officer reads the list only
(docs/security.md, "Staff accounts"). Schools are on the schools blueprint (views/schools.py).
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.users import AccountActionForm, EditAccountForm, NewAccountForm, show_account_error
from ..services import schools as school_service
from ..services import signin, staff_pages, user_admin
from ..services.people import UserError
from ..workflows.roles import ADMIN, PRIVACY_OFFICER

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.before_request
@login_required
def _admins_only():
    if current_user.role not in (ADMIN, PRIVACY_OFFICER):
        abort(403)


def _managers_only(view: Callable) -> Callable:
    """Only the admin changes accounts; the privacy officer may read the list (403 on the rest)."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not user_admin.may_manage(current_user):
            abort(403)
        return view(*args, **kwargs)

    return checked


def _school_choices(user=None) -> list[tuple[str, str]]:
    """The schools an account can get: the active ones, plus the inactive ones it has already."""
    kept = {s.code for s in user.schools} if user is not None else set()
    return [(s.code, s.name + ("" if s.active else " " + _("(niet actief)")))
            for s in school_service.schools() if s.active or s.code in kept]


@bp.route("/gebruikers")
def users():
    """Every account with its role, schools, language and state; the admin can add and change them."""
    return render_template("admin/users.html", users=staff_pages.users_by_role(), schools=school_service.schools(),
                           may_manage=user_admin.may_manage(current_user), provider=signin.provider_configured())


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@_managers_only
def new_user():
    """A new account; the user gets a mail with a link to choose a password."""
    form = NewAccountForm(school_choices=_school_choices(), language="nl")
    problem = None
    if form.validate_on_submit():
        try:
            user = user_admin.create_account(current_user, email=form.email.data, name=form.name.data,
                                             role=form.role.data, school_codes=form.schools.data or [],
                                             language=form.language.data)
        except UserError as exc:
            problem = show_account_error(form, exc)
        else:
            if signin.password_allowed(user):
                flash(_("Het account van %(name)s is aangemaakt. %(name)s krijgt een mail met een link om een "
                        "wachtwoord te kiezen, en stelt bij de eerste keer inloggen een authenticator-app in.",
                        name=user.name))
            else:
                flash(_("Het account van %(name)s is aangemaakt. %(name)s logt in met het schoolaccount; rol en "
                        "scholen komen dan uit de groepen van het schoolaccount.", name=user.name))
            return redirect(url_for("admin.users"))
    status = 422 if form.errors or problem else 200
    return render_template("admin/user_new.html", form=form, problem=problem,
                           provider=signin.provider_configured()), status


def _account_data(user) -> dict:
    """What the account form shows of ``user`` (its schools by code, as the checkboxes name them)."""
    return {"name": user.name, "role": user.role, "language": user.language, "version": user.version,
            "schools": [s.code for s in user.schools]}


def _account_page(user, form=None, problem: str | None = None, status: int = 200):
    """The account page: its form, and the buttons for the account's state."""
    form = form or EditAccountForm(formdata=None, data=_account_data(user), school_choices=_school_choices(user))
    return render_template("admin/user_edit.html", user=user, form=form, problem=problem,
                           password_allowed=signin.password_allowed(user)), status


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
@_managers_only
def edit_user(user_id: int):
    """Change name, role, schools and language of an account."""
    user = user_admin.account(user_id)  # NotFound: the 404 page
    form = EditAccountForm(data=_account_data(user), school_choices=_school_choices(user))
    if not form.validate_on_submit():
        return _account_page(user, form, status=422 if form.errors else 200)
    try:
        user_admin.update_account(current_user, user.id, form.version.data, name=form.name.data,
                                  role=form.role.data, school_codes=form.schools.data or [],
                                  language=form.language.data)
    except user_admin.AccountConflict as exc:
        return _account_page(user_admin.account(user_id), problem=exc.message, status=409)
    except UserError as exc:
        return _account_page(user, form, problem=show_account_error(form, exc), status=422)
    flash(_("De gegevens van %(name)s zijn opgeslagen.", name=form.name.data))
    return redirect(url_for("admin.users"))


#: The buttons on the account page: the service each one calls and what the admin reads afterwards.
_ACTIONS: dict[str, tuple[Callable, Callable[[str], str]]] = {
    "uitzetten": (lambda actor, user_id, version: user_admin.set_active(actor, user_id, version, False),
                  lambda name: _("Het account van %(name)s staat uit. %(name)s is overal uitgelogd en kan niet meer "
                                 "inloggen.", name=name)),
    "aanzetten": (lambda actor, user_id, version: user_admin.set_active(actor, user_id, version, True),
                  lambda name: _("Het account van %(name)s staat weer aan.", name=name)),
    "authenticator": (user_admin.reset_authenticator,
                      lambda name: _("De authenticator van %(name)s is gewist en %(name)s is overal uitgelogd. Bij "
                                     "de volgende keer inloggen stelt %(name)s een nieuwe authenticator-app in.",
                                     name=name)),
    "wachtwoordlink": (user_admin.send_password_link,
                       lambda name: _("%(name)s krijgt een mail met een link om een wachtwoord te kiezen (één uur "
                                      "geldig).", name=name)),
}


@bp.route("/gebruikers/<int:user_id>/<action>", methods=["POST"])
@_managers_only
def account_action(user_id: int, action: str):
    """Deactivate, reactivate, reset the authenticator or mail a password link."""
    if action not in _ACTIONS:
        abort(404)
    user = user_admin.account(user_id)  # NotFound: the 404 page
    form = AccountActionForm()
    if not form.validate_on_submit():
        abort(400)
    service, done = _ACTIONS[action]
    try:
        service(current_user, user.id, form.version.data)
    except user_admin.AccountConflict as exc:
        return _account_page(user_admin.account(user_id), problem=exc.message, status=409)
    except UserError as exc:
        return _account_page(user, problem=show_account_error(form, exc), status=422)
    flash(done(user.name))
    if action == "authenticator" and user.id == current_user.id:
        return redirect(url_for("auth.login"))  # their own reset signed them out too
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _local(date_header: str | None) -> dt.datetime | None:
    """The Date header of a mail as an aware datetime (the template shows it in the app's time zone), or
    None when it is missing or unreadable."""
    if not date_header:
        return None
    try:
        when = email.utils.parsedate_to_datetime(str(date_header))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@bp.route("/mail")
def mailbox():
    """Demo only: the mails the local SMTP sink received, newest first. They hold working links (confirm,
    portal, reset), so the page exists only in the demo (``DSR_DEMO``, set by ``make run``), never because a
    mailbox folder happens to be configured. Times are shown in the app's time zone (Europe/Amsterdam)."""
    folder = current_app.config.get("DEMO_MAILBOX")
    if not folder or not current_app.config.get("DEMO"):
        abort(404)
    messages = []
    for path in sorted(Path(folder).glob("*.eml"), reverse=True)[:100]:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        messages.append({"to": msg["To"], "subject": msg["Subject"], "sent_at": _local(msg["Date"]),
                         "body": body.get_content() if body else ""})
    return render_template("admin/mail.html", messages=messages)
