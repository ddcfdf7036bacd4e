"""The staff queue (issue 15 point 2): search, filters and keyset pagination on (due_on, id).

Which cases a user may see comes from :func:`case_access.visible_cases`; this module only narrows that
down. Filters travel in the URL (a GET form), so :func:`filters_from_args` reads them and
:func:`filter_args` writes them back (pager links, the dashboard's links): one spelling in one place.

By default the queue shows the cases still to answer (open, or decided with the letter still to send,
the partial indexes' predicate). A search looks in every visible case, closed ones too, unless a state is
chosen: staff looking up a request usually want the old ones as well.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, School, User
from ..models.cases import SEARCHED_COLUMNS, in_queue
from ..workflows import deadlines
from ..workflows import states as S
from ..workflows.roles import CASEWORK_ROLES
from ..workflows.vocabulary import GROUND_LABELS, RIGHT_LABELS
from .case_access import visible_cases
from .clock import local_today

#: ``status=alle``: every state, closed cases included.
ALL_STATES = "alle"
#: ``toegewezen=mij`` and ``toegewezen=niemand``.
MINE, NOBODY = "mij", "niemand"
#: A search needs this many characters: a trigram index cannot narrow down a shorter one.
MIN_SEARCH_LENGTH = 3
MAX_SEARCH_LENGTH = 100
MAX_SEARCH_WORDS = 6
MAX_DAYS = 366


@dataclass(frozen=True)
class QueueFilters:
    """Filters of the staff queue; all optional. Empty filters: the cases still to answer."""

    #: Words that must each occur in the reference, student name or number, or requester name or e-mail.
    search: str | None = None
    state: str | None = None
    #: Every state, closed cases included (``status=alle``).
    all_states: bool = False
    right: str | None = None
    #: Due within this many working days from today (R-DL-3 working days, not calendar days).
    due_within_days: int | None = None
    overdue: bool = False
    school_id: int | None = None
    letter_pending: bool = False
    #: A user id, :data:`MINE` (resolved to the user's id by :func:`filters_from_args`) or :data:`NOBODY`.
    assignee: int | str | None = None
    #: Waiting for the director: the refusal was proposed more than this many working days ago.
    director_waiting_days: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    #: A refusal ground: refused and partly fulfilled cases that name it (the dashboard's figure).
    ground: str | None = None
    extended: bool = False
    #: ``toegewezen=mij`` was asked (kept so the form and links say "mine", not an id).
    assignee_is_me: bool = field(default=False, compare=False)

    @property
    def searching(self) -> bool:
        return bool(self.search)

    @property
    def scope_is_all(self) -> bool:
        """Whether closed cases are included: ``status=alle``, or a search without a chosen state."""
        return self.all_states or (self.searching and not self.state and not self.letter_pending)


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    next_cursor: str | None


def search_words(text: str) -> list[str]:
    """The words of a search (at most :data:`MAX_SEARCH_WORDS`), each matched on its own."""
    return text.split()[:MAX_SEARCH_WORDS]


def _like_pattern(word: str) -> str:
    """``%word%`` with LIKE's own wildcards taken literally (``\\`` is the escape character)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: A word that is a whole e-mail address (something@domain.tld).
_WHOLE_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def whole_addresses(text: str) -> list[str]:
    """The words of a search that are whole e-mail addresses, lower-cased."""
    return [word.lower() for word in search_words(text) if _WHOLE_ADDRESS.match(word)]


def search_condition(text: str, exact_addresses: frozenset[str] = frozenset()) -> sa.ColumnElement[bool]:
    """Every word occurs in one of the searched columns, case-insensitively (ILIKE: the trigram indexes on
    PostgreSQL; ``lower(...) LIKE lower(...)`` on SQLite, which folds only the letters A-Z).

    A word in ``exact_addresses`` is matched as the requester's whole address instead (B-tree index
    ``ix_cases_requester_email_lower``): nearly every trigram of a whole address is shared by most addresses
    (the domain, common first names), so the trigram index would read most of its posting lists."""
    conditions = []
    for word in search_words(text):
        if word.lower() in exact_addresses:
            conditions.append(sa.func.lower(Case.requester_email) == word.lower())
            continue
        pattern = _like_pattern(word)
        conditions.append(sa.or_(*(getattr(Case, column).ilike(pattern, escape="\\") for column in SEARCHED_COLUMNS)))
    return sa.and_(*conditions)


