"""The intake form tells the truth before the request is sent (issue 11, point 10), through HTTP, no JS.

The first POST answers with the check step: "Dit krijgt u" (workflows.intake_preview, built on
policy.assess) and every answer; nothing is stored. "Verzoek versturen" posts the answers again and
registers the case; "Wijzigen" goes back to the form with every answer kept. Also: the carer
(verzorger), requests about the requester's own data, the Art. 13 information, the JSON behind the live
text, and the English page.
"""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from dsr.extensions import db
from dsr.models import Case
from dsr.services import cases
from dsr.services.packages import PURGE_AFTER_MONTHS
from tests.helpers import case_count, intake_data, login


def _page(response) -> str:
    return response.get_data(as_text=True)


def _birth(years: int, days: int = -40) -> str:
    """A birth date making the student ``years`` old today (a few weeks past the birthday)."""
    today = dt.date.today()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return (day + dt.timedelta(days=days)).isoformat()


def _check(client, app, school_id, **overrides) -> str:
    """Post the form (the first step): the check page comes back and nothing is stored."""
    before = case_count(app)
    response = client.post("/", data=intake_data(school_id, step="check", **overrides))
    page = _page(response)
    assert response.status_code == 200, page[:1500]
    assert "Controleer uw verzoek" in page and "Dit krijgt u" in page, page[:3000]
    assert case_count(app) == before, "the check step stores nothing"
    return page


def _what_you_get(page: str) -> str:
    block = re.search(r'<div class="what-you-get" data-kind="([^"]+)"[^>]*>(.*?)</div>', page, re.S)
    assert block, page[:3000]
    return block.group(1) + " | " + html.unescape(re.sub(r"<[^>]+>", " ", block.group(2)))


def _hidden(page: str) -> dict:
    """The answers the check step carries to "Verzoek versturen" (its hidden fields)."""
    form = re.search(r'<form method="post" action="/" class="check-actions">(.*?)</form>', page, re.S).group(1)
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)}


def _send(client, page: str) -> Case:
    """Press "Verzoek versturen" on the check page; return the stored case."""
    response = client.post("/", data={**_hidden(page), "step": "send"})
    assert response.status_code == 302, _page(response)[:1500]
    with client.session_transaction() as session:
        case_id = session["submitted_case_id"]
    case = db.session.get(Case, case_id)
    db.session.expunge(case)
    return case


# --------------------------------------------------------------------------- the two steps

def test_check_step_shows_what_you_get_and_every_answer_then_sends(app, client, people):
    page = _check(client, app, people.school_a, student_birth_date=_birth(12), student_number="LL-77",
                  requester_phone="+31 6 1234 5678", details="Graag per post.\nDank u.")
    assert "full |" in _what_you_get(page) and "het hele dossier" in _what_you_get(page)
    summary = html.unescape(re.search(r'<dl class="facts check-summary">(.*?)</dl>', page, re.S).group(1))
    for shown in ("Inzage", "School A", "Sam Jansen", "LL-77", "Ouder", "Alex Jansen", "alex.jansen@example.nl",
                  "+31 6 1234 5678", "Graag per post.\nDank u.",
                  dt.date.fromisoformat(_birth(12)).strftime("%d-%m-%Y")):
        assert shown in summary, shown
    assert 'value="send"' in page and 'value="edit"' in page and "Uw verzoek is nog niet verstuurd" in page
    with app.app_context():
        case = _send(client, page)
    assert (case.student_number, case.requester_phone, case.details) == ("LL-77", "+31 6 1234 5678",
                                                                          "Graag per post.\nDank u.")
    assert (case.requester_role, case.parental_authority, case.subject) == ("parent", True, "student")


def test_edit_goes_back_to_the_form_with_every_answer_kept(app, client, people):
    page = _check(client, app, people.school_a, right="rectification", student_birth_date=_birth(17),
                  data_concerned="Het adres", correct_value="Dorpsstraat 1\nDorp", parental_authority="unknown")
    response = client.post("/", data={**_hidden(page), "step": "edit"})
    form = _page(response)
    assert response.status_code == 200 and case_count(app) == 0
    assert "Er ging iets mis" not in form and "Verder naar controleren" in form
    assert re.search(r'<input[^>]*checked[^>]*value="rectification"', form)
    assert re.search(r'<input[^>]*checked[^>]*value="unknown"', form)
    assert re.search(rf'<input[^>]*name="student_birth_date"[^>]*value="{_birth(17)}"', form)
    assert re.search(r'<input[^>]*name="requester_email"[^>]*value="alex.jansen@example.nl"', form)
    assert "Dorpsstraat 1\nDorp</textarea>" in form and "Het adres</textarea>" in form
    # The form shows the same "Dit krijgt u" as the check step did.
    assert _what_you_get(form) == _what_you_get(page)


