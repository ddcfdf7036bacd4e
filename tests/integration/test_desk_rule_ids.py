"""Issue 15 point 5, the whole case page: no rule id (R-EX-2, R-RI-3, ...) is text anywhere on it, the
fulfilment section, the step forms, their labels, help, errors and the flash messages included; the ids sit
behind "Waarom?" for whoever wants them. The case is walked through the states and rights whose sections
cite rules (access with its package, rectification, erasure, a proposed refusal, a refused form)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import signed_in, step, submit
from tests.integration.helpers import delivered_package, documents_of, in_english, reviewed_case, upload
from tests.integration.test_desk_history import _rule_ids as _shown


def _assert_none_shown(client, case_id: int, *expected_behind_why: str) -> None:
    for language in ("nl", "en"):
        if language == "en":
            in_english(client)
        page = client.get(f"/zaken/{case_id}").get_data(as_text=True)
        shown, why = _shown(page)
        assert shown == [], f"rule ids shown as text ({language}): {shown}"
        for rule in expected_behind_why:
            assert rule in why, f"{rule} behind Waarom? ({language})"
    client.post("/taal", data={"lang": "nl", "next": "/"})


def test_access_package_section(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    assert documents_of(app, case_id)
    _assert_none_shown(staff, case_id, "R-EX-2", "R-EX-3")


def test_a_delivered_package(app, client, people, categories, smtp_server, run_jobs):
    case_id, _link, _document = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    _assert_none_shown(signed_in(app, people), case_id)


@pytest.mark.parametrize("right, role, age", [("rectification", "student", 17), ("erasure", "student", 21),
                                               ("restriction", "parent", 10), ("objection", "parent", 10)])
def test_other_rights_sections(app, client, people, right, role, age):
    today = dt.date.today()
    case_id = submit(client, people.school_a, right=right, requester_role=role,
                     parental_authority="yes" if role == "parent" else "",
                     student_birth_date=dt.date(today.year - age, 3, 1).isoformat(), data_concerned="Alles",
                     correct_value="14-03-2009" if right == "rectification" else "")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    _assert_none_shown(staff, case_id)
    assert step(staff, app, case_id, "review", decision="grant", grounds=[], reason="Beoordeeld.").status_code == 302
    _assert_none_shown(staff, case_id)


def test_a_refused_step_and_a_proposed_refusal(app, client, people):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    staff = signed_in(app, people)
    refused = step(staff, app, case_id, "review", decision="refuse", grounds=[], reason="")
    page = refused.get_data(as_text=True)
    assert refused.status_code in (409, 422)
    assert _shown(page)[0] == [], "the refused step's messages carry no rule id as text"
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="refuse", grounds=["art12_5"],
                reason="Vijfde identieke verzoek in acht weken.").status_code == 302
    _assert_none_shown(staff, case_id)
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Voorstel aan de directeur.").status_code == 302
    _assert_none_shown(staff, case_id)
    director = signed_in(app, people, "director_a")
    _assert_none_shown(director, case_id)
