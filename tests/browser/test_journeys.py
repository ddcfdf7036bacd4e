"""The issue-6 journeys in a real browser, in Dutch and in English, with axe-core on every page.

* A parent on a phone: the request form (first with errors, then filled by its labels), the check step
  ("Dit krijgt u" and every answer, issue 11), the receipt
  page, the confirmation link from the mail the real SMTP server received, and "Mijn verzoek" (the
  status page) through the link on the confirmation page.
* Staff on a desktop: sign in with password and TOTP, the queue, the case, verify identity, record a
  refusal with its ground, and put it to the director.
* The director: sign in with TOTP, the approvals page, approve.

Every page is checked with axe-core against WCAG 2.1 A and AA; a violation fails the test and is printed
with its rule, impact, help and the failing elements. The main pages are photographed at phone and
desktop width into test-artifacts/screenshots/ (``<lang>-<phone|desktop>-<page>.png``).

English: each journey first uses the language switch in the page header (``POST /taal``), as a
visitor would; the pages, the switch and the texts below must then all be English.
The privacy officer's pages (dashboard, operations, register) are in test_oversight.py.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from dsr.extensions import db
from dsr.models import Case
from tests.browser.helpers import (
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    PARENT_EMAIL,
    PHONE,
    SCHOOL,
    STAFF,
    TEXT,
    browser_tests_skipped_reason,
    need_language,
    seed_case,
    sign_in,
    switch_language,
)

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

def _step_form(page, trigger: str):
    """The form of one workflow step on the case page, opened if it sits in a closed <details>."""
    form = page.locator(f"form[action$='/stap/{trigger}']")
    details = page.locator("details.action", has=form)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()  # not the "Waarom?" of a field inside
    return form


@pytest.mark.parametrize("lang", LANGUAGES)
def test_parent_journey_on_a_phone(lang, live, new_page, axe, shoot):
    """Form -> receipt page -> confirmation link from the real mail -> "Mijn verzoek" status page."""
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    page = new_page(PHONE, mobile=True)
    page.goto(live.url + "/")
    switch_language(page, lang)
    axe.check(page, "intake form")
    shoot(page, lang, "intake")

    # Sent empty: the error summary at the top, a message at each field.
    page.get_by_role("button", name=t["check"]).click()
    expect(page.get_by_role("alert")).to_contain_text(t["error_summary"])
    axe.check(page, "intake form with errors")
    shoot(page, lang, "intake-errors")

    page.get_by_role("radio", name=re.compile("^" + re.escape(t["right_access"]))).check()
    page.get_by_label(t["school"], exact=True).select_option(label=SCHOOL[1])
    page.get_by_label(t["student_name"]).fill("Sam Jansen")
    birth = dt.date.today().replace(day=1) - dt.timedelta(days=365 * 11)
    page.get_by_label(t["birth_date"]).fill(birth.isoformat())
    page.get_by_label(t["role_parent"], exact=True).check()
    page.get_by_label(t["authority_yes"], exact=True).check()
    page.get_by_label(t["requester_name"], exact=True).fill("Alex Jansen")
    page.get_by_label(t["requester_email"], exact=True).fill(PARENT_EMAIL)
    page.get_by_role("button", name=t["check"]).click()

    # The check step (issue 11): what this parent will get and every answer, before anything is sent.
    expect(page.get_by_role("heading", level=1)).to_have_text(t["check_h1"])
    expect(page.get_by_role("heading", name=t["what_you_get"])).to_be_visible()
    expect(page.locator(".what-you-get")).to_contain_text(t["whole_file"])
    expect(page.locator(".check-summary")).to_contain_text(PARENT_EMAIL)
    axe.check(page, "intake check step")
    shoot(page, lang, "intake-check")
    page.get_by_role("button", name=t["send"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(t["submitted_h1"])
    with live.app.app_context():
        case = db.session.query(Case).one()
        reference, due_on, case_language = case.reference, case.due_on, case.language
    assert case_language == lang
    expect(page.get_by_role("main")).to_contain_text(reference)
    expect(page.locator(".facts")).to_contain_text(str(due_on.year))  # the deadline, as a long date
    axe.check(page, "request received")
    shoot(page, lang, "submitted")

    # The receipt reaches the real SMTP server; its link confirms the address.
    live.run_jobs()
    receipts = [m for m in live.mails_to(PARENT_EMAIL) if t["receipt_subject"] in m["Subject"]]
    assert len(receipts) == 1, [m["Subject"] for m in live.smtp.messages]
    body = receipts[0].get_body(preferencelist=("plain",)).get_content()
    links = [link for link in re.findall(r"https?://\S+", body) if "/bevestigen/" in link]
    assert len(links) == 1, body
    assert links[0].startswith(live.url), links[0]
    page.goto(live.url + urlsplit(links[0]).path)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["confirmed_h1"])
    axe.check(page, "e-mail address confirmed")
    shoot(page, lang, "confirmed")

    # "Mijn verzoek": the confirmation opened a portal session; the link on this page shows the status.
    page.get_by_role("main").get_by_role("link", name=t["portal_link"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_role("heading", name=t["portal_state"])).to_be_visible()
    expect(page.locator(".status-line")).to_contain_text(t["received"])
    assert page.locator("html").get_attribute("lang") == lang, "the portal lost the chosen language"
    axe.check(page, "Mijn verzoek (status)")
    shoot(page, lang, "status")
    axe.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_proposes_refusal_and_director_approves(lang, live, new_page, axe, shoot):
    """Staff: TOTP sign-in -> queue -> case -> verify identity -> review (refuse, Art. 12(5)) -> propose.
    Director: TOTP sign-in -> approvals -> case -> approve; staff are told by mail. (How the decision then
    reaches the requester, by mail or letter, belongs to the fulfilment journey.)"""
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    case_id, reference = seed_case(live, lang)

    staff = new_page(DESKTOP)
    sign_in(staff, live, lang, STAFF[0], axe, shoot)
    expect(staff.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    axe.check(staff, "staff: queue")
    shoot(staff, lang, "queue")
    staff.get_by_role("link", name=reference).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    # Each step's form is checked open, as staff see it while filling it in.
    form = _step_form(staff, "verify_identity")
    axe.check(staff, "staff: case, submitted, verification form open")
    shoot(staff, lang, "case")
    form.get_by_label(t["method_desk"]).check()
    form.get_by_label(t["authority_ok"]).check()
    form.get_by_role("button").click()
    expect(staff.locator(".status-line")).to_contain_text(t["state_checked"])
    expect(staff.get_by_role("status")).to_be_visible()  # the flash message says what happened

    form = _step_form(staff, "review")
    axe.check(staff, "staff: case, identity checked, review form open")
    form.get_by_label(t["decision_refuse"], exact=True).check()
    form.get_by_label(t["ground_excessive"]).check()
    form.get_by_label(t["reason"]).fill("Vijfde identieke verzoek in acht weken.")
    form.get_by_role("button").click()
    expect(staff.locator(".status-line")).to_contain_text(t["state_reviewed"])

    form = _step_form(staff, "propose_refusal")
    axe.check(staff, "staff: case, reviewed, proposal form open")
    form.get_by_label(t["note"]).fill("Kennelijk buitensporig, zie dossier.")
    form.get_by_label(t["explanation"]).fill("U deed in acht weken vijf keer hetzelfde verzoek.")
    form.get_by_role("button").click()
    expect(staff.locator(".status-line")).to_contain_text(t["state_director"])
    axe.check(staff, "staff: case, awaiting director")
    shoot(staff, lang, "case-proposed")
    live.run_jobs()
    assert [m for m in live.mails_to(DIRECTOR[0]) if reference in m["Subject"]], "the director is asked by mail"
    staff_mails = len(live.mails_to(STAFF[0]))

    director = new_page(DESKTOP)
    sign_in(director, live, lang, DIRECTOR[0], axe)
    expect(director.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    director.get_by_role("navigation").get_by_role("link", name=t["approvals_nav"]).click()
    expect(director.get_by_role("heading", level=1)).to_have_text(t["approvals_h1"])
    axe.check(director, "director: approvals")
    shoot(director, lang, "approvals")
    director.get_by_role("link", name=reference).click()
    form = _step_form(director, "approve_refusal")
    axe.check(director, "director: case, approval form open")
    form.get_by_label(t["reason"]).fill("Akkoord.")
    form.get_by_role("button").click()
    expect(director.locator(".status-line")).to_contain_text(t["state_refused"])
    axe.check(director, "director: case, refused")
    shoot(director, lang, "case-refused")

    live.run_jobs()
    told = live.mails_to(STAFF[0])[staff_mails:]
    assert len(told) == 1 and reference in told[0]["Subject"], "staff hear that the director approved"
    with live.app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "refused" and case.director_id is not None
        db.session.remove()
    axe.assert_clean()
