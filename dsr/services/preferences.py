"""A staff member's own settings: the language of their pages and of the mails dsr sends them (issue 15 point 8),
and how they hear of new requests, in a digest or one by one (issue 16 point 4; the page views/preferences.py).

The language switch (views/language.py) calls :func:`save_language` for a signed-in staff member, so the pages
they read and the mails they get (notifications.outbox.mail_language) agree; it is used again at their next
sign-in. Every change is audited as a settings change (``user.settings``), like any other state change.
"""
from __future__ import annotations

from ..models import User
from ..workflows.staff_notices import CASE_NOTICE_CHOICES, DIGEST
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


@transactional
def save_case_notices(user: User, choice: str) -> bool:
    """Keep how ``user`` hears of new requests (issue 16 point 4): "digest" (one mail per
    ``STAFF_DIGEST_MINUTES`` listing them, the default) or "each" (a mail per request); one commit. Audited as a
    settings change, like the language. Returns whether it changed.

    Cases already waiting for this member's digest stay in it: the choice counts for requests from now on.
    """
    if choice not in CASE_NOTICE_CHOICES:
        raise ValueError(f"unknown choice {choice!r}")
    before = user.case_notices or DIGEST
    if before == choice:
        return False
    user.case_notices = choice
    audit.record("user.settings", actor=user, details={"case_notices": [before, choice]})
    return True
