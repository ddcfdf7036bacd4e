"""Webhooks (issue 18 point 6), the admin's side: subscribe an integration's endpoint to case events,
change its events and whether it is on, remove it, and try a failed delivery again.

dsr makes each subscription's signing secret itself; it is shown once, in the answer to the form that
created the subscription, and stored only sealed under the file keys. Every change is one commit and one
audit event with ids only (never the secret; not the address either, which may carry an integration's
own key). The deliveries themselves are in :mod:`.webhook_jobs`.
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..models import School, User, WebhookDelivery, WebhookSubscription
from ..models._types import utcnow
from ..workflows.roles import ADMIN
from ..workflows.webhook_events import EVENTS, url_problem
from . import audit
from .transaction import transactional
from .webhook_jobs import FAILED, PENDING, allow_local_http, enqueue_delivery, seal_secret

#: How many of a subscription's latest deliveries its page lists.
RECENT_DELIVERIES = 10


class WebhookError(ValueError):
    """Input the service refuses; ``code`` names the problem, ``field`` the form field it belongs to."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code, self.field = code, field


class WebhookConflict(Exception):
    """Someone else changed or removed the subscription since the form was loaded."""


class DeliveryNotFailed(Exception):
    """"Try again" on a delivery that has not failed (any more): nothing was changed."""


def may_manage(user: object) -> bool:
    """Only the admin manages webhooks (``user`` may be anonymous)."""
    return getattr(user, "role", None) == ADMIN


def _require_admin(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionError("only an admin manages webhooks")


def subscription(subscription_id: int) -> WebhookSubscription:
    """The subscription with this id; :class:`NotFound` (the 404 page) if there is none."""
    found = db.session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise NotFound(subscription_id)
    return found


@dataclass(frozen=True)
class Listed:
    """A subscription on the admin's page, with its school and its latest deliveries (newest first)."""

    subscription: WebhookSubscription
    school: School | None
    deliveries: Sequence[WebhookDelivery]


def subscriptions() -> list[Listed]:
    """Every subscription with its latest :data:`RECENT_DELIVERIES` deliveries."""
    rows = db.session.execute(sa.select(WebhookSubscription).order_by(WebhookSubscription.name,
                                                                      WebhookSubscription.id)).scalars().all()
    schools = {s.id: s for s in db.session.execute(sa.select(School)).scalars()}
    listed = []
    for row in rows:
        deliveries = db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id)
            .order_by(WebhookDelivery.id.desc()).limit(RECENT_DELIVERIES)).scalars().all()
        listed.append(Listed(row, schools.get(row.school_id) if row.school_id else None, deliveries))
    return listed


def _checked_events(events: Sequence[str]) -> str:
    chosen = [event for event in EVENTS if event in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError("events", "events")
    return " ".join(chosen)


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    if not url or len(url) > 500:
        raise WebhookError("url_invalid", "url")
    problem = url_problem(url, allow_local_http=allow_local_http())
    if problem is not None:
        raise WebhookError(f"url_{problem}", "url")
    return url


def _checked_school(code: str | None) -> School | None:
    if not code:
        return None
    school = db.session.execute(sa.select(School).where(School.code == code)).scalar()
    if school is None or not school.active:
        raise WebhookError("school_unknown", "school")
    return school


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise WebhookError("name", "name")
    return name


@transactional
def create(actor: User, *, name: str, url: str, events: Sequence[str], school_code: str | None) -> tuple[
        WebhookSubscription, str]:
    """A new active subscription; returns it and its signing secret (to show once, never again)."""
    _require_admin(actor)
    school = _checked_school(school_code)
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = WebhookSubscription(name=_checked_name(name), url=_checked_url(url), events=_checked_events(events),
                              school_id=school.id if school else None, active=True, created_by_id=actor.id,
                              secret_sealed=seal_secret(secret), created_at=utcnow(), version=1)
    db.session.add(row)
    db.session.flush()
    audit.record("webhook.subscribed", actor=actor, details={
        "subscription_id": row.id, "events": row.events.split(), "school_id": row.school_id})
    return row, secret


def _claim(row: WebhookSubscription, version: int | None) -> None:
    """Optimistic locking (as for accounts): the form's version must be the row's, and it moves on in one
    conditional UPDATE, so of two admins saving at once exactly one wins."""
    if version is None or row.version != version:
        raise WebhookConflict()
    claimed = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == row.id, WebhookSubscription.version == version)
        .values(version=WebhookSubscription.version + 1).execution_options(synchronize_session=False)))
    if claimed.rowcount != 1:
        raise WebhookConflict()
    db.session.refresh(row)


@transactional
def change(actor: User, subscription_id: int, version: int | None, *, name: str, url: str,
           events: Sequence[str], school_code: str | None, active: bool) -> WebhookSubscription:
    """Change a subscription's name, address, events, school and whether it is on; the secret stays."""
    _require_admin(actor)
    row = subscription(subscription_id)
    name, url, chosen = _checked_name(name), _checked_url(url), _checked_events(events)
    school = _checked_school(school_code)
    _claim(row, version)
    before = {"events": row.events.split(), "school_id": row.school_id, "active": row.active}
    url_changed = row.url != url
    row.name, row.url, row.events, row.active = name, url, chosen, active
    row.school_id = school.id if school else None
    audit.record("webhook.changed", actor=actor, details={
        "subscription_id": row.id, "before": before, "url_changed": url_changed,
        "after": {"events": row.events.split(), "school_id": row.school_id, "active": row.active}})
    return row


@transactional
def remove(actor: User, subscription_id: int, version: int | None) -> None:
    """Remove a subscription and its deliveries (a waiting one is not sent any more)."""
    _require_admin(actor)
    row = subscription(subscription_id)
    _claim(row, version)
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id))
    db.session.delete(row)
    audit.record("webhook.removed", actor=actor, details={"subscription_id": subscription_id})


@transactional
def retry(actor: User, delivery_id: int) -> WebhookDelivery:
    """Give a failed delivery one more try now: pending again, due now, its job after the commit; audited.
    :class:`NotFound` for an unknown row, :class:`DeliveryNotFailed` when it has not failed (any more)."""
    _require_admin(actor)
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise NotFound(delivery_id)
    # Only a row that is failed at this moment moves (of two admins pressing at once, one wins).
    done = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == FAILED)
        .values(status=PENDING, next_attempt_at=utcnow(), claimed_until=None)
        .execution_options(synchronize_session=False)))
    if done.rowcount != 1:
        raise DeliveryNotFailed()
    audit.record("webhook.delivery_retried", actor=actor, details={
        "subscription_id": row.subscription_id, "delivery_id": delivery_id})
    # If Redis is down now, the row is pending and due: the periodic re-drive sends it later.
    enqueue_delivery(delivery_id)
    return row
