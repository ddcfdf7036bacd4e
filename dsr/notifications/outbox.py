"""Write a mail into the outbox inside the caller's transaction; it is sent after commit."""
from __future__ import annotations

from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import OutboxMessage
from .jobs import deliver
from .render import render_mail
from .sealed_links import seal


def queue_mail(kind: str, recipient: str, *, case=None, language: str = "nl", **context) -> OutboxMessage:
    """Render mail ``kind`` for ``recipient`` and store it as a pending outbox row.

    The send job is enqueued after the transaction commits; if Redis is down then, the re-drive
    sweep enqueues it later. Nothing is sent for a transaction that rolls back. The row holds no
    working link: the links are sealed under the file keys until the send (sealed_links.py).
    """
    rendered = render_mail(kind, language=language, case=case, **context)
    text, html, sealed = seal(rendered.text, rendered.html)
    message = OutboxMessage(
        case_id=case.id if case is not None else None, kind=kind, recipient=recipient,
        subject=rendered.subject, body_text=text, body_html=html, links_sealed=sealed,
    )
    db.session.add(message)
    db.session.flush()
    enqueue_after_commit(deliver, message.id)
    return message