def due_within_limit(today: dt.date, working_days: int) -> dt.date:
    """The last due date that is at most ``working_days`` working days after ``today``
    (``deadlines.working_days_between(today, due_on) <= working_days``): the day before the next working day."""
    return deadlines.subtract_working_days(today, -(working_days + 1)) - dt.timedelta(days=1)


def proposed_before(today: dt.date, working_days: int) -> dt.datetime:
    """The moment a refusal must have been proposed before to have waited more than ``working_days``
    working days by ``today``: the start (local time) of the day ``working_days`` working days ago."""
    day = deadlines.subtract_working_days(today, working_days)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _ground_condition(ground: str) -> sa.ColumnElement[bool]:
    """The case was refused or partly fulfilled on ``ground`` (one of the comma-separated keys)."""
    grounds = "," + sa.func.replace(sa.func.coalesce(Case.decision_grounds, ""), " ", "") + ","
    return sa.and_(Case.state.in_((S.REFUSED, S.PARTIALLY_FULFILLED)),
                   grounds.like(_like_pattern(f",{ground},"), escape="\\"))


def _exact_addresses(visible: sa.Select[Case], text: str) -> frozenset[str]:
    """The whole addresses typed that some case the user may see has exactly (an index lookup each): those
    words find that address; an address nobody has exactly is looked for as a part of addresses, as before."""
    found = set()
    for address in whole_addresses(text):
        exact = visible.with_only_columns(Case.id).where(sa.func.lower(Case.requester_email) == address).limit(1)
        if db.session.execute(exact).first() is not None:
            found.add(address)
    return frozenset(found)


def filtered_cases(user: User, filters: QueueFilters, today: dt.date | None = None) -> sa.Select[Case]:
    """The visible cases that pass ``filters``, unordered (the queue pages and the dashboard's tests count it)."""
    today = today or local_today()
    query = visible_cases(user)
    if filters.state:
        query = query.where(Case.state == filters.state)
    elif filters.letter_pending:
        query = query.where(in_queue(), Case.letter_pending.is_(True))
    elif not (filters.overdue or filters.scope_is_all or filters.ground):
        # Open cases and decided cases whose letter is still to send (the partial indexes' predicate).
        query = query.where(in_queue())
    if filters.overdue:
        query = query.where(in_queue(), Case.due_on < today)
    if filters.search:
        query = query.where(search_condition(filters.search, _exact_addresses(query, filters.search)))
    if filters.right:
        query = query.where(Case.right == filters.right)
    if filters.due_within_days is not None:
        query = query.where(Case.due_on <= due_within_limit(today, filters.due_within_days))
    if filters.school_id:
        query = query.where(Case.school_id == filters.school_id)
    if filters.assignee == NOBODY:
        query = query.where(Case.assigned_to_id.is_(None))
    elif isinstance(filters.assignee, int):
        query = query.where(Case.assigned_to_id == filters.assignee)
    if filters.director_waiting_days is not None:
        query = query.where(Case.state == S.AWAITING_DIRECTOR,
                            Case.proposed_at < proposed_before(today, filters.director_waiting_days))
    if filters.received_from:
        query = query.where(Case.received_on >= filters.received_from)
    if filters.received_to:
        query = query.where(Case.received_on <= filters.received_to)
    if filters.ground:
        query = query.where(_ground_condition(filters.ground))
    if filters.extended:
        query = query.where(Case.extended.is_(True))
    return query


