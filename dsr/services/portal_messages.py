"""The requester portal: messages both ways and the requester's uploads.

Messages and uploads belong to one case; the requester reaches them through the portal session
(:mod:`dsr.services.portal`), staff through the case page. A mail about either carries a link, never
the content (docs/security.md). Uploads are checked by name, size and content and stored encrypted
(:mod:`dsr.services.storage`). When a case file is anonymised (R-AC-4) its messages, uploads and
portal links go with it.
"""
from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import Case, CaseMessage, CaseUpload, ConsentRequest, PortalLink, User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows.roles import STAFF
from . import audit, retention, storage
from .links import external_url
from .pdf_safety import PdfRefused, check_pdf
from .people import users_for_school
from .portal import notice_link
from .transaction import transaction, transactional

MESSAGE_MAX_LENGTH = 5000


# ---- what the case holds ---------------------------------------------------------------------------

def thread(case: Case) -> list[CaseMessage]:
    """The messages of ``case``, oldest first (both ways)."""
    return list(db.session.execute(
        sa.select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)).scalars())


def uploads(case: Case) -> list[CaseUpload]:
    """The requester's uploads for ``case``, oldest first."""
    return list(db.session.execute(
        sa.select(CaseUpload).where(CaseUpload.case_id == case.id).order_by(CaseUpload.id)).scalars())


def mark_read(user: User, case: Case) -> int:
    """Staff opened the case page: the requester's unread messages and uploads count as read (no commit).

    The portal shows the requester when the school read each one. Audited once per opening that marks
    something, with the ids only; returns how many were marked.
    """
    now = utcnow()
    marked: dict[str, list[int]] = {}
    for model, key in ((CaseMessage, "message_ids"), (CaseUpload, "upload_ids")):
        unread = sa.and_(model.case_id == case.id, model.read_at.is_(None))
        if model is CaseMessage:
            unread = sa.and_(unread, CaseMessage.author_kind == "requester")
        ids = list(db.session.execute(sa.select(model.id).where(unread).order_by(model.id)).scalars())
        if ids:
            db.session.execute(sa.update(model).where(model.id.in_(ids), model.read_at.is_(None))
                               .values(read_at=now).execution_options(synchronize_session="fetch"))
            marked[key] = ids
    if marked:
        audit.record("portal.read", case=case, actor=user, details=marked)
    return sum(len(ids) for ids in marked.values())


# ---- messages --------------------------------------------------------------------------------------

def tell_staff(case: Case, event: str) -> None:
    """Mail the school's staff that something came in through the portal (a link, no content)."""
    case_url = external_url("staff.case", case_id=case.id)
    for user in users_for_school(case.school_id, (STAFF,)):
        queue_mail("staff_message", user.email, case=case, user=user, case_url=case_url, event=event)


