"""Where the request stands and its deadline, for the requester's status page (issue 14 points 5, 6).

The page reads one :class:`Progress`: the six steps of :mod:`dsr.workflows.timeline`, the deadline in
one plain sentence, the deadline's history (why it moved) and, one click away, how the date was
computed, all in the reader's language. Nothing is read from the database beyond the case itself.

When a suspension moves the deadline (the answer the school waited for came in, R-DL-6),
:func:`deadline_moved` audits it and queues a mail to the requester with the reference and a portal
link only: the page says the new date and why.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import Case
from ..notifications import queue_mail
from ..templating import current_language
from ..workflows import deadlines
from ..workflows.requester_deadline import EXTENSION, answer_by_sentence, change_sentence, deadline_history
from ..workflows.timeline import CaseFacts, TimelineStep, timeline
from . import audit, portal

#: The mail kind that tells the requester their deadline moved (reference and link only).
DEADLINE_MOVED = "deadline_moved"


@dataclass(frozen=True)
class HistoryLine:
    """One line of the deadline's history on the page; ``reason`` is the extension's stated reason."""

    text: str
    reason: str | None = None


@dataclass(frozen=True)
class Progress:
    """What the status page shows of where the request stands and of its deadline."""

    steps: tuple[TimelineStep, ...]
    sentence: str
    history: tuple[HistoryLine, ...]
    explanation: str


def progress(case: Case, lang: str | None = None) -> Progress:
    """The timeline and the deadline of ``case`` in ``lang`` (default: the language being rendered)."""
    lang = lang or current_language()
    steps = timeline(CaseFacts(
        state=case.state, confirmed=case.email_confirmed_at is not None,
        identity_checked=case.verified_at is not None, resume_state=case.resume_state,
        letter_pending=bool(case.letter_pending)))
    # The day the last pause ended; while a later question is open, that day is not kept, and the day
    # it was asked is the nearest honest date.
    ended = case.info_received_on or case.info_requested_on
    changes = deadline_history(case.received_on, extended=bool(case.extended), extended_on=case.extended_on,
                               suspended_days=case.suspended_days or 0, suspension_ended_on=ended)
    history = tuple(HistoryLine(change_sentence(change, lang),
                                case.extension_reason if change.kind == EXTENSION else None)
                    for change in changes) if len(changes) > 1 else ()
    explanation = deadlines.explain_deadline(case.received_on, extended=bool(case.extended),
                                             suspended_days=case.suspended_days or 0, lang=lang)
    return Progress(steps, answer_by_sentence(case.due_on, lang), history, explanation)


def deadline_moved(case: Case, old_due_on: dt.date, actor: object = None) -> bool:
    """After a step that may have moved the deadline: if it did, audit it (by ``actor``, the staff member
    who recorded the step) and mail the requester (reference and portal link only; sent after commit
    through the outbox). False if it did not move."""
    if case.due_on == old_due_on:
        return False
    audit.record("case.deadline_moved", case=case, actor=actor, actor_kind="staff" if actor else "system",
                 details={"old_due_on": old_due_on.isoformat(), "new_due_on": case.due_on.isoformat(),
                          "suspended_days": case.suspended_days})
    queue_mail(DEADLINE_MOVED, case.requester_email, case=case, language=case.language,
               portal_url=portal.notice_link(case))
    return True
