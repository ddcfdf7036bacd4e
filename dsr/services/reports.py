"""Dashboard figures (docs/legal.md R-AC-5): aggregation queries scoped exactly like the staff queue.

Every count is a ``GROUP BY`` in SQL on the cases :func:`dsr.services.cases.visible_cases` lets the
user see; nothing loads a case object. Two figures need the legal calendar or per-case times, which
SQL cannot give portably (holidays; date arithmetic differs between SQLite and PostgreSQL): for those
one narrow row per case of the chosen period is fetched — ``(received_on, closed_at)`` for the
on-time shares and the first time of each milestone (one ``GROUP BY case`` over the audit events) for
the time per step — and the math is done in :mod:`dsr.workflows.kpis`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import AuditEvent, Case, School, User
from ..models.cases import in_queue
from ..templating import current_language, short_date
from ..workflows import kpis
from ..workflows import states as S
from ..workflows.deadlines import add_months
from ..workflows.roles import DIRECTOR, PRIVACY_OFFICER
from ..workflows.vocabulary import GROUND_LABELS, RIGHT_LABELS
from .case_access import visible_cases
from .csv_cells import neutralise
from .queue import QueueFilters, filter_args
from .queue import count as queue_count

#: Who sees the dashboard: directors (their schools) and the privacy officer (all schools).
DASHBOARD_ROLES = (DIRECTOR, PRIVACY_OFFICER)
#: The longest period one dashboard covers (keeps the per-case fetches bounded).
MAX_PERIOD_DAYS = 366 * 5
CSV_COLUMNS = [_l("onderdeel"), _l("omschrijving"), _l("waarde"), _l("eenheid"), _l("toelichting")]


def may_view(user: object) -> bool:
    """Directors and the privacy officer see the dashboard."""
    return getattr(user, "role", None) in DASHBOARD_ROLES


@dataclass(frozen=True)
class Period:
    """Cases received from ``start`` up to and including ``end``."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("the period ends before it starts")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValueError("the period is too long")

    @classmethod
    def last_twelve_months(cls, today: dt.date) -> Period:
        """The twelve months up to and including ``today``."""
        return cls(add_months(today, -12) + dt.timedelta(days=1), today)

    @property
    def label(self) -> str:
        """``01-01-2025 t/m 31-12-2025`` / ``1 Jan 2025 to 31 Dec 2025``."""
        return _("%(start)s t/m %(end)s", start=_day(self.start), end=_day(self.end))


def _day(day: dt.date) -> str:
    """A date without its weekday, in the current language: ``02-03-2026`` / ``2 Mar 2026``."""
    return short_date(day).partition(" ")[2]


def _number(value: float | int | None) -> str:
    """A figure in the notation of the current language (decimal comma in Dutch, point in English)."""
    text = kpis.format_number(value)
    return text.replace(",", ".") if current_language() == "en" else text


@dataclass(frozen=True)
class Row:
    """One figure: ``value`` sizes the bar, ``text`` is what the page, the chart and the CSV show."""

    key: str
    label: str
    value: float | None
    text: str
    note: str = ""
    #: The queue's URL parameters that list exactly the cases counted (issue 15 point 7); None for a figure
    #: that is not a number of cases (a share, a median) or is 0.
    link: dict[str, str] | None = None


@dataclass(frozen=True)
class Section:
    """A group of figures with one unit: a chart (optional) and its table."""

    key: str
    title: str
    unit: str
    rows: list[Row]
    explanation: str = ""
    chart: bool = True
    #: Fixed end of the scale (100 for percentages); None: the largest value.
    max_value: float | None = None


@dataclass(frozen=True)
class Flag:
    """Something that needs attention now, whatever the period: how many cases, and the queue listing them."""

    key: str
    label: str
    count: int
    link: dict[str, str]


#: The flags' threshold: a refusal waiting this many working days for its approver is flagged (issue 15).
DIRECTOR_WAITING_DAYS = 2


@dataclass(frozen=True)
class Dashboard:
    period: Period
    school: School | None
    today: dt.date
    sections: list[Section] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def section(self, key: str) -> Section:
        """The section with ``key``."""
        return next(s for s in self.sections if s.key == key)

    @property
    def scope_label(self) -> str:
        """The chosen school's name, or "all schools"."""
        return self.school.name if self.school is not None else _("Alle scholen")


def selectable_schools(user: User) -> list[School]:
    """The schools the user may filter on: all for the privacy officer, else their own."""
    if user.sees_all_schools:
        return list(db.session.execute(sa.select(School).order_by(School.name)).scalars())
    return sorted(user.schools, key=lambda s: s.name)


