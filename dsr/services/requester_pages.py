"""What the requester's and the student's pages read besides their one service call (plain reads,
nothing recorded): the case behind a consent request, a consent request as it is now, the case of
the confirmation page, one of the requester's own uploads."""
from __future__ import annotations

from ..errors import NotFound
from ..extensions import db
from ..models import Case, CaseUpload, ConsentRequest
from . import portal_messages


def case_of(consent_request: ConsentRequest) -> Case:
    """The case a consent request belongs to (it always has one: the foreign key is not null)."""
    return db.session.get_one(Case, consent_request.case_id)


def consent_request_now(consent_request: ConsentRequest) -> ConsentRequest:
    """The consent request as stored now, e.g. after a refused answer rolled the transaction back."""
    return db.session.get_one(ConsentRequest, consent_request.id)


def submitted_case(case_id: int) -> Case | None:
    """The case just submitted in this session, or None if it is not there (any more)."""
    return db.session.get(Case, case_id)


def own_upload(case: Case, upload_id: int) -> tuple[CaseUpload, bytes]:
    """One of the requester's own uploads and its decrypted content; another case's upload (or none)
    is :class:`dsr.errors.NotFound`, the 404 page."""
    upload = portal_messages.upload_of(case, upload_id)
    if upload is None:
        raise NotFound(upload_id)
    return upload, portal_messages.read_upload(upload)
