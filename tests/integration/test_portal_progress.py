"""Where the request stands, and its deadline in plain words, on "Mijn verzoek" (issue 14 points 5, 6).

The status page shows the six steps as an ordered list, the deadline as one sentence ("U krijgt uiterlijk
... antwoord."), why it moved (extension, the clock that stood still), and the legal calculation one click
away; in English every sentence is English. When a suspension moves the deadline, the requester gets a
mail with the reference and a portal link only.
"""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case
from dsr.templating import long_date
from dsr.workflows.deadlines import legal_deadline
from tests.helpers import case_version, link_in, step
from tests.integration.helpers import (
    assert_english,
    body,
    detached_case,
    in_english,
    mails_to,
    open_portal,
    path_of,
    reader_text,
    reference_of,
    set_case_columns,
)

#: Dutch words that carry a sentence; none may be left on the English status page (stricter than the
#: markers of ``assert_english``, which let the old Dutch deadline sentence through).
DUTCH_SENTENCE_WORDS = ("de", "het", "een", "dat", "dus", "wij", "u", "uw", "na", "op", "is een", "werkdag",
                        "termijn", "maand", "antwoord", "uiterlijk", "verlengd", "stilgestaan", "dagen")
RECEIVED = dt.date.today() - dt.timedelta(days=20)  # an extension can still be notified
ANSWERED = RECEIVED + dt.timedelta(days=10)


def _suspend(app, staff, case_id, kind="identity"):
    """A question asked on the day of receipt, answered ten days later: R-DL-6 credits ten days."""
    set_case_columns(app, case_id, received_on=RECEIVED, due_on=legal_deadline(RECEIVED))
    assert step(staff, app, case_id, "request_information", kind=kind, reason="Graag inloggen.").status_code == 302
    set_case_columns(app, case_id, info_requested_on=RECEIVED)
    response = step(staff, app, case_id, "information_received", received_on=ANSWERED.isoformat())
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _moved_mails(smtp_server):
    return mails_to(smtp_server, "ouder@example.nl", "Nieuwe datum")


def test_a_suspension_that_moves_the_deadline_mails_the_reference_and_a_link(app, case_id, staff, smtp_server,
                                                                             run_jobs):
    _suspend(app, staff, case_id)
    case = detached_case(app, case_id)
    assert case.suspended_days == 10 and case.due_on == legal_deadline(RECEIVED, suspended_days=10)
    run_jobs()
    mails = _moved_mails(smtp_server)
    assert len(mails) == 1
    text, reference = body(mails[0]), reference_of(app, case_id)
    assert reference in mails[0]["Subject"] and reference in text
    for content in ("Alex", "Jansen", "Sam", long_date(case.due_on), long_date(legal_deadline(RECEIVED))):
        assert content not in text, content
    with app.app_context():
        moved = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "case.deadline_moved")).scalar_one()
        assert moved.actor_kind == "staff"
    # The link opens the page that says the new date and why.
    requester = app.test_client()
    assert requester.get(path_of(link_in(text))).status_code == 302
    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert f"U krijgt uiterlijk {long_date(case.due_on)} antwoord." in page
    assert "De termijn heeft 10 dagen stilgestaan" in page


def test_a_question_that_does_not_stop_the_clock_sends_no_deadline_mail(app, case_id, staff, smtp_server, run_jobs):
    _suspend(app, staff, case_id, kind="clarification")  # no large amount of data: the clock ran on
    assert detached_case(app, case_id).suspended_days == 0
    run_jobs()
    assert _moved_mails(smtp_server) == []


def test_status_page_shows_the_timeline_as_an_ordered_list(app, case_id, staff, smtp_server, run_jobs):
    requester = app.test_client()
    open_portal(requester, app, case_id, smtp_server, run_jobs)
    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', page, re.S).group(1)
    items = re.findall(r"<li ([^>]*)>(.*?)</li>", timeline, re.S)
    labels = [" ".join(reader_text(inner).split()) for _, inner in items]
    assert labels == ["Verzoek ontvangen klaar", "E-mailadres bevestigd klaar", "Identiteit gecontroleerd nu bezig",
                      "Wij beoordelen uw verzoek komt nog", "Beslissing genomen komt nog",
                      "Antwoord verstuurd komt nog"]
    assert ['aria-current="step"' in attrs for attrs, _ in items] == [False, False, True, False, False, False]
    assert step(staff, app, case_id, "request_information", kind="identity", reason="Graag.").status_code == 302
    page = requester.get("/mijn-verzoek/overzicht").get_data(as_text=True)
    assert "Identiteit gecontroleerd</span>" in page and "wij wachten op u" in page
    # The plain sentence first; the calculation for staff only inside <details>.
    case = detached_case(app, case_id)
    assert f"U krijgt uiterlijk {long_date(case.due_on)} antwoord." in page
    details = re.search(r'<details class="deadline-why">(.*?)</details>', page, re.S).group(1)
    assert "Eén maand na" in details and "Eén maand na" not in page.replace(details, "")


def _words(text: str) -> list[str]:
    found = []
    for word in DUTCH_SENTENCE_WORDS:
        match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
        if match:
            found.append(f"{word}: ...{text[max(0, match.start() - 50):match.end() + 50]}...")
    return found


def test_english_status_page_has_no_dutch_sentence(app, case_id, staff, smtp_server, run_jobs):
    _suspend(app, staff, case_id)
    response = staff.post(f"/zaken/{case_id}/verlengen", data={
        "version": case_version(app, case_id), "reasons": ["volume"], "reason": "Much of the file is on paper."})
    assert response.status_code == 302
    requester = app.test_client()
    open_portal(requester, app, case_id, smtp_server, run_jobs)
    in_english(requester)
    page = assert_english(requester.get("/mijn-verzoek/overzicht"), "status page")
    case = detached_case(app, case_id)
    text = " ".join(reader_text(page).split())
    # What the requester and staff typed (names, the school, the extension's reason in the case's language)
    # is theirs; everything else must be English.
    with app.app_context():
        school = db.session.get(Case, case_id).school.name
    for typed in (school, case.extension_reason, case.reference, "Graag inloggen."):
        text = text.replace(typed, "")
    assert _words(text) == [], f"Dutch left on the English status page: {_words(text)}"
    assert f"You will get our answer by {long_date(case.due_on, 'en')} at the latest." in text
    assert "The clock stood still for 10 days" in text and "we extended the deadline" in text
    assert "One month plus the two-month extension" in text, "the calculation, in English, one click away"
