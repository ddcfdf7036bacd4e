"""Staff register a request that came by letter, e-mail, phone or at the counter (issue 15 point 1).

The case goes through the same path as a web request (:func:`services.cases.open_new_case`): the same
reference, receipt, address confirmation, portal and mail to the school. What differs is kept here: the
date of receipt is the day it arrived (R-DL-1, checked by :mod:`dsr.workflows.channels`), the audit event
names the channel, that date and why it was entered later, and the scan or original e-mail is stored
encrypted (:mod:`dsr.services.storage`) after the same checks as the requester's uploads. Opening it is an
accountable read (:func:`open_document`).
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import Case, ChannelIntake, User
from ..workflows.channels import DESK_CHANNELS, received_on_problem
from . import audit, retention, storage
from .case_access import get_visible_case
from .cases import open_new_case
from .clock import local_today
from .pdf_safety import PdfRefused, check_pdf
from .portal_messages import UploadRefused, check_file_name, check_name_and_size, check_upload, detect_type
from .transaction import transaction, transactional

#: The original e-mail, as a mail program saves it (RFC 5322, ``.eml``).
EMAIL_TYPE = "message/rfc822"
#: Parts an e-mail may hold besides the attachments the upload checks accept (PDF, PNG, JPEG).
_EMAIL_TEXT_TYPES = ("text/plain", "text/html")


class RegistrationRefused(ValueError):
    """The registration cannot be stored as entered; ``message`` is shown at ``field`` of the form."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Registration:
    """How the request reached the school, as staff enter it on the desk."""

    channel: str
    received_on: dt.date
    late_reason: str = ""
    taken_by: str = ""
    file_name: str | None = None
    file_data: bytes = b""


def may_register_for(user: User, school_id: int) -> bool:
    """Least privilege: staff register requests for their own schools only; the privacy officer for all."""
    return user.does_casework and (user.sees_all_schools or school_id in user.school_ids)


def check_document(name: str | None, data: bytes) -> tuple[str, str]:
    """(display name, detected type) of a scan or original e-mail, or :class:`UploadRefused`.

    PDF, PNG and JPEG go through the requester's upload check (name, size, content, the PDF parse). An
    ``.eml`` file is checked as strictly: the same name and size rules, it must read as an e-mail with a
    sender and a date, and every attachment in it must itself pass the upload check; anything else in it
    (a Word file, an archive, a program) refuses the whole file.
    """
    if not (name or "").lower().endswith(".eml"):
        if data and detect_type(data) is None:
            check_file_name(name)
            raise UploadRefused(_("Dit soort bestand kunnen wij niet aannemen. Voeg een PDF, PNG, JPEG of het "
                                  "oorspronkelijke e-mailbericht (.eml) toe."))
        return check_upload(name, data)
    name = check_name_and_size(name, data)
    _check_email(data)
    return name, EMAIL_TYPE


def _not_an_email() -> UploadRefused:
    return UploadRefused(_("Dit is geen e-mailbericht. Sla de e-mail op vanuit het mailprogramma (als .eml-bestand) "
                           "en voeg dat toe."))


def _check_email(data: bytes) -> None:
    """Refuse an ``.eml`` that is no e-mail, or that holds a part the upload checks would not accept."""
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        # A real sender (an address) and a date a mail program wrote (it parses): text with a colon is not enough.
        sender, sent = message["From"], message["Date"]
        has_headers = bool(sender is not None and any(a.addr_spec and "@" in a.addr_spec for a in sender.addresses)
                           and sent is not None and sent.datetime is not None)
        # (type, is an attachment, decoded bytes) of every leaf part, read here so that a broken one refuses.
        parts = [(part.get_content_type(), bool(part.get_filename()), part.get_payload(decode=True))
                 for part in message.walk() if not part.is_multipart()]
    except Exception as exc:  # noqa: BLE001 - the parser of a hostile file can fail in many ways: not an e-mail
        raise _not_an_email() from exc
    if not has_headers or detect_type(data) is not None:
        raise _not_an_email()
    for content_type, is_attachment, decoded in parts:
        if content_type in _EMAIL_TEXT_TYPES and not is_attachment:
            continue
        payload = decoded if isinstance(decoded, bytes) else b""
        found = detect_type(payload)
        if found is None or found != content_type or not payload:
            raise UploadRefused(_("Deze e-mail heeft een bijlage die wij niet kunnen controleren. Alleen bijlagen "
                                  "als PDF, PNG of JPEG kunnen mee; print de e-mail anders als PDF."))
        if found == "application/pdf":
            try:
                check_pdf(payload)
            except PdfRefused as exc:
                raise UploadRefused(exc.message) from exc


