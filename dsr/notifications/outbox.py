"""Write a mail into the outbox inside the caller's transaction; it is sent after commit."""
from __future__ import annotations

import sqlalchemy as sa

from ..crypto import file_keys
from ..extensions import db
from ..models import OutboxMessage
from ..models.outbox import SENT
from .jobs import enqueue_delivery
from .render import DEFAULT_LANGUAGE, render_mail
from .sealed_links import seal

#: Mails to staff: ``templates/mail/staff_*.txt``, always queued with ``user=`` (the staff member they go to).
STAFF_KIND_PREFIX = "staff_"


def mail_language(kind: str, language: str | None, user=None) -> str:
    """The language mail ``kind`` is written in (issue 15 point 8).

    A staff mail goes in the language of the staff member it is for (``User.language``, which the language
    switch keeps), whatever the language of whoever triggered it; it must name that member (``user=``). Any
    other mail goes in ``language`` (a requester's mail: the language of their request), Dutch by default.
    """
    if kind.startswith(STAFF_KIND_PREFIX):
        if user is None:
            raise TypeError(f"staff mail {kind!r} needs user=: it is written in that staff member's language")
        return getattr(user, "language", None) or DEFAULT_LANGUAGE
    return language or DEFAULT_LANGUAGE


def queue_mail(kind: str, recipient: str, *, case=None, language: str | None = None, **context) -> OutboxMessage:
    """Render mail ``kind`` for ``recipient`` and store it as a pending outbox row.

    The language is :func:`mail_language`'s: a staff mail's comes from ``user=``. The send job is enqueued
    after the transaction commits; if Redis is down then, the re-drive sweep enqueues it later. Nothing is
    sent for a transaction that rolls back. The row holds no working link: the links are sealed under the
    file keys until the send (sealed_links.py).
    """
    language = mail_language(kind, language, context.get("user"))
    rendered = render_mail(kind, language=language, case=case, **context)
    text, html, sealed = seal(rendered.text, rendered.html)
    message = OutboxMessage(
        case_id=case.id if case is not None else None, kind=kind, recipient=recipient,
        subject=rendered.subject, body_text=text, body_html=html, links_sealed=sealed,
    )
    db.session.add(message)
    db.session.flush()
    enqueue_delivery(message.id)
    return message


def rotate_sealed_links() -> int:
    """Re-encrypt the sealed links of every unsent mail under the newest file key (no commit); returns
    how many. Part of ``rotate-file-keys``: without it a waiting mail could not be sent once the old key
    is removed."""
    keys = file_keys()
    rows = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.status != SENT, OutboxMessage.links_sealed.is_not(None))).scalars().all()
    for row in rows:
        if row.links_sealed is not None:  # always so (the query asks for it); says so to the type checker
            row.links_sealed = keys.rotate(row.links_sealed.encode()).decode()
    return len(rows)
