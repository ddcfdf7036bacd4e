"""Access packages through HTTP (R-RI-1, R-CH-3/7, R-EX-2/3, R-AC-2, R-AC-4): scope, checks, release with
the cover letter, delivery by signed link after confirming the address, audited downloads, the purge."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dsr.extensions import db
from dsr.models import AccessPackage, AuditEvent, Case, Letter
from dsr.services.storage import _path as storage_path
from tests.helpers import case_version, link_in, local_today, plain_pdf, signed_in, step, submit, text_of
from tests.integration.helpers import (
    body,
    check,
    delivered_package,
    documents_of,
    mails_to,
    package_of,
    pdf_text,
    release,
    reviewed_case,
    upload,
)

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
CSV = b"vak;cijfer\nNederlands;7,5\nWiskunde;6,8\n"


def _audit(app, case_id, action=None) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        events = db.session.execute(query).scalars().all()
        for e in events:
            db.session.expunge(e)
        return events


# --- the path ------------------------------------------------------------------------------------


def test_parent_of_a_17_year_old_gets_only_learning_results_downloaded_once_by_link(
        app, client, people, categories, smtp_server, run_jobs):
    """R-CH-3/R-CH-7: a parent (with gezag) of a 17-year-old, no authorisation from the student."""
    case_id, staff = reviewed_case(app, client, people, age=17, decision="partial", grounds=["student_16"],
                                    email="ouder17@example.nl", confirm=True, smtp_server=smtp_server,
                                    run_jobs=run_jobs)
    with app.app_context():
        assert db.session.get(Case, case_id).assessment_scope == "learning_results"

    # The upload form only offers learning-result categories ...
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Inzagepakket" in page and "alleen leerresultaten" in page
    assert "Cijfers, rapporten, overgang en studieadvies (leerresultaat)" in page
    assert "Zorg en ondersteuning" not in page.split("Documenten toevoegen")[1].split("</form>")[0]
    # ... and the server refuses anything else with the reason, whatever the form posts.
    refused = upload(staff, case_id, categories["zorg"], title="OPP")
    assert refused.status_code == 422
    text = text_of(refused)
    assert "'Zorg en ondersteuning' valt buiten de omvang van dit verzoek" in text and "R-CH-7" in text
    assert 'id="category_id-error"' in text
    assert upload(staff, case_id, categories["verzuim"]).status_code == 422
    assert documents_of(app, case_id) == []

    assert upload(staff, case_id, categories["cijfers"], title="Rapport leerjaar 5").status_code == 302
    assert upload(staff, case_id, categories["schoolexamen"], data=CSV, name="pta.csv",
                  title="PTA-cijfers").status_code == 302
    docs = documents_of(app, case_id)
    assert [d.content_type for d in docs] == ["application/pdf", "text/csv"]

    # Not releasable before both checks on every document (R-EX-2, R-EX-3).
    check(staff, case_id, docs[0].id)
    check(staff, case_id, docs[1].id, work_notes=False)
    blocked = release(staff, app, case_id)
    assert blocked.status_code == 409 and "werkaantekeningen" in text_of(blocked)
    check(staff, case_id, docs[1].id)

    # The cover letter preview (R-RI-1) shows the register's information.
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    assert "alleen de leerresultaten" in preview and "Hoe lang wij ze bewaren" in preview
    assert "Deze brief kan nog niet worden verstuurd" not in preview
    assert release(staff, app, case_id).status_code == 302
    assert upload(staff, case_id, categories["cijfers"]).status_code == 409, "a released package is frozen"

    # The partial refusal goes to the director; approval delivers the package.
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Alleen leerresultaten.").status_code == 302
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, "ouder17@example.nl", "staan klaar")
    text = body(mail)
    assert "Sam Jansen" not in text and "Alex Jansen" not in text and "School A" not in text
    assert "7 dagen" in text
    url = urlsplit(link_in(text))
    assert url.path.startswith("/pakket/")

    requester = app.test_client()
    page = requester.get(url.path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = text_of(page)
    assert "Rapport leerjaar 5" in shown and "PTA-cijfers" in shown and "Brief bij de gegevens" in shown
    download = requester.get(f"{url.path}/bestand/{docs[0].id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "AVG-" in download.headers["Content-Disposition"] and "export" not in download.headers["Content-Disposition"]

    downloads = _audit(app, case_id, "package.downloaded")
    assert len(downloads) == 1 and downloads[0].actor_kind == "requester"
    assert downloads[0].details_dict == {"document": docs[0].id}
    assert len(_audit(app, case_id, "package.viewed")) == 1
    assert package_of(app, case_id).download_count == 1

    # The cover letter is a real PDF with the Art. 15(1) information.
    cover = requester.get(f"{url.path}/brief")
    assert cover.status_code == 200 and cover.data.startswith(b"%PDF")
    text = pdf_text(cover.data)
    assert "leerresultaten" in text and "Autoriteit Persoonsgegevens" in text and "Hoe lang wij ze bewaren" in text


def test_full_grant_cannot_be_fulfilled_without_a_released_package(app, client, people, categories, smtp_server,
                                                                    run_jobs):
    case_id, staff = reviewed_case(app, client, people, age=12, email="ouder12@example.nl", confirm=True,
                                    smtp_server=smtp_server, run_jobs=run_jobs)
    blocked = step(staff, app, case_id, "fulfil", reason="Verstuurd.")
    assert blocked.status_code == 409 and "Stel eerst het inzagepakket samen" in text_of(blocked)
    upload(staff, case_id, categories["zorg"], data=PNG, name="opp.png", title="OPP")
    [doc] = documents_of(app, case_id)
    blocked = step(staff, app, case_id, "fulfil", reason="Verstuurd.")
    assert blocked.status_code == 409 and "Geef het inzagepakket eerst vrij" in text_of(blocked)
    check(staff, case_id, doc.id)
    assert release(staff, app, case_id).status_code == 302
    run_jobs()
    assert not mails_to(smtp_server, "ouder12@example.nl", "staan klaar"), "sent when the case is closed"
    assert step(staff, app, case_id, "fulfil", reason="Pakket verstuurd.").status_code == 302
    run_jobs()
    assert len(mails_to(smtp_server, "ouder12@example.nl", "staan klaar")) == 1
    package = package_of(app, case_id)
    assert package.delivered_at is not None
    assert package.purge_due_on == _months_later(local_today(), 6)
    with app.app_context():
        letter = db.session.get(Letter, package.cover_letter_id)
        assert letter.kind == "access_cover" and letter.sent_at is not None
        assert db.session.get(Case, case_id).state == "fulfilled"
    # No separate completion letter is due for access: the cover letter is the answer.
    assert "Nog te versturen" not in text_of(staff.get(f"/zaken/{case_id}"))


def _months_later(day: dt.date, months: int) -> dt.date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def test_release_can_be_withdrawn_before_delivery(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    assert release(staff, app, case_id).status_code == 302
    cover_id = package_of(app, case_id).cover_letter_id
    assert staff.post(f"/zaken/{case_id}/pakket/intrekken",
                      data={"version": case_version(app, case_id)}).status_code == 302
    package = package_of(app, case_id)
    assert package.released_at is None and package.cover_letter_id is None
    with app.app_context():
        assert db.session.get(Letter, cover_id) is None
    assert upload(staff, case_id, categories["leerlingdossier"], title="Mentorverslag").status_code == 302


def test_removing_a_document_deletes_its_file(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    with app.app_context():
        path = storage_path(doc.storage_key)
        assert path.exists()
    assert staff.post(f"/zaken/{case_id}/pakket/document/{doc.id}/verwijderen").status_code == 302
    assert not path.exists() and documents_of(app, case_id) == []


def test_staff_of_another_school_cannot_touch_the_package(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    other = signed_in(app, people, "staff_b")
    assert upload(other, case_id, categories["cijfers"]).status_code == 404
    assert other.get(f"/zaken/{case_id}/pakket/document/{doc.id}").status_code == 404
    assert check(other, case_id, doc.id).status_code == 404
    assert other.post(f"/zaken/{case_id}/pakket/document/{doc.id}/verwijderen").status_code == 404
    own = staff.get(f"/zaken/{case_id}/pakket/document/{doc.id}")
    assert own.status_code == 200 and own.data == PDF
    assert len(_audit(app, case_id, "package.document_viewed")) == 1


def test_no_upload_before_the_review_or_after_a_refusal(app, client, people, categories):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    before = upload(staff, case_id, categories["cijfers"])
    assert before.status_code == 409 and "Dit kan niet in de status" in text_of(before)
    step(staff, app, case_id, "review", decision="refuse", grounds=["art12_5"], reason="Buitensporig.")
    refused = upload(staff, case_id, categories["cijfers"])
    assert refused.status_code == 409 and "geweigerd" in text_of(refused)


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "name", "message"), [
    (PNG, "rapport.pdf", "De inhoud van het bestand is geen PDF"),
    (PDF, "foto.png", "geen PNG-afbeelding"),
    (b"<html><script>alert(1)</script></html>", "lijst.csv", "geen CSV-bestand"),
    (b"naam;cijfer\x00\x01\n", "lijst.csv", "geen CSV-bestand"),
    (b"MZ\x90\x00binary", "programma.exe", "Alleen PDF-, CSV-, PNG- en JPEG-bestanden"),
    (b"<svg onload=alert(1)>", "plaatje.svg", "Alleen PDF-, CSV-, PNG- en JPEG-bestanden"),
    (PDF, "zonder-extensie", "Alleen PDF-, CSV-, PNG- en JPEG-bestanden"),
    (b"", "leeg.pdf", "Het bestand is leeg."),
    (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "actief.pdf",
     "Deze PDF bevat scripts"),
])
def test_uploads_are_checked_by_content(app, client, people, categories, data, name, message):
    case_id, staff = reviewed_case(app, client, people)
    response = upload(staff, case_id, categories["cijfers"], data=data, name=name)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page and 'id="file-error"' in page
    assert documents_of(app, case_id) == []


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (JPEG, "FOTO.JPG", "image/jpeg"), (JPEG, "foto.jpeg", "image/jpeg"), (PNG, "x.png", "image/png"),
    ("naam,klas\nAnna,4b\n".encode("utf-8-sig"), "lijst.csv", "text/csv"),
    ("vak;cijfer\nFrans;5,5\nÉcole;7\n".encode("cp1252"), "export.csv", "text/csv"),
])
def test_accepted_types(app, client, people, categories, data, name, content_type):
    case_id, staff = reviewed_case(app, client, people)
    assert upload(staff, case_id, categories["cijfers"], data=data, name=name).status_code == 302
    [doc] = documents_of(app, case_id)
    assert doc.content_type == content_type and doc.size_bytes == len(data)


def test_upload_size_limit(app, client, people, categories, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    case_id, staff = reviewed_case(app, client, people)
    large, small = plain_pdf("x" * 1024), plain_pdf("x" * 100)  # a real PDF each (it is parsed)
    assert len(large) > 1024 >= len(small)
    response = upload(staff, case_id, categories["cijfers"], data=large)
    assert response.status_code == 422 and "Het bestand is te groot" in text_of(response)
    assert upload(staff, case_id, categories["cijfers"], data=small).status_code == 302


def test_a_body_over_the_request_limit_gets_the_dutch_413_page(app, client, people, categories, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    case_id, staff = reviewed_case(app, client, people)
    response = upload(staff, case_id, categories["cijfers"], data=PDF + b"0" * 8192)
    assert response.status_code == 413 and "Te groot" in text_of(response)


def test_file_names_are_never_used_as_paths_or_names(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    hostile = "../../../../etc/passwd; rm -rf /.pdf"
    assert upload(staff, case_id, categories["cijfers"], name=hostile, title="").status_code == 302
    [doc] = documents_of(app, case_id)
    assert doc.title == "Cijfers, rapporten, overgang en studieadvies (1)"
    assert doc.storage_key.isalnum() and "passwd" not in doc.storage_key
    with app.app_context():
        assert storage_path(doc.storage_key).read_bytes() != PDF, "stored encrypted"
    response = staff.get(f"/zaken/{case_id}/pakket/document/{doc.id}")
    assert "passwd" not in response.headers["Content-Disposition"]


def test_wrong_category_id_is_a_field_error(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    response = upload(staff, case_id, 999999)
    assert response.status_code == 422 and "Kies een categorie" in text_of(response)


# --- links -----------------------------------------------------------------------------------------------


def test_tampered_and_expired_links_get_a_clear_page_never_the_file(app, client, people, categories, smtp_server,
                                                                     run_jobs):
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for url in (f"/pakket/{tampered}", f"/pakket/{tampered}/bestand/{doc.id}", f"/pakket/{tampered}/brief",
                "/pakket/niet-eens-een-token"):
        response = client.get(url)
        assert response.status_code == 404 and "Deze link werkt niet" in text_of(response)
        assert PDF not in response.data

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 86400  # the link is valid for PACKAGE_LINK_DAYS = 7

    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        old = URLSafeTimedSerializer(app.secret_key, salt="dsr-package", signer=EightDaysAgo).dumps(
            {"p": package.id, "n": package.link_nonce})
    for url in (f"/pakket/{old}", f"/pakket/{old}/bestand/{doc.id}"):
        response = client.get(url)
        assert response.status_code == 410 and "Deze link is verlopen" in text_of(response)
        assert PDF not in response.data
    # A token of another purpose (a letter link) does not open a package.
    with app.app_context():
        letter_token = URLSafeTimedSerializer(app.secret_key, salt="dsr-letter").dumps({"p": 1, "n": "x"})
    assert client.get(f"/pakket/{letter_token}").status_code == 404
    assert _audit(app, case_id, "package.downloaded") == []
    assert client.get(f"{path}/bestand/999999").status_code == 404


def test_the_link_works_only_after_the_address_is_confirmed(app, client, people, categories, smtp_server, run_jobs):
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs,
                                           email="nog@example.nl", confirm=False)
    for url in (path, f"{path}/bestand/{doc.id}"):
        response = client.get(url)
        assert response.status_code == 403 and "Bevestig eerst uw e-mailadres" in text_of(response)
        assert PDF not in response.data
    [receipt] = mails_to(smtp_server, "nog@example.nl", "Bevestig uw e-mailadres")
    client.get(urlsplit(link_in(body(receipt))).path)
    assert client.get(f"{path}/bestand/{doc.id}").data == PDF


# --- the purge (R-AC-4) ------------------------------------------------------------------------------------


def test_package_files_are_purged_six_months_after_delivery_and_the_record_stays(
        app, client, people, categories, smtp_server, run_jobs):
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    with app.app_context():
        file_path = storage_path(doc.storage_key)
    runner = app.test_cli_runner()
    due = package_of(app, case_id).purge_due_on
    day_before = (due - dt.timedelta(days=1)).isoformat()
    result = runner.invoke(args=["dsr", "purge-packages", "--today", day_before])
    assert result.exit_code == 0 and "0 package(s)" in result.output and file_path.exists()
    dry = runner.invoke(args=["dsr", "purge-packages", "--today", due.isoformat(), "--dry-run"])
    assert "1 package(s) would be purged" in dry.output and file_path.exists()
    done = runner.invoke(args=["dsr", "purge-packages", "--today", due.isoformat()])
    assert done.exit_code == 0 and "1 package(s) purged" in done.output
    assert not file_path.exists()
    [kept] = documents_of(app, case_id)
    assert kept.storage_key is None and kept.purged_at is not None
    assert kept.title == doc.title and kept.sha256 == doc.sha256, "the record of what was sent stays"
    package = package_of(app, case_id)
    assert package.purged_at is not None and package.delivered_at is not None
    with app.app_context():
        assert db.session.get(Letter, package.cover_letter_id) is not None, "the cover letter stays with the case"
    [event] = _audit(app, case_id, "package.purged")
    assert event.actor_kind == "system" and event.details_dict["files"] == 1
    response = client.get(path)
    assert response.status_code == 410 and "De bestanden zijn verwijderd" in text_of(response)
    again = runner.invoke(args=["dsr", "purge-packages", "--today", due.isoformat()])
    assert "0 package(s) purged" in again.output
    assert "zijn op" in text_of(signed_in(app, people).get(f"/zaken/{case_id}"))


def test_a_reopened_case_keeps_its_package(app, client, people, categories, smtp_server, run_jobs):
    """R-AC-4: 'or after any bezwaar/court case has ended' -- a reopened case is open again."""
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    privacy = signed_in(app, people, "privacy")
    assert step(privacy, app, case_id, "reopen", reason="Bezwaar ontvangen.").status_code == 302
    from dsr.services.packages import purge_packages

    with app.app_context():
        due = db.session.execute(sa.select(AccessPackage.purge_due_on)).scalar_one()
        assert purge_packages(today=due + dt.timedelta(days=30)) == []
    assert documents_of(app, case_id)[0].storage_key is not None


def test_the_purge_runs_as_a_daily_job(app, client, people, categories, smtp_server, run_jobs):
    from dsr.scheduler import PERIODIC
    from dsr.services.packages import purge_packages

    assert any(func is purge_packages for func, _ in PERIODIC)
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    with app.app_context():
        db.session.execute(sa.update(AccessPackage).values(purge_due_on=local_today() - dt.timedelta(days=1)))
        db.session.commit()
        from dsr.jobs import get_queue

        get_queue().enqueue(purge_packages)
    run_jobs()
    assert documents_of(app, case_id)[0].storage_key is None


def test_after_an_approved_partial_refusal_the_package_goes_out_on_release(app, client, people, categories,
                                                                          smtp_server, run_jobs):
    """The director approved before the package was ready: the case page says it is still to be sent, and
    releasing it then sends it at once."""
    case_id, staff = reviewed_case(app, client, people, age=17, decision="partial", grounds=["student_16"],
                                    email="later@example.nl")
    step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
         reason="Alleen leerresultaten.")
    assert step(signed_in(app, people, "director_a"), app, case_id, "approve_refusal", reason="Ok.").status_code == 302
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "het pakket met de gegevens die de aanvrager wel krijgt" in page
    assert "Beslissing op uw verzoek: wij voeren het gedeeltelijk uit" in text_of(
        staff.get(f"/zaken/{case_id}/brieven/partial_refusal"))
    assert upload(staff, case_id, categories["cijfers"]).status_code == 302
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    assert release(staff, app, case_id).status_code == 302
    assert package_of(app, case_id).delivered_at is not None
    run_jobs()
    assert len(mails_to(smtp_server, "later@example.nl", "staan klaar")) == 1
    assert "het pakket met de gegevens die de aanvrager wel krijgt" not in text_of(staff.get(f"/zaken/{case_id}"))
    assert upload(staff, case_id, categories["cijfers"]).status_code == 409, "a delivered package stays as sent"
