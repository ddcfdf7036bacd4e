"""The requester portal: magic links, the portal session, messages, uploads and withdrawal.

The requester has no account. A magic link (itsdangerous, salt "dsr-portal") carries a random nonce;
only its SHA-256 is stored (:class:`~dsr.models.PortalLink`), with an expiry, and it is consumed once
when the link is exchanged for a session bound to that one case (``session["portal_case_id"]``).
Mails never carry case content: they say there is news and give a fresh link (engineering.md §6).
The settings (``PORTAL_*``) are in :func:`dsr.config.defaults`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, g, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from .. import models
from ..extensions import db
from ..models import Case, CaseMessage, CaseUpload, PortalLink
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows import states as S
from ..workflows.machine import Transition, fire
from . import audit, retention, storage
from .clock import local_today
from .links import TokenError, external_url, make_token, read_token
from .people import users_for_school

log = logging.getLogger(__name__)

PURPOSE = "portal"
SESSION_KEY = "portal_case_id"
_STARTED, _SEEN = "portal_started_at", "portal_seen_at"

#: Requester mails (sent by ``services.cases``) whose text links into the portal.
LINK_MAIL_KINDS = frozenset({"information_requested", "reassessed", "withdrawn", "closed_unverified", "extension"})

MESSAGE_MAX_LENGTH = 5000


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# ---- magic links -----------------------------------------------------------------------------------

def _new_link(case: Case, purpose: str, lifetime: dt.timedelta) -> str:
    nonce = secrets.token_urlsafe(24)
    db.session.add(PortalLink(case_id=case.id, nonce_hash=_hash(nonce), purpose=purpose,
                              expires_at=utcnow() + lifetime))
    return external_url("portal.enter", token=make_token(PURPOSE, {"n": nonce}))


def _notice_days() -> int:
    config = current_app.config
    return int(config["PORTAL_NOTICE_LINK_DAYS"] or config["CONFIRM_LINK_MAX_AGE_DAYS"])


def notice_link(case: Case) -> str:
    """A fresh single-use link for a mail that tells the requester there is news (no commit)."""
    return _new_link(case, "notice", dt.timedelta(days=_notice_days()))


def start_url() -> str:
    """The page where a requester asks for a new link (no secret in it)."""
    return external_url("portal.request_link")


def _max_token_age() -> int:
    return max(_notice_days() * 86400, int(current_app.config["PORTAL_LINK_MINUTES"]) * 60)


def exchange(token: str, *, _retry: bool = True) -> Case:
    """Consume a portal link; return its case, or raise :class:`TokenError` (commits).

    The signature and the stored expiry are both checked; the nonce is marked used in one
    conditional UPDATE, so of two racing requests with the same link only one gets a session.
    """
    payload = read_token(PURPOSE, token, _max_token_age())
    nonce = payload.get("n")
    if not isinstance(nonce, str) or not nonce:
        raise TokenError(expired=False)
    link = db.session.execute(sa.select(PortalLink).where(PortalLink.nonce_hash == _hash(nonce))).scalar()
    if link is None or link.used_at is not None:
        raise TokenError(expired=False)
    now = utcnow()
    if link.expires_at <= now:
        raise TokenError(expired=True)
    consumed = db.session.execute(
        sa.update(PortalLink).where(PortalLink.id == link.id, PortalLink.used_at.is_(None)).values(used_at=now)
    ).rowcount
    case = db.session.get(Case, link.case_id)
    if consumed != 1 or case is None or case.anonymised_at is not None:
        db.session.rollback()
        raise TokenError(expired=False)
    if case.email_confirmed_at is None:
        # The link reached the requester's address: that confirms it, as the receipt link would.
        case.email_confirmed_at, case.confirm_nonce = now, None
        audit.record("case.email_confirmed", case=case, actor_kind="requester", details={"via": "portal_link"})
    audit.record("portal.opened", case=case, actor_kind="requester", details={"link": link.purpose})
    try:
        db.session.commit()
    except StaleDataError:
        # Staff changed the case at this very moment: nothing was stored, so try once more.
        db.session.rollback()
        if not _retry:
            raise
        return exchange(token, _retry=False)
    return case


def request_link(reference: str, email: str) -> None:
    """The "Mijn verzoek" page: mail a fresh link if reference and address belong together (commits).

    The caller shows the same answer either way, so the page does not reveal which references
    exist or which address belongs to them.
    """
    reference = (reference or "").strip().upper()
    case = db.session.execute(sa.select(Case).where(Case.reference == reference)).scalar() if reference else None
    if case is None or case.anonymised_at is not None or not _same_address(case.requester_email, email):
        return
    since = utcnow() - dt.timedelta(hours=1)
    recent = db.session.execute(
        sa.select(sa.func.count(PortalLink.id)).where(
            PortalLink.case_id == case.id, PortalLink.purpose == "request", PortalLink.created_at > since)
    ).scalar_one()
    if recent >= int(current_app.config["PORTAL_LINKS_PER_HOUR"]):
        log.info("portal link limit reached for case %s", case.id)
        return
    minutes = int(current_app.config["PORTAL_LINK_MINUTES"])
    url = _new_link(case, "request", dt.timedelta(minutes=minutes))
    queue_mail("portal_link", case.requester_email, case=case, language=case.language, portal_url=url,
               minutes=minutes)
    audit.record("portal.link_requested", case=case, actor_kind="requester")
    db.session.commit()


def _same_address(stored: str, given: str) -> bool:
    given = (given or "").strip()
    return bool(given) and secrets.compare_digest(stored.strip().casefold().encode(), given.casefold().encode())


# ---- the portal session ----------------------------------------------------------------------------

def open_session(case: Case) -> None:
    """Bind this browser's session to ``case`` (any earlier portal case is forgotten)."""
    now = time.time()
    session[SESSION_KEY] = case.id
    session[_STARTED] = session[_SEEN] = now


