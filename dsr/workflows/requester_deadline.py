"""The deadline in the requester's words (docs/legal.md §1; R-DL-2 .. R-DL-6, issue 14 point 5).

:func:`deadlines.explain_deadline` says how the date was computed ("Eén maand na vr 04-12-2026 is
ma 04-01-2027; dat is een werkdag ..."): that is for staff, and for the requester who wants to check
it, one click away. A parent reads one plain sentence: "U krijgt uiterlijk maandag 4 januari 2027
antwoord." This module gives that sentence and the deadline's history (why it moved: an extension, or
the clock that stood still while the school waited for the requester), in Dutch or English.

Pure: the case's facts go in, words come out; the language is a parameter, as in ``explain_deadline``,
so the sentences are tested per rule without an app.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import deadlines

__all__ = ["DAY_NAMES", "MONTH_NAMES", "spoken_date", "answer_by_sentence", "requester_deadline_sentence",
           "DeadlineChange", "deadline_history", "change_sentence", "START", "EXTENSION", "SUSPENSION"]

#: Day and month names written out, per language (the forms the letters and mails use).
DAY_NAMES = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTH_NAMES = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}

START = "start"
EXTENSION = "extension"
SUSPENSION = "suspension"


def _lang(lang: str) -> str:
    if lang not in DAY_NAMES:
        raise ValueError(f"unsupported language {lang!r}; use 'nl' or 'en'")
    return lang


def spoken_date(day: dt.date, lang: str = "nl") -> str:
    """``maandag 4 januari 2027`` / ``Monday 4 January 2027``: a date as a person says it."""
    lang = _lang(lang)
    return f"{DAY_NAMES[lang][day.weekday()]} {day.day} {MONTH_NAMES[lang][day.month - 1]} {day.year}"


def answer_by_sentence(due_on: dt.date, lang: str = "nl") -> str:
    """The one sentence a requester needs: by when they get an answer."""
    when = spoken_date(due_on, lang)
    if lang == "nl":
        return f"U krijgt uiterlijk {when} antwoord."
    return f"You will get our answer by {when} at the latest."


def requester_deadline_sentence(received_on: dt.date, *, extended: bool = False, suspended_days: int = 0,
                                lang: str = "nl") -> str:
    """:func:`answer_by_sentence` for the legal deadline of these facts (R-DL-2/3/5/6)."""
    due = deadlines.legal_deadline(received_on, extended=extended, suspended_days=suspended_days)
    return answer_by_sentence(due, lang)


@dataclass(frozen=True)
class DeadlineChange:
    """One entry of the deadline's history: what happened on ``on``, and the deadline after it.

    ``kind`` is :data:`START` (the request came in: one month), :data:`EXTENSION` (R-DL-5) or
    :data:`SUSPENSION` (R-DL-6; ``days`` the calendar days the clock stood still).
    """

    kind: str
    on: dt.date
    due_on: dt.date
    days: int = 0


def deadline_history(received_on: dt.date, *, extended: bool = False, extended_on: dt.date | None = None,
                     suspended_days: int = 0, suspension_ended_on: dt.date | None = None) -> list[DeadlineChange]:
    """The deadline as it was set and as it moved, oldest first (R-DL-2/5/6).

    The case keeps the totals (extended or not, days suspended) with the day each last changed; the
    entries are applied in the order they happened, so each shows the deadline right after it. A
    suspension without days (a question that did not stop the clock) is no change. The last entry's
    ``due_on`` is always :func:`deadlines.legal_deadline` of all the facts.
    """
    if suspended_days < 0:
        raise ValueError("suspended_days cannot be negative")
    history = [DeadlineChange(START, received_on, deadlines.legal_deadline(received_on))]
    events: list[tuple[dt.date, str]] = []
    if extended:
        events.append((extended_on or received_on, EXTENSION))
    if suspended_days:
        events.append((suspension_ended_on or received_on, SUSPENSION))
    applied_extension, applied_days = False, 0
    # On the same day, the extension first: the pause's days are then added to the extended period.
    for on, kind in sorted(events, key=lambda event: (event[0], event[1] != EXTENSION)):
        if kind == EXTENSION:
            applied_extension = True
        else:
            applied_days = suspended_days
        due = deadlines.legal_deadline(received_on, extended=applied_extension, suspended_days=applied_days)
        history.append(DeadlineChange(kind, on, due, suspended_days if kind == SUSPENSION else 0))
    return history


def change_sentence(change: DeadlineChange, lang: str = "nl") -> str:
    """One history entry in plain words ("Op ... hebben wij de termijn verlengd. De nieuwe datum is ...")."""
    lang = _lang(lang)
    on, due = spoken_date(change.on, lang), spoken_date(change.due_on, lang)
    nl = lang == "nl"
    if change.kind == START:
        return (f"Wij hebben uw verzoek ontvangen op {on}. Wij hebben dan één maand om te antwoorden: tot {due}."
                if nl else
                f"We received your request on {on}. We then have one month to answer: until {due}.")
    if change.kind == EXTENSION:
        return (f"Op {on} hebben wij de termijn verlengd. De nieuwe datum is {due}."
                if nl else
                f"On {on} we extended the deadline. The new date is {due}.")
    if change.kind == SUSPENSION:
        if nl:
            unit = "dag" if change.days == 1 else "dagen"
            return (f"De termijn heeft {change.days} {unit} stilgestaan, terwijl wij op uw antwoord wachtten. "
                    f"Die dagen komen erbij: de nieuwe datum is {due}.")
        unit = "day" if change.days == 1 else "days"
        return (f"The clock stood still for {change.days} {unit} while we waited for your answer. "
                f"Those days are added: the new date is {due}.")
    raise ValueError(f"unknown change {change.kind!r}")
