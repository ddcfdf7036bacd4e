"""What the register's editing pages read: one category or recipient by id (plain reads; the
changes themselves go through :mod:`dsr.services.register`)."""
from __future__ import annotations

from ..errors import NotFound
from ..extensions import db
from ..models import RegisterCategory, RegisterRecipient


def category(category_id: int) -> RegisterCategory:
    """The category with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(RegisterCategory, category_id)
    if found is None:
        raise NotFound(category_id)
    return found


def recipient(recipient_id: int) -> RegisterRecipient:
    """The recipient with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(RegisterRecipient, recipient_id)
    if found is None:
        raise NotFound(recipient_id)
    return found
