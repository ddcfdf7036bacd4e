"""Issue 14 point 4: the files stay reachable. After fulfilment the portal ("Mijn verzoek") lists every
delivered document and letter for as long as the package is kept (R-AC-4), also after the 7-day package
link expired; each downloads under its own name, one by one or together as a zip streamed without
writing plaintext to disk; every download is audited; another case's file is a 404."""
from __future__ import annotations

import hashlib
import io
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dsr.extensions import db
from dsr.models import AccessPackage, AuditEvent, Letter
from dsr.services import storage
from dsr.services.portal_files import download_name, unique_names
from tests.helpers import link_in, plain_pdf, step, text_of
from tests.integration.helpers import (
    body,
    check,
    documents_of,
    in_english,
    mails_to,
    open_portal,
    package_of,
    release,
    reviewed_case,
    upload,
)

GRADES = plain_pdf("Cijferlijst")
REPORT = plain_pdf("Rapport")
CSV = b"vak;cijfer\nNederlands;7,5\nWiskunde;6,8\n"


def _delivered(app, client, people, categories, smtp_server, run_jobs, email: str):
    """A granted access case with three documents (two with the same title) delivered to ``email``;
    returns (case id, the package link's path)."""
    case_id, staff = reviewed_case(app, client, people, email=email, confirm=True, smtp_server=smtp_server,
                                   run_jobs=run_jobs)
    upload(staff, case_id, categories["cijfers"], data=GRADES, title="Cijferlijst 2025/2026")
    upload(staff, case_id, categories["cijfers"], data=REPORT, title="Rapport")
    upload(staff, case_id, categories["cijfers"], data=CSV, name="cijfers.csv", title="Rapport")
    for doc in documents_of(app, case_id):
        check(staff, case_id, doc.id)
    assert release(staff, app, case_id).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, email, "staan klaar")
    return case_id, urlsplit(link_in(body(mail))).path


def _expired_link(app, case_id: int) -> str:
    """The package link as it was signed eight days ago (PACKAGE_LINK_DAYS is 7)."""

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 86400

    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        token = URLSafeTimedSerializer(app.secret_key, salt="dsr-package", signer=EightDaysAgo).dumps(
            {"p": package.id, "n": package.link_nonce})
    return f"/pakket/{token}"


def _cover_letter(app, case_id: int) -> tuple[int, bytes]:
    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        letter = db.session.get_one(Letter, package.cover_letter_id)
        return letter.id, storage.load(letter.storage_key)


def _downloads(app, case_id: int) -> list[dict]:
    with app.app_context():
        return [e.details_dict for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "package.downloaded")
            .order_by(AuditEvent.id)).scalars()]


