"""Issue 15 point 4: a form that fails validation keeps every choice and marks the field. For the step forms
(the "Wat kunt u nu doen?" part of the case page) and the fulfilment forms: radio, select and checkbox
choices kept; the field with the error has aria-invalid="true" and its message linked by aria-describedby;
required fields say "(verplicht)" and carry ``required``."""
from __future__ import annotations

import re

import pytest

from tests.helpers import case_version, signed_in, step, submit
from tests.integration.helpers import field_error, reviewed_case, years_ago


def _form(page: str, action: str) -> str:
    """The HTML of the form posting to ``action`` (its opening tag included)."""
    start = page.index(f'action="{action}"')
    return page[page.rindex("<form", 0, start):page.index("</form>", start)]


def _input(form: str, field_id: str) -> str:
    """The tag of the control with ``field_id``."""
    match = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', form)
    assert match, field_id
    return match.group(0)


def _label(form: str, field_id: str) -> str:
    match = re.search(rf'<label for="{re.escape(field_id)}">(.*?)</label>', form, re.S)
    assert match, field_id
    return match.group(1)


def _checked(form: str) -> set[str]:
    """The ids of the ticked radio buttons and boxes in ``form``."""
    return {re.search(r'\sid="([^"]+)"', tag).group(1) for tag in re.findall(r"<input\b[^>]*\bchecked\b[^>]*>", form)}


def _assert_marked_invalid(form: str, field_id: str, message: str) -> None:
    """The field's message is shown and linked, and the control is marked invalid."""
    assert field_error(form, field_id) == message
    tag = _input(form, field_id)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    assert f"{field_id}-error" in described, tag


def _verified(app, client, people, **overrides):
    case_id = submit(client, people.school_a, **overrides)
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    return case_id, staff


def test_a_failed_review_keeps_the_decision_grounds_and_consent_and_marks_the_reason(app, client, people):
    case_id, staff = _verified(app, client, people)
    response = step(staff, app, case_id, "review", decision="partial", grounds=["art15_4"], student_consent="y",
                    reason="   ")
    assert response.status_code == 422
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/stap/review")
    assert _checked(form) == {"review-decision-1", "review-grounds-0", "review-student_consent"}, \
        "every choice is kept"
    _assert_marked_invalid(form, "review-reason", "Licht de beslissing toe.")
    assert "(verplicht)" in _label(form, "review-reason") and " required" in _input(form, "review-reason")


def test_a_refusal_without_grounds_is_marked_at_the_grounds(app, client, people):
    case_id, staff = _verified(app, client, people)
    response = step(staff, app, case_id, "review", decision="refuse", reason="Buitensporig.")
    assert response.status_code == 422
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/stap/review")
    assert field_error(form, "review-grounds") == \
        "Kies bij een (gedeeltelijke) weigering de wettelijke grond(en)."
    assert "R-EX-1" in form.split('id="review-grounds"')[1].split("</details>")[0], "the rule id behind Waarom?"
    assert 'aria-describedby="review-grounds-error' in form.split('id="review-grounds"')[1][:200]
    assert all('aria-invalid="true"' in tag for tag in re.findall(r'<input[^>]*name="grounds"[^>]*>', form))
    assert "review-decision-2" in _checked(form) and "Buitensporig." in form, "the choice and the text are kept"


def test_what_only_the_workflow_refuses_is_shown_at_the_field_it_is_about(app, client, people):
    """A parent of a 17-year-old without the student's consent: the assessment does not allow "grant" (R-CH-3).
    The form's own checks pass; the workflow's refusal lands at the decision, the form open, choices kept."""
    case_id, staff = _verified(app, client, people, student_birth_date=years_ago(17))
    response = step(staff, app, case_id, "review", decision="grant", reason="Alles geven.")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    form = _form(page, f"/zaken/{case_id}/stap/review")
    assert "staat volledige toewijzing niet toe" in field_error(form, "review-decision")
    assert "review-decision-0" in _checked(form) and "Alles geven." in form
    details = page[:page.index(f'action="/zaken/{case_id}/stap/review"')].rsplit("<details", 1)[1]
    assert details.startswith(' class="action" open'), "the form is open at the problem"


