"""The work behind the ``flask dsr`` administration commands (:mod:`dsr.cli`): each function is one
transaction (commit on success, nothing left behind on an error), so the commands only parse their
arguments, call one of these and print the outcome."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import School, User
from ..notifications.outbox import rotate_sealed_links
from . import people, register, storage
from .transaction import transactional


class SchoolExists(ValueError):
    """A school with this code is there already."""


@transactional
def create_staff_user(email: str, name: str, role: str, password: str, school_codes: list[str]) -> User:
    """A new staff account (:func:`dsr.services.people.create_user`; its ``UserError`` leaves nothing)."""
    return people.create_user(email, name, role, password, school_codes)


@transactional
def create_school(code: str, name: str) -> School:
    """A new school; :class:`SchoolExists` if the code is taken."""
    if db.session.execute(sa.select(School).where(School.code == code)).first():
        raise SchoolExists(code)
    school = School(code=code, name=name)
    db.session.add(school)
    return school


def user_by_email(email: str) -> User | None:
    """The account with exactly this (lower-case) e-mail address, or None."""
    return db.session.execute(sa.select(User).where(User.email == email.lower())).scalar()


@transactional
def seed_default_register() -> tuple[int, int]:
    """Load the default processing register: (categories, recipients) added (only the missing ones)."""
    return register.seed_register()


@transactional
def rotate_file_keys() -> tuple[int, int, int]:
    """Re-encrypt stored files, TOTP secrets and the sealed links of unsent mails under the first key:
    (files, secrets, mails) re-encrypted."""
    files = storage.rotate_all()
    users = db.session.execute(sa.select(User).where(User.totp_secret_enc.is_not(None))).scalars().all()
    for user in users:
        secret = user.totp_secret_enc
        if secret is not None:  # always so (the query asks for it); says so to the type checker
            user.totp_secret_enc = storage.rotate_text(secret)
    return files, len(users), rotate_sealed_links()
