"""The requester's address is confirmed: record it once, audit it, and send the full acknowledgement.

The receipt that goes out at intake holds only the reference and the confirmation link: anyone can type
any address into the public form, so nothing typed in reaches that address before its owner has
confirmed it (issue 13). Once confirmed, by the receipt's link or by a "Mijn verzoek" link, the
acknowledgement follows with the name, the dates and the deadline. Both ways of confirming call
:func:`mark_confirmed`, so the acknowledgement goes out exactly once.
"""
from __future__ import annotations

from ..models import Case
from ..models._types import utcnow
from ..notifications import queue_mail
from . import audit


def mark_confirmed(case: Case, *, via: str | None = None) -> bool:
    """Mark ``case``'s address confirmed, in the caller's transaction; False if it already was.

    The acknowledgement mail is queued only while the case is open: a closed case has no deadline to
    announce (it was already told by its own mail).
    """
    if case.email_confirmed_at is not None:
        return False
    case.email_confirmed_at, case.confirm_nonce = utcnow(), None
    audit.record("case.email_confirmed", case=case, actor_kind="requester", details={"via": via} if via else None)
    if case.is_open:
        queue_mail("acknowledgement", case.requester_email, case=case, language=case.language)
    return True
