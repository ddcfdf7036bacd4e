"""Issue 14 point 7: the portal shows whether the school has read the requester's messages and files,
and a refused upload says why at the field, in the requester's language.

Reading is marked when a staff member opens the case page (audited as "portal.read", ids only); the
requester's page says "Nog niet gelezen door de school" until then, and the date after.
"""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, CaseMessage, CaseUpload
from tests.helpers import login
from tests.integration.helpers import PDF, assert_english, field_error, in_english, open_portal

UNREAD_NL, UNREAD_EN = "Nog niet gelezen door de school", "Not read by the school yet"


@pytest.fixture
def requester(app, case_id, smtp_server, run_jobs):
    browser = app.test_client()
    open_portal(browser, app, case_id, smtp_server, run_jobs)
    return browser


def _upload(browser, data: bytes, name: str):
    return browser.post("/mijn-verzoek/bestand", data={"file": (io.BytesIO(data), name), "note": ""},
                        content_type="multipart/form-data")


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}".*?</section>', page, re.S)
    assert match, section_id
    return match.group(0)


def test_the_portal_shows_when_the_school_read_a_message_and_an_upload(app, case_id, requester, people):
    assert requester.post("/mijn-verzoek/bericht", data={"body": "Hebt u mijn uittreksel gezien?"}).status_code == 302
    assert _upload(requester, PDF, "uittreksel.pdf").status_code == 302
    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert UNREAD_NL in _section(page, "berichten") and UNREAD_NL in _section(page, "bestanden")
    assert "Gelezen door de school op" not in page

    staff = app.test_client()
    login(staff, people.email["staff_a"])
    assert staff.get(f"/zaken/{case_id}").status_code == 200
    with app.app_context():
        message = db.session.execute(sa.select(CaseMessage)).scalar_one()
        upload = db.session.execute(sa.select(CaseUpload)).scalar_one()
        assert message.read_at is not None and upload.read_at is not None
        read_events = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "portal.read")).scalars().all()
        assert len(read_events) == 1 and read_events[0].actor_id is not None
        assert "uittreksel" not in read_events[0].details  # ids only, no content
        first_read = message.read_at

    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert UNREAD_NL not in page
    assert "Gelezen door de school op" in _section(page, "berichten")
    assert "Gelezen door de school op" in _section(page, "bestanden")

    # Opening the page again marks nothing new and writes no second event; the first reading counts.
    staff.get(f"/zaken/{case_id}")
    with app.app_context():
        assert db.session.execute(sa.select(CaseMessage)).scalar_one().read_at == first_read
        assert len(db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "portal.read")).scalars().all()) == 1
    # A new message is unread again; the school's own answers never carry a read mark.
    staff.post(f"/zaken/{case_id}/berichten", data={"body": "Ja, dank u."})
    requester.post("/mijn-verzoek/bericht", data={"body": "Fijn."})
    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert _section(page, "berichten").count(UNREAD_NL) == 1


def test_staff_of_another_school_do_not_mark_anything_read(app, case_id, requester, people):
    requester.post("/mijn-verzoek/bericht", data={"body": "Een vraag."})
    other = app.test_client()
    login(other, people.email["staff_b"])
    assert other.get(f"/zaken/{case_id}").status_code == 404
    with app.app_context():
        assert db.session.execute(sa.select(CaseMessage)).scalar_one().read_at is None


def test_the_read_status_is_english_on_the_english_portal(app, case_id, requester, people):
    in_english(requester)
    requester.post("/mijn-verzoek/bericht", data={"body": "A question."})
    page = assert_english(requester.get("/mijn-verzoek/overzicht"), "status page")
    assert UNREAD_EN in _section(page, "berichten")
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    staff.get(f"/zaken/{case_id}")
    page = assert_english(requester.get("/mijn-verzoek/overzicht"), "status page")
    assert "Read by the school on" in _section(page, "berichten")



@pytest.mark.parametrize("name,data,english", [
    ("", PDF, "Choose a file."),
    ("../brief.pdf", PDF, "Use a plain file name without folders or special characters"),
    ("leeg.pdf", b"", "The file is empty."),
    ("foto.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "The file name does not match its content."),
    ("brief.pdf", b"gewone tekst", "We cannot accept this type of file. Please send a PDF, PNG or JPEG."),
    ("kapot.pdf", b"%PDF-1.4\nniets", "We cannot read this PDF"),
])
def test_a_refused_upload_says_why_at_the_field_in_english(app, requester, name, data, english):
    in_english(requester)
    response = _upload(requester, data, name)
    assert response.status_code == 422
    page = assert_english(response, f"upload page refusing {name!r}")
    assert english in (field_error(page, "file") or "")


def test_a_too_large_upload_is_refused_at_the_field_in_english(app, requester, monkeypatch):
    # A small limit keeps the body in memory (a large one spools to a temporary file the test client
    # leaves open); the check is the same.
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    in_english(requester)
    response = _upload(requester, PDF + b"\n%" + b"x" * 1024, "groot.pdf")
    assert response.status_code == 422
    page = assert_english(response, "upload page refusing a large file")
    assert field_error(page, "file") == "The file is too large. It can be at most 1 kB."
