"""Access packages (inzage, R-RI-1): upload, checks per document, release with a cover letter, delivery
by a signed expiring link, audited downloads, and the purge six months after delivery (R-AC-4).

Uploads are checked by content (magic bytes; CSV as text, see ``package_uploads``), limited to
``UPLOAD_MAX_BYTES``, stored encrypted under a generated key; the client's file name is never stored or
used. A document's register category must fall within the assessed scope (``workflows.scope``): checked
on upload, on release and again when the case is closed (the scope can change on re-assessment, R-CH-1).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import AccessPackage, Case, PackageDocument, RegisterCategory, User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows import states as S
from ..workflows.deadlines import add_months
from ..workflows.machine import Actor
from ..workflows.scope import category_problem
from ..workflows.vocabulary import REFUSE
from . import audit, storage
from .case_access import FulfilmentError, case_for_work, check_version, flush_or_conflict
from .case_records import package_of
from .clock import local_today
from .letters import LetterError, store_cover_letter
from .links import TokenError, external_url, make_token, read_token
from .package_uploads import detect_type
from .transaction import transaction, transactional

#: R-AC-4: the package itself is deleted this many months after delivery; the record stays.
PURGE_AFTER_MONTHS = 6


class PackageLinkError(Exception):
    """The download link cannot be used; ``reason``: invalid, expired, unconfirmed or purged."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---- building the package -------------------------------------------------------------------------

#: Where a package can be put together: after the review, or after a partial refusal was approved.
PACKAGE_STATES = (S.LEGAL_BASIS_REVIEWED, S.PARTIALLY_FULFILLED)


