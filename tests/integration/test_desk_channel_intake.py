"""Issue 15 point 1: staff register a request that came by letter, e-mail, phone or at the counter.

Through the Flask test client, with the real mail path (RQ worker, SMTP test server): the date of receipt is
the legal start (R-DL-1) and the deadline is computed from it, the requester gets the same receipt, address
confirmation and acknowledgement as a web request (saying the day it arrived), the audit event records the
channel, the date and the reason, the scan or e-mail is stored encrypted after the upload checks and opened
as an accountable read, and every refusal (date, school, file, missing field) is a message at the field with
every answer kept and nothing stored.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ChannelIntake
from dsr.services import retention, storage
from dsr.templating import long_date
from dsr.workflows import deadlines
from dsr.workflows.channels import earliest_received_on
from tests.helpers import case_count, local_today, plain_pdf, signed_in, text_of
from tests.integration.helpers import (
    assert_english,
    body,
    confirm_address,
    field_error,
    in_english,
    mails_to,
)

ADDRESS = "brief.schrijver@example.nl"
SCAN = plain_pdf("Brief van de ouder")


def _form(school_id: int, **overrides) -> dict:
    """A valid registration: a letter that arrived 5 working days ago, with a reason and a PDF scan."""
    received = deadlines.subtract_working_days(local_today(), 5)
    data = {
        "channel": "letter", "received_on": received.isoformat(),
        "late_reason": "De brief lag bij de receptie en is pas vandaag doorgegeven.", "taken_by": "Receptie",
        "right": "access", "school_id": str(school_id), "student_name": "Lotte de Brief",
        "student_birth_date": dt.date(local_today().year - 12, 3, 1).isoformat(),
        "requester_role": "parent", "parental_authority": "yes", "requester_name": "Karel de Brief",
        "requester_email": ADDRESS, "requester_phone": "", "language": "nl",
        "details": "", "data_concerned": "", "correct_value": "",
        "document": (io.BytesIO(SCAN), "brief.pdf"),
    }
    data.update(overrides)
    if data.get("document") is None:
        data.pop("document")
    return data


def _post(client, data: dict):
    return client.post("/zaken/registreren", data=data, content_type="multipart/form-data")


def _registered(app, response) -> Case:
    assert response.status_code == 302, text_of(response)[:3000]
    case_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def _intake(app, case_id: int) -> ChannelIntake:
    with app.app_context():
        intake = db.session.execute(sa.select(ChannelIntake).where(ChannelIntake.case_id == case_id)).scalar_one()
        db.session.expunge(intake)
        return intake


def _stored_files(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(ChannelIntake.id))
                                  .where(ChannelIntake.storage_key.is_not(None))).scalar_one()


def _files_on_disk(app) -> set[str]:
    """The names of the encrypted files in the store (their folders are the first two characters of the key)."""
    root = Path(app.config["FILE_STORAGE"])
    return {path.name for path in root.glob("*/*") if len(path.parent.name) == 2 and path.is_file()}


def _pdf_with_script() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _eml(*attachments: tuple[bytes, str, str]) -> bytes:
    message = EmailMessage()
    message["From"] = "Karel de Brief <brief.schrijver@example.nl>"
    message["To"] = "administratie@school.example.nl"
    message["Subject"] = "Inzageverzoek"
    message["Date"] = "Mon, 30 Nov 2026 09:12:00 +0100"
    message.set_content("Ik wil graag alle gegevens over mijn dochter inzien.")
    for data, maintype_subtype, name in attachments:
        maintype, subtype = maintype_subtype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


# --------------------------------------------------------------------------- the letter, start to end

def test_a_letter_from_last_week_counts_from_the_day_it_arrived(app, people, smtp_server, run_jobs, client):
    staff = signed_in(app, people)
    received = deadlines.subtract_working_days(local_today(), 5)
    case = _registered(app, _post(staff, _form(people.school_a)))

    assert (case.channel, case.received_on, case.state) == ("letter", received, "submitted")
    assert case.due_on == deadlines.legal_deadline(received) < deadlines.legal_deadline(local_today())
    assert case.reference.startswith(f"AVG-{received.year}-")
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.case_id == case.id)).scalars()
        details = json.loads(event.details)
        assert (event.action, event.actor_kind, event.actor_id) == ("case.submitted", "staff", people.staff_a)
        assert event.reason == "De brief lag bij de receptie en is pas vandaag doorgegeven."
        assert (details["channel"], details["received_on"], details["entered_on"]) == \
            ("letter", received.isoformat(), local_today().isoformat())

    # The requester: the same receipt as a web request, saying the day it arrived; then the acknowledgement.
    run_jobs()
    [receipt] = mails_to(smtp_server, ADDRESS, "Bevestig uw e-mailadres")
    assert f"per brief een verzoek over persoonsgegevens (AVG) van u ontvangen op {long_date(received, 'nl')}" \
        in " ".join(body(receipt).split())
    confirm_address(client, smtp_server, run_jobs, ADDRESS)
    run_jobs()
    [acknowledgement] = mails_to(smtp_server, ADDRESS, "Ontvangstbevestiging")
    text = " ".join(body(acknowledgement).split())
    assert f"ontvangen op {long_date(received, 'nl')}" in text
    assert f"uiterlijk op {long_date(case.due_on, 'nl')}" in text
    # The school: the colleague is told, the one who registered it is not told about their own work.
    assert mails_to(smtp_server, people.email["staff_a2"], "Nieuw AVG-verzoek")
    assert not mails_to(smtp_server, people.email["staff_a"], "Nieuw AVG-verzoek")


def test_the_scan_is_stored_encrypted_and_opening_it_is_audited(app, people):
    staff = signed_in(app, people)
    case = _registered(app, _post(staff, _form(people.school_a)))
    intake = _intake(app, case.id)
    assert (intake.file_name, intake.content_type, intake.size) == ("brief.pdf", "application/pdf", len(SCAN))
    assert intake.registered_by_id == people.staff_a and intake.taken_by == "Receptie"
    with app.app_context():
        on_disk = storage._path(intake.storage_key).read_bytes()
    assert SCAN not in on_disk and b"%PDF" not in on_disk

    page = text_of(staff.get(f"/zaken/{case.id}"))
    assert 'data-channel="letter"' in page and "Brief" in page and "brief.pdf" in page
    assert "De brief lag bij de receptie" in page  # the internal reason, for staff

    response = staff.get(f"/zaken/{case.id}/ontvangen-document")
    assert response.status_code == 200 and response.data == SCAN
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        viewed = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "intake.document_viewed")) \
            .scalar_one()
        assert (viewed.case_id, viewed.actor_id) == (case.id, people.staff_a)

    # Another school's staff: neither the case nor its document exists for them.
    other = signed_in(app, people, "staff_b")
    assert other.get(f"/zaken/{case.id}/ontvangen-document").status_code == 404


def test_a_web_request_still_comes_in_as_web_without_a_registration(app, people, client):
    from tests.helpers import submit

    case_id = submit(client, people.school_a)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.channel == "web" and case.received_on == local_today()
        assert db.session.execute(sa.select(ChannelIntake)).first() is None
    staff = signed_in(app, people)
    assert staff.get(f"/zaken/{case_id}/ontvangen-document").status_code == 404
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert 'data-channel="web"' in page and "Webformulier" in page


# --------------------------------------------------------------------------- the date of receipt

def test_a_past_date_without_a_reason_is_refused_at_the_field_and_keeps_the_answers(app, people):
    staff = signed_in(app, people)
    response = _post(staff, _form(people.school_a, late_reason=""))
    page = text_of(response)
    assert response.status_code == 422
    assert field_error(page, "late_reason") == ("Het verzoek kwam eerder binnen dan vandaag. Schrijf op waarom het "
                                                "pas nu wordt geregistreerd.")
    assert 'value="Lotte de Brief"' in page and f'value="{ADDRESS}"' in page
    assert case_count(app) == 0


def test_the_same_message_in_english(app, people):
    staff = signed_in(app, people)
    in_english(staff)
    page = text_of(_post(staff, _form(people.school_a, late_reason="")))
    assert field_error(page, "late_reason") == ("The request arrived before today. Write down why it is only being "
                                                "registered now.")


def test_today_needs_no_reason(app, people):
    staff = signed_in(app, people)
    case = _registered(app, _post(staff, _form(people.school_a, received_on=local_today().isoformat(),
                                               late_reason="")))
    assert case.received_on == local_today() and case.due_on == deadlines.legal_deadline(local_today())
    assert _intake(app, case.id).late_reason is None


def test_a_date_in_the_future_is_refused(app, people):
    staff = signed_in(app, people)
    tomorrow = local_today() + dt.timedelta(days=1)
    page = text_of(_post(staff, _form(people.school_a, received_on=tomorrow.isoformat())))
    assert field_error(page, "received_on").startswith("Deze datum ligt in de toekomst.")
    assert case_count(app) == 0


def test_a_date_past_even_the_extended_deadline_is_refused_and_the_bound_itself_is_taken(app, people):
    staff = signed_in(app, people)
    earliest = earliest_received_on(local_today())
    too_old = earliest - dt.timedelta(days=1)
    assert deadlines.legal_deadline(too_old, extended=True) < local_today()
    page = text_of(_post(staff, _form(people.school_a, received_on=too_old.isoformat())))
    assert "ook met verlenging (drie maanden) over de termijn" in field_error(page, "received_on")
    assert case_count(app) == 0
    case = _registered(app, _post(staff, _form(people.school_a, received_on=earliest.isoformat())))
    assert case.received_on == earliest


def test_a_date_that_is_no_date_is_a_message_not_an_error(app, people):
    staff = signed_in(app, people)
    page = text_of(_post(staff, _form(people.school_a, received_on="31-02-2026")))
    assert field_error(page, "received_on") == "Vul een bestaande datum in, bijvoorbeeld 14-03-2012."


# --------------------------------------------------------------------------- phone, counter, documents

def test_a_phone_call_needs_no_document_but_says_who_took_it(app, people):
    staff = signed_in(app, people)
    page = text_of(_post(staff, _form(people.school_a, channel="phone", taken_by="", document=None)))
    assert field_error(page, "taken_by") == "Vul in wie het verzoek heeft aangenomen."
    assert case_count(app) == 0

    case = _registered(app, _post(staff, _form(people.school_a, channel="phone", taken_by="A. Jansen",
                                               document=None)))
    intake = _intake(app, case.id)
    assert (case.channel, intake.taken_by, intake.storage_key, intake.file_name) == ("phone", "A. Jansen", None, None)
    page = text_of(staff.get(f"/zaken/{case.id}"))
    assert "A. Jansen" in page and "geen (telefonisch of aan de balie)" in page


def test_a_letter_or_email_without_its_document_is_refused(app, people):
    staff = signed_in(app, people)
    for channel in ("letter", "email"):
        page = text_of(_post(staff, _form(people.school_a, channel=channel, document=None)))
        assert field_error(page, "document") == "Voeg de scan van de brief of de e-mail toe."
    assert case_count(app) == 0


@pytest.mark.parametrize(("data", "name", "message"), [
    (_pdf_with_script(), "brief.pdf", "Deze PDF bevat scripts, acties of ingesloten bestanden."),
    (b"MZ\x90\x00 not a document", "brief.pdf", "Dit soort bestand kunnen wij niet aannemen."),
    (plain_pdf(), "brief.png", "De naam van het bestand past niet bij de inhoud."),
    (plain_pdf(), "../brief.pdf", "Gebruik een gewone bestandsnaam"),
    (b"just some text", "brief.eml", "Dit is geen e-mailbericht."),
    (_eml((b"PK\x03\x04 a word file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "brief.docx")), "mail.eml", "Deze e-mail heeft een bijlage die wij niet kunnen controleren."),
    (_eml((_pdf_with_script(), "application/pdf", "brief.pdf")), "mail.eml", "Deze PDF bevat scripts"),
    (_eml((b"MZ\x90\x00", "application/pdf", "echt-een-pdf.pdf")), "mail.eml",
     "Deze e-mail heeft een bijlage die wij niet"),
])
def test_a_document_the_upload_checks_refuse_is_refused_and_nothing_is_stored(app, people, data, name, message):
    staff = signed_in(app, people)
    files_before = _files_on_disk(app)
    response = _post(staff, _form(people.school_a, document=(io.BytesIO(data), name)))
    assert response.status_code == 422
    assert field_error(text_of(response), "document").startswith(message), field_error(text_of(response), "document")
    assert case_count(app) == 0 and _stored_files(app) == 0 and _files_on_disk(app) == files_before


@pytest.mark.parametrize("data", [
    b"From: =?utf-8?b?////?= <\xff@\xfe>\r\nDate: 31 Feb 99999 25:61:61 +9999\r\nContent-Type: multipart/mixed; "
    b"boundary=\"x\"\r\n\r\n--x\r\nContent-Type: application/pdf; name*=''%ff\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--x--",
    b"From: a@b\r\nDate: now\r\nContent-Type: message/rfc822\r\n\r\n\x00\x01\x02",
    b"\x00" * 64,
    "From: ä\r\nDate: \u2028\r\n\r\n".encode("utf-8"),
])
def test_a_broken_or_hostile_eml_is_a_message_at_the_field_never_an_error(app, people, data):
    staff = signed_in(app, people)
    response = _post(staff, _form(people.school_a, channel="email", document=(io.BytesIO(data), "mail.eml")))
    assert response.status_code == 422
    assert field_error(text_of(response), "document")
    assert case_count(app) == 0


def test_a_file_over_the_size_limit_is_refused(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    staff = signed_in(app, people)
    big = plain_pdf() + b"%" * 2048
    page = text_of(_post(staff, _form(people.school_a, document=(io.BytesIO(big), "brief.pdf"))))
    assert field_error(page, "document").startswith("Het bestand is te groot.")
    assert case_count(app) == 0


def test_the_original_email_with_a_pdf_attachment_is_taken(app, people):
    staff = signed_in(app, people)
    original = _eml((plain_pdf("bijlage"), "application/pdf", "uittreksel.pdf"))
    case = _registered(app, _post(staff, _form(people.school_a, channel="email",
                                               document=(io.BytesIO(original), "inzageverzoek.eml"))))
    intake = _intake(app, case.id)
    assert (case.channel, intake.content_type, intake.file_name) == ("email", "message/rfc822", "inzageverzoek.eml")
    response = staff.get(f"/zaken/{case.id}/ontvangen-document")
    assert response.data == original and response.headers["Content-Type"] == "message/rfc822"


# --------------------------------------------------------------------------- who may register

def test_staff_register_for_their_own_schools_only(app, people):
    staff = signed_in(app, people)
    page = text_of(staff.get("/zaken/registreren"))
    assert "School A" in page and "School B" not in page
    response = _post(staff, _form(people.school_b))
    assert response.status_code == 422
    assert field_error(text_of(response), "school_id") == "U kunt alleen verzoeken registreren voor uw eigen school."
    assert case_count(app) == 0


def test_the_privacy_officer_registers_for_any_school_and_an_admin_not_at_all(app, people):
    officer = signed_in(app, people, "privacy")
    case = _registered(app, _post(officer, _form(people.school_b)))
    assert case.school_id == people.school_b
    admin = signed_in(app, people, "admin")
    assert admin.get("/zaken/registreren").status_code == 403
    assert _post(admin, _form(people.school_a)).status_code == 403


def test_the_staff_navigation_leads_to_the_form_in_both_languages(app, people):
    staff = signed_in(app, people)
    page = text_of(staff.get("/zaken/"))
    assert 'href="/zaken/registreren"' in page and "Verzoek registreren" in page
    in_english(staff)
    page = assert_english(staff.get("/zaken/registreren"), "the registration form")
    assert "Register a request" in page and "How did the request come in?" in page


# --------------------------------------------------------------------------- retention

def test_anonymising_the_case_removes_the_document_and_the_reason(app, people):
    staff = signed_in(app, people)
    case = _registered(app, _post(staff, _form(people.school_a)))
    key = _intake(app, case.id).storage_key
    with app.app_context():
        path = storage._path(key)
        assert path.exists()
        retention.anonymise(db.session.get(Case, case.id))
        db.session.commit()
    intake = _intake(app, case.id)
    assert not path.exists()
    assert (intake.storage_key, intake.late_reason, intake.taken_by, intake.file_name) == \
        (None, None, "", retention.REMOVED)


def test_the_form_needs_its_csrf_token(app, csrf_app, people):
    plain = signed_in(app, people)
    client = csrf_app.test_client()
    client.set_cookie("session", plain.get_cookie("session").value)  # same secret key: same session
    response = _post(client, _form(people.school_a))
    assert response.status_code == 400 and "beveiligingscode" in response.get_data(as_text=True)
    assert case_count(app) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      client.get("/zaken/registreren").get_data(as_text=True))
    assert token
    _registered(app, _post(client, _form(people.school_a, csrf_token=token.group(1) or token.group(2))))
    assert case_count(app) == 1
