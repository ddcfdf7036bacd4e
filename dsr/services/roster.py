"""The school's contacts (issue 17 point 5): the roster sync, its retention, and the lookups at intake.

:func:`sync_roster` (the scheduler's job, and ``flask --app wsgi dsr roster-sync``) makes the roster equal
to what each active roster source reports (``System.roster_source``; any connector kind with ``roster()``):

- students are matched by school and number; new ones are added, changed ones updated, and their contacts
  replaced when they changed; students the source no longer lists are deleted;
- a student who left more than ``ROSTER_RETENTION_DAYS`` ago is deleted and not added again, and rows
  whose source is no longer an active roster source are deleted (:func:`prune`);
- an unknown school code (or a school the system does not serve) is counted and skipped.

The work is set-based (a few statements and batched ``executemany``, no ORM object per row): 20,000
students and 40,000 contacts take seconds (bench/roster_sync.py). Each source is read completely before
anything is written, and written in one transaction, so a source that fails midway changes nothing. A Redis
lock keeps two syncs from interleaving. Logs and the audit (``roster.synced``) hold counts, never a name.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import LockError, RedisError

from ..connectors import ConnectorError, RosterEntry
from ..extensions import db
from ..jobs import redis_connection
from ..models import RosterContact, RosterStudent, School, System
from ..models._types import utcnow
from . import audit
from .clock import local_today
from .connector_runs import connector_of
from .transaction import transaction

log = logging.getLogger(__name__)
LOCK_NAME = "dsr:roster:sync"
#: A sync that takes longer than this (it takes seconds) lost its worker; the lock then expires.
LOCK_TTL = 3600
#: Rows per statement batch (an IN list or an executemany).
BATCH = 1000

# The tables, for Core statements (a mapped class's __table__ is typed as a FromClause).
STUDENTS = cast(sa.Table, RosterStudent.__table__)
CONTACTS = cast(sa.Table, RosterContact.__table__)

#: The source's words for a contact's relation, mapped to the roster's (anything else: "other").
RELATIONS = {"parent": "parent", "ouder": "parent", "vader": "parent", "moeder": "parent", "father": "parent",
             "mother": "parent", "guardian": "guardian", "voogd": "guardian", "carer": "carer",
             "verzorger": "carer", "pleegouder": "carer", "stiefouder": "carer", "foster parent": "carer",
             "step-parent": "carer"}


@dataclass
class SyncResult:
    """What one source's sync did (``status`` done, failed or busy), in counts only."""

    system: str
    status: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    expired: int = 0
    error: str = ""

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "removed": self.removed, "skipped": self.skipped,
                "expired": self.expired}


@dataclass
class _Student:
    school_id: int
    number: str
    name: str
    birth_date: dt.date
    enrolled_on: dt.date | None
    left_on: dt.date | None
    contacts: tuple[tuple[str, str, str, bool], ...] = field(default=())


def relation_of(word: str) -> str:
    """The roster's relation for the source's word ("Moeder" → parent, "voogd" → guardian)."""
    return RELATIONS.get((word or "").strip().lower(), "other")


def retention_cutoff(today: dt.date) -> dt.date:
    """A student who left before this day is no longer kept (ROSTER_RETENTION_DAYS)."""
    return today - dt.timedelta(days=int(current_app.config["ROSTER_RETENTION_DAYS"]))


def sync_roster() -> int:
    """The periodic job: sync every roster source; the number of sources synced (details in the log)."""
    return sum(result.status == "done" for result in run_sync())


def run_sync(today: dt.date | None = None) -> list[SyncResult]:
    """Prune the roster, then sync each active roster source in turn, under the sync lock. A second
    sync while one runs does nothing and says so (status "busy")."""
    lock = redis_connection().lock(LOCK_NAME, timeout=LOCK_TTL, blocking=False)
    if not lock.acquire(blocking=False):
        log.info("roster sync skipped: another sync is running")
        return [SyncResult("", "busy")]
    try:
        today = today or local_today()
        prune(today)
        sources = db.session.execute(sa.select(System.id).where(
            System.roster_source.is_(True), System.active.is_(True)).order_by(System.id)).scalars().all()
        db.session.rollback()  # nothing held open while the sources are read
        return [sync_system(system_id, today) for system_id in sources]
    finally:
        try:
            lock.release()
        except (LockError, RedisError):  # expired, or Redis went away: it ends by its timeout
            pass


