"""Issue 14 point 4 in a real browser, on a phone (390×844), in Dutch and in English, with axe-core: after
fulfilment, and with the package link in the mail expired, the parent downloads every file from "Mijn
verzoek" one by one under its own name, and then all of them as one zip."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import (
    CSV,
    GRADES,
    LANGUAGES,
    PARENT_EMAIL,
    PHONE,
    TEXT,
    browser_tests_skipped_reason,
    cover_letter_pdf,
    expired_package_link,
    fulfil_as_staff,
    need_language,
    seed_case,
    switch_language,
)

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

WORDS = {
    "nl": {"section": "Uw documenten", "zip": "Alles downloaden (zip)", "until": "downloaden tot"},
    "en": {"section": "Your documents", "zip": "Download everything (zip)", "until": "download the files here until"},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_parent_downloads_every_file_from_the_portal_after_the_link_expired(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    need_language(live, lang)
    words = WORDS[lang]
    case_id, reference = seed_case(live, lang)
    page = new_page(PHONE, mobile=True)
    page.goto(live.url + "/")
    switch_language(page, lang)

    # The parent confirms the address from the receipt; that opens "Mijn verzoek".
    live.run_jobs()
    [receipt] = [m for m in live.mails_to(PARENT_EMAIL) if TEXT[lang]["receipt_subject"] in m["Subject"]]
    confirm = re.search(r"https?://\S+/bevestigen/\S+", receipt.get_body(preferencelist=("plain",)).get_content())
    page.goto(live.url + urlsplit(confirm.group(0)).path)
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[lang]["confirmed_h1"])

    fulfil_as_staff(live, case_id)
    assert any("/pakket/" in m.get_body(preferencelist=("plain",)).get_content() for m in live.mails_to(PARENT_EMAIL))
    with live.app.test_client() as other:
        assert other.get(expired_package_link(live, case_id)).status_code == 410, "the mailed link has expired"

    page.goto(live.url + "/mijn-verzoek/overzicht")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    section = page.locator("#documenten")
    expect(section.get_by_role("heading", name=words["section"])).to_be_visible()
    expect(section).to_contain_text(words["until"])
    axe.check(page, "Mijn verzoek with the documents")
    shoot(page, lang, "portal-documents")

    # One by one: every link gives its file under its own name.
    letter_pdf = cover_letter_pdf(live, case_id)
    links = section.locator("ul a")
    expect(links).to_have_count(3)
    got: dict[str, bytes] = {}
    for index in range(3):
        with page.expect_download() as info:
            links.nth(index).click()
        download = info.value
        got[download.suggested_filename] = Path(download.path()).read_bytes()
    assert got["Cijferlijst 2025-2026.pdf"] == GRADES and got["Cijferlijst 2025-2026.csv"] == CSV
    [letter_name] = set(got) - {"Cijferlijst 2025-2026.pdf", "Cijferlijst 2025-2026.csv"}
    assert letter_name.endswith(".pdf") and reference not in letter_name and got[letter_name] == letter_pdf

    # All together: one zip with the same files under the same names.
    with page.expect_download() as info:
        section.get_by_role("link", name=words["zip"]).click()
    archive = info.value
    assert archive.suggested_filename == f"{reference}.zip"
    with zipfile.ZipFile(io.BytesIO(Path(archive.path()).read_bytes())) as zipped:
        assert {name: zipped.read(name) for name in zipped.namelist()} == got
    # The page is still there after the downloads, and still clean.
    axe.check(page, "Mijn verzoek after the downloads")
    axe.assert_clean()
