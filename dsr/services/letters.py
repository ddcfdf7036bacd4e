"""Letters to the requester: build, preview, validate, store as PDF, send a link (R-LT-1..4, R-RI-1).

A letter is rendered from ``templates/letters/<language>/<kind>.txt`` in the requester's language
(``case.language``: ``nl`` or ``en``; a language without the template falls back to Dutch), checked with
``workflows.letters.missing_elements`` in the language it was rendered in and, only when nothing is
missing, turned into a PDF with fpdf2, stored encrypted with the case and announced by a mail in the
requester's language that carries the reference and a signed link only. Everything a letter is built
from is collected and rendered inside ``force_locale(language)``, so its dates and translated labels
follow the requester's language, never the language of the staff member who previews it.

The PDF (fpdf2 core fonts, Windows-1252, see ``letter_pdf``; :func:`~.letter_pdf.pdf_safe` keeps any name
printable) gets its page footer, document language and file name in the letter's language too. What
each kind of letter is built from (its facts and template context) is gathered in ``letter_context``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import Template, TemplateNotFound

from ..extensions import db
from ..models import Case, Letter, User
from ..models._types import utcnow
from ..notifications import queue_mail
from ..workflows import letters as L
from ..workflows import policy
from ..workflows import states as S
from . import audit, storage
from .case_access import CaseNotFound, FulfilmentError, get_visible_case
from .clock import local_today
from .letter_context import add_kind_context, base_context
from .letter_pdf import pdf_bytes, text_blocks
from .links import TokenError, external_url, make_token, read_token
from .transaction import transaction, transactional

if TYPE_CHECKING:
    from ..models import AccessPackage


class LetterError(Exception):
    """A letter that cannot be sent; ``codes`` are the missing elements."""

    def __init__(self, message: str, codes: list[str] | None = None):
        message = str(message)
        super().__init__(message)
        self.message, self.codes = message, list(codes or [])


#: The mail that announces each letter (reference and link only).
LETTER_MAILS = {
    L.REFUSAL: "decision_refused", L.PARTIAL_REFUSAL: "decision_partial", L.COMPLETION: "decision_fulfilled",
    L.RECEIPT: "letter_ready", L.INFORMATION_REQUEST: "letter_ready", L.EXTENSION: "letter_ready",
}
#: The decision letter each closed state needs (silence is never an outcome, R-LT-1).
DECISION_LETTERS = {S.REFUSED: L.REFUSAL, S.PARTIALLY_FULFILLED: L.PARTIAL_REFUSAL, S.FULFILLED: L.COMPLETION}


def available_kinds(case: Case) -> list[str]:
    """The letters staff can send now (the access cover letter goes with its package)."""
    kinds = []
    if case.state in S.OPEN_STATES:
        kinds.append(L.RECEIPT)
    if case.state == S.AWAITING_REQUESTER and case.info_kind:
        kinds.append(L.INFORMATION_REQUEST)
    if case.extended and case.state in S.OPEN_STATES:
        kinds.append(L.EXTENSION)
    decision = DECISION_LETTERS.get(case.state)
    if decision and not (decision == L.COMPLETION and case.right == "access"):
        kinds.append(decision)
    return kinds


def sent_decision_letter(case: Case, kind: str) -> Letter | None:
    """The decision letter ``kind`` already sent since the case was decided, if any."""
    if kind not in DECISION_LETTERS.values() or case.closed_at is None:
        return None
    return next((letter for letter in letters_of(case.id) if letter.kind == kind and letter.sent_at is not None
                 and letter.created_at >= case.closed_at), None)


def letters_of(case_id: int) -> list[Letter]:
    """Every letter of the case, oldest first."""
    return list(db.session.execute(sa.select(Letter).where(Letter.case_id == case_id).order_by(Letter.id)).scalars())


def due_kinds(case: Case) -> list[str]:
    """Decision letters not yet sent since the case was decided."""
    kind = DECISION_LETTERS.get(case.state)
    if kind is None or (kind == L.COMPLETION and case.right == "access") or case.closed_at is None:
        return []
    sent = any(letter.kind == kind and letter.sent_at is not None and letter.created_at >= case.closed_at
               for letter in letters_of(case.id))
    return [] if sent else [kind]


@dataclass(frozen=True)
class Draft:
    """A rendered letter and what it lacks."""

    kind: str
    language: str
    title: str
    text: str
    facts: L.LetterFacts
    missing: tuple[str, ...]
    #: "je" when written for a student under 16 (``letters/<language>_je/``), else "".
    variant: str = ""

    @property
    def problems(self) -> list[str]:
        return [f"{code}: {L.element_label(code)}" for code in self.missing]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def blocks(self) -> list[tuple[str, str]]:
        return text_blocks(self.text)

    @property
    def html_blocks(self) -> list[tuple[str, str | list[str]]]:
        """The blocks with consecutive bullets grouped into one ("ul", [items]) for the HTML preview."""
        grouped: list[tuple[str, str | list[str]]] = []
        for kind, content in self.blocks:
            if kind == "li" and grouped and isinstance(items := grouped[-1][1], list):  # only a "ul" holds a list
                items.append(content)
            elif kind == "li":
                grouped.append(("ul", [content]))
            else:
                grouped.append((kind, content))
        return grouped


#: Point 11, R-LT-1: a student under 16 reads a plain version addressed with "je" (``letters/nl_je/``).
CHILD_VARIANT = "je"


def letter_variant(case: Case, today: dt.date) -> str:
    """"je" for a student under 16 on the letter date who asks about their own data, else ""."""
    if case.requester_role != "student" or case.student_birth_date is None:
        return ""
    return CHILD_VARIANT if policy.age_on(case.student_birth_date, today) < 16 else ""


def _template(kind: str, language: str, variant: str = "") -> tuple[Template, str]:
    """The template of ``kind`` and the folder it came from: the variant in the language, the language,
    then Dutch. A letter without a child version falls back to the normal one."""
    env = current_app.jinja_env
    folders: list[str] = []
    if language in L.LANGUAGES:
        if variant:
            folders.append(f"{language}_{variant}")
        folders.append(language)
    folders.append("nl")
    for folder in folders:
        try:
            return env.get_template(f"letters/{folder}/{kind}.txt"), folder
        except TemplateNotFound:
            continue
    raise TemplateNotFound(f"letters/nl/{kind}.txt")


def letter_language(kind: str, language: str | None) -> str:
    """The language letter ``kind`` is actually written in for a requester who chose ``language``."""
    return _template(kind, language or "nl")[1]


def render_letter(kind: str, language: str, context: dict[str, Any], variant: str = "") -> tuple[str, str, str]:
    """(title, text, folder used) of letter ``kind`` rendered with ``context``; dates and labels in the
    template follow the language used (``force_locale``), whatever the language of the page around it.
    The folder is the language ("nl", "en") or a variant of it ("nl_je"); its markers validate the text."""
    template, used = _template(kind, language, variant)
    ctx = dict(context)
    with force_locale(used.split("_")[0]):
        current_app.update_template_context(ctx)
        title = " ".join("".join(template.blocks["title"](template.new_context(ctx))).split())
        ctx["title"] = title
        body = "".join(template.blocks["body"](template.new_context(ctx)))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in body.strip().splitlines())) + "\n"
    return title, text, used


def draft(case: Case, kind: str, *, today: dt.date | None = None, **extra: Any) -> Draft:
    """Render letter ``kind`` for ``case`` as it would be sent today, with its missing elements.

    The letter is written in the requester's language when a template exists for it (else Dutch), and
    validated in the language it was actually rendered in.
    """
    if kind not in L.KINDS:
        raise ValueError(kind)
    today = today or local_today()
    language = letter_language(kind, case.language)
    with force_locale(language):
        facts, context = base_context(case, kind, today)
        context.update(extra)
        add_kind_context(case, kind, today, facts, context, language)
        title, text, used = render_letter(kind, language, context, letter_variant(case, today))
        letter_facts = L.LetterFacts(**facts)
    missing = tuple(L.missing_elements(letter_facts, text, used))
    return Draft(kind, used.split("_")[0], title, text, letter_facts, missing, used.partition("_")[2])


# ---- storing and sending ------------------------------------------------------------------------

def _store(case: Case, d: Draft, user: User | None) -> Letter:
    """The draft as a PDF stored with the case (flushed, not committed; the file is deleted if the flush fails)."""
    data = pdf_bytes(d.title, d.text, reference=case.reference or "",
                     author=current_app.config["ORGANISATION_NAME"], language=d.language)
    key = storage.store(data)
    letter = Letter(case_id=case.id, kind=d.kind, language=d.language, title=d.title, storage_key=key,
                    sha256=hashlib.sha256(data).hexdigest(), link_nonce=secrets.token_urlsafe(24),
                    created_by_id=getattr(user, "id", None), created_at=utcnow())
    db.session.add(letter)
    try:
        db.session.flush()
    except Exception:
        storage.delete(key)
        raise
    return letter


def _refuse_if_missing(d: Draft) -> None:
    """A :class:`LetterError` naming what the draft misses, if anything."""
    if d.missing:
        raise LetterError(_("Deze brief mist verplichte onderdelen en kan niet worden verstuurd: %(problems)s.",
                            problems="; ".join(d.problems)), list(d.missing))


def cover_kind(case: Case) -> str:
    """The letter that goes with a package: the Art. 15 cover letter (R-RI-1), or for a parent without
    gezag the BW 1:377c information letter (R-CH-5), which is not an Art. 15 answer."""
    return L.INFO_377C if case.assessment_outcome == "info_only" else L.ACCESS_COVER


def store_cover_letter(case: Case, package: AccessPackage, user: User) -> Letter:
    """R-RI-1 / R-CH-5: the letter that goes with a package, validated and stored (sent with the package)."""
    d = draft(case, cover_kind(case), package=package)
    _refuse_if_missing(d)
    letter = _store(case, d, user)
    audit.record("letter.created", case=case, actor=user, details={"letter_id": letter.id, "kind": d.kind})
    return letter


def letter_url(letter: Letter) -> str:
    """The signed link to a sent letter (for the mail that announces it)."""
    return external_url("delivery.letter", token=make_token("letter", {"l": letter.id, "n": letter.link_nonce}))


def send(user: User, case_id: int, kind: str, previewed_digest: str, *, corrected: bool = False) -> Letter:
    """Store letter ``kind`` as PDF with the case and mail the requester a link; commits.

    ``previewed_digest`` is the digest of the text staff saw in the preview: if the letter changed since
    (new data), it is not sent and staff preview it again. A decision letter that was already sent is not
    sent again by accident: only when staff explicitly choose to send a ``corrected`` letter. Sending the
    decision letter takes the case out of the queue (``letter_pending``).
    """
    key: str | None = None
    try:
        # The transaction inside the try (not the decorator around it): when anything after the PDF
        # was stored fails, the commit included, the stored file is deleted too.
        with transaction():
            case = get_visible_case(user, case_id)
            if kind not in available_kinds(case):
                raise FulfilmentError(_("Deze brief past niet bij de huidige status van het verzoek."))
            earlier = sent_decision_letter(case, kind)
            if earlier is not None and not corrected:
                raise LetterError(_("Deze brief is al verstuurd. Verstuur hem alleen opnieuw als gecorrigeerde "
                                    "brief: kies daarvoor 'Gecorrigeerde brief versturen'."), ["ALREADY_SENT"])
            d = draft(case, kind)
            _refuse_if_missing(d)
            if not secrets.compare_digest(d.digest, previewed_digest or ""):
                raise LetterError(_("De brief is veranderd sinds u hem bekeek. Bekijk de nieuwe versie en verstuur "
                                    "hem dan."))
            letter = _store(case, d, user)
            key = letter.storage_key
            letter.sent_at = utcnow()
            if kind in DECISION_LETTERS.values():
                case.letter_pending = False  # the requester now has the decision: the case leaves the queue
            days = int(current_app.config["LETTER_LINK_DAYS"])
            queue_mail(LETTER_MAILS[kind], case.requester_email, case=case, language=case.language,
                       letter_url=letter_url(letter), letter_title=d.title, link_days=days,
                       link_until=local_today() + dt.timedelta(days=days))
            details: dict[str, Any] = {"letter_id": letter.id, "kind": kind}
            if earlier is not None:
                details.update(corrected=True, replaces_letter_id=earlier.id)
            audit.record("letter.sent", case=case, actor=user, details=details)
    except Exception:
        if key:
            storage.delete(key)
        raise
    return letter


def file_name(case: Case, letter: Letter) -> str:
    """The download name of a stored letter, in the letter's language (``AVG-2026-00042-letter-7.pdf``)."""
    pattern = "{reference}-letter-{id}.pdf" if letter.language == "en" else "{reference}-brief-{id}.pdf"
    return pattern.format(reference=case.reference, id=letter.id)


