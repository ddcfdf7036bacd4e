"""Issue 15 point 8: staff mails in the staff member's language.

Every staff mail kind (``templates/mail/staff_*.txt``) is written in the language of the staff member it goes to
(``User.language``), whoever triggered it; the language switch saves a signed-in staff member's choice (audited as
a settings change) and their saved language is used at sign-in, so pages and mails agree.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from dsr import TEMPLATE_DIR
from dsr.extensions import db
from dsr.models import AuditEvent, Case, User
from dsr.notifications import queue_mail
from dsr.notifications.outbox import mail_language
from dsr.notifications.render import render_mail
from dsr.services import deadlines
from tests.helpers import local_today, login, signed_in, submit
from tests.integration.helpers import body, mails_to, set_case_columns, staff_digests
from tests.test_mail_snapshots import VARIANTS

#: Every staff mail kind there is: a new one is in this table the moment its template exists.
STAFF_KINDS = sorted(path.stem for path in (TEMPLATE_DIR / "mail").glob("staff_*.txt"))


def _set_language(app, user_id: int, language: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).language = language
        db.session.commit()


def test_every_staff_kind_is_in_the_table():
    assert len(STAFF_KINDS) >= 8 and "staff_deadline" in STAFF_KINDS and "staff_new_case" in STAFF_KINDS
    for kind in STAFF_KINDS:
        assert (TEMPLATE_DIR / "mail" / "en" / f"{kind}.txt").exists(), f"{kind} has an English text"
        assert any(k == kind for k, _ in VARIANTS.values()), f"{kind} has a context in tests/test_mail_snapshots.py"


@pytest.mark.parametrize("kind", STAFF_KINDS)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_each_staff_mail_goes_in_the_language_of_its_staff_member(app, client, people, kind, language):
    """queue_mail, as every service calls it (``user=`` the staff member), writes the mail in that member's
    language, even when the caller says another language (the requester's) or none."""
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    _set_language(app, people.staff_a, language)
    context = dict(next(ctx for k, ctx in VARIANTS.values() if k == kind))
    with app.test_request_context():
        user = db.session.get(User, people.staff_a)
        context["user"] = user
        if "case" in context:
            context["case"] = db.session.get(Case, case_id)
        expected = render_mail(kind, language=language, **context)
        other = render_mail(kind, language="nl" if language == "en" else "en", **context)
        assert expected.subject != other.subject or expected.text != other.text, "the two languages differ"
        for caller_language in (None, "nl", "en"):
            message = queue_mail(kind, user.email, language=caller_language, **context)
            assert (message.subject, message.body_text.split("\n")[0]) == \
                (expected.subject, expected.text.split("\n")[0]), (kind, caller_language)
        db.session.rollback()  # nothing is sent


def test_a_staff_mail_without_its_staff_member_is_refused(app):
    with app.app_context():
        with pytest.raises(TypeError, match="needs user="):
            mail_language("staff_new_case", "nl", None)
    assert mail_language("receipt", "en", None) == "en" and mail_language("receipt", None, None) == "nl"


def test_new_case_mail_to_each_staff_member_in_their_own_language(app, client, people, smtp_server, run_jobs):
    """Through the real path: the switch saves staff A's English; a Dutch request brings staff A an English mail
    and the colleague (Dutch) a Dutch one, with the real worker and SMTP server."""
    staff = signed_in(app, people)
    assert staff.post("/taal", data={"lang": "en", "next": "/zaken/"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, people.staff_a).language == "en"
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.settings")).scalar_one()
        assert event.actor_id == people.staff_a and json.loads(event.details) == {"language": ["nl", "en"]}
    submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    staff_digests(app, run_jobs)  # issue 16: new requests reach staff in their digest
    [english] = mails_to(smtp_server, people.email["staff_a"])
    [dutch] = mails_to(smtp_server, people.email["staff_a2"])
    assert english["Subject"].startswith("New GDPR request") and "Dear Staff A" in body(english)
    assert dutch["Subject"].startswith("Nieuw AVG-verzoek") and "Beste Staff A2" in body(dutch)
    [receipt] = mails_to(smtp_server, "ouder@example.nl")
    assert "Dear" not in body(receipt), "the requester's mail stays in the language of the request"


def test_switching_twice_to_the_same_language_records_one_change(app, people):
    staff = signed_in(app, people)
    for _ in range(2):
        assert staff.post("/taal", data={"lang": "en", "next": "/"}).status_code == 303
    assert staff.post("/taal", data={"lang": "nl", "next": "/"}).status_code == 303
    with app.app_context():
        changes = db.session.execute(sa.select(AuditEvent.details).where(AuditEvent.action == "user.settings")
                                     .order_by(AuditEvent.id)).scalars().all()
        assert [json.loads(c) for c in changes] == [{"language": ["nl", "en"]}, {"language": ["en", "nl"]}]
        assert db.session.get(User, people.staff_a).language == "nl"


def test_a_visitor_switching_changes_no_user(app, client, people):
    assert client.post("/taal", data={"lang": "en", "next": "/"}).status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "user.settings")).scalar() == 0
        assert set(db.session.execute(sa.select(User.language)).scalars()) == {"nl"}


def test_sign_in_uses_the_saved_language(app, people):
    _set_language(app, people.staff_a, "en")
    browser = app.test_client()
    login(browser, people.email["staff_a"])
    page = browser.get("/zaken/").get_data(as_text=True)
    assert '<html lang="en">' in page, "a fresh browser, no choice in it: the saved language"


def test_a_choice_made_before_signing_in_is_kept_and_saved(app, people, smtp_server, run_jobs, client):
    """Choosing Dutch on the sign-in page, then signing in: the pages stay Dutch, and so that the mails agree
    the choice becomes the saved language (audited)."""
    _set_language(app, people.staff_a, "en")
    browser = app.test_client()
    assert browser.post("/taal", data={"lang": "nl", "next": "/medewerkers/inloggen"}).status_code == 303
    login(browser, people.email["staff_a"])
    assert '<html lang="nl">' in browser.get("/zaken/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people.staff_a).language == "nl"
        [change] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.settings")).scalars()
        assert change.actor_id == people.staff_a and json.loads(change.details) == {"language": ["en", "nl"]}
    submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    staff_digests(app, run_jobs)
    assert mails_to(smtp_server, people.email["staff_a"], "Nieuw AVG-verzoek")


def test_an_english_staff_member_gets_english_deadline_reminders(app, people, client, run_jobs, smtp_server):
    """The scheduler's sweep (no request, no signed-in user) writes in each recipient's language too."""
    _set_language(app, people.staff_a2, "en")
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    set_case_columns(app, case_id, due_on=local_today() + dt.timedelta(days=1))
    with app.app_context():
        assert deadlines.sweep_deadlines() == 1
    run_jobs()
    assert len(mails_to(smtp_server, people.email["staff_a2"], "Deadline reminder")) == 1
    assert mails_to(smtp_server, people.email["staff_a2"], "Herinnering") == []
    assert len(mails_to(smtp_server, people.email["staff_a"], "Herinnering termijn")) == 1
