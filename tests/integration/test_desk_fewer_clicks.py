"""Issue 15 point 4 through HTTP: several documents in one post (each with its own category and description,
each checked as strictly as one upload), "check all" still recorded and audited per document, a confirmation
the server checks before the package or a letter goes out, and the journey from "reviewed" to "sent" in at
most five posts."""
from __future__ import annotations

import io
import json
import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Letter
from tests.helpers import case_version, plain_pdf, signed_in, step, text_of
from tests.integration.helpers import (
    body,
    delivered_package,
    digest_of,
    documents_of,
    field_error,
    in_english,
    mails_to,
    package_of,
    reviewed_case,
    upload,
)

CSV = b"vak;cijfer\nNederlands;7,5\nWiskunde;6,8\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def _several(client, case_id, files, *, rows=None, category="", title=""):
    """Post the "Documenten toevoegen" form: ``files`` as (data, name), ``rows`` as (category, title) per file
    (what static/package.js adds), ``category``/``title`` the choice for every file without its own."""
    data = {"files": [(io.BytesIO(content), name) for content, name in files], "category_id": str(category),
            "title": title}
    if rows is not None:
        data["file_category"] = [str(row_category) for row_category, _ in rows]
        data["file_title"] = [row_title for _, row_title in rows]
    return client.post(f"/zaken/{case_id}/pakket/documenten", content_type="multipart/form-data", data=data)


def _check_all(client, case_id, document_ids, *, third_party=True, work_notes=True, each=None):
    """Post the checks table: "check all" boxes, and per document (``each``: id -> (third party, work notes))."""
    data: dict = {"document_id": [str(i) for i in document_ids]}
    if third_party:
        data["all_third_party"] = "y"
    if work_notes:
        data["all_work_notes"] = "y"
    for document_id, (third, notes) in (each or {}).items():
        if third:
            data[f"d{document_id}-third_party"] = "y"
        if notes:
            data[f"d{document_id}-work_notes"] = "y"
    return client.post(f"/zaken/{case_id}/pakket/controles", data=data)


def _events(app, case_id, action) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