def _counts(rows: list[tuple[str, str]], counts: dict[Any, int],
            link: Callable[[str], QueueFilters | None] | None = None) -> list[Row]:
    """One row per key with its count; ``link(key)`` gives the queue filters that list those cases."""
    return [_counted(key, label, counts.get(key, 0), link(key) if link else None) for key, label in rows]


def _counted(key: str, label: str, number: int, filters: QueueFilters | None, note: str = "") -> Row:
    """A count of cases, linked to the queue showing them (not when it is 0: nothing to show)."""
    return Row(key, label, number, str(number), note, filter_args(filters) if filters and number else None)


def flags(user: User, school: School | None, today: dt.date) -> list[Flag]:
    """What needs attention now in the user's cases (of ``school``, if chosen), each with its queue link."""
    school_id = school.id if school is not None else None
    wanted = [
        ("director", _("Wachten langer dan %(days)s werkdagen op de directeur", days=DIRECTOR_WAITING_DAYS),
         QueueFilters(state=S.AWAITING_DIRECTOR, director_waiting_days=DIRECTOR_WAITING_DAYS, school_id=school_id)),
        ("letter", _("Besluit genomen, brief nog niet verstuurd"),
         QueueFilters(letter_pending=True, school_id=school_id)),
        ("overdue", _("Te laat (termijn verstreken, nog geen antwoord verstuurd)"),
         QueueFilters(overdue=True, school_id=school_id)),
    ]
    return [Flag(key, label, queue_count(user, filters, today), filter_args(filters))
            for key, label, filters in wanted]


def _share_row(key: str, label: str, share: kpis.Share) -> Row:
    return Row(key, label, share.percent, _number(share.percent),
               _("%(part)s van %(whole)s", part=share.numerator, whole=share.denominator))


def build(user: User, *, period: Period, school_id: int | None, today: dt.date) -> Dashboard:
    """All figures for ``user`` over ``period`` (and one school, if it is one the user may see)."""
    schools = selectable_schools(user)
    school = next((s for s in schools if s.id == school_id), None)
    scoped = visible_cases(user)  # the queue's scope: own schools, all for the privacy officer
    if school is not None:
        scoped = scoped.where(Case.school_id == school.id)
    in_period = scoped.where(Case.received_on.between(period.start, period.end))

    def grouped(select: sa.Select[Any], column: Any) -> dict[Any, int]:
        query = select.with_only_columns(column, sa.func.count(Case.id)).group_by(column)
        return dict(db.session.execute(query).all())

    by_state = grouped(in_period, Case.state)
    by_right = grouped(in_period, Case.right)
    by_school = grouped(in_period, Case.school_id)
    # A decided case whose letter has not gone is still unanswered: it counts as overdue too (issue 11 point 9).
    overdue = grouped(scoped.where(in_queue(), Case.due_on < today), Case.school_id)
    extensions = db.session.execute(
        in_period.where(Case.extended.is_(True)).with_only_columns(sa.func.count(Case.id))).scalar_one()
    grounds = kpis.grounds_count(db.session.execute(
        in_period.where(Case.state.in_((S.REFUSED, S.PARTIALLY_FULFILLED)))
        .with_only_columns(Case.decision_grounds, sa.func.count(Case.id)).group_by(Case.decision_grounds)).all())
    on_time = kpis.answered_on_time(_answers(in_period), today)
    steps = kpis.median_steps(_milestones(in_period))
    shown_schools = [school] if school is not None else schools

    total = sum(by_state.values())
    requests = _("verzoeken")
    # The queue filters behind each count: the same scope (school) and period (date of receipt).
    scope_id = school.id if school is not None else None
    received = QueueFilters(all_states=True, received_from=period.start, received_to=period.end, school_id=scope_id)
    overdue_now = QueueFilters(overdue=True, school_id=scope_id)
    sections = [
        Section("overzicht", _("Kerncijfers"), requests, [
            _counted("received", _("Ontvangen in de periode"), total, received),
            _counted("extended", _("Termijn verlengd"), extensions, replace(received, extended=True)),
            _counted("overdue", _("Nu te laat (termijn verstreken, nog geen antwoord verstuurd)"),
                     sum(overdue.values()), overdue_now, _("ongeacht de periode")),
        ], chart=False),
        Section("termijn", _("Op tijd beantwoord"), "%", [
            _share_row("one_month", _("Binnen één maand"), on_time.within_one_month),
            _share_row("three_months", _("Binnen drie maanden"), on_time.within_three_months),
        ], max_value=100, explanation=_(
            "Beantwoord = besluit genomen (uitgevoerd, deels uitgevoerd of geweigerd) op of vóór de "
            "oorspronkelijke termijn van één maand, of de uiterste termijn van drie maanden. Open verzoeken "
            "waarvan die termijn al verstreken is, tellen mee als niet op tijd; ingetrokken en niet-geverifieerde "
            "verzoeken tellen niet mee.")),
        Section("status", _("Verzoeken per status"), requests, _counts(
            list(S.STATE_LABELS.items()), by_state, lambda key: replace(received, all_states=False, state=key))),
        Section("soort", _("Verzoeken per soort"), requests, _counts(
            list(RIGHT_LABELS.items()), by_right, lambda key: replace(received, right=key))),
        Section("school", _("Verzoeken per school"), requests,
                _counts([(str(s.id), s.name) for s in shown_schools], {str(k): v for k, v in by_school.items()},
                        lambda key: replace(received, school_id=int(key)))),
        Section("weigeringsgronden", _("Weigeringen per grond"), _("weigeringen"),
                [_counted(key, GROUND_LABELS.get(key, key), n,
                          replace(received, all_states=False, ground=key) if key in GROUND_LABELS else None)
                 for key, n in grounds.items()],
                explanation=_("Geweigerde en deels uitgevoerde verzoeken; een verzoek met twee gronden telt bij "
                              "beide.")),
        Section("te-laat", _("Nu te laat per school"), requests,
                _counts([(str(s.id), s.name) for s in shown_schools], {str(k): v for k, v in overdue.items()},
                        lambda key: replace(overdue_now, school_id=int(key))),
                explanation=_("Open verzoeken met een uiterste datum vóór vandaag (%(today)s), ongeacht de periode.",
                              today=_day(today))),
        Section("doorlooptijd", _("Mediane doorlooptijd per stap"), _("dagen"), [
            Row(s.key, str(s.label), s.median_days, _number(s.median_days),
                _("%(count)s verzoeken", count=s.cases))
            for s in steps
        ], explanation=_("Van het eerste moment dat een verzoek de ene stap bereikte tot het eerste moment van de "
                         "volgende, in kalenderdagen; alleen verzoeken die beide stappen bereikten.")),
    ]
    return Dashboard(period=period, school=school, today=today, sections=sections,
                     flags=flags(user, school, today))


