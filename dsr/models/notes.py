"""Internal notes on a case (issue 15 point 3): what staff want colleagues to know, kept with the case.

A note is append-only, like a log: written once, never edited. Only users who may see the case read it
(the staff and directors of its school, the privacy officer); it never reaches the requester: no letter,
mail, portal page or package is built from this table (tests/integration/test_notes_never_leak.py). When
the case is anonymised its notes are deleted (services/case_notes.py registers that with retention).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow
from .people import User

#: The longest note staff can write (a few paragraphs; the form says so at the field).
NOTE_MAX_LENGTH = 5000


class CaseNote(Model):
    """One internal note: who wrote it, when, and the text."""

    __tablename__ = "case_notes"
    __table_args__ = (
        # The case page lists a case's notes in order of writing.
        sa.Index("ix_case_notes_case_created", "case_id", "created_at", "id"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: The staff member who wrote it (accounts are deactivated, never deleted).
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    author: so.Mapped[User] = so.relationship(lazy="joined")

    def __repr__(self) -> str:  # never the text: reprs end up in logs and tracebacks
        return f"<CaseNote {self.id} case={self.case_id}>"
