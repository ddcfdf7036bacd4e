"""Issue 15 points 2 and 7 in a real browser, in Dutch and English: staff find a request by part of a
student's name (closed ones too), filter, and reload a bookmarked filter URL; a director reads the dashboard
on a 375 px phone (no sideways scroll, collapsible sections) and follows a number and a flag to the queue.
Zero axe-core violations on every page."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, School
from dsr.services import cases
from dsr.services import queue as queue_service
from dsr.services.clock import local_today
from tests.browser.helpers import (
    DESKTOP,
    DIRECTOR,
    LANGUAGES,
    SCHOOL,
    STAFF,
    browser_tests_skipped_reason,
    need_language,
    sign_in,
)

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

PHONE_375 = {"width": 375, "height": 812}

TEXT = {
    "nl": {"search": "Zoeken", "submit": "Zoeken en filteren", "status": "Status",
           "all_states": "Alle statussen, ook afgesloten", "type": "Soort", "access": "Inzage",
           "queue_h1": "Verzoeken", "dashboard_h1": "Dashboard privacyverzoeken", "flags": "Nu aandacht nodig",
           "received": "Ontvangen in de periode", "per_state": "Verzoeken per status",
           "director_flag": "Wachten langer dan 2 werkdagen op de directeur"},
    "en": {"search": "Search", "submit": "Search and filter", "status": "Status",
           "all_states": "All states, closed ones too", "type": "Type", "access": "Access",
           "queue_h1": "Requests", "dashboard_h1": "Privacy requests dashboard", "flags": "Needs attention now",
           "received": "Received in the period", "per_state": "Requests by status",
           "director_flag": "Waiting for the director longer than 2 working days"},
}

STUDENTS = {"open": "Noor Visser", "other": "Jesse Bakker", "closed": "Liv Visscher", "waiting": "Sem de Wit"}


def _seed(live) -> dict[str, int]:
    """Four requests at the live server's school: two open, one refused (closed), one waiting for the director
    for more than two working days."""
    ids = {}
    with live.app.test_request_context():
        school = db.session.query(School).filter_by(code=SCHOOL[0]).one()
        for key, name in STUDENTS.items():
            case = cases.submit_request({
                "right": "access", "school_id": school.id, "student_name": name,
                "student_birth_date": dt.date.today().replace(day=1) - dt.timedelta(days=365 * 10),
                "student_number": "", "requester_role": "parent", "parental_authority": True,
                "requester_name": f"Ouder van {name}", "requester_email": f"ouder{len(ids)}@example.nl",
                "requester_phone": "", "details": "", "data_concerned": "", "correct_value": "",
            })
            ids[key] = case.id
        long_ago = queue_service.proposed_before(local_today(), 3) - dt.timedelta(hours=1)
        db.session.execute(sa.update(Case).where(Case.id == ids["closed"]).values(state="refused"))
        db.session.execute(sa.update(Case).where(Case.id == ids["waiting"])
                           .values(state="awaiting_director", proposed_at=long_ago))
        db.session.commit()
        db.session.remove()
    return ids


def _listed_students(page) -> list[str]:
    return [text.strip() for text in page.locator("td[data-student]").all_inner_texts()]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_search_filter_and_bookmark(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    _seed(live)
    page = new_page(DESKTOP)
    sign_in(page, live, lang, STAFF[0], axe)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["queue_h1"])
    axe.check(page, f"{lang}: queue")
    assert sorted(_listed_students(page)) == sorted([STUDENTS["open"], STUDENTS["other"], STUDENTS["waiting"]])

    # Part of a student's name, in other capitals: the open and the closed Visser(s), not the others.
    page.get_by_label(t["search"], exact=True).fill("VISS")
    page.get_by_role("button", name=t["submit"]).click()
    page.wait_for_load_state()
    expect(page.locator("td[data-student]")).to_have_count(2)
    assert sorted(_listed_students(page)) == sorted([STUDENTS["open"], STUDENTS["closed"]])
    assert "viss" not in page.url.lower(), page.url  # a search never goes into the address
    expect(page.get_by_label(t["search"], exact=True)).to_have_value("VISS")
    axe.check(page, f"{lang}: queue search result")

    # A filter without a search: its URL is bookmarkable, and reloads to the same list and form.
    page.get_by_label(t["search"], exact=True).fill("")
    page.get_by_role("combobox", name=t["status"], exact=True).select_option(label=t["all_states"])
    page.get_by_role("combobox", name=t["type"], exact=True).select_option(label=t["access"])
    page.get_by_role("button", name=t["submit"]).click()
    page.wait_for_url("**/zaken/?status=alle&type=access")
    expect(page.locator("td[data-student]")).to_have_count(4)
    bookmark = page.url
    axe.check(page, f"{lang}: queue filtered")

    page.reload()
    expect(page.locator("td[data-student]")).to_have_count(4)
    again = page.context.new_page()
    again.goto(bookmark)
    expect(again.locator("td[data-student]")).to_have_count(4)
    expect(again.get_by_role("combobox", name=t["status"], exact=True)).to_have_value("alle")
    expect(again.get_by_role("combobox", name=t["type"], exact=True)).to_have_value("access")
    assert sorted(_listed_students(again)) == sorted(STUDENTS.values())
    axe.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_director_dashboard_on_a_phone_leads_to_the_queue(lang, live, new_page, axe):
    from playwright.sync_api import expect

    need_language(live, lang)
    t = TEXT[lang]
    ids = _seed(live)
    page = new_page(PHONE_375, mobile=True)
    sign_in(page, live, lang, DIRECTOR[0], axe)
    page.goto(live.url + "/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["dashboard_h1"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_375["width"], f"the dashboard scrolls sideways at 375 px ({width}px)"
    # Short: only the key figures and the on-time shares are open; the others open with a tap.
    per_state = page.locator("details.figures-fold", has=page.get_by_role("heading", name=t["per_state"]))
    expect(per_state).not_to_have_attribute("open", "")
    expect(per_state.locator("table")).to_be_hidden()
    per_state.locator("summary").click()
    expect(per_state.locator("table")).to_be_visible()
    axe.check(page, f"{lang}: dashboard on a phone")

    # The flag: the refusal waiting for a director for more than two working days.
    flags = page.get_by_role("region", name=t["flags"])
    flag = flags.get_by_role("link", name=t["director_flag"])
    expect(flag).to_contain_text("1")
    flag.click()
    page.wait_for_url("**/zaken/?**")
    assert "wacht_langer_dan=2" in urlsplit(page.url).query
    expect(page.locator("td[data-student]")).to_have_count(1)
    assert _listed_students(page) == [STUDENTS["waiting"]]
    axe.check(page, f"{lang}: the flag's queue")

    # A number: the cases received in the period, closed ones included.
    page.go_back()
    received = page.get_by_role("row", name=t["received"])
    expect(received.get_by_role("link")).to_have_text("4")
    received.get_by_role("link").click()
    page.wait_for_url("**/zaken/?**")
    expect(page.locator("td[data-student]")).to_have_count(4)
    assert sorted(_listed_students(page)) == sorted(STUDENTS.values())
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_375["width"], f"the queue scrolls sideways at 375 px ({width}px)"
    axe.check(page, f"{lang}: the number's queue")
    assert ids
    axe.assert_clean()
