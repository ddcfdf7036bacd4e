"""How staff hear of new requests (issue 16 point 4): rendered by the worker, not in the request.

The request that stores a case enqueues one job after its commit, :func:`announce_case`. That job claims the
case (``cases.staff_announced_at``, set once by an ``UPDATE ... WHERE staff_announced_at IS NULL``, so two runs
never both announce it) and, for each staff member of the school except whoever registered it: queues the
case's own mail (``staff_new_case``) when it is urgent, when the member chose every request at once, or when
digests are off (``STAFF_DIGEST_MINUTES`` 0); otherwise it adds a ``staff_notices`` row, which waits for
that member's next digest (workflows/staff_notices.py decides).

The periodic job :func:`send_staff_digests` (dsr/scheduler.py, every minute) first announces cases whose
announcement job was lost (Redis down at the commit), then sends each member with waiting notices one
``staff_digest`` mail, at most one per window: it claims the member's window (``users.digest_sent_at``, moved
by an ``UPDATE ... WHERE`` the window has passed, so of two racing runs only one wins) and deletes the member's
notices in the same transaction as the mail it queues. A case is listed once, in one digest, and is never lost:
a notice added while a digest is being made stays for the next one.
"""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Case, ChannelIntake, StaffNotice, User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows.roles import STAFF
from ..workflows.staff_notices import announce_at_once, digest_due, urgency
from .clock import local_today
from .links import external_url
from .people import users_for_school
from .transaction import transaction

log = logging.getLogger(__name__)

#: A case still unannounced this long after it was stored lost its job: the digest job announces it ...
REDRIVE_AFTER = dt.timedelta(seconds=60)
#: ... if it was stored within this time: rows loaded in bulk (a migration, a benchmark's data) are not news,
#: and a case older than this is on the queue page and gets the deadline reminders anyway.
REDRIVE_HORIZON = dt.timedelta(days=1)
#: At most this many cases re-driven per run (the rest next minute), and listed one by one in a digest.
REDRIVE_BATCH = 200
DIGEST_MAX_CASES = 50


def _registrar_id(case_id: int) -> int | None:
    """The staff member who registered the case (its channel intake record), None for a web request."""
    return db.session.execute(
        sa.select(ChannelIntake.registered_by_id).where(ChannelIntake.case_id == case_id)).scalar()


def announce_case(case_id: int) -> int:
    """Job: tell the school's staff of new case ``case_id``, once; returns how many mails it queued.

    An urgent case (workflows.staff_notices.urgency) gets its own mail to every member at once and no digest
    line; otherwise each member gets it at once or in their next digest, as they chose. One commit.
    """
    with transaction():
        claimed = db.session.execute(
            sa.update(Case).where(Case.id == case_id, Case.staff_announced_at.is_(None))
            .values(staff_announced_at=utcnow()).execution_options(synchronize_session=False))
        if not claimed.rowcount:  # type: ignore[attr-defined]  # announced already (a re-drive raced), or erased
            return 0
        case = db.session.get(Case, case_id)
        if case is None:
            return 0
        urgent = urgency(case.channel, case.due_on, local_today()) is not None
        minutes = float(current_app.config["STAFF_DIGEST_MINUTES"])
        registrar = _registrar_id(case.id)
        case_url = external_url("staff.case", case_id=case.id)
        mails = 0
        for user in users_for_school(case.school_id, (STAFF,)):
            if user.id == registrar:  # who registered it knows already
                continue
            if announce_at_once(urgent, user.case_notices, minutes):
                queue_mail("staff_new_case", user.email, case=case, user=user, case_url=case_url)
                mails += 1
            else:
                db.session.add(StaffNotice(user_id=user.id, case_id=case.id))
    return mails


def redrive_announcements(now: dt.datetime | None = None) -> int:
    """Announce the cases whose announcement job never ran (stored between :data:`REDRIVE_AFTER` and
    :data:`REDRIVE_HORIZON` ago); returns how many."""
    now = now or utcnow()
    ids = db.session.execute(sa.select(Case.id).where(
        Case.staff_announced_at.is_(None), Case.created_at <= now - REDRIVE_AFTER,
        Case.created_at >= now - REDRIVE_HORIZON).order_by(Case.id).limit(REDRIVE_BATCH)).scalars().all()
    db.session.rollback()  # end the read: each announcement is a transaction of its own
    for case_id in ids:
        announce_case(case_id)
    return len(ids)


def _send_digest(user_id: int, now: dt.datetime, minutes: float) -> bool:
    """One member's digest, if their window has passed and cases wait for them: one commit."""
    window_start = now - dt.timedelta(minutes=minutes)
    with transaction():
        before = db.session.execute(sa.select(User.digest_sent_at).where(User.id == user_id)).scalar()
        if not digest_due(before, now, minutes):
            return False
        claimed = db.session.execute(
            sa.update(User).where(User.id == user_id,
                                  sa.or_(User.digest_sent_at.is_(None), User.digest_sent_at <= window_start))
            .values(digest_sent_at=now).execution_options(synchronize_session=False))
        if not claimed.rowcount:  # type: ignore[attr-defined]  # another run sent this window's digest
            return False
        case_ids = db.session.execute(sa.delete(StaffNotice).where(StaffNotice.user_id == user_id)
                                      .returning(StaffNotice.case_id)).scalars().all()
        user = db.session.get(User, user_id)
        cases = []
        if user is not None and user.active and case_ids:
            cases = [case for case in db.session.execute(
                sa.select(Case).where(Case.id.in_(case_ids), Case.anonymised_at.is_(None))
                .order_by(Case.due_on, Case.id)).scalars()
                if case.school_id in user.school_ids]  # a member who left a school hears no more of it
        if user is None or not cases:
            db.session.execute(sa.update(User).where(User.id == user_id).values(digest_sent_at=before)
                               .execution_options(synchronize_session=False))
            return False
        entries = [{"case": case, "url": external_url("staff.case", case_id=case.id)}
                   for case in cases[:DIGEST_MAX_CASES]]
        queue_mail("staff_digest", user.email, user=user, entries=entries, more=len(cases) - len(entries),
                   queue_url=external_url("staff.queue"))
    return True


def send_staff_digests(now: dt.datetime | None = None) -> int:
    """Periodic job: re-drive lost announcements, then send each staff member with new cases their digest
    (at most one per ``STAFF_DIGEST_MINUTES``); returns how many digests were queued."""
    now = now or utcnow()
    redrive_announcements(now)
    minutes = float(current_app.config["STAFF_DIGEST_MINUTES"])
    user_ids = db.session.execute(
        sa.select(StaffNotice.user_id).distinct().order_by(StaffNotice.user_id)).scalars().all()
    db.session.rollback()
    sent = sum(_send_digest(user_id, now, minutes) for user_id in user_ids)
    if sent:
        log.info("queued %d staff digest(s)", sent)
    return sent