def prune(today: dt.date) -> tuple[int, int]:
    """Delete the students who left before the retention cutoff, and those whose source is no longer an
    active roster source; (expired, orphaned). Audited with the counts when anything was deleted."""
    with transaction():
        sources = sa.select(System.id).where(System.roster_source.is_(True), System.active.is_(True))
        expired = _ids(sa.select(STUDENTS.c.id).where(STUDENTS.c.left_on < retention_cutoff(today)))
        orphaned = _ids(sa.select(STUDENTS.c.id).where(sa.or_(
            STUDENTS.c.source_system_id.is_(None), STUDENTS.c.source_system_id.not_in(sources))))
        already = set(expired)
        orphaned = [i for i in orphaned if i not in already]
        _delete_students(expired + orphaned)
        if expired or orphaned:
            audit.record("roster.pruned", actor_kind="system",
                         details={"expired": len(expired), "orphaned": len(orphaned)})
    if expired or orphaned:
        log.info("roster pruned: %d left longer ago than the retention period, %d without a source",
                 len(expired), len(orphaned))
    return len(expired), len(orphaned)


def sync_system(system_id: int, today: dt.date) -> SyncResult:
    """Read one source completely, then make the roster equal to it in one transaction (audited)."""
    system = db.session.get_one(System, system_id)
    code, school_id = system.code, system.school_id
    try:
        entries = list(connector_of(system).roster())
    except ConnectorError as exc:
        log.warning("roster sync of system %s failed: %s", code, exc.message)
        return SyncResult(code, "failed", error=exc.message)
    except Exception as exc:  # noqa: BLE001 - one source's fault must not stop the others; no data in the log
        log.warning("roster sync of system %s failed: %s", code, type(exc).__name__)
        return SyncResult(code, "failed", error=type(exc).__name__)
    finally:
        db.session.rollback()  # the read took a while: no snapshot kept open meanwhile
    try:
        with transaction():
            result = _apply(system_id, code, school_id, entries, today)
            audit.record("roster.synced", actor_kind="system", details={"system": code, **result.counts()})
    except sa.exc.SQLAlchemyError as exc:
        log.warning("roster sync of system %s failed while writing: %s", code, type(exc).__name__)
        return SyncResult(code, "failed", error=type(exc).__name__)
    log.info("roster sync of system %s: %s", code, result.counts())
    return result


def _wanted(entries: Iterable[RosterEntry], school_ids: dict[str, int], only_school: int | None,
            cutoff: dt.date, result: SyncResult) -> dict[tuple[int, str], _Student]:
    """The source's students by (school id, number), normalised; skipped and expired ones counted."""
    wanted: dict[tuple[int, str], _Student] = {}
    for entry in entries:
        school_id = school_ids.get(str(entry.school_code).strip())
        number = str(entry.student_number).strip()
        if school_id is None or (only_school is not None and school_id != only_school) or not number:
            result.skipped += 1
            continue
        if entry.left_on is not None and entry.left_on < cutoff:
            result.expired += 1
            continue
        contacts = {(c.name.strip()[:200], c.email.strip().lower()[:254], relation_of(c.relation), bool(c.gezag))
                    for c in entry.contacts if "@" in (c.email or "")}
        wanted[(school_id, number[:40])] = _Student(
            school_id, number[:40], (entry.name or "").strip()[:200], entry.birth_date, entry.enrolled_on,
            entry.left_on, tuple(sorted(contacts)))
    return wanted


