"""Issue 15 point 1 in the browser, in Dutch and in English: a staff member registers a letter that arrived
5 working days ago, with a PDF scan. The first try without a reason for the late date comes back with the
message at the field and every answer kept (except the file, which a browser never gets back); with the
reason it opens the case page, whose deadline is counted from the day the letter arrived and which shows
the channel and the scan. The requester's receipt, in the language chosen on the form, says that day.
axe-core finds nothing on every page.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dsr.extensions import db
from dsr.models import Case
from dsr.templating import long_date
from dsr.workflows import deadlines
from tests.browser.helpers import (
    DESKTOP,
    LANGUAGES,
    SCHOOL,
    STAFF,
    TEXT,
    browser_tests_skipped_reason,
    need_language,
    sign_in,
)
from tests.helpers import local_today, plain_pdf

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

SCAN = plain_pdf("Brief van de ouder")
LETTER_WRITER = "brief.ouder@example.nl"
DESK = {
    "nl": {"nav": "Verzoek registreren", "channel": "Brief", "received_on": "Datum van ontvangst",
           "late_reason": "Waarom wordt het verzoek pas nu geregistreerd?",
           "document": "Scan van de brief of de oorspronkelijke e-mail", "requester_name": "Naam van de aanvrager",
           "requester_email": "E-mailadres van de aanvrager", "language": "Taal van de e-mails aan de aanvrager",
           "language_option": "Nederlands", "register": "Verzoek registreren",
           "reason_missing": "Het verzoek kwam eerder binnen dan vandaag.", "came_in_by": "Binnengekomen via",
           "receipt": "per brief een verzoek over persoonsgegevens (AVG) van u ontvangen op"},
    "en": {"nav": "Register a request", "channel": "Letter", "received_on": "Date of receipt",
           "late_reason": "Why is the request only being registered now?",
           "document": "Scan of the letter or the original email", "requester_name": "Requester's name",
           "requester_email": "Requester's email address", "language": "Language of the emails to the requester",
           "language_option": "English", "register": "Register a request",
           "reason_missing": "The request arrived before today.", "came_in_by": "Came in by",
           "receipt": "received your request about personal data (GDPR) by letter on"},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_register_a_letter_from_last_week_with_its_scan(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t, d = TEXT[lang], DESK[lang]
    received = deadlines.subtract_working_days(local_today(), 5)
    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)

    page.get_by_role("navigation").get_by_role("link", name=d["nav"]).click()
    page.wait_for_url("**/zaken/registreren")
    expect(page.get_by_role("heading", level=1)).to_have_text(d["register"])
    axe.check(page, f"{lang}: register a request")

    page.get_by_label(d["channel"], exact=True).check()
    page.get_by_label(d["received_on"]).fill(received.isoformat())
    page.get_by_label(d["document"]).set_input_files(
        {"name": "brief.pdf", "mimeType": "application/pdf", "buffer": SCAN})
    page.get_by_role("radio", name=re.compile("^" + re.escape(t["right_access"]))).check()
    page.get_by_label(t["school"], exact=True).select_option(label=SCHOOL[1])
    page.get_by_label(t["student_name"]).fill("Lotte de Brief")
    page.get_by_label(t["birth_date"]).fill((dt.date.today().replace(day=1) - dt.timedelta(days=365 * 9)).isoformat())
    page.get_by_label(t["role_parent"], exact=True).check()
    page.get_by_label(t["authority_yes"], exact=True).check()
    page.get_by_label(d["requester_name"]).fill("Karel de Brief")
    page.get_by_label(d["requester_email"]).fill(LETTER_WRITER)
    page.get_by_label(d["language"]).select_option(label=d["language_option"])

    # No reason for a date before today: the message at the field, the answers kept.
    page.get_by_role("button", name=d["register"]).click()
    expect(page.get_by_role("alert")).to_contain_text(t["error_summary"])
    expect(page.locator("#late_reason-error")).to_contain_text(d["reason_missing"])
    expect(page.get_by_label(d["requester_name"])).to_have_value("Karel de Brief")
    expect(page.get_by_label(d["received_on"])).to_have_value(received.isoformat())
    axe.check(page, f"{lang}: register a request, a reason missing")

    page.get_by_label(d["late_reason"]).fill("De brief lag een week bij de receptie.")
    page.get_by_label(d["document"]).set_input_files(
        {"name": "brief.pdf", "mimeType": "application/pdf", "buffer": SCAN})
    page.get_by_role("button", name=d["register"]).click()
    page.wait_for_url(re.compile(r".*/zaken/\d+$"))

    # The case page: the deadline counts from the day the letter arrived; the channel and the scan are shown.
    with live.app.app_context():
        case = db.session.query(Case).one()
        case_id, reference, due_on = case.id, case.reference, case.due_on
        db.session.remove()
    assert due_on == deadlines.legal_deadline(received)
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(main).to_contain_text(long_date(received, lang))
    expect(main).to_contain_text(long_date(due_on, lang))
    expect(main).to_contain_text(d["came_in_by"])
    expect(page.locator("[data-intake-document]")).to_have_text("brief.pdf")
    axe.check(page, f"{lang}: the registered case")
    with page.expect_download() as download:
        page.locator("[data-intake-document]").click()
    assert download.value.suggested_filename == "brief.pdf"
    assert Path(download.value.path()).read_bytes() == SCAN
    assert page.url.endswith(f"/zaken/{case_id}")

    # The requester's receipt: in the language chosen on the form, with the day the letter arrived.
    live.run_jobs()
    [receipt] = live.mails_to(LETTER_WRITER)
    assert t["receipt_subject"] in receipt["Subject"]
    text = " ".join(receipt.get_body(preferencelist=("plain",)).get_content().split())
    assert f"{d['receipt']} {long_date(received, lang)}" in text, text
