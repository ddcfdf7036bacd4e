"""The requester's status page on a phone (390×844), in Dutch and in English, with axe-core (issue 14
points 5, 6): where the request stands as an ordered list, the deadline as one sentence with why it moved,
and the calculation behind a <details> that opens by keyboard-operable summary."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from dsr.extensions import db
from dsr.models import Case
from dsr.services import portal
from dsr.templating import long_date
from dsr.workflows.deadlines import legal_deadline
from tests.browser.helpers import LANGUAGES, PHONE, browser_tests_skipped_reason, seed_case

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

TEXT = {
    "nl": {"timeline": "Waar staat uw verzoek?", "sentence": "U krijgt uiterlijk {date} antwoord.",
           "moved": "Waarom de datum is veranderd", "why": "Hoe is deze datum berekend?", "calc": "Eén maand",
           "current": "nu bezig"},
    "en": {"timeline": "Where does your request stand?", "sentence": "You will get our answer by {date} at the latest.",
           "moved": "Why the date changed", "why": "How was this date calculated?", "calc": "One month",
           "current": "in progress"},
}

REASON = {"nl": "Het dossier staat deels op papier.", "en": "Part of the file is on paper."}


def _prepare(live, lang: str) -> tuple[str, dt.date]:
    """A case whose clock stood still for 7 days and was then extended; returns a portal link's path."""
    case_id, _ = seed_case(live, lang)
    received = dt.date.today() - dt.timedelta(days=20)
    with live.app.test_request_context():
        case = db.session.get_one(Case, case_id)
        case.received_on, case.suspended_days = received, 7
        case.info_requested_on, case.info_received_on = received, received + dt.timedelta(days=7)
        case.extended, case.extended_on = True, received + dt.timedelta(days=10)
        case.extension_reason = REASON[lang]
        case.due_on = legal_deadline(received, extended=True, suspended_days=7)
        due = case.due_on
        path = urlsplit(portal.notice_link(case)).path
        db.session.commit()
        db.session.remove()
    return path, due


@pytest.mark.parametrize("lang", LANGUAGES)
def test_status_page_on_a_phone(lang, live, new_page, axe, shoot):
    from playwright.sync_api import expect

    t = TEXT[lang]
    path, due = _prepare(live, lang)
    page = new_page(PHONE, mobile=True)
    page.goto(live.url + path)
    page.wait_for_url("**/mijn-verzoek/overzicht")
    assert page.locator("html").get_attribute("lang") == lang
    timeline = page.get_by_role("list", name=t["timeline"])
    expect(timeline.get_by_role("listitem")).to_have_count(6)
    expect(timeline.locator("[aria-current=step]")).to_contain_text(t["current"])
    expect(page.locator(".deadline-sentence")).to_have_text(t["sentence"].format(date=long_date(due, lang)))
    expect(page.get_by_role("list", name=t["moved"]).get_by_role("listitem")).to_have_count(3)
    calc = page.locator("details.deadline-why")
    expect(calc.locator("p.help")).not_to_be_visible()
    calc.locator("summary", has_text=t["why"]).focus()
    page.keyboard.press("Enter")
    expect(calc.locator("p.help")).to_contain_text(t["calc"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    axe.check(page, "Mijn verzoek (status, timeline and deadline history)")
    shoot(page, lang, "status-timeline")
    axe.assert_clean()