def close_session() -> None:
    for key in (SESSION_KEY, _STARTED, _SEEN):
        session.pop(key, None)


def session_case() -> Case | None:
    """The case this browser's portal session is bound to, or None (idle/absolute timeouts apply)."""
    case_id = session.get(SESSION_KEY)
    if not case_id:
        return None
    now = time.time()
    started, seen = session.get(_STARTED, 0), session.get(_SEEN, 0)
    if now - seen > int(current_app.config["PORTAL_SESSION_IDLE_SECONDS"]) or \
            now - started > int(current_app.config["PORTAL_SESSION_ABSOLUTE_SECONDS"]):
        close_session()
        g.portal_expired = True
        return None
    case = db.session.get(Case, case_id)
    if case is None or case.anonymised_at is not None:
        close_session()
        return None
    session[_SEEN] = now
    return case


# ---- what the requester sees -----------------------------------------------------------------------

#: The state in plain words for the requester, with one sentence on what happens next (in the reader's language).
REQUESTER_STATES = {
    S.SUBMITTED: (_l("Ontvangen"), _l("Wij hebben uw verzoek ontvangen en gaan het bekijken.")),
    S.AWAITING_REQUESTER: (_l("Wij wachten op u"), _l("Wij hebben iets van u nodig voordat wij verder kunnen. "
                                                       "Hieronder staat wat en waarom.")),
    S.IDENTITY_CHECKED: (_l("In behandeling"), _l("Wij zoeken uit welke gegevens er zijn en wat wij mogen geven.")),
    S.LEGAL_BASIS_REVIEWED: (_l("In behandeling"),
                             _l("Wij hebben uw verzoek beoordeeld en bereiden ons antwoord voor.")),
    S.AWAITING_DIRECTOR: (_l("In behandeling"), _l("De directeur van de school controleert ons antwoord voordat het "
                                                   "naar u gaat.")),
    S.FULFILLED: (_l("Afgerond"), _l("Wij hebben uw verzoek uitgevoerd. U heeft daarover bericht gekregen.")),
    S.PARTIALLY_FULFILLED: (_l("Afgerond"), _l("Wij hebben uw verzoek voor een deel uitgevoerd. In ons bericht "
                                               "staat wat wel en wat niet, en waarom.")),
    S.REFUSED: (_l("Afgerond"), _l("Wij hebben uw verzoek niet uitgevoerd. In ons bericht staat waarom en wat u "
                                   "daartegen kunt doen.")),
    S.WITHDRAWN: (_l("Ingetrokken"), _l("U heeft dit verzoek ingetrokken. Wij behandelen het niet verder.")),
    S.CLOSED_UNVERIFIED: (_l("Gesloten"), _l("Wij hebben de gevraagde informatie niet ontvangen en het verzoek "
                                             "daarom gesloten. U kunt altijd een nieuw verzoek doen.")),
}
#: What we asked for, in the requester's words (the mail says the same, R-LT-3; in the reader's language).
INFORMATION_NEEDED = {
    "identity": _l("een bevestiging dat u degene bent die het verzoek heeft gedaan"),
    "authority": _l("een bewijs dat u het ouderlijk gezag over de leerling heeft, of dat u namens de leerling "
                    "mag optreden (bijvoorbeeld een uittreksel uit het gezagsregister)"),
    "clarification": _l("meer uitleg over wat u precies vraagt"),
}


