"""The history on the staff case page: the case's audit events as sentences (issue 15 point 5).

Each event becomes one line ("Identiteit vastgesteld door A. Jansen, via bekend e-mailadres of
telefoonnummer", :mod:`dsr.history_labels`). Reading the case (``case.viewed`` and the other reads in
:data:`READ_ACTIONS`) is accountable (R-AC-2) but says little one by one: those events are counted in one
line ("Bekeken door 3 medewerkers, 32 keer") and listed in full behind it. A rule id in a reason dsr wrote
(e.g. "(R-CH-1)") goes behind "Waarom?", as everywhere on the staff pages.

A plain read: nothing is written here. The sentences are made in the language of the page.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import history_labels
from ..extensions import db
from ..models import AuditEvent, Case
from ..workflows.rule_text import split_rule_ids

#: Events that only read the case: counted in the summary line, listed behind it.
READ_ACTIONS = frozenset({"case.viewed", "package.document_viewed", "upload.downloaded", "intake.document_viewed"})


@dataclass(frozen=True)
class HistoryEntry:
    """One event as the page shows it."""

    at: dt.datetime
    text: str
    from_state: str | None = None
    to_state: str | None = None
    #: What someone typed (or dsr wrote) as the reason, without rule ids; shown as written (Dutch).
    reason: str = ""
    #: The rule ids the reason cited, for "Waarom?".
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadSummary:
    """The reads of the case: how many staff, how often, and each one."""

    entries: tuple[HistoryEntry, ...]
    readers: int

    @property
    def times(self) -> int:
        return len(self.entries)

    @property
    def sentence(self) -> str:
        """ "Bekeken door 3 medewerkers, 32 keer" in the language of the page."""
        readers = ngettext("%(num)s medewerker", "%(num)s medewerkers", self.readers)
        times = ngettext("%(num)s keer", "%(num)s keer", self.times)
        return _("Bekeken door %(readers)s, %(times)s", readers=readers, times=times)


@dataclass(frozen=True)
class CaseHistory:
    """The case's history: the events that changed something, and the reads in one summary."""

    entries: tuple[HistoryEntry, ...]
    reads: ReadSummary | None


def _details(event: AuditEvent) -> dict:
    try:
        details = json.loads(event.details or "{}")
    except ValueError:  # an anonymised case's details are blanked (audit.redact_case_text)
        return {}
    return details if isinstance(details, dict) else {}


def entry(event: AuditEvent) -> HistoryEntry:
    """One audit event as a history line in the current language."""
    actor = history_labels.who(event.actor_kind, event.actor.name if event.actor is not None else None)
    reason = split_rule_ids(event.reason or "")
    return HistoryEntry(at=event.created_at,
                        text=history_labels.sentence(event.action, actor=actor, details=_details(event)),
                        from_state=event.from_state, to_state=event.to_state,
                        reason=reason.text, rule_ids=reason.rule_ids)


def summarise(events: Sequence[AuditEvent]) -> CaseHistory:
    """The history of these events (in the order given): reads apart, everything else line by line."""
    entries, reads, readers = [], [], set()
    for event in events:
        if event.action in READ_ACTIONS:
            reads.append(entry(event))
            readers.add(event.actor_id if event.actor_kind == "staff" else event.actor_kind)
        else:
            entries.append(entry(event))
    summary = ReadSummary(entries=tuple(reads), readers=len(readers)) if reads else None
    return CaseHistory(entries=tuple(entries), reads=summary)


def case_history(case: Case) -> CaseHistory:
    """The history of ``case`` for its staff page: its audit events in the order they happened."""
    events = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).scalars().all()
    return summarise(events)
