"""Accountable reads (R-AC-2): staff or the requester open a case, a document, an upload or a letter, and
the opening is audited in the same transaction that hands it out (one commit per request).

Each function raises :class:`dsr.errors.NotFound` (the 404 page) for what does not exist or is not the
caller's to see, and never hands out data whose reading was not recorded.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..errors import NotFound
from ..models import Case, CaseUpload, PackageDocument, User
from . import audit, cases, fulfilment, packages, portal_messages, portal_status, storage
from .transaction import transactional


@transactional
def open_case(user: User, case_id: int) -> Case:
    """The case page: the case if ``user`` may see it (else :class:`cases.CaseNotFound`), its viewing audited."""
    case = cases.get_visible_case(user, case_id)
    audit.record("case.viewed", case=case, actor=user)
    portal_messages.mark_read(user, case)  # the requester sees on the portal that the school read them
    return case


@transactional
def export_audit(user: User, case_id: int | None) -> Iterator[str]:
    """The audit log as CSV lines (all events, or one case's); the export itself is audited first."""
    audit.record("audit.exported", actor=user, details={"case_id": case_id})
    return audit.export_csv(case_id)


@transactional
def open_package_document(user: User, case_id: int, document_id: int) -> tuple[Case, PackageDocument, bytes]:
    """Staff open a document of the case's access package: the case, the document and its decrypted bytes."""
    case = cases.get_visible_case(user, case_id)
    package = fulfilment.package_of(case.id)
    document = next((d for d in package.documents if d.id == document_id), None) if package else None
    if document is None or document.storage_key is None:
        raise NotFound(document_id)
    data = storage.load(document.storage_key)
    audit.record("package.document_viewed", case=case, actor=user, details={"document_id": document.id})
    return case, document, data


@transactional
def open_upload(user: User, case_id: int, upload_id: int) -> tuple[CaseUpload, bytes]:
    """Staff of the case's school download one of the requester's uploads."""
    case = cases.get_visible_case(user, case_id)
    upload = portal_messages.upload_of(case, upload_id)
    if upload is None:
        raise NotFound(upload_id)
    data = portal_messages.read_upload(upload)
    audit.record("upload.downloaded", case=case, actor=user, details={"upload_id": upload.id})
    return upload, data


@transactional
def open_package_page(token: str) -> packages.OpenPackage:
    """The requester opens the package page from the link (:class:`packages.PackageLinkError` if it does
    not open): the package and its case, the view audited."""
    opened = packages.open_package(token)
    packages.record_view(opened)
    return opened


@transactional
def open_portal_letter(case: Case, letter_id: int) -> tuple[str, bytes]:
    """The requester opens a letter sent to them from the portal: its title and the PDF."""
    found = portal_status.letter_for(case, letter_id)
    if found is None or not getattr(found, "storage_key", None):
        raise NotFound(letter_id)
    data = storage.load(found.storage_key)
    audit.record("letter.downloaded", case=case, actor_kind="requester",
                 details={"letter_id": found.id, "via": "portal"})
    return found.title, data