def count(user: User, filters: QueueFilters, today: dt.date | None = None) -> int:
    """How many visible cases pass ``filters`` (the dashboard's flags)."""
    query = filtered_cases(user, filters, today).with_only_columns(sa.func.count(Case.id))
    return db.session.execute(query).scalar_one()


def queue_page(user: User, filters: QueueFilters, *, cursor: str | None = None, size: int = 25) -> QueuePage:
    """One page of the queue sorted by deadline, keyset-paginated on (due_on, id)."""
    query = filtered_cases(user, filters).options(so.joinedload(Case.assigned_to))
    if cursor:
        due_on, case_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(Case.due_on, Case.id) > sa.tuple_(sa.literal(due_on), sa.literal(case_id)))
    rows = list(db.session.execute(query.order_by(Case.due_on, Case.id).limit(size + 1)).scalars())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = f"{rows[-1].due_on.isoformat()}.{rows[-1].id}"
    return QueuePage(rows, next_cursor)


def decode_cursor(cursor: str) -> tuple[dt.date, int]:
    """Parse ``YYYY-MM-DD.id``; ValueError when malformed."""
    day, _sep, case_id = cursor.partition(".")
    number = int(case_id)
    if not 0 < number < 2**31:
        raise ValueError("case id out of range")
    return dt.date.fromisoformat(day), number


def state_counts(user: User, states: tuple[str, ...] = S.OPEN_STATES) -> dict[str, int]:
    """Number of visible cases per state, for the queue's tabs (the open states by default).

    Only the state column is selected, from the states asked for: an index-only count that does
    not grow with the closed history of the schools. For one school's staff that is ix_cases_queue (the
    school leads); for the privacy officer, across every school, the partial index of the open cases
    ix_cases_open_counts (issue 16 point 7: ix_cases_queue would be read whole, closed cases and all).
    """
    query = visible_cases(user).with_only_columns(Case.state, sa.func.count()) \
        .where(Case.state.in_(states)).group_by(Case.state)
    return {state: number for state, number in db.session.execute(query).all()}


def letter_pending_count(user: User) -> int:
    """Number of visible decided cases whose decision letter is still to send (the queue's extra tab).

    The flag leads ix_cases_open_counts, so this reads those few index entries, not every open case's row.
    """
    query = visible_cases(user).with_only_columns(sa.func.count()).where(in_queue(), Case.letter_pending.is_(True))
    return db.session.execute(query).scalar_one()


def assignee_choices(user: User) -> list[User]:
    """Who the assignee filter offers: active casework users of the user's schools (all for the privacy
    officer), by name."""
    query = sa.select(User).where(User.active.is_(True), User.role.in_(CASEWORK_ROLES))
    if not user.sees_all_schools:
        query = query.where(User.schools.any(School.id.in_(user.school_ids or {-1})))
    return list(db.session.execute(query.order_by(User.name, User.id)).scalars())


# --- the URL -------------------------------------------------------------------------------------------------

def _shown(raw: str, length: int = 40) -> str:
    """A bad value as a note repeats it: printable characters only, and not too many."""
    return "".join(c for c in raw if c.isprintable())[:length]


def _number(args: Mapping[str, str], name: str, label: str, notes: list[str], low: int = 0,
            high: int = MAX_DAYS) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    notes.append(_("'%(value)s' bij '%(label)s' is geen geheel getal van %(low)s tot en met %(high)s; dat filter "
                   "is niet toegepast.", value=_shown(raw, 20), label=label, low=low, high=high))
    return None


def _date(args: Mapping[str, str], name: str, label: str, notes: list[str]) -> dt.date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        notes.append(_("'%(value)s' bij '%(label)s' is geen datum (jjjj-mm-dd); dat filter is niet toegepast.",
                       value=_shown(raw, 20), label=label))
        return None