def test_bad_input_at_the_check_step_goes_to_the_form_with_the_message_at_the_field(app, client, people):
    response = client.post("/", data=intake_data(people.school_a, step="check", student_birth_date="31-02-2012",
                                                 details="Mijn toelichting"))
    page = _page(response)
    assert response.status_code == 200 and "Controleer uw verzoek" not in page
    assert "Vul een bestaande datum in, bijvoorbeeld 14-03-2012." in page
    assert "Mijn toelichting</textarea>" in page and 'value="31-02-2012"' in page
    # Sending tampered answers from the check step is checked again, never stored unchecked.
    response = client.post("/", data=intake_data(people.school_a, step="send", requester_email="geen-adres"))
    assert response.status_code == 200 and case_count(app) == 0
    assert "Vul een geldig e-mailadres in" in _page(response)


@pytest.mark.parametrize("overrides, kind, words", [
    pytest.param({"student_birth_date": _birth(12)}, "full", "het hele dossier", id="R-CH-2: parent with gezag, 12"),
    pytest.param({"requester_role": "student", "parental_authority": "", "student_birth_date": _birth(12)},
                 "full", "uw hele dossier", id="R-CH-2: the student of 12 herself"),
    pytest.param({"student_birth_date": _birth(17)}, "learning_results", "alleen de leerresultaten",
                 id="R-CH-3: parent with gezag, 17"),
    pytest.param({"student_birth_date": _birth(17), "right": "erasure", "data_concerned": "foto"}, "consent_needed",
                 "niet doen zonder schriftelijke toestemming", id="R-CH-3: parent with gezag, 17, erasure"),
    pytest.param({"student_birth_date": _birth(20)}, "consent_needed", "niets zonder schriftelijke toestemming",
                 id="R-CH-4: parent, student 20"),
    pytest.param({"parental_authority": "no", "student_birth_date": _birth(12)}, "info_377c", "1:377c",
                 id="R-CH-5: parent without gezag, 12"),
    pytest.param({"parental_authority": "unknown", "student_birth_date": _birth(12)}, "depends_on_gezag",
                 "hangt af van het gezag", id="R-ID-4: parent does not know"),
])
def test_main_combinations(app, client, people, overrides, kind, words):
    text = _what_you_get(_check(client, app, people.school_a, **overrides))
    assert text.startswith(kind + " |") and words in text, text


# --------------------------------------------------------------------------- the carer (verzorger)

def test_carer_without_gezag_is_told_plainly_and_pointed_elsewhere(app, client, people):
    page = _check(client, app, people.school_a, requester_role="carer", parental_authority="no",
                  student_birth_date=_birth(12))
    text = _what_you_get(page)
    assert text.startswith("no_rights |") and "Als verzorger zonder gezag heeft u geen recht" in text
    assert "ouder met gezag of de voogd, of door de leerling zelf" in text
    assert "Verzorger (stiefouder, pleegouder)" in page
    with app.app_context():
        case = _send(client, page)
        assert (case.requester_role, case.parental_authority) == ("carer", False)
        stored = db.session.get(Case, case.id)
        assessment = cases.assessment_for(stored)
    assert (assessment.outcome, assessment.grounds) == ("refused", ("R-ID-4", "R-CH-2"))


def test_carer_with_gezag_is_treated_as_a_gezag_holder(app, client, people):
    page = _check(client, app, people.school_a, requester_role="carer", parental_authority="yes",
                  student_birth_date=_birth(12))
    assert _what_you_get(page).startswith("full |")
    with app.app_context():
        case = _send(client, page)
        assessment = cases.assessment_for(db.session.get(Case, case.id))
    assert (case.parental_authority, assessment.outcome, assessment.scope) == (True, "allowed", "full")


def test_carer_must_say_whether_they_hold_gezag(app, client, people):
    response = client.post("/", data=intake_data(people.school_a, step="check", requester_role="carer",
                                                 parental_authority=""))
    page = _page(response)
    assert response.status_code == 200 and "Controleer uw verzoek" not in page
    assert '<p class="error" id="parental_authority-error">Geef aan of u het ouderlijk gezag heeft.</p>' in page


# --------------------------------------------------------------------------- the requester's own data

