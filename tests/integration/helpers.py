"""Helpers the integration tests share: mails, the requester's portal, student consent, the access
package, letters, and the checks that a page is in English or Dutch. Fixtures live in conftest.py."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AccessPackage, Case, Letter, PackageDocument
from tests.helpers import case_version, link_in, local_today, plain_pdf, signed_in, step, submit

#: A minimal PDF that the upload checks accept: readable by a PDF parser, no active content.
PDF = plain_pdf()


# --- mails -------------------------------------------------------------------------------------------------

def staff_digests(app, run_jobs, now=None) -> int:
    """Run the periodic staff digest job as the scheduler does (issue 16 point 4), then the mail jobs it
    queued; returns how many digests it queued."""
    from dsr.services.staff_digest import send_staff_digests

    with app.app_context():
        sent = send_staff_digests(now)
        db.session.remove()
    run_jobs()
    return sent


def mails_to(smtp_server, address, subject_part: str = "") -> list:
    """The mails the SMTP server received for ``address`` whose subject contains ``subject_part``."""
    return [m for m in smtp_server.messages if address in m["To"] and subject_part in m["Subject"]]


def body(mail) -> str:
    """The plain-text body of a mail."""
    return mail.get_body(preferencelist=("plain",)).get_content()


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- the requester's portal (Mijn verzoek) -----------------------------------------------------------------

def reference_of(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Case, case_id).reference


def request_link(client, app, case_id: int, email: str):
    return client.post("/mijn-verzoek", data={"reference": reference_of(app, case_id), "email": email})


def open_portal(client, app, case_id: int, smtp_server, run_jobs, email: str = "ouder@example.nl") -> str:
    """Ask for a link on "Mijn verzoek", follow it from the real mail; returns the link's path."""
    before = len(mails_to(smtp_server, email, "Uw link naar Mijn verzoek"))
    assert request_link(client, app, case_id, email).status_code == 302
    run_jobs()
    mails = mails_to(smtp_server, email, "Uw link naar Mijn verzoek")
    assert len(mails) == before + 1
    path = path_of(link_in(body(mails[-1])))
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek/overzicht")
    return path


# --- student consent ---------------------------------------------------------------------------------------

STUDENT = "sam.leerling@school.example.nl"


def years_ago(years: int, days: int = 30) -> str:
    """A birth date so that the student is ``years`` old (and ``days`` more) today in Amsterdam."""
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    try:
        date = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        date = today.replace(year=today.year - years, day=28)
    return (date - dt.timedelta(days=days)).isoformat()


def send_consent_request(staff, case_id, address=STUDENT):
    return staff.post(f"/zaken/{case_id}/toestemming", data={"student_email": address})


# --- the access package ------------------------------------------------------------------------------------

def confirm_email(client, smtp_server, run_jobs, address):
    """Follow the confirmation link in the receipt (the requester's address is then confirmed)."""
    run_jobs()
    [receipt] = mails_to(smtp_server, address, "Bevestig uw e-mailadres")
    assert client.get(urlsplit(link_in(body(receipt))).path).status_code == 200


def confirm_address(client, smtp_server, run_jobs, address: str) -> None:
    """Follow the confirmation link in whatever receipt the requester got, in any language (letter and
    package links work only for a confirmed address)."""
    run_jobs()
    links = [found for mail in mails_to(smtp_server, address)
             for found in re.findall(r"https?://\S+/bevestigen/\S+", body(mail))]
    assert links, f"no confirmation link was mailed to {address}"
    assert client.get(urlsplit(links[0]).path).status_code == 200


def letter_in_mail(client, smtp_server, run_jobs, address: str, subject_part: str) -> str:
    """The text of the PDF letter behind the link in the one mail to ``address`` whose subject holds
    ``subject_part``, opened as the requester does: the address confirmed first (a letter link needs it)."""
    run_jobs()
    [mail] = mails_to(smtp_server, address, subject_part)
    confirm_address(client, smtp_server, run_jobs, address)
    response = client.get(urlsplit(link_in(body(mail))).path)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return pdf_text(response.data)


def upload(client, case_id, category_id, data=PDF, name="export.pdf", title="Rapport leerjaar 5"):
    return client.post(f"/zaken/{case_id}/pakket/document", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "category_id": str(category_id), "title": title})


def documents_of(app, case_id) -> list[PackageDocument]:
    """The documents in the case's access package, in upload order (detached from the session)."""
    with app.app_context():
        docs = db.session.execute(sa.select(PackageDocument).join(AccessPackage).where(
            AccessPackage.case_id == case_id).order_by(PackageDocument.id)).scalars().all()
        for d in docs:
            db.session.expunge(d)
        return docs