def _answers(in_period: sa.Select[Any]) -> list[tuple[dt.date, dt.date | None]]:
    """``(received_on, answer date)`` of the decided cases and ``(received_on, None)`` of the open ones."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    rows = db.session.execute(
        in_period.where(Case.state.in_(S.DECIDED_STATES + S.OPEN_STATES))
        .with_only_columns(Case.received_on, Case.closed_at, Case.state, Case.letter_pending)
    ).all()
    answers: list[tuple[dt.date, dt.date | None]] = []
    for received_on, closed_at, state, letter_pending in rows:
        if state in S.OPEN_STATES or letter_pending:  # not answered until the decision letter is sent
            answers.append((received_on, None))
        elif closed_at is not None:  # a decided case without a closing time cannot be measured
            answers.append((received_on, closed_at.astimezone(tz).date()))
    return answers


def _milestones(in_period: sa.Select[Any]) -> list[dict[str, dt.datetime | None]]:
    """The first time each case of the period reached each milestone, from the audit events."""
    def first(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.min(sa.case((condition, AuditEvent.created_at)))

    query = (
        in_period.with_only_columns(
            Case.created_at,
            first(AuditEvent.action == "case.submitted"),
            first(AuditEvent.to_state == S.IDENTITY_CHECKED),
            first(AuditEvent.to_state == S.LEGAL_BASIS_REVIEWED),
            first(AuditEvent.to_state.in_(S.DECIDED_STATES)),
        )
        .join(AuditEvent, AuditEvent.case_id == Case.id)
        .group_by(Case.id, Case.created_at)
    )
    return [
        {"submitted": submitted or created, S.IDENTITY_CHECKED: checked,
         S.LEGAL_BASIS_REVIEWED: reviewed, "decided": decided}
        for created, submitted, checked, reviewed, decided in db.session.execute(query).all()
    ]


def to_csv(dashboard: Dashboard) -> str:
    """The dashboard's figures as CSV (semicolons and a BOM, as Dutch spreadsheet software expects)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    rows = [
        [str(column) for column in CSV_COLUMNS],
        [_("Filter"), _("Periode (datum van ontvangst)"), dashboard.period.label, "", ""],
        [_("Filter"), _("School"), dashboard.scope_label, "", ""],
        [_("Filter"), _("Stand van"), _day(dashboard.today), "", ""],
    ]
    rows += [[section.title, row.label, row.text, section.unit, row.note]
             for section in dashboard.sections for row in section.rows]
    # Every cell, the filter rows too: a school's name could hold a formula (CSV injection).
    writer.writerows([[neutralise(str(value)) for value in row] for row in rows])
    return "\ufeff" + out.getvalue()