@transactional
def add_requester_message(case: Case, body: str) -> CaseMessage:
    """The requester writes to the school (one commit)."""
    message = CaseMessage(case_id=case.id, author_kind="requester", body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("message.from_requester", case=case, actor_kind="requester", details={"message_id": message.id})
    tell_staff(case, "message")
    return message


@transactional
def add_staff_message(user: User, case: Case, body: str) -> CaseMessage:
    """Staff answer the requester; the requester gets a mail with a link only (one commit)."""
    message = CaseMessage(case_id=case.id, author_kind="staff", author_id=user.id, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("message.to_requester", case=case, actor=user, details={"message_id": message.id})
    queue_mail("portal_message", case.requester_email, case=case, language=case.language,
               portal_url=notice_link(case))
    return message


# ---- uploads ---------------------------------------------------------------------------------------

#: Allowed types: detected from the first bytes; the name's extension must agree.
UPLOAD_TYPES = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class UploadRefused(ValueError):
    """An upload that is not accepted; ``message`` is shown at the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def detect_type(data: bytes) -> str | None:
    """The allowed content type ``data`` starts like (see :data:`UPLOAD_TYPES`), or None."""
    for content_type, (magic, _ext) in UPLOAD_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def check_file_name(name: str | None) -> str:
    """The display name, or :class:`UploadRefused` (folders, traversal and odd characters)."""
    name = (name or "").strip()
    if not name:
        raise UploadRefused(_("Kies een bestand."))
    if len(name) > 200 or _BAD_NAME.search(name) or ".." in name or name.startswith(".") \
            or "\u2028" in name or "\u2029" in name:
        raise UploadRefused(_("Gebruik een gewone bestandsnaam zonder mappen of speciale tekens, "
                              "bijvoorbeeld uittreksel.pdf."))
    return name


def check_name_and_size(name: str | None, data: bytes) -> str:
    """The display name of an upload that has a usable name, is not empty and not too large
    (:class:`UploadRefused` otherwise); what its content may be is the caller's check."""
    name = check_file_name(name)
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    if not data:
        raise UploadRefused(_("Het bestand is leeg."))
    if len(data) > limit:
        raise UploadRefused(_("Het bestand is te groot. Het mag maximaal %(size)s zijn.", size=megabytes(limit)))
    return name


def check_upload(name: str | None, data: bytes) -> tuple[str, str]:
    """Validate an upload by name, size and content; returns (display name, detected type)."""
    name = check_name_and_size(name, data)
    content_type = detect_type(data)
    if content_type is None:
        raise UploadRefused(_("Dit soort bestand kunnen wij niet aannemen. Stuur een PDF, PNG of JPEG."))
    if not name.lower().endswith(UPLOAD_TYPES[content_type][1]):
        raise UploadRefused(_("De naam van het bestand past niet bij de inhoud. Stuur een PDF, PNG of JPEG "
                              "met de juiste extensie (.pdf, .png of .jpg)."))
    if content_type == "application/pdf":
        try:
            check_pdf(data)  # the same parse as staff uploads: no scripts, actions or embedded files
        except PdfRefused as exc:
            raise UploadRefused(exc.message) from exc
    return name, content_type


def megabytes(size: int) -> str:
    """A file size for people: "10 MB", "300 kB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, size // 1024)} kB"


def add_upload(case: Case, name: str | None, data: bytes, note: str = "") -> CaseUpload:
    """Store a checked upload encrypted and tell the school (one commit).

    Not ``@transactional``: the encrypted file is written before the row, so the transaction is opened
    here, inside a ``try`` that also sees a failing commit and then removes the file again.
    """
    name, content_type = check_upload(name, data)
    key: str | None = None
    try:
        with transaction():
            count = db.session.execute(
                sa.select(sa.func.count(CaseUpload.id)).where(CaseUpload.case_id == case.id)).scalar_one()
            if count >= int(current_app.config["PORTAL_MAX_UPLOADS"]):
                raise UploadRefused(_("U heeft het maximale aantal bestanden voor dit verzoek bereikt. "
                                      "Stuur de school een bericht als u nog iets wilt geven."))
            key = storage.store(data)
            upload = CaseUpload(case_id=case.id, file_name=name, content_type=content_type, size=len(data),
                                sha256=hashlib.sha256(data).hexdigest(), storage_key=key, note=note or "")
            db.session.add(upload)
            db.session.flush()
            audit.record("upload.added", case=case, actor_kind="requester",
                         details={"upload_id": upload.id, "content_type": content_type, "size": len(data)})
            tell_staff(case, "upload")
    except BaseException:
        if key is not None:
            storage.delete(key)
        raise
    return upload


def upload_of(case: Case, upload_id: int) -> CaseUpload | None:
    """An upload of this case (None for another case's upload: the caller answers 404)."""
    upload = db.session.get(CaseUpload, upload_id)
    if upload is None or upload.case_id != case.id or not upload.storage_key:
        return None
    return upload


def read_upload(upload: CaseUpload) -> bytes:
    """The decrypted content of an upload (one with its file: :func:`upload_of` hands out no other)."""
    if upload.storage_key is None:
        raise ValueError(f"upload {upload.id} has no file (anonymised)")
    return storage.load(upload.storage_key)


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    from urllib.parse import quote

    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", file_name)[:100] or "bestand"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


# ---- retention (R-AC-4) ----------------------------------------------------------------------------

@retention.on_anonymise
def _forget_portal_data(case: Case) -> None:
    """When a case file is anonymised: messages, uploaded files and open links go; the consent
    record keeps its scope and dates but loses the student's address."""
    for upload in db.session.execute(sa.select(CaseUpload).where(CaseUpload.case_id == case.id)).scalars():
        if upload.storage_key:
            storage.delete(upload.storage_key)
        db.session.delete(upload)
    db.session.execute(sa.delete(CaseMessage).where(CaseMessage.case_id == case.id))
    db.session.execute(sa.delete(PortalLink).where(PortalLink.case_id == case.id))
    db.session.execute(sa.update(ConsentRequest).where(ConsentRequest.case_id == case.id)
                       .values(student_email=retention.REMOVED))
