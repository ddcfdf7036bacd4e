"""Requests from any channel (docs/legal.md §1a, issue 15 point 1): which channels there are, and which date
of receipt staff may enter when they register a request that came by letter, e-mail, phone or at the counter.

The legal clock starts on the day the request reaches the school through any of them (R-DL-1), not on the
day somebody types it in. So staff enter the day it arrived. Pure functions, no I/O.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import deadlines
from .labels import Labels

WEB = "web"
LETTER, EMAIL, PHONE, COUNTER = "letter", "email", "phone", "counter"
#: The channels staff register on the desk; "web" is the public form, which registers itself.
DESK_CHANNELS = (LETTER, EMAIL, PHONE, COUNTER)
CHANNEL_LABELS = Labels({
    WEB: _l("Webformulier"),
    LETTER: _l("Brief"),
    EMAIL: _l("E-mail"),
    PHONE: _l("Telefoon"),
    COUNTER: _l("Balie"),
})
#: Channels where the request was spoken, so there is often nothing to attach (a note of the call is enough).
SPOKEN_CHANNELS = (PHONE, COUNTER)


def earliest_received_on(today: dt.date) -> dt.date:
    """The oldest date of receipt a registration may carry: the day whose extended deadline (three months,
    R-DL-5) is today. A request that arrived before it is past every deadline the law allows."""
    day = today
    while deadlines.legal_deadline(day - dt.timedelta(days=1), extended=True) >= today:
        day -= dt.timedelta(days=1)
    return day


def received_on_problem(received_on: dt.date, today: dt.date, late_reason: str) -> tuple[str, str] | None:
    """Why this date of receipt cannot be registered as given, as (field, message), or None when it can.

    - a date in the future is refused: a request cannot have arrived yet;
    - a date before :func:`earliest_received_on` is refused: even the extended deadline has passed, which is
      for the privacy officer, not a registration;
    - a date in the past needs a reason (it moves the deadline back, and the audit trail keeps why).
    """
    if received_on > today:
        return "received_on", _("Deze datum ligt in de toekomst. Vul de dag in waarop het verzoek binnenkwam.")
    earliest = earliest_received_on(today)
    if received_on < earliest:
        return "received_on", _("Een verzoek van vóór %(date)s is ook met verlenging (drie maanden) over de "
                                "termijn. Registreer het niet hier, maar meld het direct bij de privacy officer.",
                                date=earliest.strftime("%d-%m-%Y"))
    if received_on < today and not late_reason.strip():
        return "late_reason", _("Het verzoek kwam eerder binnen dan vandaag. Schrijf op waarom het pas nu wordt "
                                "geregistreerd.")
    return None
