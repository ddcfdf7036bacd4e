"""Fixtures that several integration test modules use (the suite-wide ones are in tests/conftest.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import RegisterCategory
from dsr.services.register import seed_register
from tests.helpers import login, submit


@pytest.fixture
def case_id(client, people, run_jobs):
    """A parent's access request at school A; the mails of the intake already sent."""
    found = submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    return found


@pytest.fixture
def categories(app):
    """The seeded register: category code -> id."""
    with app.app_context():
        seed_register()
        db.session.commit()
        return {c.code: c.id for c in db.session.execute(sa.select(RegisterCategory)).scalars()}


@pytest.fixture
def staff(app, people):
    """A browser signed in as school A's administrator."""
    browser = app.test_client()
    login(browser, people.email["staff_a"])
    return browser
