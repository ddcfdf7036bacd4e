"""Issue 15 point 4 "Done when": an access package of three documents goes from "reviewed" (grant) to "sent" in at
most five form submissions, in a real browser, in Dutch and in English, with axe-core on every page state.

Staff sign in and open a reviewed case. Every POST the page makes from then on is counted (page.on("request")).
They drop three files on the upload box (static/package.js makes a row per file), give each its own
category and description, add them in one post; tick "check all" (the script ticks every document) and save
the checks in one post; tick the confirmation and release the package; fulfil the request. The parent gets
the package link by mail, and every document was checked and audited on its own.
"""
from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, PackageDocument, RegisterCategory
from dsr.services.register import seed_register
from tests.browser.helpers import (
    CSV,
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    PARENT_EMAIL,
    STAFF,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
)
from tests.helpers import login, plain_pdf, step

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {"add": "Documenten toevoegen", "add_button": "Toevoegen", "files": "Bestanden (PDF, CSV, PNG of JPEG",
           "category": "Categorie", "description": "Omschrijving voor de aanvrager", "tick_all": "Alles aanvinken",
           "save_checks": "Controles opslaan", "confirm": "Ik heb het pakket gecontroleerd en wil het versturen",
           "release": "Pakket vrijgeven", "fulfil": "Uitvoeren en afronden", "done": "Wat is er gedaan?",
           "reviewed": "Juridisch beoordeeld", "fulfilled": "Uitgevoerd"},
    "en": {"add": "Add documents", "add_button": "Add", "files": "Files (PDF, CSV, PNG or JPEG",
           "category": "Category", "description": "Description for the requester", "tick_all": "Tick all",
           "save_checks": "Save checks", "confirm": "I have checked the package and want to send it",
           "release": "Release the package", "fulfil": "Carry out and complete", "done": "What has been done?",
           "reviewed": "Legally reviewed", "fulfilled": "Carried out"},
}

FILES = [("rapport.pdf", "application/pdf", plain_pdf("Rapport leerjaar 5"), "cijfers", "Rapport leerjaar 5"),
         ("cijfers.csv", "text/csv", CSV, "cijfers", "Cijferlijst 2025-2026"),
         ("verslag.pdf", "application/pdf", plain_pdf("Mentorverslag"), "leerlingdossier", "Mentorverslag")]


