"""Putting an access package together in fewer posts (issue 15 point 4): several documents uploaded at
once, and the checks of every document confirmed at once ("check all").

Each file goes through the same checks as a single upload (``packages.store_document``: category within
the scope, content by magic bytes, PDF safety, size). A refused file does not stop the others: the
accepted ones are stored in one transaction (one commit), the refused ones come back with their message,
so the page can show it at that file and keep its choices. Each document is audited on its own, as
before: one ``package.document_added`` per stored file, one ``package.document_checked`` per document
whose checks changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..models import PackageDocument, User
from . import storage
from .case_access import FulfilmentError
from .packages import package_for_edit, record_checks, store_document
from .transaction import transaction, transactional


@dataclass(frozen=True)
class NewDocument:
    """One chosen file with the category and description staff gave it; ``name`` is the client's file
    name, used only to check the extension and to name the file in a message (never stored)."""

    data: bytes
    name: str
    category_id: int | None
    title: str


@dataclass
class BatchResult:
    """What an upload of several files did: the stored documents, and per refused file (by its position
    in the upload) why it was refused."""

    added: list[PackageDocument] = field(default_factory=list)
    refused: dict[int, FulfilmentError] = field(default_factory=dict)


def add_documents(user: User, case_id: int, uploads: list[NewDocument]) -> BatchResult:
    """Store every acceptable file of ``uploads`` in the package, in one transaction; a refused file is
    reported in the result and does not keep the others out. A problem with the package itself (released,
    wrong state, another school's case) refuses the whole batch with :class:`FulfilmentError`. Commits."""
    result = BatchResult()
    stored: list[str] = []
    try:
        with transaction():
            case, package = package_for_edit(user, case_id)
            for index, upload in enumerate(uploads):
                if upload.category_id is None:
                    result.refused[index] = FulfilmentError(_("Kies een categorie voor dit bestand."),
                                                            field="category_id", form="upload")
                    continue
                try:
                    result.added.append(store_document(
                        case, package, user, data=upload.data, filename=upload.name,
                        category_id=upload.category_id, title=upload.title, stored=stored))
                except FulfilmentError as exc:
                    result.refused[index] = exc
    except Exception:
        for key in stored:
            storage.delete(key)  # nothing of a failed batch stays behind
        raise
    return result


@transactional
def confirm_all_checks(user: User, case_id: int, checks: dict[int, tuple[bool, bool]]) -> int:
    """Record the R-EX-2 and R-EX-3 checks of several documents of the package at once: ``checks`` maps
    a document id to (third party, work notes). Each document whose checks change is recorded and audited
    on its own. Returns how many documents changed; commits."""
    case, package = package_for_edit(user, case_id)
    documents = {document.id: document for document in package.documents}
    changed = 0
    for document_id, (third_party, work_notes) in checks.items():
        document = documents.get(document_id)
        if document is None:
            continue  # a document removed meanwhile in another tab: nothing to confirm
        if (document.third_party_checked_at is not None, document.work_notes_checked_at is not None) == \
                (third_party, work_notes):
            continue
        record_checks(case, document, user, third_party=third_party, work_notes=work_notes)
        changed += 1
    return changed