def _choice(args: Mapping[str, str], name: str, allowed: Iterable[str], label: str,
            notes: list[str]) -> str | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if raw in allowed:
        return raw
    notes.append(_("'%(value)s' bij '%(label)s' bestaat niet; dat filter is niet toegepast.", value=_shown(raw),
                   label=label))
    return None


def filters_from_args(args: Mapping[str, str], user: User) -> tuple[QueueFilters, list[str]]:
    """The filters in a queue URL, and a note (in the current language) for each value that was not used.

    Bad values never fail the page: each is left out and named in a note.
    """
    notes: list[str] = []
    search = " ".join(args.get("q", "").split())
    if len(search) > MAX_SEARCH_LENGTH:
        search = search[:MAX_SEARCH_LENGTH]
        notes.append(_("De zoekterm is ingekort tot %(count)s tekens.", count=MAX_SEARCH_LENGTH))
    if search and len(search) < MIN_SEARCH_LENGTH:
        notes.append(_("Zoek op minstens %(count)s tekens; er is nu niet gezocht.", count=MIN_SEARCH_LENGTH))
        search = ""
    status = _choice(args, "status", (*S.STATES, ALL_STATES), _("Status"), notes)
    school_raw = _number(args, "school", _("School"), notes, 1, 2**31 - 1)
    assignee: int | str | None = None
    raw_assignee = args.get("toegewezen", "").strip()
    if raw_assignee == MINE:
        assignee = user.id
    elif raw_assignee == NOBODY:
        assignee = NOBODY
    elif raw_assignee:
        assignee = _number(args, "toegewezen", _("Toegewezen aan"), notes, 1, 2**31 - 1)
    filters = QueueFilters(
        search=search or None,
        state=status if status in S.STATES else None,
        all_states=status == ALL_STATES,
        right=_choice(args, "type", RIGHT_LABELS, _("Soort"), notes),
        due_within_days=_number(args, "binnen", _("Termijn binnen ... werkdagen"), notes),
        overdue=args.get("te_laat") == "1",
        school_id=school_raw,
        letter_pending=args.get("brief") == "1",
        assignee=assignee,
        assignee_is_me=raw_assignee == MINE,
        director_waiting_days=_number(args, "wacht_langer_dan", _("Wacht langer dan ... werkdagen op de directeur"),
                                      notes),
        received_from=_date(args, "ontvangen_van", _("Ontvangen vanaf"), notes),
        received_to=_date(args, "ontvangen_tot", _("Ontvangen tot en met"), notes),
        ground=_choice(args, "grond", GROUND_LABELS, _("Weigeringsgrond"), notes),
        extended=args.get("verlengd") == "1",
    )
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        notes.append(_("De periode eindigt vóór ze begint; het filter op de datum van ontvangst is niet toegepast."))
        filters = replace(filters, received_from=None, received_to=None)
    return filters, notes


def filter_args(filters: QueueFilters) -> dict[str, str]:
    """The URL parameters that give ``filters`` (the inverse of :func:`filters_from_args`), without the search:
    a search may hold a name or an e-mail address, which never goes in a URL (the page posts it)."""
    values = asdict(filters)
    args: dict[str, str] = {}
    if filters.state or filters.all_states:
        args["status"] = filters.state or ALL_STATES
    if filters.right:
        args["type"] = filters.right
    if filters.school_id:
        args["school"] = str(filters.school_id)
    if filters.assignee is not None:
        args["toegewezen"] = MINE if filters.assignee_is_me else str(filters.assignee)
    for name, key in (("binnen", "due_within_days"), ("wacht_langer_dan", "director_waiting_days")):
        if values[key] is not None:
            args[name] = str(values[key])
    for name, key in (("te_laat", "overdue"), ("brief", "letter_pending"), ("verlengd", "extended")):
        if values[key]:
            args[name] = "1"
    for name, key in (("ontvangen_van", "received_from"), ("ontvangen_tot", "received_to")):
        if values[key] is not None:
            args[name] = values[key].isoformat()
    if filters.ground:
        args["grond"] = filters.ground
    return args
