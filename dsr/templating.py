"""Template filters and globals: dates in the current language, labels, days left."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

from .workflows import deadlines
from .workflows import states as S
from .workflows.requester_deadline import DAY_NAMES, MONTH_NAMES, spoken_date
from .workflows.roles import ROLE_LABELS
from .workflows.rule_text import RuleText, split_rule_ids
from .workflows.vocabulary import (
    DECISION_LABELS,
    GROUND_LABELS,
    INFORMATION_KINDS,
    REQUESTER_LABELS,
    RIGHT_LABELS,
    VERIFICATION_METHODS,
)

#: Short day names for tables; the full day and month names live with the requester's deadline words
#: (:mod:`dsr.workflows.requester_deadline`), so letters, mails and the portal spell a date one way.
_SHORT_DAYS = {"nl": ["ma", "di", "wo", "do", "vr", "za", "zo"],
               "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
#: How each language is offered in the switch: in its own language, never translated.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def current_language() -> str:
    """The language of what is being rendered: the request's choice, the locale forced for a mail,
    or Dutch (also outside any request, e.g. in a job)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None and locale.language in DAY_NAMES else "nl"


def long_date(value: dt.date | None, lang: str | None = None) -> str:
    """``maandag 2 maart 2026`` / ``Monday 2 March 2026``, as used in letters and mails."""
    if value is None:
        return ""
    return spoken_date(value, lang or current_language())


def short_date(value: dt.date | None, lang: str | None = None) -> str:
    """``ma 02-03-2026`` / ``Mon 2 Mar 2026``: compact, for tables (English spells the month out,
    as 02-03 reads as 3 February to some English readers)."""
    if value is None:
        return ""
    lang = lang or current_language()
    if lang == "en":
        return f"{_SHORT_DAYS[lang][value.weekday()]} {value.day} {MONTH_NAMES[lang][value.month - 1][:3]} {value.year}"
    return f"{_SHORT_DAYS[lang][value.weekday()]} {value:%d-%m-%Y}"


def deadline_explanation(case) -> str:
    """Why the deadline of ``case`` is what it is, in the current language (R-DL-3)."""
    return deadlines.explain_deadline(case.received_on, extended=bool(case.extended),
                                      suspended_days=case.suspended_days or 0, lang=current_language())


def rule_text(text) -> RuleText:
    """:func:`split_rule_ids` for a page (macros/rules.html): escaped markup, such as the output of a
    ``{% call %}`` block, stays markup; taking out rule ids and brackets leaves its tags as they were."""
    parts = split_rule_ids(str(text))
    if isinstance(text, Markup):
        return RuleText(Markup(parts.text), parts.rule_ids)  # nosec B704 - the input was already safe markup
    return parts


def init_app(app: Flask) -> None:
    """Register filters and globals on the app's Jinja environment."""
    tz = ZoneInfo(app.config["TIMEZONE"])

    def local_time(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        if current_language() == "en":
            return f"{local.day} {MONTH_NAMES['en'][local.month - 1][:3]} {local.year} {local:%H:%M}"
        return local.strftime("%d-%m-%Y %H:%M")

    app.jinja_env.filters.update(long_date=long_date, short_date=short_date, local_time=local_time)
    # {% trans %} blocks are written across lines; trimmed, their whitespace is normalised, so the
    # msgid is one line (babel.cfg extracts with trimmed = true to match).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(
        current_language=current_language, LANGUAGE_NAMES=LANGUAGE_NAMES,
        deadline_explanation=deadline_explanation, rule_text=rule_text,
        STATE_LABELS=S.STATE_LABELS, RIGHT_LABELS=RIGHT_LABELS, REQUESTER_LABELS=REQUESTER_LABELS,
        ROLE_LABELS=ROLE_LABELS, VERIFICATION_METHODS=VERIFICATION_METHODS,
        INFORMATION_KINDS=INFORMATION_KINDS, DECISION_LABELS=DECISION_LABELS,
        REFUSAL_GROUNDS=GROUND_LABELS, OPEN_STATES=S.OPEN_STATES,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