def thread(case: Case) -> list[CaseMessage]:
    return list(db.session.execute(
        sa.select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)).scalars())


def uploads(case: Case) -> list[CaseUpload]:
    return list(db.session.execute(
        sa.select(CaseUpload).where(CaseUpload.case_id == case.id).order_by(CaseUpload.id)).scalars())


def letters(case: Case) -> list:
    """Hook for the fulfilment letters: the letters sent to the requester, if that model exists."""
    letter = getattr(models, "Letter", None)
    if letter is None or not hasattr(letter, "sent_at"):
        return []
    return list(db.session.execute(
        sa.select(letter).where(letter.case_id == case.id, letter.sent_at.is_not(None)).order_by(letter.sent_at)
    ).scalars())


def letter_for(case: Case, letter_id: int):
    """A sent letter of ``case`` (None for another case's letter or an unsent one)."""
    return next((item for item in letters(case) if item.id == letter_id), None)


# ---- messages --------------------------------------------------------------------------------------

def _tell_staff(case: Case, event: str) -> None:
    """Mail the school's staff that something came in through the portal (a link, no content)."""
    case_url = external_url("staff.case", case_id=case.id)
    for user in users_for_school(case.school_id, (S.STAFF,)):
        queue_mail("staff_message", user.email, case=case, user=user, case_url=case_url, event=event)


