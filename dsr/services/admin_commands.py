"""The work behind the ``flask dsr`` administration commands (:mod:`dsr.cli`): each function is one
transaction (commit on success, nothing left behind on an error), so the commands only parse their
arguments, call one of these and print the outcome."""
from __future__ import annotations

import sqlalchemy as sa

from ..connectors.credentials import rotate_credentials
from ..extensions import db
from ..models import School, System, User, WebhookSubscription
from ..notifications.outbox import rotate_sealed_links
from . import register, schools, storage, user_admin
from .transaction import transactional
from .webhook_jobs import rotate_secret


class SchoolExists(ValueError):
    """A school with this code is there already."""


@transactional
def create_staff_user(email: str, name: str, role: str, password: str, school_codes: list[str]) -> User:
    """A new staff account with the password typed at the prompt, audited as the admin's page does
    (:func:`dsr.services.user_admin.add_account`; its ``UserError`` leaves nothing)."""
    return user_admin.add_account(email, name, role, password, school_codes, via="command line")


@transactional
def create_school(code: str, name: str) -> School:
    """A new school (:func:`dsr.services.schools.add_school`, as the admin's page adds one);
    :class:`SchoolExists` if the code is taken, ``SchoolError`` for a code or name that cannot be used."""
    try:
        return schools.add_school(code, name, via="command line")
    except schools.SchoolError as exc:
        if exc.code == "code_taken":
            raise SchoolExists(code) from exc
        raise


def user_by_email(email: str) -> User | None:
    """The account with exactly this (lower-case) e-mail address, or None."""
    return db.session.execute(sa.select(User).where(User.email == email.lower())).scalar()


@transactional
def seed_default_register() -> tuple[int, int]:
    """Load the default processing register: (categories, recipients) added (only the missing ones)."""
    return register.seed_register()


@transactional
def rotate_file_keys() -> tuple[int, int, int, int, int]:
    """Re-encrypt stored files, TOTP secrets, the sealed links of unsent mails, the systems' sealed
    credentials and the webhooks' signing secrets under the first key: (files, secrets, mails, systems,
    webhooks) re-encrypted."""
    files = storage.rotate_all()
    users = db.session.execute(sa.select(User).where(User.totp_secret_enc.is_not(None))).scalars().all()
    for user in users:
        secret = user.totp_secret_enc
        if secret is not None:  # always so (the query asks for it); says so to the type checker
            user.totp_secret_enc = storage.rotate_text(secret)
    systems = db.session.execute(sa.select(System).where(System.credentials_sealed.is_not(None))).scalars().all()
    for system in systems:
        system.credentials_sealed = rotate_credentials(system.credentials_sealed)
    hooks = db.session.execute(sa.select(WebhookSubscription)).scalars().all()
    for hook in hooks:
        hook.secret_sealed = rotate_secret(hook.secret_sealed)
    return files, len(users), rotate_sealed_links(), len(systems), len(hooks)
