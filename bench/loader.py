"""Bulk loading: COPY on PostgreSQL (psycopg 3 ``cursor.copy()``), batched INSERTs elsewhere.

Rows are tuples of plain Python values (None, bool, int, str, date, aware datetime) in the order
of the given columns. Ids are given explicitly, so the generators can refer to them; afterwards
the id sequence is moved past the largest id (PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from dsr.models.audit import GENESIS, keyed_canonical, text_canonical
from dsr.services.audit_keys import key_id, sign
from dsr.workflows import states as S
from dsr.workflows.roles import DIRECTOR, STAFF
from dsr.workflows.vocabulary import RIGHT_LABELS

#: Rows per INSERT batch (the SQLite path).
BATCH = 5000


def bulk_insert(engine, table: str, columns: list[str], rows: Iterable[tuple], *, copy: bool | None = None,
                rebuild_indexes: bool = False) -> int:
    """Load ``rows`` into ``table``; COPY on PostgreSQL unless ``copy=False``. Returns the row count.

    ``rebuild_indexes`` (PostgreSQL, for big loads): drop the table's plain indexes first and
    create them again afterwards from their own definitions, which is faster than updating them
    row by row; the constraints (primary key, unique) stay in place.
    """
    use_copy = engine.dialect.name == "postgresql" if copy is None else copy
    rebuild = rebuild_indexes and engine.dialect.name == "postgresql"
    definitions = _drop_plain_indexes(engine, table) if rebuild else []
    try:
        count = _copy(engine, table, columns, rows) if use_copy else _insert(engine, table, columns, rows)
    finally:
        if definitions:
            with engine.begin() as conn:
                for definition in definitions:
                    conn.exec_driver_sql(definition)
    if engine.dialect.name == "postgresql" and "id" in columns:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT max(id) FROM {table}), 1))")
    return count


def _drop_plain_indexes(engine, table: str) -> list[str]:
    """Drop the indexes of ``table`` that back no constraint; returns their CREATE INDEX statements."""
    with engine.begin() as conn:
        rows = conn.execute(sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"), {"t": table}).all()
        for name, _ in rows:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def _copy(engine, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY FROM STDIN, one ``write_row`` per row (psycopg formats the values in C)."""
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    raw = engine.raw_connection()
    count = 0
    try:
        with raw.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _insert(engine, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    target = sa.Table(table, sa.MetaData(), *(sa.Column(c) for c in columns))
    statement = sa.insert(target)
    count = 0
    iterator = iter(rows)
    with engine.begin() as conn:
        while True:
            chunk = list(itertools.islice(iterator, BATCH))
            if not chunk:
                break
            conn.execute(statement, [dict(zip(columns, row, strict=False)) for row in chunk])
            count += len(chunk)
    return count


# --- schools and users --------------------------------------------------------------------------

SCHOOL_COLUMNS = ["id", "code", "name", "active"]


def school_rows(count: int, start: int = 1) -> Iterator[tuple]:
    for n in range(start, start + count):
        yield (n, f"S{n:05d}", f"School {n:05d}", True)


USER_COLUMNS = ["id", "email", "name", "role", "password_hash", "session_token", "active", "created_at",
                "totp_secret_enc", "totp_last_step", "recovery_code_hashes", "failed_logins"]


def staff_rows(school_ids: Iterable[int], password_hash: str, start_id: int, *,
               roles=(STAFF, STAFF, DIRECTOR)) -> tuple[list[tuple], list[tuple]]:
    """Users for each school (by default two staff and a director) and their user_schools rows."""
    import secrets

    now = dt.datetime.now(dt.UTC)
    users, links, user_id = [], [], start_id
    for school_id in school_ids:
        for n, role in enumerate(roles):
            users.append((user_id, f"{role}{n}.s{school_id}@bench.test", f"{role.title()} {n} {school_id}", role,
                          password_hash, secrets.token_urlsafe(32), True, now, None, 0, "", 0))
            links.append((user_id, school_id))
            user_id += 1
    return users, links


# --- cases --------------------------------------------------------------------------------------

CASE_COLUMNS = ["id", "reference", "school_id", "right", "state", "version", "language", "channel",
                "student_name", "student_number", "student_birth_date", "requester_role", "requester_name",
                "requester_email",
                "parental_authority", "details", "data_concerned", "correct_value", "received_on", "due_on",
                "extended", "suspended_days", "student_consent", "created_at", "closed_at"]
_RIGHTS = tuple(RIGHT_LABELS)

#: Names for the queue's search (issue 15): 40 first names, 48 x 48 = 2,304 surnames (stem + ending), so a
#: surname is shared by about 1 case in 2,300 and a full name by about 1 in 92,000, as in a real population.
FIRST_NAMES = ("Sanne", "Daan", "Emma", "Luuk", "Julia", "Milan", "Tess", "Sem", "Zoë", "Noah", "Fenna", "Lucas",
               "Lotte", "Finn", "Sara", "Levi", "Eva", "Bram", "Anna", "Jesse", "Nora", "Thijs", "Isa", "Ruben",
               "Mila", "Stijn", "Yara", "Gijs", "Liv", "Teun", "Roos", "Mees", "Fleur", "Ravi", "Amira", "Yusuf",
               "Elif", "Mohammed", "Noor", "Kai")
_STEMS = ("Berg", "Dijk", "Bosch", "Brink", "Hoek", "Kamp", "Laan", "Meer", "Veen", "Wal", "Zand", "Hout", "Mol",
          "Poel", "Rijn", "Sloot", "Ven", "Wijk", "Akker", "Beek", "Dorp", "Gaas", "Haar", "Kloos", "Lind", "Mast",
          "Noord", "Oost", "Ploeg", "Riet", "Schuur", "Steen", "Terp", "Vliet", "Weer", "Zwart", "Bleek", "Dam",
          "Eik", "Gras", "Heuvel", "Klei", "Loo", "Molen", "Plas", "Rade", "Stroo", "Wiel")
_ENDINGS = ("man", "stra", "ink", "huis", "ing", "er", "sma", "ema", "hof", "kamp", "veld", "horst", "stein", "ouw",
            "sen", "ens", "ers", "inga", "lo", "rink", "wijk", "dijk", "burg", "vaart", "weg", "hout", "schot", "rode",
            "beek", "hage", "laar", "kes", "mans", "stee", "dal", "goor", "mate", "brug", "haven", "meer", "zijl",
            "zee", "hem", "heim", "werf", "bos", "water", "land")


def _mixed(case_id: int) -> int:
    """A deterministic scramble of the id (Knuth's multiplicative hash), so neighbouring cases differ."""
    return (case_id * 2654435761) % 2**32


def student_name(case_id: int) -> str:
    """The student's name of case ``case_id``: first name and surname."""
    h = _mixed(case_id)
    return f"{FIRST_NAMES[(h // 2304) % len(FIRST_NAMES)]} {surname(case_id)}"


def surname(case_id: int) -> str:
    """The family's surname of case ``case_id`` (the student's and the requester's)."""
    h = _mixed(case_id)
    return _STEMS[h % 48] + _ENDINGS[(h // 48) % 48]


def student_number(case_id: int) -> str:
    """Eight digits, different for every id below 10**8 (7919 is prime to 10**8)."""
    return f"{case_id * 7919 % 10**8:08d}"


def requester_email(case_id: int) -> str:
    return f"ouder.{surname(case_id).lower()}{case_id}@example.nl"


def case_row(case_id: int, school_id: int, state: str, received_on: dt.date, due_on: dt.date) -> tuple:
    """A plausible case row (deterministic from its id)."""
    right = _RIGHTS[case_id % len(_RIGHTS)]
    created = dt.datetime.combine(received_on, dt.time(9, case_id % 60), tzinfo=dt.UTC)
    closed = created + dt.timedelta(days=20) if state in S.ENDED_STATES else None
    return (case_id, f"AVG-{received_on.year}-{case_id:05d}", school_id, right, state, 1, "nl", "web",
            student_name(case_id), student_number(case_id), dt.date(2012, 1 + case_id % 12, 1 + case_id % 28),
            "parent", f"Ouder {surname(case_id)}", requester_email(case_id), True, "Graag een kopie van het dossier.",
            "Adres" if right in ("rectification", "erasure") else "",
            "Stationsstraat 1" if right == "rectification" else "", received_on, due_on, False, 0, False,
            created, closed)


# --- audit events -------------------------------------------------------------------------------

AUDIT_COLUMNS = ["id", "case_id", "actor_id", "actor_kind", "action", "from_state", "to_state", "reason",
                 "details", "created_at", "prev_hash", "hash", "key_id", "text_digest"]


class _Event:
    """Just the attributes the model's canonical forms read, so signatures match the app's exactly."""

    __slots__ = ("case_id", "actor_id", "actor_kind", "action", "from_state", "to_state", "reason", "details",
                 "created_at", "prev_hash", "key_id", "text_digest")


def audit_rows(start_id: int, count: int, prev_hash: str = GENESIS,
               start: dt.datetime | None = None) -> Iterator[tuple]:
    """``count`` chained events signed with the bench's audit key, continuing from ``prev_hash`` (case_id
    NULL: no cases needed)."""
    from .common import AUDIT_KEY

    key = AUDIT_KEY.encode()
    start = start or dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    event = _Event()
    event.case_id, event.actor_id, event.actor_kind, event.reason = None, None, "system", ""
    event.key_id = key_id(AUDIT_KEY)
    for n in range(start_id, start_id + count):
        event.action = "case.submitted" if n % 3 == 0 else "transition.verify_identity"
        event.from_state, event.to_state = (None, "submitted") if n % 3 == 0 else ("submitted", "identity_checked")
        event.details = json.dumps({"n": n}, sort_keys=True)
        event.created_at = start + dt.timedelta(microseconds=1000 * n + 7)
        event.prev_hash = prev_hash
        event.text_digest = sign(key, text_canonical(event.reason, event.details))
        digest = sign(key, keyed_canonical(event))  # type: ignore[arg-type]
        yield (n, None, None, "system", event.action, event.from_state, event.to_state, "", event.details,
               event.created_at, prev_hash, digest, event.key_id, event.text_digest)
        prev_hash = digest