def check(client, case_id, document_id, third_party=True, work_notes=True):
    data = {}
    if third_party:
        data[f"d{document_id}-third_party"] = "y"
    if work_notes:
        data[f"d{document_id}-work_notes"] = "y"
    return client.post(f"/zaken/{case_id}/pakket/document/{document_id}/controle", data=data)


def release(client, app, case_id):
    """Release the package as staff do: with the box ticked that it was checked and may go out."""
    return client.post(f"/zaken/{case_id}/pakket/vrijgeven",
                       data={"version": case_version(app, case_id), "confirmed": "y"})


def package_of(app, case_id) -> AccessPackage:
    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        db.session.expunge(package)
        return package


def reviewed_case(app, client, people, *, age=12, decision="grant", grounds=(), email="ouder@example.nl",
                  confirm=None, smtp_server=None, run_jobs=None):
    """A request at school A with identity verified and the review done; returns (case id, staff client)."""
    today = local_today()
    birth = dt.date(today.year - age, 1, 1)
    case_id = submit(client, people.school_a, student_birth_date=birth.isoformat(), requester_email=email)
    if confirm:
        confirm_email(client, smtp_server, run_jobs, email)
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision=decision, grounds=list(grounds),
                reason="Beoordeeld.").status_code == 302
    return case_id, staff


def delivered_package(app, client, people, categories, smtp_server, run_jobs, *, email="link@example.nl",
                      confirm=True):
    """A granted case whose package (one checked document) went out; returns (case id, link path, document)."""
    case_id, staff = reviewed_case(app, client, people, email=email, confirm=confirm, smtp_server=smtp_server,
                                   run_jobs=run_jobs)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    release(staff, app, case_id)
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, email, "staan klaar")
    return case_id, urlsplit(link_in(body(mail))).path, doc


# --- letters -----------------------------------------------------------------------------------------------

def digest_of(page: str) -> str:
    return re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)


def send_letter(client, case_id, kind):
    """Send a letter as staff do: open its preview, then post the digest of what was previewed."""
    page = client.get(f"/zaken/{case_id}/brieven/{kind}").get_data(as_text=True)
    return client.post(f"/zaken/{case_id}/brieven/{kind}", data={"digest": digest_of(page), "confirmed": "y"})


def pdf_text(data: bytes) -> str:
    """The text of a PDF, whitespace collapsed."""
    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def letters_of(app, case_id) -> list[Letter]:
    with app.app_context():
        letters = db.session.execute(sa.select(Letter).where(Letter.case_id == case_id)).scalars().all()
        for letter in letters:
            db.session.expunge(letter)
        return letters


# --- English or Dutch on a page ----------------------------------------------------------------------------

DUTCH_MARKERS = ("Verzoek", "verzoek", "Verzoeken", "verplicht", "Uiterste datum", "Inloggen", "Toelichting",
                 "Uw", "uw", "Kies", "Vul", "Beste", "Wachtwoord", "gegevens", "leerling", "Leerling",
                 "Termijn", "niet", "werkdagen", "Geschiedenis", "Ontvangen", "Volgende", "Alle")


class _ReaderText(HTMLParser):
    """Text and alt/aria-label/title values, leaving out whatever is inside an element marked lang="nl"."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, inside Dutch-marked element)

    def _dutch(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        dutch = self._dutch() or (tag != "html" and attrs.get("lang") == "nl")
        if not dutch:
            self.parts += [value for name, value in attrs.items() if name in ("alt", "aria-label", "title") and value]
        if tag not in self.VOID:
            self.stack.append((tag, dutch))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._dutch():
            self.parts.append(data)


def reader_text(page: str) -> str:
    """What a reader meets: the text, plus alt, aria-label and title values; elements marked lang="nl"
    (Dutch on purpose) are left out."""
    parser = _ReaderText()
    parser.feed(page)
    return " ".join(parser.parts)


def dutch_words(page: str) -> list[str]:
    """Each marker found, with the text around it (so a failure says where)."""
    text = " ".join(reader_text(page).split())
    found = []
    for word in DUTCH_MARKERS:
        match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
        if match:
            found.append(f"{word}: ...{text[max(0, match.start() - 40):match.end() + 40]}...")
    return found


def assert_english(response, what: str) -> str:
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page, what
    assert dutch_words(page) == [], f"Dutch left on the English {what}: {dutch_words(page)}"
    return page


def assert_dutch(response, what: str) -> str:
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page, what
    assert dutch_words(page), f"the {what} is Dutch by default"
    return page


def in_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def field_error(page: str, field_id: str) -> str | None:
    """The error shown at a form field, or None."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def set_case_columns(app, case_id: int, **values) -> None:
    """Change stored columns of a case directly (deterministic dates and states without the workflow)."""
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(**values))
        db.session.commit()


def detached_case(app, case_id: int) -> Case:
    """The case row as stored now, detached from the session (read its columns after the context ends)."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case
