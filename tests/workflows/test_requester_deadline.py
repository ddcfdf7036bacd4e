"""The deadline in the requester's words (issue 14 point 5), one id per rule of docs/legal.md §1.

The staff explanation ("Eén maand na vr 04-12-2026 is ma 04-01-2027; dat is een werkdag ...") stays for
whoever wants to check the date; the requester reads one sentence, in their language.
"""
from __future__ import annotations

from datetime import date

import pytest

from dsr.workflows.deadlines import legal_deadline
from dsr.workflows.requester_deadline import (
    EXTENSION,
    START,
    SUSPENSION,
    DeadlineChange,
    answer_by_sentence,
    change_sentence,
    deadline_history,
    requester_deadline_sentence,
    spoken_date,
)

D = date.fromisoformat


def case(rule: str, *values, label: str):
    return pytest.param(*values, id=f"{rule}: {label}")


@pytest.mark.parametrize("received, extended, suspended, nl, en", [
    case("R-DL-2", D("2026-12-04"), False, 0, "U krijgt uiterlijk maandag 4 januari 2027 antwoord.",
         "You will get our answer by Monday 4 January 2027 at the latest.", label="issue example: Fri 04-12-2026"),
    case("R-DL-2", D("2025-03-31"), False, 0, "U krijgt uiterlijk woensdag 30 april 2025 antwoord.",
         "You will get our answer by Wednesday 30 April 2025 at the latest.", label="clamped to the month end"),
    case("R-DL-3", D("2026-01-30"), False, 0, "U krijgt uiterlijk maandag 2 maart 2026 antwoord.",
         "You will get our answer by Monday 2 March 2026 at the latest.", label="Saturday rolls to Monday"),
    case("R-DL-3", D("2026-11-25"), False, 0, "U krijgt uiterlijk maandag 28 december 2026 antwoord.",
         "You will get our answer by Monday 28 December 2026 at the latest.", label="Christmas rolls on"),
    case("R-DL-4", D("2026-03-27"), False, 0, "U krijgt uiterlijk dinsdag 28 april 2026 antwoord.",
         "You will get our answer by Tuesday 28 April 2026 at the latest.", label="King's Day rolls on"),
    case("R-DL-5", D("2026-01-30"), True, 0, "U krijgt uiterlijk dinsdag 28 april 2026 antwoord.",
         "You will get our answer by Tuesday 28 April 2026 at the latest.", label="extended by two months"),
    case("R-DL-6", D("2026-01-30"), False, 10, "U krijgt uiterlijk dinsdag 10 maart 2026 antwoord.",
         "You will get our answer by Tuesday 10 March 2026 at the latest.", label="ten days suspended"),
])
def test_the_requester_reads_one_sentence(received, extended, suspended, nl, en):
    assert requester_deadline_sentence(received, extended=extended, suspended_days=suspended) == nl
    assert requester_deadline_sentence(received, extended=extended, suspended_days=suspended, lang="en") == en
    # No staff notation: no short weekday, no dd-mm-yyyy, no rule id.
    for sentence in (nl, en):
        assert "R-DL" not in sentence and "-20" not in sentence


def test_spoken_date_matches_the_mails_long_date():
    assert spoken_date(D("2027-01-04")) == "maandag 4 januari 2027"
    assert spoken_date(D("2027-01-04"), "en") == "Monday 4 January 2027"
    with pytest.raises(ValueError):
        answer_by_sentence(D("2027-01-04"), "de")


@pytest.mark.parametrize("facts, kinds", [
    case("R-DL-2", {}, [(START, D("2026-03-02"))], label="no change: one entry"),
    case("R-DL-5", {"extended": True, "extended_on": D("2026-02-20")},
         [(START, D("2026-03-02")), (EXTENSION, D("2026-04-28"))], label="extension"),
    case("R-DL-6", {"suspended_days": 10, "suspension_ended_on": D("2026-02-12")},
         [(START, D("2026-03-02")), (SUSPENSION, D("2026-03-10"))], label="suspension"),
    case("R-DL-6", {"suspended_days": 0, "suspension_ended_on": D("2026-02-12")},
         [(START, D("2026-03-02"))], label="a question that did not stop the clock moves nothing"),
    case("R-DL-5", {"suspended_days": 10, "suspension_ended_on": D("2026-02-12"), "extended": True,
                    "extended_on": D("2026-02-25")},
         [(START, D("2026-03-02")), (SUSPENSION, D("2026-03-10")), (EXTENSION, D("2026-05-08"))],
         label="suspension then extension, in the order they happened"),
    case("R-DL-5", {"suspended_days": 10, "suspension_ended_on": D("2026-03-12"), "extended": True,
                    "extended_on": D("2026-02-25")},
         [(START, D("2026-03-02")), (EXTENSION, D("2026-04-28")), (SUSPENSION, D("2026-05-08"))],
         label="extension then suspension"),
])
def test_the_deadline_history_shows_why_it_moved(facts, kinds):
    history = deadline_history(D("2026-01-30"), **facts)
    assert [(change.kind, change.due_on) for change in history] == kinds
    assert history[-1].due_on == legal_deadline(D("2026-01-30"), extended=facts.get("extended", False),
                                                suspended_days=facts.get("suspended_days", 0))


@pytest.mark.parametrize("change, nl, en", [
    case("R-DL-2", DeadlineChange(START, D("2026-01-30"), D("2026-03-02")),
         "Wij hebben uw verzoek ontvangen op vrijdag 30 januari 2026. Wij hebben dan één maand om te antwoorden: "
         "tot maandag 2 maart 2026.",
         "We received your request on Friday 30 January 2026. We then have one month to answer: "
         "until Monday 2 March 2026.", label="start"),
    case("R-DL-5", DeadlineChange(EXTENSION, D("2026-02-20"), D("2026-04-28")),
         "Op vrijdag 20 februari 2026 hebben wij de termijn verlengd. De nieuwe datum is "
         "dinsdag 28 april 2026.",
         "On Friday 20 February 2026 we extended the deadline. The new date is "
         "Tuesday 28 April 2026.", label="extension"),
    case("R-DL-6", DeadlineChange(SUSPENSION, D("2026-02-12"), D("2026-03-03"), 1),
         "De termijn heeft 1 dag stilgestaan, terwijl wij op uw antwoord wachtten. Die dagen komen erbij: de "
         "nieuwe datum is dinsdag 3 maart 2026.",
         "The clock stood still for 1 day while we waited for your answer. Those days are added: the new date "
         "is Tuesday 3 March 2026.", label="one day"),
])
def test_each_change_in_plain_words(change, nl, en):
    assert change_sentence(change) == nl
    assert change_sentence(change, "en") == en