def _reviewed(live, lang: str, *, also_verified: bool = False) -> tuple[int, str, dict[str, int]]:
    """A parent's access request, identity verified and reviewed (grant) by the director with the real forms
    (with ``also_verified``, a second request only verified; its id is returned in the categories under
    "_verified": one sign-in, as an authenticator code is accepted once)."""
    case_id, reference = seed_case(live, lang)
    second = seed_case(live, lang)[0] if also_verified else None
    app = live.app
    with app.app_context():
        seed_register()
        db.session.commit()
        categories = {c.code: c.id for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        staff = app.test_client()
        login(staff, DIRECTOR[0])  # not the browser's user: a TOTP code is accepted once
        assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
        assert step(staff, app, case_id, "review", decision="grant", reason="Beoordeeld.").status_code == 302
        if second is not None:
            assert step(staff, app, second, "verify_identity", method="portal", authority="yes").status_code == 302
            categories["_verified"] = second
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    return case_id, reference, categories


def _drop_files(page, selector: str) -> None:
    """Drop FILES on ``selector`` as a person drags them from the desktop (a real DataTransfer with Files)."""
    files = [{"name": name, "type": kind, "data": base64.b64encode(data).decode()}
             for name, kind, data, _code, _title in FILES]
    transfer = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const file of files) {
            const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], file.name, {type: file.type}));
        }
        return transfer;
    }""", files)
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_three_document_package_from_reviewed_to_sent_in_at_most_five_submissions(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    case_id, reference, categories = _reviewed(live, lang)
    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    page.goto(f"{live.url}/zaken/{case_id}")
    expect(page.locator(".status-line")).to_contain_text(t["reviewed"])

    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    # 1. Three files dropped on the box: a row per file, each with its own category and description.
    upload = page.locator("form[data-package-upload]")
    expect(upload).to_be_visible()
    expect(page.locator("[data-drop-hint]")).to_be_visible()  # the script is on: dropping is offered
    axe.check(page, "case reviewed: the upload form")
    _drop_files(page, "[data-drop-zone]")
    rows = upload.locator("[data-file-rows] fieldset")
    expect(rows).to_have_count(3)
    for row, (name, _kind, _data, code, title) in zip(rows.all(), FILES, strict=True):
        expect(row.locator("legend")).to_have_text(name)
        row.get_by_label(t["category"]).select_option(value=str(categories[code]))
        row.get_by_label(t["description"]).fill(title)
    axe.check(page, "case reviewed: a row per dropped file")
    with page.expect_navigation():
        upload.get_by_role("button", name=t["add_button"], exact=True).click()
    table = page.locator("table.queue").first
    for _name, _kind, _data, _code, title in FILES:
        expect(table).to_contain_text(title)

    # 2. "Check all": the script ticks every document's box; one post saves them all.
    checks = page.locator("form[data-check-all-form]")
    axe.check(page, "three documents, not checked yet")
    checks.locator("[data-check-all]").nth(0).check()
    checks.locator("[data-check-all]").nth(1).check()
    expect(checks.locator("[data-check]:checked")).to_have_count(6)
    with page.expect_navigation():
        checks.get_by_role("button", name=t["save_checks"]).click()

    # 3. Release, with the confirmation ticked (the server refuses it without).
    axe.check(page, "three documents checked: the release form")
    page.get_by_label(t["confirm"]).check()
    with page.expect_navigation():
        page.get_by_role("button", name=t["release"]).click()

    # 4. Fulfil: the package goes out.
    step_form = page.locator(f"form[action='/zaken/{case_id}/stap/fulfil']")
    details = page.locator("details.action", has=step_form)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()  # not the "Waarom?" of a field inside
    axe.check(page, "package released: the fulfil form")
    step_form.get_by_label(t["done"]).fill("Het pakket met drie documenten is verstuurd.")
    with page.expect_navigation():
        step_form.get_by_role("button", name=t["fulfil"]).click()
    expect(page.locator(".status-line")).to_contain_text(t["fulfilled"])
    axe.check(page, "case fulfilled")

    assert len(posts) <= 5, f"{len(posts)} form submissions: {posts}"
    assert len(posts) == 4, posts  # upload, checks, release, fulfil
    live.run_jobs()
    mails = [m for m in live.mails_to(PARENT_EMAIL) if reference in m.get_body(("plain",)).get_content()
             or reference in m["Subject"]]
    assert any("/pakket/" in m.get_body(("plain",)).get_content() for m in mails), "the package link is mailed"
    with live.app.app_context():
        case = db.session.get(Case, case_id)
        documents = db.session.execute(sa.select(PackageDocument).order_by(PackageDocument.id)).scalars().all()
        assert case.state == "fulfilled"
        assert [(d.title, d.category_id) for d in documents] == [(title, categories[code])
                                                                 for _n, _k, _d, code, title in FILES]
        assert all(d.checks_done for d in documents)
        checked = [json.loads(e.details)["document_id"] for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "package.document_checked")).scalars()]
        assert sorted(checked) == sorted(d.id for d in documents), "each document's checks audited on its own"
        db.session.remove()
    axe.assert_clean()


ERRORS = {
    "nl": {"not_pdf": "De inhoud van het bestand is geen PDF", "confirm_first": "Bevestig eerst dat u het wilt",
           "decision_partial": "Gedeeltelijk toewijzen", "ground": "Art. 15 lid 4 AVG", "reason": "Toelichting",
           "review": "Juridische beoordeling vastleggen", "explain": "Licht de beslissing toe."},
    "en": {"not_pdf": "The content of the file is not a PDF", "confirm_first": "First confirm that you want",
           "decision_partial": "Partially grant", "ground": "Art. 15(4) GDPR", "reason": "Explanation",
           "review": "Record the legal review", "explain": "Explain the decision."},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_refused_files_and_forms_are_marked_and_axe_clean(lang, live, new_page, axe):
    """A refused file at its row (the other saved), the release without its confirmation, and a review without
    its explanation: each message at its field, the field aria-invalid, choices kept, zero axe violations."""
    from playwright.sync_api import expect

    need_language(live, lang)
    t, e = TEXT[lang], ERRORS[lang]
    case_id, _reference, categories = _reviewed(live, lang, also_verified=True)
    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    page.goto(f"{live.url}/zaken/{case_id}")

    # Without the drop: the file input itself, several files at once.
    upload = page.locator("form[data-package-upload]")
    upload.get_by_label(t["files"]).set_input_files([
        {"name": "goed.pdf", "mimeType": "application/pdf", "buffer": plain_pdf("Goed")},
        {"name": "nep.pdf", "mimeType": "application/pdf", "buffer": b"<html>geen pdf</html>"}])
    rows = upload.locator("[data-file-rows] fieldset")
    expect(rows).to_have_count(2)
    for row, title in zip(rows.all(), ("Goed", "Nep"), strict=True):
        row.get_by_label(t["category"]).select_option(value=str(categories["cijfers"]))
        row.get_by_label(t["description"]).fill(title)
    with page.expect_navigation():
        upload.get_by_role("button", name=t["add_button"], exact=True).click()
    refused = page.locator("[data-file-rows] fieldset.has-error")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("nep.pdf")
    expect(refused.locator(".error")).to_contain_text(e["not_pdf"])
    expect(refused.get_by_label(t["description"])).to_have_value("Nep")
    expect(page.locator("table.queue").first).to_contain_text("Goed")
    axe.check(page, "a refused file at its row")

    # The release without the confirmation: refused by the server, at the box.
    checks = page.locator("form[data-check-all-form]")
    checks.locator("[data-check-all]").nth(0).check()
    checks.locator("[data-check-all]").nth(1).check()
    with page.expect_navigation():
        checks.get_by_role("button", name=t["save_checks"]).click()
    with page.expect_navigation():
        page.get_by_role("button", name=t["release"]).click()
    box = page.get_by_label(t["confirm"])
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#release-confirmed-error")).to_contain_text(e["confirm_first"])
    axe.check(page, "the release without its confirmation")

    # A review without its explanation keeps the decision and the ground, and marks the explanation.
    page.goto(f"{live.url}/zaken/{categories['_verified']}")
    form = page.locator(f"form[action='/zaken/{categories['_verified']}/stap/review']")
    details = page.locator("details.action", has=form)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()  # not the "Waarom?" of a field inside
    form.get_by_label(e["decision_partial"], exact=True).check()
    form.get_by_label(e["ground"]).check()
    with page.expect_navigation():
        form.get_by_role("button", name=e["review"]).click()
    expect(form.get_by_label(e["decision_partial"], exact=True)).to_be_checked()
    expect(form.get_by_label(e["ground"])).to_be_checked()
    reason = form.get_by_label(e["reason"])
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_attribute("required", "")
    expect(form.locator("#review-reason-error")).to_have_text(e["explain"])
    axe.check(page, "a review without its explanation")
    axe.assert_clean()
