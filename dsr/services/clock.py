"""Dates in the legal time zone (docs/legal.md: dates are Europe/Amsterdam)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def local_today() -> dt.date:
    """Today's date in Europe/Amsterdam (a request at 00:30 local time counts for that day)."""
    return dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