def register_request(user: User, data: dict, registration: Registration, *, language: str = "nl") -> Case:
    """Register a request staff received outside the web form; one commit.

    Not ``@transactional``: the encrypted file is written before the row, so the transaction is opened here,
    inside a ``try`` that also sees a failing commit and then removes the file again (as requester uploads do).

    ``data`` has the shape of the public form's (``IntakeForm.to_request``). Raises
    :class:`RegistrationRefused` for a school the user may not register for, a channel that is no desk
    channel, or a date of receipt the law does not allow here, and :class:`UploadRefused` for a document
    the upload checks refuse. The stored file is removed again if the transaction does not commit.
    """
    if registration.channel not in DESK_CHANNELS:
        raise RegistrationRefused("channel", _("Kies hoe het verzoek binnenkwam."))
    if not may_register_for(user, data["school_id"]):
        raise RegistrationRefused("school_id", _("U kunt alleen verzoeken registreren voor uw eigen school."))
    today = local_today()
    problem = received_on_problem(registration.received_on, today, registration.late_reason)
    if problem:
        raise RegistrationRefused(*problem)
    document = check_document(registration.file_name, registration.file_data) if registration.file_name else None
    late_reason = registration.late_reason.strip() if registration.received_on < today else ""
    key: str | None = None
    try:
        with transaction():
            case = open_new_case(
                data, language=language, received_on=registration.received_on, channel=registration.channel,
                actor=user, reason=late_reason,
                details={"channel": registration.channel, "received_on": registration.received_on.isoformat(),
                         "entered_on": today.isoformat(), "document": document is not None})
            intake = ChannelIntake(case_id=case.id, registered_by_id=user.id, taken_by=registration.taken_by,
                                   late_reason=late_reason or None)
            if document is not None:
                key = storage.store(registration.file_data)
                intake.file_name, intake.content_type = document
                intake.size, intake.storage_key = len(registration.file_data), key
                intake.sha256 = hashlib.sha256(registration.file_data).hexdigest()
            db.session.add(intake)
            db.session.flush()
    except BaseException:
        if key is not None:
            storage.delete(key)
        raise
    return case


def intake_of(case: Case) -> ChannelIntake | None:
    """How a request registered on the desk came in; None for a web request."""
    return db.session.execute(sa.select(ChannelIntake).where(ChannelIntake.case_id == case.id)).scalar()


@transactional
def open_document(user: User, case_id: int) -> tuple[ChannelIntake, bytes]:
    """Staff of the case's school open the scan or original e-mail (an accountable read, R-AC-2)."""
    case = get_visible_case(user, case_id)
    intake = intake_of(case)
    if intake is None or not intake.storage_key:
        raise NotFound(case_id)
    data = storage.load(intake.storage_key)
    audit.record("intake.document_viewed", case=case, actor=user, details={"intake_id": intake.id})
    return intake, data


@retention.on_anonymise
def _forget_intake(case: Case) -> None:
    """When a case file is anonymised (R-AC-4): the document goes, and so does the reason typed for a late
    registration; the channel and the dates stay for the statistics."""
    intake = intake_of(case)
    if intake is None:
        return
    if intake.storage_key:
        storage.delete(intake.storage_key)
    intake.storage_key = intake.sha256 = None
    intake.file_name = retention.REMOVED if intake.file_name else None
    intake.late_reason = None
    intake.taken_by = ""


__all__ = ["EMAIL_TYPE", "Registration", "RegistrationRefused", "check_document", "intake_of",
           "may_register_for", "open_document", "register_request"]