def test_own_data_request_outside_the_age_rules(app, client, people):
    """§9 last row: a parent of a 20-year-old asks to correct their own phone number; gezag is not asked."""
    page = _check(client, app, people.school_a, right="rectification", subject="requester", parental_authority="",
                  student_birth_date=_birth(20), data_concerned="Mijn telefoonnummer", correct_value="06 12345678")
    text = _what_you_get(page)
    assert text.startswith("own_data |") and "uw eigen gegevens" in text
    assert "Mijzelf (ouder/verzorger)" in page
    with app.app_context():
        case = _send(client, page)
        assessment = cases.assessment_for(db.session.get(Case, case.id))
    assert (case.subject, case.parental_authority) == ("requester", None)
    assert (assessment.outcome, assessment.scope, assessment.grounds) == ("allowed", "full", ("§9-EIGEN",))

    # The receipt letter speaks of the requester's own data, not the student's.
    from dsr.services import letters

    with app.app_context():
        receipt = letters.draft(db.session.get(Case, case.id), "receipt").text
    assert "Het verzoek gaat over uw gegevens." in receipt and "de gegevens van Sam Jansen" not in receipt

    login(client, people.email["staff_a"])
    staff_page = _page(client.get(f"/zaken/{case.id}"))
    assert 'data-subject="requester"' in staff_page
    assert "Eigen gegevens van de aanvrager" in staff_page and "§9-EIGEN" in staff_page


def test_a_student_asking_about_herself_is_a_student_file_request(app, client, people):
    page = _check(client, app, people.school_a, requester_role="student", parental_authority="", subject="requester",
                  student_birth_date=_birth(15))
    with app.app_context():
        case = _send(client, page)
    assert case.subject == "student"


# --------------------------------------------------------------------------- what the form says

def test_form_gives_the_art_13_information_and_says_who_reads_each_text(app, client, people):
    page = html.unescape(_page(client.get("/")))
    years = app.config["CASE_RETENTION_YEARS"]
    assert f"bewaart de school {years} jaar nadat het is afgesloten" in page
    assert f"{PURGE_AFTER_MONTHS} maanden na de levering" in page
    assert 'href="/verwerkingsregister/"' in page and "wettelijke plicht" in page
    assert "Gezag betekent" in page
    # Every free-text field says who reads it.
    for name in ("data_concerned", "details", "correct_value"):
        help_text = re.search(rf'<p class="help" id="{name}-help">(.*?)</p>', page, re.S).group(1)
        assert "De medewerkers die uw verzoek behandelen lezen dit" in help_text, name
    # The old, false sentence is gone: a child under 16 may ask herself (R-CH-2).
    assert "doet een ouder met gezag het verzoek" not in page
    assert "Dan mag de leerling zelf een verzoek doen" in page
    assert "/static/intake.js" in page and "<script>" not in page


def test_live_text_comes_from_the_server_as_json(app, client, people):
    response = client.get("/verzoek/wat-krijgt-u", query_string={
        "requester_role": "parent", "parental_authority": "no", "student_birth_date": _birth(12), "right": "access"})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["kind"] == "info_377c" and data["grounds"] == ["R-CH-5", "R-CH-7"] and data["complete"]
    assert "1:377c" in data["headline"]
    # Dutch dates work too; nothing readable yet is "incomplete", never an error.
    dutch = dt.date.fromisoformat(_birth(17)).strftime("%d-%m-%Y")
    data = client.get("/verzoek/wat-krijgt-u", query_string={"requester_role": "student",
                                                             "student_birth_date": dutch}).get_json()
    assert data["kind"] == "full"
    for query in ({}, {"requester_role": "x", "student_birth_date": "morgen"}, {"student_birth_date": "9999-99-99"}):
        response = client.get("/verzoek/wat-krijgt-u", query_string=query)
        assert response.status_code == 200 and response.get_json()["kind"] == "incomplete"


def test_check_step_and_live_text_in_english(app, client, people):
    assert client.post("/taal", data={"lang": "en", "next": "/"}).status_code == 303
    page = html.unescape(_page(client.post("/", data=intake_data(people.school_a, step="check",
                                                                  student_birth_date=_birth(17)))))
    assert "Check your request" in page and "What you will get" in page
    assert "only the learning results" in _what_you_get(page)
    data = client.get("/verzoek/wat-krijgt-u", query_string={"requester_role": "carer", "parental_authority": "no",
                                                             "student_birth_date": _birth(12)}).get_json()
    assert "carer without parental authority" in data["headline"]