def _package_for_edit(user: User, case_id: int) -> tuple[Case, AccessPackage]:
    case = case_for_work(user, case_id, states=PACKAGE_STATES, right="access")
    if case.decision == REFUSE:
        raise FulfilmentError(_("Het verzoek is geweigerd; er gaat geen pakket naar de aanvrager."))
    query = sa.select(AccessPackage).where(AccessPackage.case_id == case.id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # no upload can slip in while another request releases
    package = db.session.execute(query).scalar()
    if package is None:
        package = AccessPackage(case_id=case.id)
        db.session.add(package)
        db.session.flush()
    if package.delivered:
        raise FulfilmentError(_("Het pakket is al verstuurd en kan niet meer worden gewijzigd."))
    return case, package


def _unreleased(package: AccessPackage) -> None:
    if package.released:
        raise FulfilmentError(_("Het pakket is vrijgegeven. Haal de vrijgave eerst terug om het te wijzigen."),
                              form="upload")


def add_document(user: User, case_id: int, *, data: bytes, filename: str, category_id: int,
                 title: str) -> PackageDocument:
    """Store one document of the package, if its category is within the scope; commits."""
    stored: list[str] = []
    try:
        # The transaction inside the try (not the decorator around it): a failed commit must also
        # delete the file stored for it, so that no orphaned file is left behind.
        with transaction():
            case, package = package_for_edit(user, case_id)
            document = store_document(case, package, user, data=data, filename=filename, category_id=category_id,
                                      title=title, stored=stored)
    except Exception:
        for key in stored:
            storage.delete(key)  # never leave an orphaned file behind
        raise
    return document


def package_for_edit(user: User, case_id: int) -> tuple[Case, AccessPackage]:
    """The case and its package (created if needed) when documents may still be added or checked."""
    case, package = _package_for_edit(user, case_id)
    _unreleased(package)
    return case, package


def store_document(case: Case, package: AccessPackage, user: User, *, data: bytes, filename: str,
                   category_id: int, title: str, stored: list[str]) -> PackageDocument:
    """Check one upload (category within the scope, content, size) and store it encrypted, inside the
    caller's transaction; the key of the stored file is appended to ``stored`` (the caller deletes those
    files if its transaction fails). :class:`FulfilmentError` (with its field) when the upload is refused."""
    category = db.session.get(RegisterCategory, category_id)
    if category is None or not category.active:
        raise FulfilmentError(_("Kies een categorie uit het verwerkingsregister."), field="category_id",
                              form="upload")
    refused = category_problem(case.assessment_scope, category)
    if refused:
        raise FulfilmentError(refused, field="category_id", form="upload")
    content_type = detect_type(data, filename or "")
    title = (title or "").strip() or f"{category.name} ({len(package.documents) + 1})"
    key = storage.store(data)
    stored.append(key)
    document = PackageDocument(package=package, category=category, title=title, content_type=content_type,
                               size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                               storage_key=key, uploaded_by_id=user.id, uploaded_at=utcnow())
    db.session.add(document)
    db.session.flush()
    audit.record("package.document_added", case=case, actor=user,
                 details={"document_id": document.id, "category": category.code,
                          "content_type": content_type, "size": len(data)})
    return document


def _document(package: AccessPackage, document_id: int) -> PackageDocument:
    """The package's document ``document_id``, or :class:`NotFound`."""
    document = next((d for d in package.documents if d.id == document_id), None)
    if document is None:
        raise NotFound(document_id)
    return document


@transactional
def confirm_checks(user: User, case_id: int, document_id: int, *, third_party: bool,
                   work_notes: bool) -> PackageDocument:
    """Record the R-EX-2 (others' data redacted) and R-EX-3 (work notes) checks of one document; commits."""
    case, package = package_for_edit(user, case_id)
    document = _document(package, document_id)
    record_checks(case, document, user, third_party=third_party, work_notes=work_notes)
    return document


def record_checks(case: Case, document: PackageDocument, user: User, *, third_party: bool, work_notes: bool) -> None:
    """Set (or clear) one document's two checks and audit them, inside the caller's transaction."""
    now = utcnow()
    checked: tuple[dt.datetime | None, int | None] = (now, user.id)
    unchecked: tuple[dt.datetime | None, int | None] = (None, None)
    document.third_party_checked_at, document.third_party_checked_by_id = checked if third_party else unchecked
    document.work_notes_checked_at, document.work_notes_checked_by_id = checked if work_notes else unchecked
    audit.record("package.document_checked", case=case, actor=user,
                 details={"document_id": document.id, "third_party": third_party, "work_notes": work_notes})


def remove_document(user: User, case_id: int, document_id: int) -> None:
    """Take a document out of an unreleased package (the stored file is deleted); commits."""
    # Not the decorator: the file is deleted only once the removal is committed.
    with transaction():
        case, package = _package_for_edit(user, case_id)
        _unreleased(package)
        document = _document(package, document_id)
        key = document.storage_key
        db.session.delete(document)
        audit.record("package.document_removed", case=case, actor=user, details={"document_id": document_id})
    if key:
        storage.delete(key)


def _document_problems(case: Case, package: AccessPackage) -> list[str]:
    """What keeps the package from being released: no documents, out of scope, checks missing."""
    problems: list[str] = []
    if not package.documents:
        problems.append(_("Voeg eerst de documenten van het pakket toe."))
    for number, document in enumerate(package.documents, start=1):
        out_of_scope = category_problem(case.assessment_scope, document.category)
        which = _("Document %(number)d ('%(title)s'):", number=number, title=document.title)
        if out_of_scope:
            problems.append(f"{which} {out_of_scope}")
        if document.third_party_checked_at is None:
            problems.append(which + " " + _("bevestig dat gegevens van medeleerlingen en andere ouders zijn "
                                            "weggelakt (R-EX-2)."))
        if document.work_notes_checked_at is None:
            problems.append(which + " " + _("bevestig de controle op werkaantekeningen: alleen puur persoonlijke "
                                            "geheugensteuntjes buiten de schoolsystemen blijven weg (R-EX-3)."))
    return problems


def release(user: User, case_id: int, version: int) -> AccessPackage:
    """Freeze the package and generate its cover letter (R-RI-1); after an approved partial refusal the
    package goes out at once, otherwise when the case is closed. Commits."""
    key: str | None = None
    try:
        # The transaction inside the try (not the decorator around it): when anything after the cover
        # letter was stored fails (a conflict, the commit), its file is deleted too.
        with transaction():
            case, package = _package_for_edit(user, case_id)
            _unreleased(package)
            problems = _document_problems(case, package)
            if problems:
                raise FulfilmentError(" ".join(problems), form="release")
            check_version(case, version)
            try:
                letter = store_cover_letter(case, package, user)
            except LetterError as exc:
                raise FulfilmentError(exc.message, form="release") from exc
            key = letter.storage_key
            package.cover_letter = letter
            package.released_at, package.released_by_id = utcnow(), user.id
            flush_or_conflict()
            audit.record("package.released", case=case, actor=user,
                         details={"documents": len(package.documents), "cover_letter_id": letter.id})
            if case.state == S.PARTIALLY_FULFILLED:
                deliver(case, package, user)
    except Exception:
        if key:
            storage.delete(key)
        raise
    return package


def unrelease(user: User, case_id: int, version: int) -> AccessPackage:
    """Undo a release that has not been delivered (the cover letter is discarded); commits."""
    key: str | None = None
    # Not the decorator: the letter's file is deleted only once the undo is committed.
    with transaction():
        case, package = _package_for_edit(user, case_id)
        if not package.released:
            raise FulfilmentError(_("Het pakket is nog niet vrijgegeven."))
        check_version(case, version)
        letter, package.cover_letter = package.cover_letter, None
        package.released_at = package.released_by_id = None
        flush_or_conflict()
        if letter is not None:
            key = letter.storage_key
            db.session.delete(letter)
            db.session.flush()
        audit.record("package.unreleased", case=case, actor=user)
    if key:
        storage.delete(key)
    return package


def package_problem(case: Case) -> str | None:
    """Why an access case cannot be closed as fulfilled yet (no released package within scope)."""
    package = package_of(case.id)
    if package is None or not package.documents:
        return _("Stel eerst het inzagepakket samen: een inzageverzoek is pas uitgevoerd als het pakket is "
                 "verstuurd.")
    if not package.released:
        return _("Geef het inzagepakket eerst vrij (met de begeleidende brief).")
    problems = _document_problems(case, package)
    return " ".join(problems) if problems else None


# ---- delivery and download -------------------------------------------------------------------------

def link_days() -> int:
    """How many days a download link stays valid."""
    return int(current_app.config["PACKAGE_LINK_DAYS"])


def package_url(package: AccessPackage) -> str:
    """The signed download link of ``package`` (its nonce changes at each delivery)."""
    return external_url("delivery.package", token=make_token("package", {"p": package.id, "n": package.link_nonce}))


def deliver(case: Case, package: AccessPackage, actor: Actor) -> None:
    """Send the download link (no personal data in the mail); inside the caller's transaction."""
    now = utcnow()
    package.delivered_at = now
    package.link_nonce = secrets.token_urlsafe(24)
    package.purge_due_on = add_months(local_today(), PURGE_AFTER_MONTHS)
    if package.cover_letter is not None:
        package.cover_letter.sent_at = now
    db.session.flush()
    queue_mail("package_ready", case.requester_email, case=case, language=case.language,
               package_url=package_url(package), link_days=link_days(),
               link_until=local_today() + dt.timedelta(days=link_days()))
    audit.record("package.delivered", case=case, actor=actor,
                 details={"documents": len(package.documents), "purge_due_on": package.purge_due_on.isoformat()})


def deliver_if_released(case: Case, actor: Actor) -> bool:
    """At closing: deliver the package if it is released and not yet sent."""
    package = package_of(case.id)
    if package is None or not package.released or package.delivered:
        return False
    deliver(case, package, actor)
    return True


@dataclass(frozen=True)
class OpenPackage:
    """A package opened through its download link, with its case."""

    package: AccessPackage
    case: Case


def open_package(token: str) -> OpenPackage:
    """The package behind a download link, if the link is genuine, current and the address confirmed."""
    try:
        payload = read_token("package", token, link_days() * 86400)
    except TokenError as exc:
        raise PackageLinkError("expired" if exc.expired else "invalid") from exc
    package_id, nonce = payload.get("p"), payload.get("n")
    package = db.session.get(AccessPackage, package_id) if isinstance(package_id, int) else None
    if package is None or not nonce or not package.link_nonce or \
            not secrets.compare_digest(str(nonce), package.link_nonce):
        raise PackageLinkError("invalid")
    if package.purged_at is not None:
        raise PackageLinkError("purged")
    case = db.session.get_one(Case, package.case_id)
    if case.email_confirmed_at is None:
        raise PackageLinkError("unconfirmed")
    return OpenPackage(package, case)


def record_view(opened: OpenPackage) -> None:
    """R-AC-2: every view of a disclosure package is audited (inside the caller's transaction)."""
    audit.record("package.viewed", case=opened.case, actor_kind="requester",
                 details={"package_id": opened.package.id})


@transactional
def download(token: str, document_id: int | None) -> tuple[bytes, str, str]:
    """The decrypted file (``document_id`` None: the cover letter), its type and a generated name; the
    download is audited (R-AC-2); commits."""
    opened = open_package(token)
    package, case = opened.package, opened.case
    detail: str | int
    if document_id is None:
        if package.cover_letter is None:
            raise NotFound("no cover letter")
        data, content_type = storage.load(package.cover_letter.storage_key), "application/pdf"
        word = "letter" if package.cover_letter.language == "en" else "brief"
        name, detail = f"{case.reference}-{word}.pdf", "cover_letter"
    else:
        documents = list(package.documents)
        document = next((d for d in documents if d.id == document_id), None)
        if document is None or document.storage_key is None:
            raise NotFound(document_id)
        data, content_type = storage.load(document.storage_key), document.content_type
        name, detail = f"{case.reference}-{documents.index(document) + 1:02d}.{document.extension}", document.id
    package.download_count += 1
    audit.record("package.downloaded", case=case, actor_kind="requester", details={"document": detail})
    return data, content_type, name


# ---- the purge (R-AC-4) ------------------------------------------------------------------------------

def packages_due(today: dt.date) -> list[AccessPackage]:
    """Delivered packages six months old whose case is not open again (a bezwaar keeps them)."""
    return list(db.session.execute(
        sa.select(AccessPackage).join(Case, Case.id == AccessPackage.case_id).where(
            AccessPackage.delivered_at.is_not(None), AccessPackage.purged_at.is_(None),
            AccessPackage.purge_due_on <= today, Case.state.not_in(S.OPEN_STATES))
        .order_by(AccessPackage.id)).scalars())


def purge_packages(today: dt.date | None = None, dry_run: bool = False) -> list[int]:
    """Daily: delete the files of packages delivered six months ago; the record of what was sent (titles,
    categories, checksums, the cover letter) stays. Returns the ids of the packages (to be) purged."""
    today = today or local_today()
    due = packages_due(today)
    if dry_run:
        return [p.id for p in due]
    purged = []
    for package in due:
        keys = []
        # One transaction per package (a sweep): each purge is saved on its own, and its files are
        # deleted only once it is committed.
        with transaction():
            now = utcnow()
            for document in package.documents:
                if document.storage_key:
                    keys.append(document.storage_key)
                    document.storage_key, document.purged_at = None, now
            package.purged_at = now
            case = db.session.get_one(Case, package.case_id)
            audit.record("package.purged", case=case, actor_kind="system",
                         details={"package_id": package.id, "files": len(keys)})
        for key in keys:
            storage.delete(key)
        purged.append(package.id)
    return purged
