"""Who is reminded of a case's deadline (R-DL-7; issue 15: the assignee first).

Pure: people are anything with an ``id`` (the service passes users); the deadline sweep in
:mod:`dsr.services.deadlines` finds them and sends the mails.
"""
from __future__ import annotations

from typing import Protocol, TypeVar

#: The milestone of the overdue alert (the reminders are ``reminder_<working days>``).
OVERDUE = "overdue"


class _Person(Protocol):
    @property
    def id(self) -> int: ...


P = TypeVar("P", bound=_Person)


#: The stages of a case's reminders, from the recipients' point of view.
EARLY, LAST, LATE = "early", "last", "overdue"
#: An overdue case reaches at least this many people, whoever is away (issue 15: the requester is owed an answer).
OVERDUE_MIN_RECIPIENTS = 2


def reminder_stage(milestone: str, offsets: list[int]) -> str:
    """``EARLY`` for a reminder with another one still to come, ``LAST`` for the last reminder, ``LATE``
    for the overdue alert."""
    if milestone == OVERDUE:
        return LATE
    return LAST if milestone == f"reminder_{min(offsets)}" else EARLY


def reminder_recipients(stage: str, assignee: P | None, *, staff: list[P], directors: list[P],
                        privacy_officers: list[P]) -> list[P]:
    """Who is mailed at ``stage`` (each person once, in this order).

    Without an assignee (or with one who left the school or was deactivated: the caller passes None): the
    early reminders go to the school's staff, the last one to its staff and directors, the overdue alert to
    its directors and the privacy officer. With an assignee, the early reminders go to the assignee only:
    that is what assigning is for. From the last reminder on, the circle widens again: the assignee and
    everyone who got it before, because the assignee may be away (a school holiday, illness) and a colleague
    must still be able to answer in time. An overdue case always reaches at least
    ``OVERDUE_MIN_RECIPIENTS`` people: the school's staff join when there are fewer.
    """
    if stage == EARLY:
        chosen = [assignee] if assignee is not None else staff
    elif stage == LAST:
        chosen = [*([assignee] if assignee else []), *staff, *directors]
    else:
        chosen = [*([assignee] if assignee else []), *directors, *privacy_officers]
    people = list({user.id: user for user in chosen}.values())
    if stage == LATE and len(people) < OVERDUE_MIN_RECIPIENTS:
        people = list({user.id: user for user in [*people, *staff]}.values())
    return people
