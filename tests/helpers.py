"""Helpers for tests: sign in, submit the public form, post a workflow step, read mails."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case

PASSWORD = "correct horse battery staple"


def login(client, email: str, password: str = PASSWORD):
    """Sign in through the real form."""
    response = client.post("/medewerkers/inloggen", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def intake_data(school_id: int, **overrides) -> dict:
    """A valid public form submission (a parent with authority asking for access)."""
    data = {
        "right": "access", "school_id": str(school_id), "student_name": "Sam Jansen",
        "student_birth_date": (dt.date.today().replace(day=1) - dt.timedelta(days=365 * 12)).isoformat(),
        "requester_role": "parent", "parental_authority": "yes", "requester_name": "Alex Jansen",
        "requester_email": "alex.jansen@example.nl", "requester_phone": "", "details": "",
        "data_concerned": "", "correct_value": "",
    }
    data.update(overrides)
    return data


def submit(client, school_id: int, **overrides) -> int:
    """Submit the public form and return the new case id."""
    response = client.post("/", data=intake_data(school_id, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with client.session_transaction() as session:
        return session["submitted_case_id"]


def case_version(app, case_id: int) -> int:
    with app.app_context():
        return db.session.get(Case, case_id).version


def step(client, app, case_id: int, trigger: str, **data):
    """Post a workflow step form with the case's current version."""
    data.setdefault("version", case_version(app, case_id))
    response = client.post(f"/zaken/{case_id}/stap/{trigger}", data=data)
    assert "/medewerkers/inloggen" not in response.headers.get("Location", ""), "not signed in"
    return response


def link_in(text: str) -> str:
    """The first http(s) link in a mail body."""
    match = re.search(r"https?://\S+", text)
    assert match, text
    return match.group(0)


def case_count(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Case.id))).scalar_one()
