"""A staff member's own settings: the language of their pages and of the mails dsr sends them (issue 15 point 8).

The language switch (views/language.py) calls :func:`save_language` for a signed-in staff member, so the pages
they read and the mails they get (notifications.outbox.mail_language) agree; it is used again at their next
sign-in. Every change is audited as a settings change (``user.settings``), like any other state change.
"""
from __future__ import annotations

from ..models import User
from . import audit
from .transaction import transactional


@transactional
def save_language(user: User, language: str) -> bool:
    """Keep ``language`` ("nl" or "en", checked by the caller) as ``user``'s language; one commit.

    Returns whether it changed: choosing the language one already has records nothing.
    """
    before = user.language or "nl"
    if before == language:
        return False
    user.language = language
    audit.record("user.settings", actor=user, details={"language": [before, language]})
    return True
