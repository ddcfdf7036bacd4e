"""Template filters and globals: Dutch dates, labels, days left."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

from .workflows import states as S

_DAYS = ["ma", "di", "wo", "do", "vr", "za", "zo"]
_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"]


def long_date(value: dt.date | None) -> str:
    """``maandag 2 maart 2026`` style, as used in letters and mails."""
    if value is None:
        return ""
    days = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
    return f"{days[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def short_date(value: dt.date | None) -> str:
    """``ma 02-03-2026``: compact, for tables."""
    if value is None:
        return ""
    return f"{_DAYS[value.weekday()]} {value:%d-%m-%Y}"


def init_app(app: Flask) -> None:
    """Register filters and globals on the app's Jinja environment."""
    tz = ZoneInfo(app.config["TIMEZONE"])

    def local_time(value: dt.datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime("%d-%m-%Y %H:%M")

    app.jinja_env.filters.update(long_date=long_date, short_date=short_date, local_time=local_time)
    app.jinja_env.globals.update(
        STATE_LABELS=S.STATE_LABELS, RIGHT_LABELS=S.RIGHT_LABELS, REQUESTER_LABELS=S.REQUESTER_LABELS,
        ROLE_LABELS=S.ROLE_LABELS, VERIFICATION_METHODS=S.VERIFICATION_METHODS,
        INFORMATION_KINDS=S.INFORMATION_KINDS, DECISION_LABELS=S.DECISION_LABELS,
        REFUSAL_GROUNDS=S.REFUSAL_GROUNDS, OPEN_STATES=S.OPEN_STATES,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