def _apply(system_id: int, code: str, only_school: int | None, entries: Sequence[RosterEntry],
           today: dt.date) -> SyncResult:
    """Write the difference between the roster and ``entries`` (inside the caller's transaction)."""
    result = SyncResult(code, "done")
    school_ids: dict[str, int] = {code: id_ for code, id_ in db.session.execute(sa.select(School.code, School.id))}
    wanted = _wanted(entries, school_ids, only_school, retention_cutoff(today), result)
    schools = {key[0] for key in wanted}
    existing = {(row.school_id, row.student_number): row for row in db.session.execute(
        sa.select(STUDENTS.c.id, STUDENTS.c.school_id, STUDENTS.c.student_number, STUDENTS.c.name,
                  STUDENTS.c.birth_date, STUDENTS.c.enrolled_on, STUDENTS.c.left_on, STUDENTS.c.source_system_id)
        .where(sa.or_(STUDENTS.c.source_system_id == system_id, STUDENTS.c.school_id.in_(sorted(schools) or [-1]))))}
    old_contacts = _contacts_of([row.id for row in existing.values()])

    gone = [row.id for key, row in existing.items() if key not in wanted and row.source_system_id == system_id]
    changed, new_contacts = [], []
    for key, student in wanted.items():
        row = existing.get(key)
        if row is None:
            continue
        if (row.name, row.birth_date, row.enrolled_on, row.left_on, row.source_system_id) != (
                student.name, student.birth_date, student.enrolled_on, student.left_on, system_id):
            changed.append((row.id, student))
        if old_contacts.get(row.id, ()) != student.contacts:
            new_contacts.append((row.id, student))
    added = [student for key, student in wanted.items() if key not in existing]
    now = utcnow()

    _delete_students(gone)
    _delete_contacts([student_id for student_id, _ in new_contacts])
    for chunk in _chunks(changed):
        db.session.execute(
            sa.update(STUDENTS).where(STUDENTS.c.id == sa.bindparam("_id")).values(
                name=sa.bindparam("_name"), birth_date=sa.bindparam("_birth"),
                enrolled_on=sa.bindparam("_enrolled"), left_on=sa.bindparam("_left"), source_system_id=system_id),
            [{"_id": i, "_name": s.name, "_birth": s.birth_date, "_enrolled": s.enrolled_on, "_left": s.left_on}
             for i, s in chunk], execution_options={"synchronize_session": False})
    for chunk in _chunks(added):
        db.session.execute(sa.insert(STUDENTS), [
            {"school_id": s.school_id, "student_number": s.number, "name": s.name, "birth_date": s.birth_date,
             "enrolled_on": s.enrolled_on, "left_on": s.left_on, "source_system_id": system_id, "synced_at": now}
            for s in chunk])
    if added:
        ids = {(row.school_id, row.student_number): row.id for row in db.session.execute(
            sa.select(STUDENTS.c.id, STUDENTS.c.school_id, STUDENTS.c.student_number)
            .where(STUDENTS.c.source_system_id == system_id))}
        new_contacts.extend((ids[(s.school_id, s.number)], s) for s in added)
    rows = ({"student_id": student_id, "name": name, "email": email, "relation": relation, "gezag": gezag}
            for student_id, student in new_contacts for name, email, relation, gezag in student.contacts)
    for batch in _chunks(rows):
        db.session.execute(sa.insert(CONTACTS), batch)
    db.session.execute(sa.update(STUDENTS).where(STUDENTS.c.source_system_id == system_id).values(synced_at=now),
                       execution_options={"synchronize_session": False})
    result.added, result.removed = len(added), len(gone)
    result.updated = len({i for i, _ in changed} | {i for i, s in new_contacts if (s.school_id, s.number) in existing})
    return result


def _contacts_of(student_ids: list[int]) -> dict[int, tuple[tuple[str, str, str, bool], ...]]:
    """The stored contacts per student, in the form :func:`_wanted` makes them (sorted tuples)."""
    found: dict[int, list[tuple[str, str, str, bool]]] = {}
    for chunk in _chunks(student_ids):
        for row in db.session.execute(sa.select(CONTACTS.c.student_id, CONTACTS.c.name, CONTACTS.c.email,
                                                CONTACTS.c.relation, CONTACTS.c.gezag)
                                      .where(CONTACTS.c.student_id.in_(chunk))):
            found.setdefault(row.student_id, []).append((row.name, row.email, row.relation, bool(row.gezag)))
    return {student_id: tuple(sorted(set(contacts))) for student_id, contacts in found.items()}


def _ids(query: sa.Select[Any]) -> list[int]:
    return list(db.session.execute(query).scalars())


def _delete_contacts(student_ids: list[int]) -> None:
    for chunk in _chunks(student_ids):
        db.session.execute(sa.delete(CONTACTS).where(CONTACTS.c.student_id.in_(chunk)),
                           execution_options={"synchronize_session": False})


def _delete_students(student_ids: list[int]) -> None:
    """Delete students and their contacts (explicitly: SQLite does not enforce ON DELETE CASCADE here)."""
    _delete_contacts(student_ids)
    for chunk in _chunks(student_ids):
        db.session.execute(sa.delete(STUDENTS).where(STUDENTS.c.id.in_(chunk)),
                           execution_options={"synchronize_session": False})


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, BATCH)):
        yield chunk