def test_a_proposal_without_the_explanation_for_the_requester_keeps_the_note(app, client, people):
    case_id, staff = reviewed_case(app, client, people, decision="refuse", grounds=["art12_5"])
    response = step(staff, app, case_id, "propose_refusal", reason="Vijfde verzoek.")
    assert response.status_code == 422
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/stap/propose_refusal")
    _assert_marked_invalid(form, "propose_refusal-requester_explanation",
                           "Leg de weigering uit aan de aanvrager: die uitleg komt in de brief.")
    assert "Vijfde verzoek." in form
    assert 'aria-invalid' not in _input(form, "propose_refusal-reason")


@pytest.mark.parametrize(("trigger", "state_maker", "required"), [
    ("verify_identity", "submitted", ["verify_identity-method-0", "verify_identity-authority-0"]),
    ("request_information", "submitted", ["request_information-kind-0", "request_information-reason"]),
    ("withdraw", "submitted", ["withdraw-reason"]),
    ("review", "verified", ["review-decision-0", "review-reason"]),
    ("fulfil", "reviewed", ["fulfil-reason"]),
])
def test_required_fields_are_marked_before_anything_is_posted(app, client, people, trigger, state_maker,
                                                                 required):
    if state_maker == "submitted":
        case_id, staff = submit(client, people.school_a), signed_in(app, people)
    elif state_maker == "verified":
        case_id, staff = _verified(app, client, people)
    else:
        case_id, staff = reviewed_case(app, client, people)
    form = _form(staff.get(f"/zaken/{case_id}").get_data(as_text=True), f"/zaken/{case_id}/stap/{trigger}")
    for field_id in required:
        assert " required" in _input(form, field_id), (trigger, field_id)
    text_ids = [f for f in required if not re.search(r"-\d+$", f)]
    for field_id in text_ids:
        assert "(verplicht)" in _label(form, field_id), (trigger, field_id)
    for group_id in {re.sub(r"-\d+$", "", f) for f in required if f not in text_ids}:
        assert "(verplicht)" in form.split(f'id="{group_id}"')[1].split("</legend>")[0], (trigger, group_id)


def test_the_identity_step_marks_authority_for_a_parent_but_not_for_a_student(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    form = _form(staff.get(f"/zaken/{case_id}").get_data(as_text=True), f"/zaken/{case_id}/stap/verify_identity")
    legend = form.split('id="verify_identity-authority"')[1].split("</legend>")[0]
    assert "(verplicht)" in legend
    # Without the gezag recorded the workflow refuses (R-ID-4): at the authority field, the method kept.
    response = step(staff, app, case_id, "verify_identity", method="portal")
    assert response.status_code == 409
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/stap/verify_identity")
    assert "gezag" in field_error(form, "verify_identity-authority")
    assert "R-ID-4" in form.split('id="verify_identity-authority"')[1].split("</details>")[0], "behind Waarom?"
    assert re.search(r'<input[^>]*\bchecked\b[^>]*name="method"[^>]*value="portal"', form), "the method is kept"


def test_an_extension_without_a_reason_ticked_keeps_the_text_and_marks_the_reasons(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    response = staff.post(f"/zaken/{case_id}/verlengen", data={"version": case_version(app, case_id),
                                                              "reason": "Veel documenten."})
    assert response.status_code == 422
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/verlengen")
    assert field_error(form, "reasons") == "Kies minstens één reden waarom verlenging nodig is."
    assert "Veel documenten." in form and "(verplicht)" in form.split("<legend>")[1].split("</legend>")[0]


def test_a_failed_rectification_keeps_the_kind_and_category_and_marks_the_field(app, client, people, categories):
    case_id = submit(client, people.school_a, right="rectification", data_concerned="Geboortedatum",
                     correct_value="1 januari 2014")
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    assert step(staff, app, case_id, "review", decision="grant", reason="Klopt.").status_code == 302
    response = staff.post(f"/zaken/{case_id}/rectificatie", data={
        "category_id": str(categories["leerlingdossier"]), "kind": "factual", "field": "", "old_value": "2 jan",
        "new_value": "1 jan", "evidence": "BRP"})
    assert response.status_code == 422
    form = _form(response.get_data(as_text=True), f"/zaken/{case_id}/rectificatie")
    _assert_marked_invalid(form, "field", "Noem het gegeven (bijvoorbeeld: geboortedatum).")
    assert "kind-0" in _checked(form) and "(verplicht)" in _label(form, "field")
    assert re.search(rf'<option selected value="{categories["leerlingdossier"]}"', form) or \
        re.search(rf'<option value="{categories["leerlingdossier"]}" selected', form)