def test_three_documents_in_one_post_each_with_its_own_category_and_description(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    response = _several(staff, case_id, [(plain_pdf("Rapport"), "rapport.pdf"), (CSV, "cijfers.csv"),
                                         (PNG, "scan.png")],
                        rows=[(categories["cijfers"], "Rapport leerjaar 5"), (categories["cijfers"], "Cijferlijst"),
                              (categories["leerlingdossier"], "Mentorverslag")])
    assert response.status_code == 302, text_of(response)[:3000]
    documents = documents_of(app, case_id)
    assert [(d.title, d.category_id, d.content_type) for d in documents] == [
        ("Rapport leerjaar 5", categories["cijfers"], "application/pdf"),
        ("Cijferlijst", categories["cijfers"], "text/csv"),
        ("Mentorverslag", categories["leerlingdossier"], "image/png")]
    added = _events(app, case_id, "package.document_added")
    assert [e["document_id"] for e in added] == [d.id for d in documents], "one audit event per document"
    assert "rapport.pdf" not in str(added), "the client's file name is never stored"


def test_without_scripts_the_choice_for_all_files_applies(app, client, people, categories):
    """No rows posted (no JavaScript): the category and description for all files; titles stay distinct."""
    case_id, staff = reviewed_case(app, client, people)
    response = _several(staff, case_id, [(plain_pdf("a"), "a.pdf"), (plain_pdf("b"), "b.pdf")],
                        category=categories["cijfers"])
    assert response.status_code == 302
    documents = documents_of(app, case_id)
    assert {d.category_id for d in documents} == {categories["cijfers"]}
    assert len({d.title for d in documents}) == 2
    # An empty row takes the choice for all files; a row's own choice wins.
    response = _several(staff, case_id, [(CSV, "c.csv"), (plain_pdf("d"), "d.pdf")],
                        rows=[("", ""), (categories["leerlingdossier"], "Verslag")], category=categories["cijfers"],
                        title="Cijfers")
    assert response.status_code == 302
    assert [(d.category_id, d.title) for d in documents_of(app, case_id)[2:]] == [
        (categories["cijfers"], "Cijfers"), (categories["leerlingdossier"], "Verslag")]


def test_a_refused_file_is_shown_at_its_row_with_its_choices_and_the_others_are_kept(
        app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    response = _several(staff, case_id, [(plain_pdf("1"), "een.pdf"), (b"<html>niet echt</html>", "twee.pdf"),
                                         (CSV, "drie.csv")],
                        rows=[(categories["cijfers"], "Eén"), (categories["leerlingdossier"], "Twee"),
                              (categories["cijfers"], "Drie")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "De inhoud van het bestand is geen PDF" in field_error(page, "refused-2")
    row = page.split('id="refused-2-error"')[0].rsplit("<fieldset", 1)[1]
    assert 'class="file-row has-error"' in row and 'aria-describedby="refused-2-error"' in row
    row = page.split('id="refused-2-error"')[1].split("</fieldset>")[0]
    assert f'value="{categories["leerlingdossier"]}" selected' in row and 'value="Twee"' in row, \
        "the refused file's own choices are still there"
    assert 'id="refused-1-error"' not in page and 'id="refused-3-error"' not in page
    assert field_error(page, "files") == "1 bestand is niet toegevoegd; zie de melding bij dat bestand."
    assert [d.title for d in documents_of(app, case_id)] == ["Eén", "Drie"], "the good files are saved"


def test_every_file_is_checked_as_strictly_as_one_upload(app, client, people, categories, monkeypatch):
    """Scope (R-CH-7), content, PDF safety, size: each refused at its own row; no file of them saved."""
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2048)
    case_id, staff = reviewed_case(app, client, people, age=17, decision="partial", grounds=["student_16"])
    active = plain_pdf().replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    response = _several(staff, case_id, [(plain_pdf(), "zorg.pdf"), (active, "actief.pdf"),
                                         (plain_pdf("x" * 4000), "groot.pdf"), (b"", "leeg.pdf"),
                                         (CSV, "lijst.txt")],
                        rows=[(categories["zorg"], ""), *[(categories["cijfers"], "")] * 4])
    assert response.status_code == 422
    page = text_of(response)
    assert "valt buiten de omvang van dit verzoek" in page and "Deze PDF bevat scripts" in page
    assert "Het bestand is te groot" in page and "Het bestand is leeg." in page
    assert "Alleen PDF-, CSV-, PNG- en JPEG-bestanden" in page
    assert all(f'id="refused-{n}-error"' in response.get_data(as_text=True) for n in range(1, 6))
    assert documents_of(app, case_id) == []


def test_a_file_without_a_category_is_a_field_error_and_nothing_is_saved(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    response = _several(staff, case_id, [(plain_pdf(), "a.pdf"), (CSV, "b.csv")],
                        rows=[(categories["cijfers"], ""), ("", "")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "category_id") == "Kies een categorie (voor alle bestanden, of bij elk bestand)."
    assert re.search(r'<select[^>]*aria-invalid="true"[^>]*id="category_id"', page) or \
        re.search(r'<select[^>]*id="category_id"[^>]*aria-invalid="true"', page)
    assert documents_of(app, case_id) == []
    # A posted id no database key can hold is no category, not a 500.
    response = _several(staff, case_id, [(plain_pdf(), "a.pdf")], rows=[("99999999999999999999", "")])
    assert response.status_code == 422 and documents_of(app, case_id) == []


def test_no_files_chosen_is_a_field_error(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    response = staff.post(f"/zaken/{case_id}/pakket/documenten", content_type="multipart/form-data",
                          data={"category_id": str(categories["cijfers"])})
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "files") == \
        "Kies een of meer bestanden."


def test_check_all_records_and_audits_every_document_on_its_own(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    for number in range(3):
        assert upload(staff, case_id, categories["cijfers"], title=f"Document {number}").status_code == 302
    ids = [d.id for d in documents_of(app, case_id)]
    assert _check_all(staff, case_id, ids).status_code == 302
    documents = documents_of(app, case_id)
    assert all(d.third_party_checked_at and d.work_notes_checked_at for d in documents)
    assert {d.third_party_checked_by_id for d in documents} == {people.staff_a}
    events = _events(app, case_id, "package.document_checked")
    assert sorted(e["document_id"] for e in events) == sorted(ids), "one audit event per document"
    assert all(e["third_party"] and e["work_notes"] for e in events)
    # Saving again without a change records nothing new.
    assert _check_all(staff, case_id, ids).status_code == 302
    assert len(_events(app, case_id, "package.document_checked")) == 3


def test_check_all_only_covers_the_documents_on_the_form(app, client, people, categories):
    """A document added meanwhile (another tab) was not seen: "check all" does not confirm it."""
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"], title="Gezien")
    seen = [d.id for d in documents_of(app, case_id)]
    upload(staff, case_id, categories["cijfers"], title="Later")
    assert _check_all(staff, case_id, seen).status_code == 302
    first, later = documents_of(app, case_id)
    assert first.third_party_checked_at and later.third_party_checked_at is None


def test_one_document_at_a_time_in_the_same_form(app, client, people, categories):
    """Without "check all": each document's boxes as ticked; unticking clears a check, audited too."""
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"], title="A")
    upload(staff, case_id, categories["cijfers"], title="B")
    a, b = (d.id for d in documents_of(app, case_id))
    assert _check_all(staff, case_id, [a, b], third_party=False, work_notes=False,
                      each={a: (True, True), b: (True, False)}).status_code == 302
    first, second = documents_of(app, case_id)
    assert first.checks_done and second.third_party_checked_at and second.work_notes_checked_at is None
    assert _check_all(staff, case_id, [a, b], third_party=False, work_notes=False,
                      each={a: (False, True), b: (True, False)}).status_code == 302
    assert documents_of(app, case_id)[0].third_party_checked_at is None
    assert len(_events(app, case_id, "package.document_checked")) == 3


def test_another_schools_staff_cannot_upload_or_check(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    other = signed_in(app, people, "staff_b")
    ids = [d.id for d in documents_of(app, case_id)]
    assert _several(other, case_id, [(plain_pdf(), "a.pdf")], category=categories["cijfers"]).status_code == 404
    assert _check_all(other, case_id, ids).status_code == 404
    assert len(documents_of(app, case_id)) == 1 and documents_of(app, case_id)[0].third_party_checked_at is None


def test_release_needs_the_confirmation_box(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    _check_all(staff, case_id, [d.id for d in documents_of(app, case_id)])
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="release-confirmed"[^>]*required', page), "marked as required"
    refused = staff.post(f"/zaken/{case_id}/pakket/vrijgeven", data={"version": case_version(app, case_id)})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "release-confirmed") == "Bevestig eerst dat u het wilt versturen: vink het vakje aan."
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="release-confirmed"', page)
    assert package_of(app, case_id).released_at is None
    assert staff.post(f"/zaken/{case_id}/pakket/vrijgeven", data={
        "version": case_version(app, case_id), "confirmed": "y"}).status_code == 302
    assert package_of(app, case_id).released_at is not None


def test_a_letter_is_sent_only_with_the_confirmation_box(app, client, people):
    case_id, staff = reviewed_case(app, client, people)
    page = staff.get(f"/zaken/{case_id}/brieven/receipt").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="confirmed"[^>]*required', page)
    refused = staff.post(f"/zaken/{case_id}/brieven/receipt", data={"digest": digest_of(page)})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "confirmed") == \
        "Bevestig eerst dat u het wilt versturen: vink het vakje aan."
    with app.app_context():
        assert db.session.execute(sa.select(Letter).where(Letter.case_id == case_id)).first() is None
    sent = staff.post(f"/zaken/{case_id}/brieven/receipt", data={"digest": digest_of(page), "confirmed": "y"})
    assert sent.status_code == 302


def test_a_three_document_package_goes_from_reviewed_to_sent_in_at_most_five_posts(
        app, client, people, categories, smtp_server, run_jobs):
    """The issue's goal, counted: every POST staff make from "reviewed" (grant) to the package sent."""
    case_id, staff = reviewed_case(app, client, people, email="drie@example.nl", confirm=True,
                                   smtp_server=smtp_server, run_jobs=run_jobs)
    posts = []
    real_post = staff.post

    def counted_post(*args, **kwargs):
        posts.append(args[0])
        return real_post(*args, **kwargs)

    staff.post = counted_post
    # Without scripts: the category for all files, then (if needed) the checks table.
    assert _several(staff, case_id, [(plain_pdf("1"), "1.pdf"), (CSV, "2.csv"), (PNG, "3.png")],
                    category=categories["cijfers"], title="Uw gegevens").status_code == 302
    assert _check_all(staff, case_id, [d.id for d in documents_of(app, case_id)]).status_code == 302
    assert staff.post(f"/zaken/{case_id}/pakket/vrijgeven", data={
        "version": case_version(app, case_id), "confirmed": "y"}).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    assert len(posts) <= 5, posts
    run_jobs()
    [mail] = mails_to(smtp_server, "drie@example.nl", "staan klaar")
    assert "/pakket/" in body(mail)
    package = package_of(app, case_id)
    assert package.delivered_at is not None and len(documents_of(app, case_id)) == 3


def test_the_case_page_of_a_sent_package_opens_in_english(app, client, people, categories, smtp_server, run_jobs):
    """The "sent on ..., downloaded n times" line pluralised on the date (a string) in English: a 500."""
    case_id, _path, _document = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    staff = signed_in(app, people)
    in_english(staff)
    response = staff.get(f"/zaken/{case_id}")
    assert response.status_code == 200 and "downloaded 0 times" in text_of(response)
