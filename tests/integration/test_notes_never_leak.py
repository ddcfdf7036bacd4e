"""Internal notes never reach the requester (issue 15 point 3): not in any letter kind, any mail to the requester
or the student, any portal page, the access package or its zip, and not in the privacy officer's audit export.

Three ways round, each with notes holding a unique marker written on the case through the case page:

* every letter kind (``workflows.letters.KIND_LABELS``), in Dutch and English, rendered for a stored case in the
  state that letter belongs to, its text and its PDF (table-driven by kind: a kind added later without a row
  here fails ``test_every_letter_kind_has_a_row``);
* every mail kind to the requester or the student, rendered for the stored case (with its notes in the
  database) in the state of each mail's snapshot variant (tests/test_mail_snapshots.py);
* one whole journey as the requester lives it: every mail they get, every portal page, every letter and
  document behind a link, the zip; the marker is on the staff's case page all the while (the control).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, CaseNote
from dsr.models._types import utcnow
from dsr.notifications.render import render_mail
from dsr.services import letters
from dsr.services.letter_pdf import pdf_bytes
from dsr.workflows import letters as L
from tests.helpers import case_version, local_today, plain_pdf, signed_in, step, submit, text_of
from tests.integration.helpers import (
    body,
    check,
    confirm_address,
    documents_of,
    mails_to,
    open_portal,
    path_of,
    pdf_text,
    release,
    send_letter,
    set_case_columns,
    upload,
)
from tests.test_mail_snapshots import REQUESTER_KINDS, STUDENT_KINDS, VARIANTS

#: In every note, and nowhere a requester looks.
MARKER = "Zeppelinvogel"
NOTES = (f"Intern: de vader is bekend bij {MARKER}-team, voorzichtig zijn.",
         f"Directeur: niet aan de moeder vertellen ({MARKER}).")
ADDRESS = "lek.ouder@example.nl"


def _write_notes(app, people, case_id) -> None:
    """The two notes, through the case page, by a staff member and a director."""

    def count() -> int:
        with app.app_context():
            return db.session.execute(sa.select(sa.func.count(CaseNote.id)).where(
                CaseNote.case_id == case_id)).scalar_one()

    before = count()
    for who, note in zip(("staff_a", "director_a"), NOTES, strict=True):
        response = signed_in(app, people, who).post(f"/zaken/{case_id}/notities", data={"body": note})
        assert response.status_code == 302, who
    assert count() == before + 2


# --- every letter kind --------------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return utcnow() - dt.timedelta(minutes=5)


#: The stored columns that put a case where each letter kind belongs (what the workflow would have set).
LETTER_CASES = {
    L.RECEIPT: lambda people: {},
    L.INFORMATION_REQUEST: lambda people: {
        "state": "awaiting_requester", "resume_state": "identity_checked", "info_kind": "clarification",
        "info_reason": "Bedoelt u de cijfers of het hele dossier?", "info_requested_on": local_today()},
    L.EXTENSION: lambda people: {
        "state": "identity_checked", "extended": True, "extended_on": local_today(),
        "extension_reason": "Het dossier staat in drie systemen."},
    L.REFUSAL: lambda people: {
        "state": "refused", "decision": "refuse", "decision_grounds": "art12_5", "closed_at": _now(),
        "requester_explanation": "U deed dit verzoek vijf keer in acht weken.", "director_id": people.director_a2,
        "director_decided_at": _now(), "letter_pending": True},
    L.PARTIAL_REFUSAL: lambda people: {
        "state": "partially_fulfilled", "decision": "partial", "decision_grounds": "art15_4", "closed_at": _now(),
        "requester_explanation": "De namen van medeleerlingen zijn weggelakt.", "director_id": people.director_a2,
        "director_decided_at": _now(), "letter_pending": True},
    L.COMPLETION: lambda people: {
        "right": "objection", "state": "fulfilled", "decision": "grant", "closed_at": _now(), "letter_pending": True},
    L.ACCESS_COVER: lambda people: {
        "state": "legal_basis_reviewed", "decision": "grant", "assessment_outcome": "allowed",
        "assessment_scope": "full"},
    L.INFO_377C: lambda people: {
        "state": "legal_basis_reviewed", "decision": "grant", "parental_authority": False,
        "assessment_outcome": "info_only", "assessment_scope": "learning_results"},
}


def test_every_letter_kind_has_a_row():
    assert set(LETTER_CASES) == set(L.KINDS) == set(L.KIND_LABELS)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("kind", sorted(LETTER_CASES))
def test_no_letter_kind_holds_a_note(app, client, people, kind, language):
    case_id = submit(client, people.school_a, requester_email=ADDRESS)
    set_case_columns(app, case_id, language=language, **LETTER_CASES[kind](people))
    _write_notes(app, people, case_id)
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        draft = letters.draft(case, kind)
        assert draft.kind == kind and case.reference in draft.text, "the letter was written for this case"
        assert MARKER not in draft.title and MARKER not in draft.text
        pdf = pdf_bytes(draft.title, draft.text, reference=case.reference or "", author="ASG",
                        language=draft.language)
        reference = case.reference
    text = pdf_text(pdf)
    assert reference in text and MARKER not in text


# --- every mail to the requester or the student -------------------------------------------------------------

_MAIL_VARIANTS = sorted(name for name, (kind, _context) in VARIANTS.items() if kind in REQUESTER_KINDS | STUDENT_KINDS)


def test_every_requester_and_student_mail_kind_is_checked():
    assert {VARIANTS[name][0] for name in _MAIL_VARIANTS} == REQUESTER_KINDS | STUDENT_KINDS


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", _MAIL_VARIANTS)
def test_no_mail_to_the_requester_or_the_student_holds_a_note(app, client, people, name, language):
    kind, context = VARIANTS[name]
    case_id = submit(client, people.school_a, requester_email=ADDRESS)
    _write_notes(app, people, case_id)
    with app.app_context():
        case = db.session.get_one(Case, case_id)
        reference = case.reference
        with db.session.no_autoflush:
            # The stored case (its notes in the database) in the state of the mail's variant.
            shown = context["case"]
            for column in Case.__table__.columns:
                if column.key not in ("id", "reference", "school_id", "version"):
                    setattr(case, column.key, getattr(shown, column.key))
            mail = render_mail(kind, language=language, **{**context, "case": case})
            db.session.rollback()
    assert reference in mail.text or kind == "consent_request", "the mail was written for this case"
    for part in (mail.subject, mail.text, mail.html):
        assert MARKER not in part


# --- one whole journey ----------------------------------------------------------------------------------------

def _links(mails) -> list[str]:
    return [path_of(url) for mail in mails for url in re.findall(r"https?://\S+", body(mail))]


def test_a_whole_journey_with_notes_shows_none_of_them_to_the_requester(
        app, client, people, categories, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email=ADDRESS, requester_name="Lotte Lek")
    _write_notes(app, people, case_id)
    confirm_address(client, smtp_server, run_jobs, ADDRESS)
    requester = app.test_client()
    open_portal(requester, app, case_id, smtp_server, run_jobs, email=ADDRESS)
    staff = signed_in(app, people)
    assert staff.post(f"/zaken/{case_id}/berichten", data={"body": "Wij zoeken het uit."}).status_code == 302
    assert send_letter(staff, case_id, "receipt").status_code == 302
    assert step(staff, app, case_id, "request_information", kind="clarification",
                reason="Welke schooljaren bedoelt u?").status_code == 302
    assert send_letter(staff, case_id, "information_request").status_code == 302
    assert step(staff, app, case_id, "information_received").status_code == 302
    assert staff.post(f"/zaken/{case_id}/verlengen", data={
        "version": case_version(app, case_id), "reasons": ["volume"], "reason": "Veel op papier."}).status_code == 302
    assert send_letter(staff, case_id, "extension").status_code == 302
    while_open = _portal_pages(requester, ("/mijn-verzoek/overzicht", "/mijn-verzoek/bestand",
                                           "/mijn-verzoek/intrekken"), "while open")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="grant", reason="Gezag bevestigd.").status_code == 302
    upload(staff, case_id, categories["cijfers"], data=plain_pdf("Rapport"), title="Rapport leerjaar 2")
    [document] = documents_of(app, case_id)
    check(staff, case_id, document.id)
    assert release(staff, app, case_id).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    _write_notes(app, people, case_id)  # notes at the end too, while everything is delivered
    run_jobs()

    # The control: staff read the notes on the case page.
    assert MARKER in text_of(staff.get(f"/zaken/{case_id}"))

    seen: dict[str, str] = {}
    mails = mails_to(smtp_server, ADDRESS)
    kinds = {mail["Subject"] for mail in mails}
    assert len(mails) >= 8 and any("staan klaar" in s for s in kinds), kinds
    for number, mail in enumerate(mails):
        html = mail.get_body(preferencelist=("html",)).get_content()
        seen[f"mail {number}: {mail['Subject']}"] = "\n".join((mail["Subject"], body(mail), html))

    # Every portal page, and whatever the links in the mails open (letters, the package, its files).
    seen.update(while_open)
    open_portal(requester, app, case_id, smtp_server, run_jobs, email=ADDRESS)
    seen.update(_portal_pages(requester, ("/mijn-verzoek/overzicht", "/mijn-verzoek/bestand"), "at the end"))
    overview = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    portal_files = sorted(set(re.findall(r'href="(/mijn-verzoek/(?:documenten|brieven)/[^"]+)"', overview)))
    assert any(path.endswith("alles.zip") for path in portal_files) and len(portal_files) >= 4, portal_files
    for path in portal_files:
        response = requester.get(path)
        assert response.status_code == 200, path
        seen[path] = _readable(response.data)
    links = [p for p in _links(mails) if p.startswith(("/brief/", "/pakket/"))]
    assert len(links) >= 4, links  # three letters and the package
    for path in links:
        response = requester.get(path)
        assert response.status_code == 200, path
        seen[path] = _readable(response.data)
        for inner in set(re.findall(r'href="(/pakket/[^"]+)"', seen[path])):
            seen[inner] = _readable(requester.get(inner).data)

    assert {name for name, content in seen.items() if MARKER in content} == set()
    # The sanity of the search: the requester's own name is found where it belongs (the letters address them).
    assert any("Lotte Lek" in content for content in seen.values())

    officer = signed_in(app, people, "privacy")
    export = officer.get(f"/zaken/audit.csv?zaak={case_id}").get_data(as_text=True)
    assert export.count("case.note_added") == 4 and MARKER not in export


def _portal_pages(requester, paths, when: str) -> dict[str, str]:
    """The portal pages at ``paths`` as the requester reads them (each must open)."""
    pages = {}
    for path in paths:
        response = requester.get(path)
        assert response.status_code == 200, (path, when)
        pages[f"{path} ({when})"] = text_of(response)
    return pages


def _readable(data: bytes) -> str:
    """What a person reads in a response: a PDF's text, each file of a zip, or the page."""
    if data.startswith(b"%PDF"):
        return pdf_text(data)
    if data.startswith(b"PK"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        return "\n".join(_readable(archive.read(name)) + name for name in archive.namelist())
    return data.decode("utf-8", errors="replace")

