"""Issue 15 point 6: the admin adds schools, changes their name, type, appeal route and contact details,
and deactivates a school only when no request of it is open; the privacy officer still confirms the
appeal route. Everything audited; two people editing one school never overwrite each other."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, School, User
from dsr.services import schools as school_service
from tests.helpers import case_count, intake_data, signed_in, submit, text_of
from tests.integration.helpers import field_error, in_english, set_case_columns


def _school(app, code: str) -> School | None:
    with app.app_context():
        school = db.session.execute(sa.select(School).where(School.code == code)).scalar()
        if school is not None:
            db.session.expunge(school)
        return school


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)).scalars().all()
        for event in events:
            db.session.expunge(event)
        return events


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(School.id))).scalar_one()


def _add(admin, **overrides):
    data = {"code": "CAR", "name": "Het Carillon", "school_type": "po", "appeal_route": "bezwaar",
            "phone": "036 333 33 33", "visiting_address": "Klokstraat 3, 1312 AA Almere"}
    data.update(overrides)
    return admin.post("/scholen/nieuw", data=data)


def _change(client, app, school_id: int, version: int | None = None, **overrides):
    with app.app_context():
        school = db.session.get(School, school_id)
        data = {"name": school.name, "school_type": school.school_type, "appeal_route": school.appeal_route,
                "phone": school.phone, "visiting_address": school.visiting_address,
                "version": str(school.version if version is None else version)}
    data.update(overrides)
    return client.post(f"/scholen/{school_id}/gegevens", data=data)


def _switch(client, app, school_id: int, action: str, version: int | None = None):
    if version is None:
        with app.app_context():
            version = db.session.get(School, school_id).version
    return client.post(f"/scholen/{school_id}/{action}", data={"version": str(version)})


def _confirm(officer, school_id: int, version: int, route: str = "rechtbank"):
    return officer.post(f"/scholen/{school_id}", data={"appeal_route": route, "phone": "036 999 99 99",
                                                        "visiting_address": "", "confirm": "y",
                                                        "version": str(version)})


# --- add -------------------------------------------------------------------------------------------------------

def test_the_admin_adds_a_school_that_the_form_offers_at_once(app, client, people):
    admin = signed_in(app, people, "admin")
    assert "School toevoegen" in text_of(admin.get("/scholen/"))
    response = _add(admin, code="car")
    assert response.status_code == 302
    assert "De privacy officer bevestigt nog de rechtsgang" in text_of(admin.get("/scholen/"))
    school = _school(app, "CAR")  # codes are stored upper-case
    assert (school.name, school.school_type, school.appeal_route, school.phone, school.active) == \
        ("Het Carillon", "po", "bezwaar", "036 333 33 33", True)
    assert school.appeal_route_confirmed_at is None, "only the privacy officer confirms the route"
    [event] = _events(app, "school.created")
    details = json.loads(event.details)
    assert event.actor_id == people.admin and details["school_id"] == school.id and details["via"] == "web"
    assert details["after"]["code"] == "CAR" and details["after"]["confirmed"] is False
    # The public form offers it, and a request for it goes in.
    assert "Het Carillon" in text_of(client.get("/"))
    assert submit(client, school.id, requester_email="carillon@example.nl")
    # A new account can work for it.
    assert admin.post("/beheer/gebruikers/nieuw", data={
        "email": "car@asg.test", "name": "Carla", "role": "staff", "schools": ["CAR"], "language": "nl"},
    ).status_code == 302


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"code": "aaa"}, "code", "Er is al een school met deze code."),
    ({"code": "A"}, "code", "Gebruik 2 tot 20 letters"),
    ({"code": "A B"}, "code", "Gebruik 2 tot 20 letters"),
    ({"code": ""}, "code", "Vul een code in."),
    ({"name": " "}, "name", "Vul de naam in."),
    ({"name": "Kijk op www.evil.example"}, "name", "webadres"),
    ({"school_type": "hbo"}, "school_type", "Ongeldige keuze"),
    ({"appeal_route": "klacht"}, "appeal_route", "Ongeldige keuze"),
    ({"phone": "bel ons"}, "phone", "Gebruik alleen cijfers"),
], ids=["taken-code", "short-code", "code-with-space", "no-code", "no-name", "web-address-in-name", "crafted-type",
        "crafted-route", "bad-phone"])
def test_bad_input_is_marked_at_its_field_and_nothing_is_saved(app, people, overrides, field, message):
    admin = signed_in(app, people, "admin")
    before = _count(app)
    response = _add(admin, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in (field_error(page, field) or ""), page[:3000]
    assert 'value="036 333 33 33"' in page or field == "phone", "what was typed stays"
    assert _count(app) == before and _events(app, "school.created") == []


def test_the_service_checks_type_route_and_code_for_every_caller(app, people):
    with app.app_context():
        admin = db.session.get(User, people.admin)
        for kwargs, code in (({"school_type": "hbo"}, "school_type"), ({"appeal_route": "klacht"}, "appeal_route"),
                             ({"code": "!!"}, "code_format"), ({"code": "bbb"}, "code_taken")):
            values = {"code": "NEW", "name": "Nieuw", "school_type": "vo", "appeal_route": "bezwaar", "phone": "",
                      "visiting_address": "", **kwargs}
            with pytest.raises(school_service.SchoolError) as refused:
                school_service.create_school(admin, **values)
            assert refused.value.code == code
    assert _count(app) == 2


# --- who may do this ---------------------------------------------------------------------------------------------

def test_the_privacy_officer_confirms_routes_but_adds_or_changes_no_school(app, people):
    officer = signed_in(app, people, "privacy")
    page = text_of(officer.get("/scholen/"))
    assert "School toevoegen" not in page and "Gegevens wijzigen" not in page and "Bewerken" in page
    assert officer.get("/scholen/nieuw").status_code == 403
    assert _add(officer).status_code == 403
    assert officer.get(f"/scholen/{people.school_a}/gegevens").status_code == 403
    assert _change(officer, app, people.school_a, name="Overgenomen").status_code == 403
    assert _switch(officer, app, people.school_b, "uitzetten").status_code == 403
    assert _school(app, "CAR") is None and _school(app, "AAA").name == "School A" and _school(app, "BBB").active
    assert _confirm(officer, people.school_a, 1).status_code == 302


def test_the_admin_does_not_confirm_appeal_routes_and_casework_roles_see_no_schools(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get(f"/scholen/{people.school_a}").status_code == 403
    assert _confirm(admin, people.school_a, 1).status_code == 403
    assert _school(app, "AAA").appeal_route_confirmed_at is None
    for who in ("staff_a", "director_a"):
        client = signed_in(app, people, who)
        assert client.get("/scholen/").status_code == 403
        assert _add(client).status_code == 403
        assert _change(client, app, people.school_a, name="X").status_code == 403
    assert _count(app) == 2 and _school(app, "AAA").name == "School A"


# --- change ------------------------------------------------------------------------------------------------------

def test_changing_contact_details_keeps_the_confirmation_and_a_new_route_drops_it(app, people):
    officer, admin = signed_in(app, people, "privacy"), signed_in(app, people, "admin")
    assert _confirm(officer, people.school_a, 1, route="bezwaar").status_code == 302
    assert _change(admin, app, people.school_a, name="School A-stad", phone="036 123 45 67").status_code == 302
    school = _school(app, "AAA")
    assert (school.name, school.phone, school.version) == ("School A-stad", "036 123 45 67", 3)
    assert school.appeal_route_confirmed_at is not None, "the route itself did not change"
    assert _change(admin, app, people.school_a, appeal_route="rechtbank").status_code == 302
    school = _school(app, "AAA")
    assert school.appeal_route == "rechtbank" and school.appeal_route_confirmed_at is None
    assert "Nog niet bevestigd" in text_of(officer.get("/scholen/"))
    first, second = _events(app, "school.changed")
    assert json.loads(first.details)["before"]["name"] == "School A"
    assert json.loads(second.details)["after"]["confirmed"] is False and second.actor_id == people.admin


def test_an_admin_and_the_privacy_officer_never_overwrite_each_other(app, people):
    officer, admin = signed_in(app, people, "privacy"), signed_in(app, people, "admin")
    # Both open the school at version 1; the admin saves first.
    assert _change(admin, app, people.school_a, version=1, phone="036 555 55 55").status_code == 302
    late = _confirm(officer, people.school_a, 1)
    assert late.status_code == 409 and "Iemand anders heeft deze school intussen gewijzigd" in text_of(late)
    assert 'value="036 555 55 55"' in late.get_data(as_text=True), "the page shows the school as it is now"
    school = _school(app, "AAA")
    assert (school.phone, school.appeal_route, school.appeal_route_confirmed_at) == ("036 555 55 55", "bezwaar", None)
    stale = _change(admin, app, people.school_a, version=1, name="Oud formulier")
    assert stale.status_code == 409 and _school(app, "AAA").name == "School A"
    assert _switch(admin, app, people.school_b, "uitzetten", version=7).status_code == 409


# --- deactivate ---------------------------------------------------------------------------------------------------

def test_a_school_with_open_requests_stays_active(app, client, people):
    case_id = submit(client, people.school_b, requester_email="open@example.nl")
    admin = signed_in(app, people, "admin")
    refused = _switch(admin, app, people.school_b, "uitzetten")
    assert refused.status_code == 422 and "nog 1 lopend verzoek" in text_of(refused)
    assert _school(app, "BBB").active and _events(app, "school.deactivated") == []

    set_case_columns(app, case_id, state="withdrawn")  # the request ends
    assert _switch(admin, app, people.school_b, "uitzetten").status_code == 302
    assert not _school(app, "BBB").active
    [event] = _events(app, "school.deactivated")
    assert json.loads(event.details) == {"school_id": people.school_b} and event.actor_id == people.admin
    # The public form no longer offers it, and a crafted submission for it is refused.
    assert "School B" not in text_of(client.get("/"))
    cases = case_count(app)
    crafted = client.post("/", data=intake_data(people.school_b))
    assert field_error(crafted.get_data(as_text=True), "school_id") and case_count(app) == cases
    # Its staff keep it (they still see its closed requests); nobody new gets it.
    staff_page = admin.get(f"/beheer/gebruikers/{people.staff_b}").get_data(as_text=True)
    assert "School B (niet actief)" in staff_page
    assert "School B" not in admin.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    assert _switch(admin, app, people.school_b, "aanzetten").status_code == 302
    assert _school(app, "BBB").active and "School B" in text_of(client.get("/"))


def test_the_school_pages_in_english(app, people):
    admin = signed_in(app, people, "admin")
    in_english(admin)
    page = text_of(admin.get("/scholen/nieuw"))
    assert "Add a school" in page and "Type of education" in page
    refused = text_of(_add(admin, code="BBB"))
    assert "There is already a school with this code." in refused


def test_unknown_schools_are_not_found(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get("/scholen/999999/gegevens").status_code == 404
    assert admin.post("/scholen/999999/uitzetten", data={"version": "1"}).status_code == 404
    assert admin.post(f"/scholen/{people.school_a}/verwijderen", data={"version": "1"}).status_code == 404


def test_the_command_line_adds_schools_through_the_same_service(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dsr", "create-school", "kla", "De Klaproos"])
    assert result.exit_code == 0, result.output
    school = _school(app, "KLA")
    assert school.name == "De Klaproos" and school.active
    [event] = _events(app, "school.created")
    assert event.actor_kind == "system" and json.loads(event.details)["via"] == "command line"
    bad = runner.invoke(args=["dsr", "create-school", "a b", "Spatie"])
    assert bad.exit_code != 0 and "use 2 to 20 letters" in bad.output and "Traceback" not in bad.output
