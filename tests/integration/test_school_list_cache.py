"""Issue 16 point 5: the public form's list of active schools is kept per process for
``SCHOOL_LIST_CACHE_SECONDS``, on GET and POST: no query for it per form. An admin's change in this process is
seen at once; a change made by another process (here: straight in the database) within that time; and a request
naming a school deactivated meanwhile is refused at the field, never stored."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import School, User
from dsr.services import schools as school_service
from tests.helpers import case_count, intake_data, submit, text_of


@pytest.fixture(autouse=True)
def _kept_for_a_minute(app, monkeypatch):
    """The production default (the suite's other tests keep no list: tests/helpers.py)."""
    monkeypatch.setitem(app.config, "SCHOOL_LIST_CACHE_SECONDS", 60)
    app.extensions.pop("dsr_active_schools", None)
    yield
    app.extensions.pop("dsr_active_schools", None)


def _school_queries(app, action) -> int:
    """How many statements that read the schools table ``action`` makes."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if "FROM schools" in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def _expire(app) -> None:
    """The cache's time is up (as SCHOOL_LIST_CACHE_SECONDS after it was filled)."""
    deadline, rows = app.extensions["dsr_active_schools"]
    app.extensions["dsr_active_schools"] = (0.0, rows)


def _add_school_elsewhere(app, name: str) -> int:
    with app.app_context():
        school = School(code="NEW", name=name, active=True)
        db.session.add(school)
        db.session.commit()
        return school.id


def test_the_form_reads_the_school_list_once_per_window(app, client, people):
    assert "School A" in text_of(client.get("/"))
    assert _school_queries(app, lambda: client.get("/")) == 0, "GET: the list this process keeps"
    assert _school_queries(app, lambda: client.post("/", data={**intake_data(people.school_a), "step": "check"})) == 0
    _expire(app)
    assert _school_queries(app, lambda: client.get("/")) == 1


def test_another_process_s_new_school_shows_within_the_window(app, client, people):
    client.get("/")
    new_id = _add_school_elsewhere(app, "Nieuwe School")
    assert "Nieuwe School" not in text_of(client.get("/")), "kept: within the window"
    _expire(app)
    assert "Nieuwe School" in text_of(client.get("/"))
    submit(client, new_id, requester_email="ouder@example.nl")


def test_a_school_added_elsewhere_is_accepted_at_once(app, client, people):
    """The form offers the kept list, but a request naming a school the list lacks reads the list again
    before refusing it (a school made with ``dsr create-school`` while the web processes run)."""
    client.get("/")
    new_id = _add_school_elsewhere(app, "Nieuwe School")
    submit(client, new_id, requester_email="ouder@example.nl")
    assert "Nieuwe School" in text_of(client.get("/")), "and the kept list is renewed"
    assert _school_queries(app, lambda: client.post("/", data={**intake_data(99999), "step": "check"})) == 1


def test_an_admin_s_change_in_this_process_is_seen_at_once(app, client, people):
    client.get("/")
    with app.app_context():
        admin = db.session.get(User, people.admin)
        school = db.session.get(School, people.school_b)
        school_service.set_school_active(admin, school.id, school.version, False)
    assert "School B" not in text_of(client.get("/"))
    with app.app_context():
        admin = db.session.get(User, people.admin)
        school = db.session.get(School, people.school_a)
        school_service.update_school(admin, school.id, school.version, name="School A (hernoemd)",
                                     school_type=school.school_type, appeal_route=school.appeal_route,
                                     phone=school.phone, visiting_address=school.visiting_address)
    assert "School A (hernoemd)" in text_of(client.get("/"))


def test_a_school_deactivated_elsewhere_meanwhile_is_refused_at_the_field(app, client, people):
    data = intake_data(people.school_b)
    assert client.post("/", data={**data, "step": "check"}).status_code == 200  # the list is kept now
    with app.app_context():  # another process deactivates the school
        db.session.execute(sa.update(School).where(School.id == people.school_b).values(active=False))
        db.session.commit()
    page = text_of(client.post("/", data=data))
    assert "Kies een school uit de lijst." in page
    assert case_count(app) == 0
    assert "School B" not in text_of(client.get("/")), "the refusal dropped the old list"
