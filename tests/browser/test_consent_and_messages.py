"""Issue 14 points 7 and 8 in a real browser on a phone (390×844), in Dutch and in English, with axe-core
on every page: the portal's messages and files with whether the school has read them, and the student's
consent page with its three choices, what the parent sees under each, and a changed answer."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, School, User
from dsr.services import cases, consent, portal, reads
from dsr.services.register import seed_register
from tests.browser.helpers import LANGUAGES, PHONE, SCHOOL, STAFF, browser_tests_skipped_reason, seed_case
from tests.helpers import link_in, plain_pdf

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

STUDENT = "sam.leerling@school.example.nl"
TEXT = {
    "nl": {"message": "Uw bericht", "send_message": "Bericht versturen", "unread": "Nog niet gelezen door de school",
           "read": "Gelezen door de school op", "file": "Bestand (PDF, PNG of JPEG)", "send_file": "Versturen",
           "consent_h1": "Mag je ouder jouw gegevens zien?", "learning": "Ja, maar alleen mijn leerresultaten",
           "everything": "Ja, alles: mijn ouder mag alles zien waar om gevraagd is",
           "no": "Nee, ik geef geen toestemming", "send": "Antwoord versturen", "change": "Antwoord veranderen",
           "nothing": "Je ouder krijgt dan niets van jouw gegevens."},
    "en": {"message": "Your message", "send_message": "Send message", "unread": "Not read by the school yet",
           "read": "Read by the school on", "file": "File (PDF, PNG or JPEG)", "send_file": "Send",
           "consent_h1": "May your parent see your data?", "learning": "Yes, but only my learning results",
           "everything": "Yes, everything: my parent may see everything that was asked for",
           "no": "No, I do not consent", "send": "Send answer", "change": "Change answer",
           "nothing": "Your parent then gets none of your data."},
}


def _staff(live) -> User:
    return db.session.execute(sa.select(User).where(User.email == STAFF[0])).scalar_one()


def _portal_url(live, case_id: int) -> str:
    with live.app.test_request_context():
        url = portal.notice_link(db.session.get_one(Case, case_id))
        db.session.commit()
        db.session.remove()
    return url


@pytest.mark.parametrize("lang", LANGUAGES)
def test_portal_messages_show_whether_the_school_read_them(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    t = TEXT[lang]
    case_id, _ = seed_case(live, lang)
    page = new_page(PHONE, mobile=True)
    page.goto(_portal_url(live, case_id))
    page.wait_for_url("**/mijn-verzoek/overzicht")
    assert page.locator("html").get_attribute("lang") == lang
    page.get_by_label(t["message"]).fill("Hebt u mijn uittreksel ontvangen?")
    page.get_by_role("button", name=t["send_message"]).click()
    page.wait_for_url("**/mijn-verzoek/overzicht*")
    messages = page.locator("#berichten")
    expect(messages).to_contain_text(t["unread"])
    axe.check(page, "portal: messages, unread")

    page.goto(live.url + "/mijn-verzoek/bestand")
    page.get_by_label(t["file"]).set_input_files(
        {"name": "uittreksel.pdf", "mimeType": "application/pdf", "buffer": plain_pdf()})
    page.get_by_role("button", name=t["send_file"]).click()
    page.wait_for_url("**/mijn-verzoek/overzicht*")
    expect(page.locator("#bestanden")).to_contain_text(t["unread"])

    with live.app.test_request_context():  # a staff member opens the case page
        reads.open_case(_staff(live), case_id)
        db.session.remove()
    page.reload()
    expect(page.locator("#berichten")).to_contain_text(t["read"])
    expect(page.locator("#bestanden")).to_contain_text(t["read"])
    assert t["unread"] not in page.locator("#berichten").inner_text()
    axe.check(page, "portal: messages and files, read")
    shoot(page, lang, "portal-messages-read")
    axe.assert_clean()


def _adult_case_with_consent_request(live, lang: str) -> str:
    """A parent's access request about a student of 19, identity checked, consent asked; the student's link."""
    with live.app.test_request_context():
        seed_register()  # the kinds of data the page lists under each choice
        db.session.commit()
        school = db.session.execute(sa.select(School).where(School.code == SCHOOL[0])).scalar_one()
        case = cases.submit_request({
            "right": "access", "school_id": school.id, "student_name": "Sam Visser",
            "student_birth_date": dt.date.today().replace(day=1) - dt.timedelta(days=365 * 19 + 30),
            "student_number": "", "requester_role": "parent", "parental_authority": True,
            "requester_name": "Kim Visser", "requester_email": "kim.visser@example.nl", "requester_phone": "",
            "details": "", "data_concerned": "", "correct_value": "",
        }, language=lang)
        consent.send_request(_staff(live), db.session.get_one(Case, case.id), STUDENT)
        db.session.remove()
    live.run_jobs()
    [mail] = live.mails_to(STUDENT)
    body = mail.get_body(("plain",)).get_content()
    return link_in(body)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_student_consent_page_on_a_phone(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    t = TEXT[lang]
    link = _adult_case_with_consent_request(live, lang)
    page = new_page(PHONE, mobile=True)
    page.goto(link)
    page.wait_for_url(re.compile(r".*/toestemming$"))
    assert page.locator("html").get_attribute("lang") == lang
    expect(page.get_by_role("heading", level=1)).to_have_text(t["consent_h1"])
    for choice in ("everything", "learning", "no"):
        expect(page.get_by_label(t[choice])).to_be_visible()
    expect(page.locator("#sees-declined")).to_contain_text(t["nothing"])
    assert page.locator("#sees-learning_results li").count() < page.locator("#sees-full li").count()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the consent page scrolls sideways on a phone ({width}px)"
    axe.check(page, "consent page, not answered")
    shoot(page, lang, "consent")

    page.get_by_label(t["learning"]).check()
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_url(re.compile(r".*/toestemming$"))
    expect(page.get_by_label(t["learning"])).to_be_checked()
    axe.check(page, "consent page, answered")

    page.get_by_label(t["no"]).check()  # the student changes the answer with the same page
    page.get_by_role("button", name=t["change"]).click()
    page.wait_for_url(re.compile(r".*/toestemming$"))
    expect(page.get_by_label(t["no"])).to_be_checked()
    axe.check(page, "consent page, answer changed")
    axe.assert_clean()
