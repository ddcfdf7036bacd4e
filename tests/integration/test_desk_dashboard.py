"""Issue 15 point 7: the dashboard leads somewhere. Each count links to the queue showing exactly the cases
behind it; flags for refusals waiting for a director, letters not sent and overdue cases; collapsible sections."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from dsr.extensions import db
from dsr.services import queue as queue_service
from dsr.services.clock import local_today
from tests.helpers import login
from tests.integration.test_dashboard import PERIOD_2025, _case, data  # noqa: F401 - the fixture is used below

ROW_LINK = re.compile(r'<table class="queue data-table" data-section="([\w-]+)">|'
                      r'<tr><th scope="row">([^<]+)</th><td class="num"><a href="([^"]+)" data-queue-link>(\d+)</a>')
CASE_LINK = re.compile(r'href="/zaken/(\d+)"')
NEXT_LINK = re.compile(r'<a href="([^"]+)">Volgende pagina</a>')
FLAG = re.compile(r'<li data-flag="(\w+)"><a href="([^"]+)"><span class="flag-count[^"]*">(\d+)</span>')


def _client(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _linked_counts(page: str) -> dict[tuple[str, str], tuple[str, int]]:
    """{(section, row label): (queue URL, count shown)} for every linked count on the dashboard."""
    found, section = {}, None
    for match in ROW_LINK.finditer(page):
        if match.group(1):
            section = match.group(1)
        else:
            found[(section, html.unescape(match.group(2)))] = (html.unescape(match.group(3)), int(match.group(4)))
    return found


def _queue_ids(client, url: str) -> list[int]:
    """Every case the queue lists at ``url``, following its pages."""
    ids, pages = [], 0
    while url and pages < 50:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert "data-queue-notes" not in page, url  # the dashboard's links use only valid filters
        ids += [int(i) for i in CASE_LINK.findall(page)]
        match = NEXT_LINK.search(page)
        url, pages = (html.unescape(match.group(1)) if match else None), pages + 1
    return ids


@pytest.mark.parametrize("who", ["privacy", "director_a"])
def test_every_count_links_to_a_queue_with_exactly_those_cases(app, people, data, who):  # noqa: F811
    client = _client(app, people.email[who])
    app.config["QUEUE_PAGE_SIZE"], old = 2, app.config["QUEUE_PAGE_SIZE"]  # the links' queues span pages
    try:
        page = client.get(f"/dashboard/?{PERIOD_2025}").get_data(as_text=True)
        linked = _linked_counts(page)
        assert len(linked) >= 8
        for (section, label), (url, shown) in linked.items():
            listed = _queue_ids(client, url)
            assert len(listed) == len(set(listed)) == shown, (section, label, url, listed)
    finally:
        app.config["QUEUE_PAGE_SIZE"] = old
    # Several numbers, by the cases themselves (see the data set in test_dashboard.py).
    expected = {
        ("overzicht", "Ontvangen in de periode"): {"A1", "A2", "A3", "A4", "A5", "B1"},
        ("overzicht", "Termijn verlengd"): {"A2"},
        ("overzicht", "Nu te laat (termijn verstreken, nog geen antwoord verstuurd)"): {"A5", "B3"},
        ("status", "Geweigerd"): {"A2", "B1"},
        ("soort", "Inzage"): {"A1", "A3", "A5"},
        ("school", "School A"): {"A1", "A2", "A3", "A4", "A5"},
    }
    grounds = {label.split(":")[0]: label for section, label in linked if section == "weigeringsgronden"}
    assert set(grounds) == {"Art. 15 lid 4 AVG", "Art. 17 lid 3 sub b AVG", "Art. 41 lid 1 sub i UAVG"}
    expected[("weigeringsgronden", grounds["Art. 15 lid 4 AVG"])] = {"A3", "B1"}
    for key, names in expected.items():
        if who == "director_a":
            names = {n for n in names if n.startswith("A")}
        assert sorted(_queue_ids(client, linked[key][0])) == sorted(data[n] for n in names), key


def test_a_count_of_zero_has_no_link_and_shares_and_medians_none(app, people, data):  # noqa: F811
    page = _client(app, people.email["privacy"]).get(f"/dashboard/?{PERIOD_2025}").get_data(as_text=True)
    linked = _linked_counts(page)
    assert ("status", "Wacht op directeur") not in linked  # 0 cases: nothing to list
    assert not [key for key in linked if key[0] in ("termijn", "doorlooptijd")]


def test_the_links_keep_the_dashboards_school(app, people, data):  # noqa: F811
    client = _client(app, people.email["privacy"])
    page = client.get(f"/dashboard/?{PERIOD_2025}&school={people.school_b}").get_data(as_text=True)
    url, shown = _linked_counts(page)[("overzicht", "Ontvangen in de periode")]
    assert f"school={people.school_b}" in url and "ontvangen_van=2025-01-01" in url and "status=alle" in url
    assert _queue_ids(client, url) == [data["B1"]] and shown == 1


def _flag_cases(app, people) -> dict[str, int]:
    """Refusals waiting 3 and 1 working days, a decided case whose letter is not sent, an overdue case, and
    the same at school B."""
    with app.app_context():
        today = local_today()
        long_ago = queue_service.proposed_before(today, 3) - dt.timedelta(hours=1)
        recently = queue_service.proposed_before(today, 1) + dt.timedelta(hours=1)
        future = today + dt.timedelta(days=20)
        a, b = people.school_a, people.school_b
        made = {
            "waiting_long": _case(a, "access", "awaiting_director", today, future, proposed_at=long_ago),
            "waiting_short": _case(a, "access", "awaiting_director", today, future, proposed_at=recently),
            "letter": _case(a, "access", "refused", today, future, letter_pending=True),
            "overdue": _case(a, "access", "identity_checked", today - dt.timedelta(days=40),
                             today - dt.timedelta(days=3)),
            "b_waiting": _case(b, "access", "awaiting_director", today, future, proposed_at=long_ago),
            "b_letter": _case(b, "access", "fulfilled", today, today - dt.timedelta(days=1), letter_pending=True),
        }
        db.session.commit()
    return made


@pytest.mark.parametrize(("who", "expected"), [
    ("privacy", {"director": ["waiting_long", "b_waiting"], "letter": ["b_letter", "letter"],
                 "overdue": ["overdue", "b_letter"]}),
    ("director_a", {"director": ["waiting_long"], "letter": ["letter"], "overdue": ["overdue"]}),
])
def test_flags_count_and_link_to_the_cases(app, people, who, expected):
    made = _flag_cases(app, people)
    client = _client(app, people.email[who])
    page = client.get("/dashboard/").get_data(as_text=True)
    flags = {key: (html.unescape(url), int(count)) for key, url, count in FLAG.findall(page)}
    assert list(flags) == ["director", "letter", "overdue"]
    assert "wacht_langer_dan=2" in flags["director"][0] and "brief=1" in flags["letter"][0]
    assert "te_laat=1" in flags["overdue"][0]
    for key, names in expected.items():
        url, count = flags[key]
        assert count == len(names), key
        assert sorted(_queue_ids(client, url)) == sorted(made[n] for n in names), key
    assert "Wachten langer dan 2 werkdagen op de directeur" in page


def test_sections_are_collapsible_the_first_two_open(app, people, data):  # noqa: F811
    page = _client(app, people.email["privacy"]).get(f"/dashboard/?{PERIOD_2025}").get_data(as_text=True)
    folds = re.findall(r'<details class="figures-fold" ?(open)?>\s*<summary><h2 id="([\w-]+)-heading">', page)
    assert [key for _open, key in folds] == ["overzicht", "termijn", "status", "soort", "school",
                                             "weigeringsgronden", "te-laat", "doorlooptijd"]
    assert [bool(is_open) for is_open, _key in folds] == [True, True] + [False] * 6


def test_the_dashboard_in_english_links_too(app, people, data):  # noqa: F811
    client = _client(app, people.email["privacy"])
    client.post("/taal", data={"lang": "en", "next": "/dashboard/"})
    page = client.get(f"/dashboard/?{PERIOD_2025}").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Waiting for the director longer than 2 working days" in page and "Needs attention now" in page
    assert "data-queue-link" in page
