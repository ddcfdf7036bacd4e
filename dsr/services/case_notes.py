"""Internal notes on a case (issue 15 point 3): append-only, read only by the users who may see the case.

A note is written by a staff member, a director or the privacy officer of the case (``get_visible_case``)
and is never changed afterwards. Its text stays in ``case_notes``: the audit event of a new note holds
only the note's id, because the audit log is exported (the privacy officer's CSV) and outlives the case.
Nothing the requester receives (letters, mails, the portal, the access package) is built from this table;
tests/integration/test_notes_never_leak.py checks every letter kind and every requester page and mail.
When the case is anonymised (R-AC-4, services/retention.py) its notes are deleted.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, CaseNote, User
from . import audit, retention
from .case_access import get_visible_case
from .transaction import transactional


class NoteError(Exception):
    """A note that cannot be added; the message (in the staff member's language) says why."""

    def __init__(self, message: str):
        message = str(message)
        super().__init__(message)
        self.message = message


def notes_of(case: Case) -> list[CaseNote]:
    """The notes of ``case``, oldest first (the caller has checked that the user may see the case)."""
    return list(db.session.execute(
        sa.select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.created_at, CaseNote.id)
    ).scalars())


@transactional
def add_note(user: User, case_id: int, body: str) -> CaseNote:
    """Append a note by ``user`` to a case they may see (``CaseNotFound`` otherwise); audited without its
    text; one commit. An anonymised case takes no notes: their text would outlive the anonymisation."""
    case = get_visible_case(user, case_id)
    if case.anonymised_at is not None:
        raise NoteError(_("Bij een geanonimiseerd verzoek kunt u geen notitie meer maken."))
    note = CaseNote(case_id=case.id, author_id=user.id, body=body)
    db.session.add(note)
    db.session.flush()
    # Only the id: the audit log is exported and kept, the note's text stays in case_notes.
    audit.record("case.note_added", case=case, actor=user, details={"note_id": note.id})
    return note


@retention.on_anonymise
def _forget_notes(case: Case) -> None:
    """When a case file is anonymised its notes go: staff write names and circumstances into them."""
    db.session.execute(sa.delete(CaseNote).where(CaseNote.case_id == case.id))
