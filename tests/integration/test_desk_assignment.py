"""Assignment on the case page (issue 15 point 3): "Toegewezen aan", "Aan mij toewijzen", nobody; who may
assign and who may be assigned; the version check; the audit trail (user ids only); the assignee's mail;
and who gets the deadline reminders once a case is assigned (table-driven, through the real sweep)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, School, User
from dsr.services.deadlines import sweep_deadlines
from dsr.workflows.deadlines import subtract_working_days
from dsr.workflows.reminders import EARLY, LAST, LATE, reminder_recipients
from tests.helpers import case_version, signed_in, submit, text_of
from tests.integration.helpers import (
    body,
    detached_case,
    field_error,
    in_english,
    mails_to,
    reader_text,
    reference_of,
    set_case_columns,
)

STUDENT, REQUESTER, ADDRESS = "Wibo Kwakernaat", "Ria Kwakernaat", "ria.kwakernaat@example.nl"


@pytest.fixture
def case_id(client, people, run_jobs, smtp_server):
    """A parent's access request at school A; the intake's mails sent and cleared."""
    found = submit(client, people.school_a, student_name=STUDENT, requester_name=REQUESTER, requester_email=ADDRESS)
    run_jobs()
    smtp_server.clear()
    return found


def _assign(client, app, case_id, assignee, version=None):
    return client.post(f"/zaken/{case_id}/toewijzen", data={
        "assignee_id": str(assignee), "version": version if version is not None else case_version(app, case_id)})


def _assign_self(client, app, case_id, version=None):
    return client.post(f"/zaken/{case_id}/toewijzen/mij", data={
        "version": version if version is not None else case_version(app, case_id)})


def _assigned_events(app, case_id) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "case.assigned").order_by(AuditEvent.id)).scalars()
        return [{"actor_id": e.actor_id, "reason": e.reason, **json.loads(e.details)} for e in rows]


def test_staff_hand_the_case_to_a_colleague_who_gets_a_mail_without_personal_data(
        app, people, case_id, smtp_server, run_jobs):
    staff = signed_in(app, people)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Toegewezen aan" in page and "Nog niemand." in page and "Aan mij toewijzen" in page
    assert "Staff B" not in page.split('id="toewijzing"')[1].split("</section>")[0], "no one of another school"

    response = _assign(staff, app, case_id, people.staff_a2)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/zaken/{case_id}#toewijzing")
    assert detached_case(app, case_id).assigned_to_id == people.staff_a2
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert f'data-assignee="{people.staff_a2}"' in page and "toegewezen aan Staff A2" in page

    # Audited with the user ids; no names in the event.
    assert _assigned_events(app, case_id) == [
        {"actor_id": people.staff_a, "reason": "", "from_user_id": None, "to_user_id": people.staff_a2}]
    run_jobs()
    reference = reference_of(app, case_id)
    [mail] = mails_to(smtp_server, people.email["staff_a2"])
    assert mail["Subject"] == f"Verzoek {reference} is aan u toegewezen"
    text = body(mail)
    assert "Staff A heeft verzoek" in text and f"http://dsr.test/zaken/{case_id}" in text
    for personal in (STUDENT, REQUESTER, ADDRESS, "Kwakernaat"):
        assert personal not in text and personal not in mail["Subject"]
    assert len(smtp_server.messages) == 1, "only the new assignee is mailed"

    # Handing it on, then to nobody: each change audited from -> to.
    assert _assign(staff, app, case_id, people.director_a).status_code == 302
    assert _assign(staff, app, case_id, 0).status_code == 302
    assert detached_case(app, case_id).assigned_to_id is None
    assert [(e["from_user_id"], e["to_user_id"]) for e in _assigned_events(app, case_id)] == [
        (None, people.staff_a2), (people.staff_a2, people.director_a), (people.director_a, None)]


def test_aan_mij_toewijzen_takes_the_case_in_one_click_without_a_mail(app, people, case_id, smtp_server, run_jobs):
    staff = signed_in(app, people)
    response = _assign_self(staff, app, case_id)
    assert response.status_code == 302
    assert detached_case(app, case_id).assigned_to_id == people.staff_a
    page = " ".join(reader_text(staff.get(f"/zaken/{case_id}").get_data(as_text=True)).split())
    assert "Toegewezen aan Staff A (u)" in page and "Aan mij toewijzen" not in page
    assert _assigned_events(app, case_id) == [
        {"actor_id": people.staff_a, "reason": "", "from_user_id": None, "to_user_id": people.staff_a}]
    run_jobs()
    assert smtp_server.messages == [], "nobody is told what they did themselves"


def test_the_privacy_officer_and_a_director_may_assign(app, people, case_id):
    officer = signed_in(app, people, "privacy")
    assert _assign_self(officer, app, case_id).status_code == 302
    assert detached_case(app, case_id).assigned_to_id == people.privacy
    director = signed_in(app, people, "director_a")
    assert _assign(director, app, case_id, people.staff_a).status_code == 302
    assert detached_case(app, case_id).assigned_to_id == people.staff_a


@pytest.mark.parametrize("target, why", [
    ("staff_b", "another school"),
    ("director_b", "a director of another school"),
    ("admin", "the admin does no casework"),
    ("privacy", "the privacy officer only takes a case themselves"),
    ("inactive", "an inactive account"),
    ("nobody-there", "no such user"),
    ("garbage", "not a number"),
])
def test_only_active_staff_and_directors_of_the_school_can_be_assigned(app, people, case_id, target, why):
    if target == "inactive":
        with app.app_context():
            db.session.get(User, people.staff_a2).active = False
            db.session.commit()
    value = {"inactive": people.staff_a2, "nobody-there": 999_999, "garbage": "abc"}.get(target) \
        or getattr(people, target)
    staff = signed_in(app, people)
    version = case_version(app, case_id)
    response = _assign(staff, app, case_id, value)
    assert response.status_code == 422, why
    page = text_of(response)
    assert field_error(page, "assign-assignee_id") == "Kies een medewerker van de lijst, of niemand.", why
    assert "Niet toegewezen: controleer de keuze." in page
    case = detached_case(app, case_id)
    assert case.assigned_to_id is None and case.version == version, "nothing changed"
    assert _assigned_events(app, case_id) == []


def test_a_stale_form_gets_the_changed_meanwhile_page_and_changes_nothing(app, people, case_id):
    staff, colleague = signed_in(app, people), signed_in(app, people, "staff_a2")
    loaded = case_version(app, case_id)
    assert _assign_self(colleague, app, case_id, loaded).status_code == 302
    for response in (_assign(staff, app, case_id, people.staff_a, loaded), _assign_self(staff, app, case_id, loaded)):
        assert response.status_code == 409
        assert "intussen door iemand anders gewijzigd" in text_of(response)
    assert detached_case(app, case_id).assigned_to_id == people.staff_a2
    assert len(_assigned_events(app, case_id)) == 1


def test_racing_assignments_one_wins_the_others_are_told(app, people, case_id, smtp_server, run_jobs):
    """Four people hand the same case to four different people at once, from the same version."""
    import threading

    version = case_version(app, case_id)
    racers = [("staff_a", people.staff_a2), ("staff_a2", people.director_a), ("director_a", people.director_a2),
              ("privacy", people.staff_a)]
    clients = [signed_in(app, people, who) for who, _target in racers]
    barrier = threading.Barrier(len(racers))
    statuses: list[int] = []

    def race(client, target):
        barrier.wait()
        statuses.append(_assign(client, app, case_id, target, version).status_code)

    threads = [threading.Thread(target=race, args=(client, target))
               for client, (_who, target) in zip(clients, racers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [409] * (len(racers) - 1), statuses
    [event] = _assigned_events(app, case_id)
    case = detached_case(app, case_id)
    assert case.assigned_to_id == event["to_user_id"] and case.version == version + 1
    run_jobs()
    address_of = {getattr(people, key): address for key, address in people.email.items()}
    assert [m["To"] for m in smtp_server.messages] == [address_of[event["to_user_id"]]], \
        "only the winner's assignee is mailed"


def test_who_may_not_assign(app, people, case_id):
    # Another school's staff do not see the case at all; the admin does no casework.
    assert _assign(signed_in(app, people, "staff_b"), app, case_id, people.staff_b).status_code == 404
    assert _assign_self(signed_in(app, people, "staff_b"), app, case_id).status_code == 404
    assert _assign(signed_in(app, people, "admin"), app, case_id, people.staff_a).status_code == 403
    # A director of another school appointed to approve a refusal sees the case but does not run it.
    set_case_columns(app, case_id, appointed_approver_id=people.director_b)
    appointed = signed_in(app, people, "director_b")
    page = text_of(appointed.get(f"/zaken/{case_id}"))
    assert "Toegewezen aan" in page and "Aan mij toewijzen" not in page
    assert _assign_self(appointed, app, case_id).status_code == 403
    assert _assign(appointed, app, case_id, people.staff_a).status_code == 403
    assert detached_case(app, case_id).assigned_to_id is None


def test_a_closed_case_is_not_assigned_any_more(app, people, case_id):
    set_case_columns(app, case_id, state="withdrawn", letter_pending=False)
    staff = signed_in(app, people)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Toegewezen aan" in page and "Aan mij toewijzen" not in page and 'id="assign-assignee_id"' not in page
    response = _assign_self(staff, app, case_id)
    assert response.status_code == 422 and "toewijzen kan alleen bij een lopend verzoek" in text_of(response)
    assert detached_case(app, case_id).assigned_to_id is None


def test_the_assignment_panel_in_english(app, people, case_id):
    staff = signed_in(app, people)
    in_english(staff)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Assigned to" in page and "Nobody yet." in page and "Assign to me" in page
    response = _assign(staff, app, case_id, people.staff_b)
    assert field_error(text_of(response), "assign-assignee_id") == "Choose a colleague from the list, or nobody."


# --- the deadline reminders ---------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 1)  # a Tuesday


def _ahead(n: int) -> dt.date:
    return subtract_working_days(TODAY, -n)


DUE = {"reminder_10": _ahead(10), "reminder_5": _ahead(5), "overdue": TODAY - dt.timedelta(days=1)}
SCHOOL_STAFF = {"staff_a", "staff_a2"}
DIRECTORS = {"director_a", "director_a2"}


@pytest.mark.parametrize("assignee, change, milestone, expected", [
    # Nobody assigned: as before issue 15.
    (None, None, "reminder_10", SCHOOL_STAFF),
    (None, None, "reminder_5", SCHOOL_STAFF | DIRECTORS),
    (None, None, "overdue", DIRECTORS | {"privacy"}),
    # Assigned: the early reminder goes to the assignee only.
    ("staff_a2", None, "reminder_10", {"staff_a2"}),
    ("director_a", None, "reminder_10", {"director_a"}),
    ("privacy", None, "reminder_10", {"privacy"}),
    # The last reminder and the overdue alert: the assignee and everyone who got them before (the assignee may
    # be away; the requester is owed an answer).
    ("staff_a2", None, "reminder_5", SCHOOL_STAFF | DIRECTORS),
    ("privacy", None, "reminder_5", {"privacy"} | SCHOOL_STAFF | DIRECTORS),
    ("staff_a2", None, "overdue", {"staff_a2", "privacy"} | DIRECTORS),
    # An assignee who can no longer handle the case counts as nobody.
    ("staff_a2", "deactivated", "reminder_10", {"staff_a"}),
    ("staff_a2", "moved to school B", "reminder_10", {"staff_a"}),
], ids=lambda value: str(value).replace(" ", "-") if not isinstance(value, set) else "")
def test_who_gets_the_reminders_of_an_assigned_case(app, client, people, smtp_server, run_jobs,
                                                    assignee, change, milestone, expected):
    case_id = submit(client, people.school_a, requester_email="termijn@example.nl")
    set_case_columns(app, case_id, due_on=DUE[milestone],
                     assigned_to_id=getattr(people, assignee) if assignee else None)
    with app.app_context():
        if change == "deactivated":
            db.session.get(User, people.staff_a2).active = False
        elif change == "moved to school B":
            db.session.get(User, people.staff_a2).schools = [db.session.get(School, people.school_b)]
        db.session.commit()
    run_jobs()
    smtp_server.clear()
    with app.app_context():
        assert sweep_deadlines(TODAY) == 1
    run_jobs()
    by_address = {address: key for key, address in people.email.items()}
    received = [by_address[m["To"]] for m in smtp_server.messages]
    assert sorted(received) == sorted(expected), "each recipient once"
    subject = "Termijn verstreken" if milestone == "overdue" else "Herinnering termijn"
    assert all(m["Subject"].startswith(subject) for m in smtp_server.messages)


def test_an_assignment_through_the_page_moves_the_reminders(app, people, case_id, smtp_server, run_jobs):
    """The whole path: assigned on the case page, then the sweep mails the assignee alone."""
    staff = signed_in(app, people)
    assert _assign(staff, app, case_id, people.director_a2).status_code == 302
    set_case_columns(app, case_id, due_on=DUE["reminder_10"])
    run_jobs()
    smtp_server.clear()
    with app.app_context():
        assert sweep_deadlines(TODAY) == 1
    run_jobs()
    assert [m["To"] for m in smtp_server.messages] == [people.email["director_a2"]]


def _user(user_id: int, role: str) -> User:
    return User(id=user_id, name=f"{role} {user_id}", role=role, email=f"{user_id}@asg.test", active=True)


STAFF_1, STAFF_2 = _user(1, "staff"), _user(2, "staff")
DIRECTOR_3, OFFICER_4 = _user(3, "director"), _user(4, "privacy_officer")


@pytest.mark.parametrize("stage, assignee, staff, directors, officers, expected", [
    (EARLY, None, [STAFF_1, STAFF_2], [DIRECTOR_3], [OFFICER_4], [1, 2]),
    (EARLY, STAFF_2, [STAFF_1, STAFF_2], [DIRECTOR_3], [OFFICER_4], [2]),
    (LAST, STAFF_2, [STAFF_1, STAFF_2], [DIRECTOR_3], [OFFICER_4], [2, 1, 3]),
    (LAST, None, [STAFF_1], [], [], [1]),
    (LATE, None, [STAFF_1, STAFF_2], [DIRECTOR_3], [OFFICER_4], [3, 4]),
    (LATE, STAFF_2, [STAFF_1, STAFF_2], [DIRECTOR_3], [OFFICER_4], [2, 3, 4]),
    # A school without a director and no privacy officer: an overdue case still reaches two people.
    (LATE, STAFF_2, [STAFF_1, STAFF_2], [], [], [2, 1]),
    (LATE, None, [STAFF_1, STAFF_2], [], [], [1, 2]),
    (LATE, None, [STAFF_1, STAFF_2], [DIRECTOR_3], [], [3, 1, 2]),
    # The director is the assignee: not mailed twice, and someone else still hears of it.
    (LATE, DIRECTOR_3, [STAFF_1], [DIRECTOR_3], [], [3, 1]),
])
def test_reminder_recipients_table(stage, assignee, staff, directors, officers, expected):
    """The rule itself, without a database: who is mailed at each stage, each person once."""
    chosen = reminder_recipients(stage, assignee, staff=staff, directors=directors, privacy_officers=officers)
    assert [user.id for user in chosen] == expected


def test_the_assignee_list_holds_the_schools_active_staff_and_directors_only(app, people, case_id):
    """What the select offers: its own school's active staff and directors, by name; never another school's
    people, the privacy officer, the admin or a deactivated account."""
    from dsr.services.assignment import candidates

    with app.app_context():
        db.session.get(User, people.director_a2).active = False
        db.session.commit()
        case = db.session.get(Case, case_id)
        assert [u.id for u in candidates(case)] == [people.director_a, people.staff_a, people.staff_a2]
    page = signed_in(app, people).get(f"/zaken/{case_id}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"', page.split('id="assign-assignee_id"')[1].split("</select>")[0])
    assert options == ["0", str(people.director_a), str(people.staff_a), str(people.staff_a2)]