def add_requester_message(case: Case, body: str) -> CaseMessage:
    """The requester writes to the school (commits)."""
    message = CaseMessage(case_id=case.id, author_kind="requester", body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("message.from_requester", case=case, actor_kind="requester", details={"message_id": message.id})
    _tell_staff(case, "message")
    db.session.commit()
    return message


def add_staff_message(user, case: Case, body: str) -> CaseMessage:
    """Staff answer the requester; the requester gets a mail with a link only (commits)."""
    message = CaseMessage(case_id=case.id, author_kind="staff", author_id=user.id, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("message.to_requester", case=case, actor=user, details={"message_id": message.id})
    queue_mail("portal_message", case.requester_email, case=case, language=case.language,
               portal_url=notice_link(case))
    db.session.commit()
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


def check_upload(name: str | None, data: bytes) -> tuple[str, str]:
    """Validate an upload by name, size and content; returns (display name, detected type)."""
    name = check_file_name(name)
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    if not data:
        raise UploadRefused(_("Het bestand is leeg."))
    if len(data) > limit:
        raise UploadRefused(_("Het bestand is te groot. Het mag maximaal %(size)s zijn.", size=_megabytes(limit)))
    content_type = detect_type(data)
    if content_type is None:
        raise UploadRefused(_("Dit soort bestand kunnen wij niet aannemen. Stuur een PDF, PNG of JPEG."))
    if not name.lower().endswith(UPLOAD_TYPES[content_type][1]):
        raise UploadRefused(_("De naam van het bestand past niet bij de inhoud. Stuur een PDF, PNG of JPEG "
                              "met de juiste extensie (.pdf, .png of .jpg)."))
    return name, content_type


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, size // 1024)} kB"


def add_upload(case: Case, name: str | None, data: bytes, note: str = "") -> CaseUpload:
    """Store a checked upload encrypted and tell the school (commits)."""
    name, content_type = check_upload(name, data)
    count = db.session.execute(
        sa.select(sa.func.count(CaseUpload.id)).where(CaseUpload.case_id == case.id)).scalar_one()
    if count >= int(current_app.config["PORTAL_MAX_UPLOADS"]):
        raise UploadRefused(_("U heeft het maximale aantal bestanden voor dit verzoek bereikt. "
                              "Stuur de school een bericht als u nog iets wilt geven."))
    key = storage.store(data)
    try:
        upload = CaseUpload(case_id=case.id, file_name=name, content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), storage_key=key, note=note or "")
        db.session.add(upload)
        db.session.flush()
        audit.record("upload.added", case=case, actor_kind="requester",
                     details={"upload_id": upload.id, "content_type": content_type, "size": len(data)})
        _tell_staff(case, "upload")
        db.session.commit()
    except BaseException:
        db.session.rollback()
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
    return storage.load(upload.storage_key)


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    from urllib.parse import quote

    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", file_name)[:100] or "bestand"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


# ---- withdrawal ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequesterActor:
    """The requester acting through the portal, for the workflow machine (own case only)."""

    case_id: int
    id: None = None
    role: str = S.REQUESTER
    school_ids: frozenset = field(default_factory=frozenset)


class PortalConflict(Exception):
    message = _l("Uw verzoek is op dit moment door de school gewijzigd. Bekijk de nieuwe stand en probeer het opnieuw.")


def withdraw(case: Case, explanation: str = "") -> Transition:
    """The requester withdraws their request (workflow ``withdraw``, audited as the requester; commits)."""
    from . import cases as case_service

    reason = "Ingetrokken door de aanvrager via Mijn verzoek."
    if explanation.strip():
        reason += "\nToelichting van de aanvrager: " + explanation.strip()
    actor = RequesterActor(case.id)
    done = fire(case, "withdraw", actor, {"reason": reason, "today": local_today()})
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise PortalConflict() from exc
    audit.record("transition.withdraw", case=case, actor_kind="requester", from_state=done.from_state,
                 to_state=done.to_state, reason=done.reason)
    case_service._notify(case, done, actor)
    _tell_staff(case, "withdrawn")
    db.session.commit()
    return done


# ---- retention (R-AC-4) ----------------------------------------------------------------------------

@retention.on_anonymise
def _forget_portal_data(case: Case) -> None:
    """When a case file is anonymised: messages, uploaded files and open links go; the consent
    record keeps its scope and dates but loses the student's address."""
    from ..models import ConsentRequest

    for upload in db.session.execute(sa.select(CaseUpload).where(CaseUpload.case_id == case.id)).scalars():
        if upload.storage_key:
            storage.delete(upload.storage_key)
        db.session.delete(upload)
    db.session.execute(sa.delete(CaseMessage).where(CaseMessage.case_id == case.id))
    db.session.execute(sa.delete(PortalLink).where(PortalLink.case_id == case.id))
    db.session.execute(sa.update(ConsentRequest).where(ConsentRequest.case_id == case.id)
                       .values(student_email=retention.REMOVED))