def open_letter(token: str) -> Letter:
    """The letter behind a link from a mail; :class:`TokenError` when invalid or expired."""
    payload = read_token("letter", token, int(current_app.config["LETTER_LINK_DAYS"]) * 86400)
    letter_id, nonce = payload.get("l"), payload.get("n")
    letter = db.session.get(Letter, letter_id) if isinstance(letter_id, int) else None
    if letter is None or letter.sent_at is None or not letter.storage_key or \
            not secrets.compare_digest(str(nonce or ""), letter.link_nonce):
        raise TokenError(expired=False)
    return letter


class LetterLinkError(Exception):
    """A genuine letter link that cannot be used yet; ``reason`` "unconfirmed": the requester's address is
    not confirmed, as for package links (the letter may hold personal data)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@transactional
def download_letter(token: str) -> tuple[bytes, str]:
    """The PDF and a generated file name, once the requester's address is confirmed; the download is
    audited; commits."""
    letter = open_letter(token)
    case = db.session.get_one(Case, letter.case_id)
    if case.email_confirmed_at is None:
        raise LetterLinkError("unconfirmed")
    data = storage.load(letter.storage_key)
    audit.record("letter.downloaded", case=case, actor_kind="requester", details={"letter_id": letter.id})
    return data, file_name(case, letter)


@transactional
def staff_pdf(user: User, case_id: int, letter_id: int) -> tuple[bytes, str]:
    """A stored letter for staff of the case's school."""
    case = get_visible_case(user, case_id)
    letter = db.session.get(Letter, letter_id)
    if letter is None or letter.case_id != case.id or not letter.storage_key:
        raise CaseNotFound(letter_id)
    return storage.load(letter.storage_key), file_name(case, letter)