def _files_on_disk(root: Path) -> set[tuple[str, int]]:
    return {(str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file()}


def test_after_the_package_link_expired_the_portal_lists_and_serves_every_file_under_its_own_name(
        app, client, people, categories, smtp_server, run_jobs):
    case_id, path = _delivered(app, client, people, categories, smtp_server, run_jobs, "bestanden@example.nl")
    expired = client.get(_expired_link(app, case_id))
    assert expired.status_code == 410, "the mailed link is past its 7 days"

    open_portal(client, app, case_id, smtp_server, run_jobs, email="bestanden@example.nl")
    page = client.get("/mijn-verzoek/overzicht")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Uw documenten" in shown and "Alles downloaden (zip)" in shown
    assert "Cijferlijst 2025/2026" in shown and shown.count(">Rapport<") == 2
    due = package_of(app, case_id).purge_due_on
    assert "U kunt de bestanden hier downloaden tot" in shown and str(due.year) in shown
    grades, report, grades_csv = documents_of(app, case_id)
    letter_id, letter_pdf = _cover_letter(app, case_id)
    assert f"/mijn-verzoek/documenten/{grades.id}" in shown and f"/mijn-verzoek/documenten/brief/{letter_id}" in shown

    expected = {grades.id: (GRADES, "application/pdf", "Cijferlijst 2025 2026.pdf"),
                report.id: (REPORT, "application/pdf", "Rapport.pdf"),
                grades_csv.id: (CSV, "text/csv", "Rapport.csv")}
    for document_id, (data, content_type, name) in expected.items():
        response = client.get(f"/mijn-verzoek/documenten/{document_id}")
        assert response.status_code == 200 and response.data == data
        assert response.mimetype == content_type and response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert "AVG-" not in disposition
    letter = client.get(f"/mijn-verzoek/documenten/brief/{letter_id}")
    assert letter.status_code == 200 and letter.data == letter_pdf and letter.mimetype == "application/pdf"

    assert _downloads(app, case_id) == [
        {"via": "portal", "zip": False, "documents": [grades.id], "letters": []},
        {"via": "portal", "zip": False, "documents": [report.id], "letters": []},
        {"via": "portal", "zip": False, "documents": [grades_csv.id], "letters": []},
        {"via": "portal", "zip": False, "documents": [], "letters": [letter_id]},
    ]
    assert package_of(app, case_id).download_count == 3

    in_english(client)
    # (Not assert_english: the titles stay as written, the cover letter's in the language of the request.)
    english = text_of(client.get("/mijn-verzoek/overzicht"))
    assert '<html lang="en">' in english and "Uw documenten" not in english
    assert "Your documents" in english and "Download everything (zip)" in english
    assert "You can download the files here until" in english


def test_the_zip_holds_every_file_decrypted_and_nothing_is_written_to_disk(
        app, client, people, categories, smtp_server, run_jobs, tmp_path, monkeypatch):
    case_id, _path = _delivered(app, client, people, categories, smtp_server, run_jobs, "zip@example.nl")
    open_portal(client, app, case_id, smtp_server, run_jobs, email="zip@example.nl")
    grades, report, grades_csv = documents_of(app, case_id)
    letter_id, letter_pdf = _cover_letter(app, case_id)

    # Any temporary file Python would make goes into an empty directory of this test.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    store = Path(app.config["FILE_STORAGE"])
    before = _files_on_disk(store)

    response = client.get("/mijn-verzoek/documenten/alles.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed, "the zip is sent while it is built"
    assert "attachment" in response.headers["Content-Disposition"] and ".zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(set(names)) == 4
    contents = {name: archive.read(name) for name in names}
    assert contents["Cijferlijst 2025 2026.pdf"] == GRADES
    assert contents["Rapport.pdf"] == REPORT and contents["Rapport.csv"] == CSV
    [letter_name] = [n for n in names if n not in {"Cijferlijst 2025 2026.pdf", "Rapport.pdf", "Rapport.csv"}]
    assert letter_name.endswith(".pdf") and contents[letter_name] == letter_pdf
    for doc, name in ((grades, "Cijferlijst 2025 2026.pdf"), (report, "Rapport.pdf"), (grades_csv, "Rapport.csv")):
        assert hashlib.sha256(contents[name]).hexdigest() == doc.sha256, "the file as it was checked and sent"

    new = {name for name, _size in _files_on_disk(store)} - {name for name, _size in before}
    assert all(name.startswith("audit") for name in new), f"no new file in the file store: {new}"
    assert list(scratch.iterdir()) == [], "no temporary file"

    assert _downloads(app, case_id) == [
        {"via": "portal", "zip": True, "documents": [grades.id, report.id, grades_csv.id], "letters": [letter_id]}]


def test_another_cases_files_are_not_found_and_nothing_is_listed_before_delivery(
        app, client, people, categories, smtp_server, run_jobs):
    other_id, _path = _delivered(app, client, people, categories, smtp_server, run_jobs, "ander@example.nl")
    other_doc = documents_of(app, other_id)[0]
    other_letter, _pdf = _cover_letter(app, other_id)

    # A second case of another parent, reviewed but not yet fulfilled: no list, no zip.
    case_id, staff = reviewed_case(app, client, people, email="eigen@example.nl", confirm=True,
                                   smtp_server=smtp_server, run_jobs=run_jobs)
    upload(staff, case_id, categories["cijfers"], title="Eigen rapport")
    [own] = documents_of(app, case_id)
    check(staff, case_id, own.id)
    release(staff, app, case_id)
    parent = app.test_client()
    open_portal(parent, app, case_id, smtp_server, run_jobs, email="eigen@example.nl")
    assert "Uw documenten" not in text_of(parent.get("/mijn-verzoek/overzicht"))
    for url in (f"/mijn-verzoek/documenten/{own.id}", "/mijn-verzoek/documenten/alles.zip",
                f"/mijn-verzoek/documenten/{other_doc.id}", f"/mijn-verzoek/documenten/brief/{other_letter}"):
        response = parent.get(url)
        assert response.status_code == 404, url
        assert GRADES not in response.data and b"PK\x03\x04" not in response.data

    # Delivered: its own files open, the other case's still do not.
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    assert parent.get(f"/mijn-verzoek/documenten/{own.id}").status_code == 200
    for url in (f"/mijn-verzoek/documenten/{other_doc.id}", f"/mijn-verzoek/documenten/brief/{other_letter}"):
        assert parent.get(url).status_code == 404, url
    zipped = zipfile.ZipFile(io.BytesIO(parent.get("/mijn-verzoek/documenten/alles.zip").data))
    assert "Eigen rapport.pdf" in zipped.namelist() and "Cijferlijst 2025 2026.pdf" not in zipped.namelist()
    assert _downloads(app, other_id) == []

    # Without a portal session: back to "Mijn verzoek", no file.
    stranger = app.test_client()
    response = stranger.get(f"/mijn-verzoek/documenten/{own.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek")


def test_after_the_purge_the_portal_says_when_the_files_were_removed(
        app, client, people, categories, smtp_server, run_jobs):
    case_id, _path = _delivered(app, client, people, categories, smtp_server, run_jobs, "weg@example.nl")
    grades = documents_of(app, case_id)[0]
    letter_id, letter_pdf = _cover_letter(app, case_id)
    due = package_of(app, case_id).purge_due_on
    assert app.test_cli_runner().invoke(args=["dsr", "purge-packages", "--today", due.isoformat()]).exit_code == 0
    open_portal(client, app, case_id, smtp_server, run_jobs, email="weg@example.nl")
    shown = text_of(client.get("/mijn-verzoek/overzicht"))
    purged_on = package_of(app, case_id).purged_at.date()
    assert "De bestanden van uw inzageverzoek hebben wij op" in shown and str(purged_on.year) in shown
    assert f"/mijn-verzoek/documenten/{grades.id}" not in shown
    assert client.get(f"/mijn-verzoek/documenten/{grades.id}").status_code == 404
    # The letters stay with the case file.
    assert client.get(f"/mijn-verzoek/documenten/brief/{letter_id}").data == letter_pdf
    zipped = zipfile.ZipFile(io.BytesIO(client.get("/mijn-verzoek/documenten/alles.zip").data))
    assert len(zipped.namelist()) == 1
    in_english(client)
    english = text_of(client.get("/mijn-verzoek/overzicht"))
    assert "We deleted the files of your access request on" in english


def test_download_names_are_safe_and_unique():
    assert download_name("Cijferlijst 2025-2026", "pdf") == "Cijferlijst 2025-2026.pdf"
    assert download_name("../../etc/passwd", "csv") == "etc passwd.csv"
    assert download_name("Rapport\r\nSet-Cookie: x", "pdf") == "Rapport Set-Cookie x.pdf"
    assert download_name("Verslag\u202egpj.exe", "png") == "Verslag gpj.exe.png"
    assert download_name("Overzicht.PDF", "pdf") == "Overzicht.pdf"
    assert download_name("Zorg\u00adplan Ñandú", "pdf") == "Zorg plan Ñandú.pdf"
    assert download_name("  ...  ", "jpg") == "document.jpg"
    assert download_name("x" * 300, "pdf") == "x" * 100 + ".pdf"
    assert unique_names(["Rapport.pdf", "rapport.pdf", "Rapport.pdf", "Rapport.csv"]) == [
        "Rapport.pdf", "rapport (2).pdf", "Rapport (3).pdf", "Rapport.csv"]


def test_a_stored_files_shown_size_is_close_to_its_real_size(app):
    with app.app_context():
        for size in (0, 1, 15, 16, 17, 1000, 65537):
            key = storage.store(b"a" * size)
            shown = storage.plain_size(key)
            assert shown is not None and size <= shown <= size + 18, (size, shown)
            storage.delete(key)
        assert storage.plain_size("0" * 40) is None
