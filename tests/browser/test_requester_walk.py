"""Issue 14 "Done when": one walk through the whole requester journey on a phone (390×844), in Dutch and in
English, with axe-core and a no-sideways-scroll check on every page the parent sees.

The parent, in the browser: fills in and sends the form, confirms the address from the real mail, opens
"Mijn verzoek", writes a message and sends a PDF (both "not read yet"). Staff (test client, the real forms)
open the case and fulfil it with two documents; the parent sees "read". With the mailed package link
expired, the parent downloads every file from the portal one by one and as a zip (the bytes match), signs
out, opens the used confirmation link again ("already confirmed", on to Mijn verzoek) and the expired
package link, which gives a new link that works.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest

from dsr.extensions import db
from dsr.models import Case
from tests.browser.helpers import (
    CSV,
    GRADES,
    LANGUAGES,
    PACKAGE_TITLE,
    PARENT_EMAIL,
    PHONE,
    SCHOOL,
    TEXT,
    assert_fits_phone,
    browser_tests_skipped_reason,
    cover_letter_pdf,
    expired_package_link,
    fulfil_as_staff,
    link_in_mail,
    need_language,
    switch_language,
)
from tests.helpers import plain_pdf

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

EXTRACT = plain_pdf("Uittreksel gezagsregister")
WALK = {
    "nl": {"message": "Uw bericht", "send_message": "Bericht versturen", "unread": "Nog niet gelezen door de school",
           "read": "Gelezen door de school op", "send_a_file": "Een bestand sturen",
           "file": "Bestand (PDF, PNG of JPEG)", "send_file": "Versturen", "documents": "Uw documenten",
           "zip": "Alles downloaden (zip)", "sign_out": "Afmelden",
           "already_h1": "Uw e-mailadres is al bevestigd", "to_portal": "Naar Mijn verzoek",
           "portal_h1": "Mijn verzoek", "expired_h1": "Deze link is verlopen", "reference": "Uw kenmerk",
           "email": "Het e-mailadres waarmee u het verzoek deed", "new_link": "Stuur mij een nieuwe link",
           "sent_h1": "Kijk in uw e-mail", "portal_mail": "Uw link naar Mijn verzoek"},
    "en": {"message": "Your message", "send_message": "Send message", "unread": "Not read by the school yet",
           "read": "Read by the school on", "send_a_file": "Send a file",
           "file": "File (PDF, PNG or JPEG)", "send_file": "Send", "documents": "Your documents",
           "zip": "Download everything (zip)", "sign_out": "Sign out",
           "already_h1": "Your email address is already confirmed", "to_portal": "Go to My request",
           "portal_h1": "My request", "expired_h1": "This link has expired", "reference": "Your reference",
           "email": "The email address you made the request with", "new_link": "Send me a new link",
           "sent_h1": "Check your email", "portal_mail": "Your link to My request"},
}


def _fill_in_the_form(page, t: dict) -> None:
    page.get_by_role("radio", name=re.compile("^" + re.escape(t["right_access"]))).check()
    page.get_by_label(t["school"], exact=True).select_option(label=SCHOOL[1])
    page.get_by_label(t["student_name"]).fill("Sam Jansen")
    birth = dt.date.today().replace(day=1) - dt.timedelta(days=365 * 11)
    page.get_by_label(t["birth_date"]).fill(birth.isoformat())
    page.get_by_label(t["role_parent"], exact=True).check()
    page.get_by_label(t["authority_yes"], exact=True).check()
    page.get_by_label(t["requester_name"], exact=True).fill("Alex Jansen")
    page.get_by_label(t["requester_email"], exact=True).fill(PARENT_EMAIL)


def _download(page, link) -> tuple[str, bytes]:
    with page.expect_download() as info:
        link.click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_whole_requester_journey_on_a_phone(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t, w = TEXT[lang], WALK[lang]
    page = new_page(PHONE, mobile=True)

    def seen(label: str) -> None:
        """Every page of the walk: in the chosen language, no sideways scroll, no axe violation."""
        assert page.locator("html").get_attribute("lang") == lang, f"{label} lost the chosen language"
        assert_fits_phone(page, label)
        axe.check(page, label)

    # The form, its check step, and the receipt page.
    page.goto(live.url + "/")
    switch_language(page, lang)
    seen("intake form")
    _fill_in_the_form(page, t)
    page.get_by_role("button", name=t["check"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["check_h1"])
    seen("intake check step")
    page.get_by_role("button", name=t["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["submitted_h1"])
    with live.app.app_context():
        case = db.session.query(Case).one()
        case_id, reference = case.id, case.reference
        db.session.remove()
    expect(page.get_by_role("main")).to_contain_text(reference)
    seen("request received")

    # The confirmation link from the mail the real SMTP server received; then "Mijn verzoek".
    live.run_jobs()
    confirm = link_in_mail(live, t["receipt_subject"], "/bevestigen/")
    page.goto(confirm)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["confirmed_h1"])
    seen("e-mail address confirmed")
    page.get_by_role("main").get_by_role("link", name=t["portal_link"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    seen("Mijn verzoek")

    # A message and a PDF for the school: both not read yet.
    page.get_by_label(w["message"]).fill("Hierbij het uittreksel uit het gezagsregister.")
    page.get_by_role("button", name=w["send_message"]).click()
    page.wait_for_url("**/mijn-verzoek/overzicht*")
    expect(page.locator("#berichten")).to_contain_text(w["unread"])
    seen("Mijn verzoek, message sent")
    page.locator("#bestanden").get_by_role("link", name=w["send_a_file"]).click()
    page.wait_for_url("**/mijn-verzoek/bestand")
    seen("send a file")
    page.get_by_label(w["file"]).set_input_files(
        {"name": "uittreksel.pdf", "mimeType": "application/pdf", "buffer": EXTRACT})
    page.get_by_role("button", name=w["send_file"]).click()
    page.wait_for_url("**/mijn-verzoek/overzicht*")
    files = page.locator("#bestanden")
    expect(files).to_contain_text("uittreksel.pdf")
    expect(files).to_contain_text(w["unread"])
    seen("Mijn verzoek, file sent")

    # Staff open the case (which reads both) and fulfil it with two documents; the package link is mailed.
    fulfil_as_staff(live, case_id)
    package_link = live.url + expired_package_link(live, case_id)
    with live.app.test_client() as other:
        assert other.get(package_link).status_code == 410, "the mailed package link has expired"
    page.reload()
    expect(page.locator("#berichten")).to_contain_text(w["read"])
    expect(files).to_contain_text(w["read"])
    assert w["unread"] not in page.locator("#berichten").inner_text() + files.inner_text()
    documents = page.locator("#documenten")
    expect(documents.get_by_role("heading", name=w["documents"])).to_be_visible()
    seen("Mijn verzoek, read and fulfilled")

    # Every file from the portal, one by one under its own name, then as one zip: the bytes match.
    assert _download(page, files.get_by_role("link", name="uittreksel.pdf")) == ("uittreksel.pdf", EXTRACT)
    links = documents.locator("ul a")
    expect(links).to_have_count(3)  # the two documents and the cover letter
    got = dict(_download(page, links.nth(index)) for index in range(3))
    assert got.pop(f"{PACKAGE_TITLE}.pdf") == GRADES and got.pop(f"{PACKAGE_TITLE}.csv") == CSV
    [(letter_name, letter)] = got.items()
    assert letter_name.endswith(".pdf") and letter == cover_letter_pdf(live, case_id)
    name, archive = _download(page, documents.get_by_role("link", name=w["zip"]))
    assert name == f"{reference}.zip"
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        assert {n: zipped.read(n) for n in zipped.namelist()} == {
            f"{PACKAGE_TITLE}.pdf": GRADES, f"{PACKAGE_TITLE}.csv": CSV, letter_name: letter}
    seen("Mijn verzoek after the downloads")

    # Later, signed out: the used confirmation link says so and leads on to Mijn verzoek.
    page.get_by_role("button", name=w["sign_out"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["portal_h1"])
    seen("signed out")
    page.goto(confirm)
    expect(page.get_by_role("heading", level=1)).to_have_text(w["already_h1"])
    seen("confirm link used again")
    page.get_by_role("main").get_by_role("link", name=w["to_portal"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["portal_h1"])
    seen("Mijn verzoek (ask for a link)")

    # The expired package link: its page asks only for the address and sends a new link that works.
    page.goto(package_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(w["expired_h1"])
    seen("expired package link")
    expect(page.get_by_label(w["reference"], exact=True)).to_have_value(reference)
    page.get_by_label(w["email"], exact=True).fill(PARENT_EMAIL)
    page.get_by_role("button", name=w["new_link"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["sent_h1"])
    seen("new link sent")
    live.run_jobs()
    page.goto(link_in_mail(live, w["portal_mail"], "/mijn-verzoek/link/"))
    page.wait_for_url("**/mijn-verzoek/overzicht")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator("#documenten").get_by_role("link", name=w["zip"])).to_be_visible()
    seen("Mijn verzoek from the new link")
    axe.assert_clean()
