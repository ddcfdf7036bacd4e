"""The requester portal through HTTP, with mail delivered by a real RQ worker to a real SMTP server:
magic links (single use, expiring, rate-limited), the status page, messages both ways, uploads and
their authorised download, withdrawal, and access control on every portal and staff-side URL."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, CaseMessage, CaseUpload, PortalLink, RequesterSession
from dsr.models._types import utcnow
from dsr.services.links import make_token
from tests.helpers import link_in, login, plain_pdf, step, submit
from tests.integration.helpers import body, mails_to, open_portal, path_of, reference_of, request_link

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


# ---------------------------------------------------------------------------------------- helpers

@pytest.fixture
def requester(app, case_id, smtp_server, run_jobs):
    """A browser with a portal session for ``case_id``."""
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    return browser


def audit_actions(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor_kind) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).scalars()]


# ---------------------------------------------------------------------------------------- magic links

def test_magic_link_from_the_mail_opens_the_status_page_once(app, case_id, smtp_server, run_jobs):
    browser = app.test_client()
    path = open_portal(browser, app, case_id, smtp_server, run_jobs)
    assert path.startswith("/mijn-verzoek/link/")
    page = browser.get("/mijn-verzoek/overzicht")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and reference_of(app, case_id) in text
    assert "Ontvangen" in text and "U krijgt uiterlijk" in text and "Berichten met de school" in text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    # The link is single use, also from another browser.
    again = app.test_client().get(path)
    assert again.status_code == 400 and "ongeldig of al gebruikt" in again.get_data(as_text=True)
    assert "Vraag een nieuwe link aan" in again.get_data(as_text=True), "the form for a new link is on the page"
    assert browser.get(path).status_code == 400
    with app.app_context():
        link = db.session.execute(sa.select(PortalLink)).scalar_one()
        assert link.used_at is not None and len(link.nonce_hash) == 64
        assert link.nonce_hash not in path, "only the hash of the nonce is stored"
        assert db.session.get(Case, case_id).email_confirmed_at is not None, "a used link confirms the address"
    assert ("portal.opened", "requester") in audit_actions(app, case_id)


def test_the_redirect_after_the_token_carries_no_referrer(app, case_id, smtp_server, run_jobs):
    assert request_link(app.test_client(), app, case_id, "ouder@example.nl").status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, "ouder@example.nl", "Uw link")[-1])))
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "/link/" not in response.headers["Location"], "the token is not in the URL the browser lands on"


def test_mijn_verzoek_answers_the_same_whether_or_not_reference_and_address_match(app, case_id, smtp_server,
                                                                                   run_jobs):
    browser = app.test_client()
    reference = reference_of(app, case_id)
    answers = []
    for data in ({"reference": reference, "email": "iemand-anders@example.nl"},
                 {"reference": "AVG-2099-99999", "email": "ouder@example.nl"},
                 {"reference": reference.lower(), "email": " OUDER@example.nl "}):
        response = browser.post("/mijn-verzoek", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek/link-verstuurd")
        page = browser.get(response.headers["Location"]).get_data(as_text=True)
        # The language switch's CSRF token carries a timestamp: pages a second apart differ only there.
        answers.append(re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page))
    assert answers[0] == answers[1] == answers[2]
    run_jobs()
    assert len(mails_to(smtp_server, "ouder@example.nl", "Uw link naar Mijn verzoek")) == 1
    assert not mails_to(smtp_server, "iemand-anders@example.nl")
    text = body(mails_to(smtp_server, "ouder@example.nl", "Uw link")[0])
    assert "60 minuten en één keer" in text and "Sam Jansen" not in text


def test_mijn_verzoek_is_rate_limited(app, case_id):
    browser = app.test_client()
    codes = [request_link(browser, app, case_id, "x@example.nl").status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    assert "Te veel pogingen" in request_link(browser, app, case_id, "x@example.nl").get_data(as_text=True)


def test_links_per_case_are_capped(app, case_id, smtp_server, run_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_LINKS_PER_HOUR", 2)
    for _ in range(4):
        assert request_link(app.test_client(), app, case_id, "ouder@example.nl").status_code == 302
    run_jobs()
    assert len(mails_to(smtp_server, "ouder@example.nl", "Uw link naar Mijn verzoek")) == 2


def test_link_request_form_errors_are_at_the_field(client):
    response = client.post("/mijn-verzoek", data={"reference": "", "email": "geen-adres"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Vul uw kenmerk in" in text and "geldig e-mailadres" in text
    response = client.post("/mijn-verzoek", data={"reference": "AVG\r\nBcc: x", "email": "a@b.nl\nBcc: c@d.nl"})
    assert response.status_code == 422 and "één regel" in response.get_data(as_text=True)


def test_expired_tampered_and_foreign_tokens_get_a_clear_page(app, case_id, smtp_server, run_jobs):
    assert request_link(app.test_client(), app, case_id, "ouder@example.nl").status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, "ouder@example.nl", "Uw link")[-1])))
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with app.test_request_context():
        consent_token = make_token("consent", {"c": 1, "n": "x"})
        confirm_token = make_token("confirm-email", {"n": "x"})
        unknown_nonce = make_token("portal", {"n": "no-such-nonce"})
        not_a_dict = make_token("portal", ["n"])
    browser = app.test_client()
    for bad in (tampered, consent_token, confirm_token, unknown_nonce, not_a_dict, "x", "a" * 3000, "%00", "..%2F.."):
        response = browser.get(f"/mijn-verzoek/link/{bad}")
        assert response.status_code in (400, 404), bad
        if response.status_code == 400:
            assert "Deze link werkt niet" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(PortalLink).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    response = browser.get(path)
    assert response.status_code == 400 and "verlopen" in response.get_data(as_text=True)
    assert browser.get("/mijn-verzoek/overzicht").status_code == 302, "no session from any of these"


def test_the_confirmation_link_in_the_receipt_also_opens_the_portal(app, client, people, smtp_server, run_jobs):
    submit(client, people.school_a, requester_email="nieuw@example.nl")
    run_jobs()
    receipt = mails_to(smtp_server, "nieuw@example.nl", "Bevestig uw e-mailadres")[0]
    text = body(receipt)
    assert "Mijn verzoek" in text and "Inzage" not in text and "Sam Jansen" not in text
    browser = app.test_client()
    confirmed = browser.get(path_of(link_in(text)))
    assert confirmed.status_code == 200 and "/mijn-verzoek/overzicht" in confirmed.get_data(as_text=True)
    assert confirmed.headers["Referrer-Policy"] == "no-referrer"
    assert browser.get("/mijn-verzoek/overzicht").status_code == 200


def test_portal_pages_need_the_session(app, client, case_id):
    for url in ("/mijn-verzoek/overzicht", "/mijn-verzoek/bestand", "/mijn-verzoek/intrekken",
                "/mijn-verzoek/bestanden/1", "/mijn-verzoek/brieven/1"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek"), url
    for url in ("/mijn-verzoek/bericht", "/mijn-verzoek/bestand", "/mijn-verzoek/intrekken"):
        assert client.post(url, data={"body": "x", "confirm": "y"}).status_code == 302, url
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseMessage.id))).scalar_one() == 0
        assert db.session.get(Case, case_id).state == "submitted"
    # A forged session cookie is no session.
    client.set_cookie("session", "eyJwb3J0YWxfY2FzZV9pZCI6MX0.forged.signature")
    assert client.get("/mijn-verzoek/overzicht").status_code == 302


def test_idle_portal_session_ends(app, requester):
    with app.app_context():  # an hour without use, on the server's record of the session
        db.session.execute(sa.update(RequesterSession).values(last_seen_at=utcnow() - dt.timedelta(hours=1)))
        db.session.commit()
    response = requester.get("/mijn-verzoek/overzicht")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mijn-verzoek")
    assert "niet actief" in requester.get("/mijn-verzoek").get_data(as_text=True)
    assert requester.get("/mijn-verzoek/overzicht").status_code == 302, "the session is gone, not renewed"


def test_sign_out(requester):
    assert requester.post("/mijn-verzoek/afmelden").status_code == 302
    assert requester.get("/mijn-verzoek/overzicht").status_code == 302


# ---------------------------------------------------------------------------------------- status page

def test_status_page_in_plain_dutch_with_extension_and_what_was_asked(app, case_id, requester, staff, people):
    assert step(staff, app, case_id, "request_information", kind="authority",
                reason="In onze administratie staat u niet als ouder met gezag.").status_code == 302
    text = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Wij wachten op u" in text and "uittreksel uit het gezagsregister" in text
    assert "niet als ouder met gezag" in text and "Een bestand sturen" in text
    step(staff, app, case_id, "information_received")
    response = staff.post(f"/zaken/{case_id}/verlengen", data={
        "version": _version(app, case_id), "reasons": ["volume"], "reason": "Het dossier staat deels op papier."})
    assert response.status_code == 302
    text = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "hebben wij de termijn verlengd" in text and "deels op papier" in text
    assert "Wij wachten op u" not in text and "Ontvangen" in text
    with app.app_context():
        from dsr.templating import long_date

        assert long_date(db.session.get(Case, case_id).due_on) in text


def _version(app, case_id):
    with app.app_context():
        return db.session.get(Case, case_id).version


def test_letters_hook_lists_sent_letters(app, client, case_id, requester, people):
    text = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Brieven" in text and "Nog geen brieven" in text
    from dsr.models import Letter
    from dsr.services import storage

    other_case = submit(client, people.school_a, requester_email="ander@example.nl")
    with app.app_context():
        def letter(case, title, sent):
            row = Letter(case_id=case, kind="information", title=title, storage_key=storage.store(PDF),
                         sha256="0" * 64, link_nonce=title, sent_at=utcnow() if sent else None)
            db.session.add(row)
            db.session.flush()
            return row.id

        sent, draft, foreign = (letter(case_id, "Brief over uw verzoek", True),
                                letter(case_id, "Concept", False), letter(other_case, "Brief aan een ander", True))
        db.session.commit()
    text = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Brief over uw verzoek" in text and "Concept" not in text and "aan een ander" not in text
    download = requester.get(f"/mijn-verzoek/brieven/{sent}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Type"] == "application/pdf"
    assert requester.get(f"/mijn-verzoek/brieven/{draft}").status_code == 404
    assert requester.get(f"/mijn-verzoek/brieven/{foreign}").status_code == 404
    assert ("letter.downloaded", "requester") in audit_actions(app, case_id)


# ---------------------------------------------------------------------------------------- messages

def test_messages_both_ways_with_link_only_mails(app, case_id, requester, staff, people, smtp_server, run_jobs):
    smtp_server.clear()
    response = requester.post("/mijn-verzoek/bericht", data={"body": f"Vraag over het rapport {XSS}"})
    assert response.status_code == 302
    run_jobs()
    notices = mails_to(smtp_server, people.email["staff_a"], "Nieuw bericht")
    assert len(notices) == 1 and "rapport" not in body(notices[0]) and f"/zaken/{case_id}" in body(notices[0])
    assert not mails_to(smtp_server, people.email["staff_b"])

    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "Vraag over het rapport" in page and "<script>alert" not in page and "&lt;script&gt;" in page
    response = staff.post(f"/zaken/{case_id}/berichten", data={"body": "Het rapport komt volgende week. <b>x</b>"})
    assert response.status_code == 302
    run_jobs()
    mail = mails_to(smtp_server, "ouder@example.nl", "Nieuw bericht")
    assert len(mail) == 1
    text = body(mail[0])
    assert "volgende week" not in text and "staat de inhoud niet in deze e-mail" in text
    # The link in that mail opens the portal (a fresh browser), where the answer is shown, escaped.
    browser = app.test_client()
    assert browser.get(path_of(link_in(text))).status_code == 302
    status = browser.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Het rapport komt volgende week. &lt;b&gt;x&lt;/b&gt;" in status
    assert "<script>alert" not in status and "De school" in status
    assert ("message.from_requester", "requester") in audit_actions(app, case_id)
    assert ("message.to_requester", "staff") in audit_actions(app, case_id)


def test_message_bad_input(app, case_id, requester, staff):
    for data in ({"body": ""}, {"body": "   "}, {"body": "x" * 5001}, {"body": "nul\x00byte"}):
        response = requester.post("/mijn-verzoek/bericht", data=data)
        assert response.status_code == 422, data
        assert staff.post(f"/zaken/{case_id}/berichten", data=data).status_code == 422
    assert requester.post("/mijn-verzoek/bericht", data={"body": "x" * 70_000}).status_code == 413
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseMessage.id))).scalar_one() == 0


# ---------------------------------------------------------------------------------------- uploads

def _upload(browser, data: bytes, name: str, note: str = ""):
    from io import BytesIO

    return browser.post("/mijn-verzoek/bestand", data={"file": (BytesIO(data), name), "note": note},
                        content_type="multipart/form-data")


def test_upload_and_authorised_staff_download(app, case_id, requester, staff, people, smtp_server, run_jobs):
    page = requester.get("/mijn-verzoek/bestand").get_data(as_text=True)
    assert "geen kopie van uw identiteitsbewijs" in page and "identiteitsbewijs" in page
    assert "Identiteitsbewijs uploaden" not in page
    smtp_server.clear()
    response = _upload(requester, PDF, "uittreksel gezagsregister.pdf", "Uittreksel")
    assert response.status_code == 302
    run_jobs()
    assert len(mails_to(smtp_server, people.email["staff_a"], "Nieuw bestand")) == 1
    with app.app_context():
        upload = db.session.execute(sa.select(CaseUpload)).scalar_one()
        upload_id, key = upload.id, upload.storage_key
        assert upload.content_type == "application/pdf" and upload.size == len(PDF)
        stored = Path(app.config["FILE_STORAGE"]) / key[:2] / key
    assert stored.exists() and PDF not in stored.read_bytes(), "encrypted at rest, under a random name"
    assert "gezagsregister" not in str(stored)

    download = staff.get(f"/zaken/{case_id}/bestanden/{upload_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    assert ("upload.downloaded", "staff") in audit_actions(app, case_id)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert "uittreksel gezagsregister.pdf" in page and f"/zaken/{case_id}/bestanden/{upload_id}" in page

    other_school = app.test_client()
    login(other_school, people.email["staff_b"])
    assert other_school.get(f"/zaken/{case_id}/bestanden/{upload_id}").status_code == 404
    admin = app.test_client()
    login(admin, people.email["admin"])
    assert admin.get(f"/zaken/{case_id}/bestanden/{upload_id}").status_code == 403
    assert app.test_client().get(f"/zaken/{case_id}/bestanden/{upload_id}").status_code == 302  # to sign-in
    mine = requester.get(f"/mijn-verzoek/bestanden/{upload_id}")
    assert mine.status_code == 200 and mine.data == PDF and mine.headers["Content-Disposition"].startswith("attachment")
    assert requester.get(f"/mijn-verzoek/bestanden/{upload_id + 1}").status_code == 404


@pytest.mark.parametrize("name,data,message", [
    ("brief.pdf", b"Dit is gewone tekst, geen PDF.", "Dit soort bestand kunnen wij niet aannemen"),
    ("programma.pdf", b"MZ\x90\x00" + b"\x00" * 100, "Dit soort bestand kunnen wij niet aannemen"),
    ("pagina.pdf", b"<html><script>alert(1)</script></html>", "Dit soort bestand kunnen wij niet aannemen"),
    ("foto.pdf", PNG, "past niet bij de inhoud"),
    ("scan.png", PDF, "past niet bij de inhoud"),
    ("script.svg", b"<svg onload=alert(1)>", "Dit soort bestand kunnen wij niet aannemen"),
    ("../../etc/passwd.pdf", PDF, "zonder mappen"),
    ("..\\..\\windows\\win.ini.pdf", PDF, "zonder mappen"),
    ("/etc/passwd.pdf", PDF, "zonder mappen"),
    (".htaccess.pdf", PDF, "zonder mappen"),
    ("nul\x00byte.pdf", PDF, "zonder mappen"),
    ("a" * 201 + ".pdf", PDF, "zonder mappen"),
    ("leeg.pdf", b"", "leeg"),
])
def test_upload_refused_at_the_field(app, case_id, requester, name, data, message):
    files_before = _stored_files(app)
    response = _upload(requester, data, name)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and message in text, text[-2000:]
    assert 'class="error"' in text, "the message is shown at the field"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseUpload.id))).scalar_one() == 0
    assert _stored_files(app) == files_before, "nothing was written to the file store"


def _stored_files(app) -> set[Path]:
    files = Path(app.config.get("FILE_STORAGE") or Path(app.instance_path) / "files")
    return {p for p in files.rglob("*") if p.is_file()} if files.exists() else set()


def test_oversize_upload_refused(app, case_id, requester, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    response = _upload(requester, PDF + b"0" * 2000, "groot.pdf")
    assert response.status_code == 422 and "te groot" in response.get_data(as_text=True)
    # Far above the limit: the body is refused before it is read.
    response = _upload(requester, PDF + b"0" * 400_000, "heel-groot.pdf")
    assert response.status_code == 413
    assert _upload(requester, JPEG, "foto.jpg").status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(CaseUpload.file_name)).scalars().all() == ["foto.jpg"]


def test_upload_without_file_and_on_a_closed_case(app, case_id, requester, staff):
    response = requester.post("/mijn-verzoek/bestand", data={"note": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Kies een bestand" in response.get_data(as_text=True)
    step(staff, app, case_id, "withdraw", reason="Telefonisch ingetrokken.")
    response = _upload(requester, PDF, "te-laat.pdf")
    assert response.status_code == 409 and "afgerond" in response.get_data(as_text=True)


def test_upload_count_is_capped(app, case_id, requester, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_MAX_UPLOADS", 1)
    assert _upload(requester, PDF, "een.pdf").status_code == 302
    response = _upload(requester, PDF, "twee.pdf")
    assert response.status_code == 422 and "maximale aantal" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------- withdraw

def test_withdraw_with_a_confirmation_step(app, case_id, requester, people, smtp_server, run_jobs):
    page = requester.get("/mijn-verzoek/intrekken")
    assert page.status_code == 200 and "Ja, ik trek mijn verzoek in" in page.get_data(as_text=True)
    response = requester.post("/mijn-verzoek/intrekken", data={"reason": "Niet meer nodig."})
    assert response.status_code == 422 and "Vink aan" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).state == "submitted"
    smtp_server.clear()
    response = requester.post("/mijn-verzoek/intrekken", data={"confirm": "y", "reason": f"Niet meer nodig {XSS}"})
    assert response.status_code == 302
    run_jobs()
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "withdrawn" and case.closed_at is not None
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "transition.withdraw")).scalar_one()
        assert event.actor_kind == "requester" and event.actor_id is None and "Niet meer nodig" in event.reason
    confirmation = mails_to(smtp_server, "ouder@example.nl", "is ingetrokken")
    assert len(confirmation) == 1 and "/mijn-verzoek/link/" in body(confirmation[0])
    assert "Niet meer nodig" not in body(confirmation[0])
    assert len(mails_to(smtp_server, people.email["staff_a"], "Ingetrokken")) == 1
    # Withdrawing ended the portal session; the confirmation's link opens a new one.
    assert requester.get("/mijn-verzoek/overzicht").status_code == 302
    assert requester.get(path_of(link_in(body(confirmation[0])))).status_code == 302
    text = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Ingetrokken" in text and "Verzoek intrekken" not in text
    again = requester.post("/mijn-verzoek/intrekken", data={"confirm": "y"})
    assert again.status_code == 302
    assert "al afgerond" in requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)


# ---------------------------------------------------------------------------------------- access control

def test_a_requester_sees_only_their_own_case(app, client, people, smtp_server, run_jobs):
    mine = submit(client, people.school_a, requester_email="ouder@example.nl", student_name="Mijn Kind")
    theirs = submit(app.test_client(), people.school_b, requester_email="ander@example.nl", student_name="Ander Kind")
    run_jobs()
    other = app.test_client()
    open_portal(other, app, theirs, smtp_server, run_jobs, email="ander@example.nl")
    assert _upload(other, PDF, "van-de-ander.pdf").status_code == 302
    other.post("/mijn-verzoek/bericht", data={"body": "Geheim bericht van de ander"})
    with app.app_context():
        their_upload = db.session.execute(sa.select(CaseUpload.id)).scalar_one()

    browser = app.test_client()
    open_portal(browser, app, mine, smtp_server, run_jobs)
    text = browser.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert reference_of(app, mine) in text and reference_of(app, theirs) not in text
    assert "Geheim bericht" not in text and "van-de-ander" not in text
    assert browser.get(f"/mijn-verzoek/bestanden/{their_upload}").status_code == 404
    # The cookie names no case at all, only a random session id that the server looks up.
    with browser.session_transaction() as session:
        assert "portal_session" in session and mine not in session.values()
    # Ids in URLs of other routes do not exist for the requester.
    assert browser.get(f"/mijn-verzoek/overzicht?case_id={theirs}").get_data(as_text=True).count("Geheim") == 0
    assert browser.get(f"/zaken/{theirs}").status_code == 302, "staff pages need a staff sign-in"


def test_staff_side_routes_of_another_school_are_404(app, case_id, requester, people):
    _upload(requester, PDF, "bewijs.pdf")
    with app.app_context():
        upload_id = db.session.execute(sa.select(CaseUpload.id)).scalar_one()
    other = app.test_client()
    login(other, people.email["staff_b"])
    director_b = app.test_client()
    login(director_b, people.email["director_b"])
    for browser in (other, director_b):
        assert browser.post(f"/zaken/{case_id}/berichten", data={"body": "Hallo"}).status_code == 404
        assert browser.get(f"/zaken/{case_id}/bestanden/{upload_id}").status_code == 404
        assert browser.post(f"/zaken/{case_id}/toestemming",
                            data={"student_email": "leerling@example.nl"}).status_code == 404
    assert other.get(f"/zaken/{case_id + 999}/bestanden/{upload_id}").status_code == 404
    privacy = app.test_client()
    login(privacy, people.email["privacy"])
    assert privacy.get(f"/zaken/{case_id}/bestanden/{upload_id}").status_code == 200
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(CaseMessage.id))).scalar_one() == 0


def test_staff_upload_url_of_another_case_of_the_same_school_is_404(app, client, people, staff, smtp_server,
                                                                     run_jobs):
    first = submit(client, people.school_a, requester_email="ouder@example.nl")
    second = submit(app.test_client(), people.school_a, requester_email="ander@example.nl")
    run_jobs()
    browser = app.test_client()
    open_portal(browser, app, first, smtp_server, run_jobs)
    _upload(browser, PDF, "eerste.pdf")
    with app.app_context():
        upload_id = db.session.execute(sa.select(CaseUpload.id)).scalar_one()
    assert staff.get(f"/zaken/{second}/bestanden/{upload_id}").status_code == 404
    assert staff.get(f"/zaken/{first}/bestanden/{upload_id}").status_code == 200


# ---------------------------------------------------------------------------------------- CSRF

def test_portal_forms_need_csrf(app, csrf_app, case_id, smtp_server, run_jobs):
    browser = csrf_app.test_client()
    response = browser.post("/mijn-verzoek", data={"reference": reference_of(app, case_id),
                                                   "email": "ouder@example.nl"})
    assert response.status_code == 400 and "beveiligingscode" in response.get_data(as_text=True)
    run_jobs()
    assert not mails_to(smtp_server, "ouder@example.nl", "Uw link")
    # With the token from the page it works, and a portal session still needs it for every form.
    page = browser.get("/mijn-verzoek").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.post("/mijn-verzoek", data={"reference": reference_of(app, case_id), "email": "ouder@example.nl",
                                               "csrf_token": token}).status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, "ouder@example.nl", "Uw link")[-1])))
    assert browser.get(path).status_code == 302
    assert browser.post("/mijn-verzoek/bericht", data={"body": "Zonder token"}).status_code == 400
    assert browser.post("/mijn-verzoek/intrekken", data={"confirm": "y"}).status_code == 400
    with app.app_context():
        assert db.session.get(Case, case_id).state == "submitted"
        assert db.session.execute(sa.select(sa.func.count(CaseMessage.id))).scalar_one() == 0


def test_an_upload_whose_commit_fails_leaves_no_row_and_no_file(app, case_id):
    """add_upload writes the encrypted file before the row: a failing commit must take the file away too."""
    from dsr.services import portal_messages, storage

    def refuse(_session):
        raise RuntimeError("commit refused")

    with app.test_request_context():
        root = storage._root()
        files_before = sorted(p for p in root.rglob("*") if p.is_file())
        case = db.session.get(Case, case_id)
        sa.event.listen(db.session, "before_commit", refuse)
        try:
            with pytest.raises(RuntimeError, match="commit refused"):
                portal_messages.add_upload(case, "uittreksel.pdf", PDF)
        finally:
            sa.event.remove(db.session, "before_commit", refuse)
        assert sorted(p for p in root.rglob("*") if p.is_file()) == files_before
        assert db.session.execute(sa.select(sa.func.count(CaseUpload.id))).scalar_one() == 0
        assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))
                                  .where(AuditEvent.action == "upload.added")).scalar_one() == 0
