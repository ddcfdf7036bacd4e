"""Issue 16 point 4: staff hear of new requests in a digest, at most one mail per STAFF_DIGEST_MINUTES, made by
the worker; an urgent request (registered by staff, or due within 5 working days) at once and never again in
a digest; a member may choose every request at once; whoever registered a request is not told of it.

Time moves by handing the digest job its ``now`` (the window is counted from the database's
``users.digest_sent_at``), as the scheduler would run it later; mails go through the real worker and SMTP server.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import threading

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, OutboxMessage, StaffNotice, User
from dsr.models._types import utcnow
from dsr.services.staff_digest import send_staff_digests
from dsr.workflows import deadlines
from tests.helpers import local_today, signed_in, submit, text_of
from tests.integration.helpers import body, mails_to, set_case_columns, staff_digests

REFERENCE = re.compile(r"AVG-\d{4}-\d{5}")


def _references(app, case_ids) -> set[str]:
    with app.app_context():
        return set(db.session.execute(sa.select(Case.reference).where(Case.id.in_(case_ids))).scalars())


def _digests(smtp_server, address) -> list:
    """The mails about new requests to ``address`` (a digest, or a request's own mail: same subjects)."""
    return [m for m in mails_to(smtp_server, address)
            if "AVG-verzoek" in m["Subject"] or "GDPR request" in m["Subject"]]


def _later(minutes: float) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def test_new_requests_reach_each_staff_member_in_one_digest_per_window(app, client, people, smtp_server, run_jobs):
    first = [submit(client, people.school_a, requester_email=f"ouder{n}@example.nl") for n in range(3)]
    run_jobs()  # the receipts, and the announcements: nothing rendered for staff yet
    assert not _digests(smtp_server, people.email["staff_a"]), "no mail per request by default"

    assert staff_digests(app, run_jobs) == 2  # staff A and A2; school B's staff and the directors hear nothing
    for who in ("staff_a", "staff_a2"):
        [digest] = _digests(smtp_server, people.email[who])
        assert digest["Subject"] == "3 nieuwe AVG-verzoeken"
        assert set(REFERENCE.findall(body(digest))) == _references(app, first)
        for personal in ("Sam Jansen", "Alex Jansen", "ouder0@example.nl"):
            assert personal not in body(digest), "the digest shows no more than the single mail did"
    for who in ("staff_b", "director_a", "privacy"):
        assert not _digests(smtp_server, people.email[who])

    smtp_server.clear()
    second = [submit(client, people.school_a, requester_email=f"later{n}@example.nl") for n in range(2)]
    run_jobs()
    assert staff_digests(app, run_jobs, _later(5)) == 0, "at most one digest per window"
    assert not _digests(smtp_server, people.email["staff_a"])
    assert staff_digests(app, run_jobs, _later(16)) == 2
    [digest] = _digests(smtp_server, people.email["staff_a"])
    assert set(REFERENCE.findall(body(digest))) == _references(app, second), "each case in one digest only"
    assert staff_digests(app, run_jobs, _later(40)) == 0, "nothing new: no mail"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(StaffNotice)).scalar() == 0


def test_an_urgent_request_is_announced_at_once_and_not_again(app, client, people, smtp_server, run_jobs):
    """A web request due within 5 working days (here: its due date moved before the worker saw it)."""
    case_id = submit(client, people.school_a, requester_email="spoed@example.nl")
    set_case_columns(app, case_id, due_on=deadlines.subtract_working_days(local_today(), -3))
    run_jobs()
    [reference] = _references(app, [case_id])
    for who in ("staff_a", "staff_a2"):
        [mail] = _digests(smtp_server, people.email[who])
        assert mail["Subject"] == f"Nieuw AVG-verzoek {reference}" and f"/zaken/{case_id}" in body(mail)
    smtp_server.clear()
    assert staff_digests(app, run_jobs, _later(16)) == 0
    assert not smtp_server.messages


def test_a_request_staff_registered_goes_at_once_to_the_colleagues_only(app, people, smtp_server, run_jobs):
    from tests.integration.test_desk_channel_intake import _form, _post, _registered

    staff = signed_in(app, people)  # staff A registers a letter
    case = _registered(app, _post(staff, _form(people.school_a)))
    run_jobs()
    [mail] = _digests(smtp_server, people.email["staff_a2"])
    assert mail["Subject"] == f"Nieuw AVG-verzoek {case.reference}"
    assert not _digests(smtp_server, people.email["staff_a"]), "who registered it knows already"
    assert staff_digests(app, run_jobs, _later(16)) == 0, "not again in a digest"
    assert not _digests(smtp_server, people.email["staff_a"])


def test_a_member_who_chose_every_request_gets_each_at_once(app, client, people, smtp_server, run_jobs):
    colleague = signed_in(app, people, "staff_a2")
    page = text_of(colleague.get("/instellingen/"))
    assert "Mail over nieuwe verzoeken" in page and "hoogstens één mail per 15 minuten" in page
    response = colleague.post("/instellingen/", data={"case_notices": "each"})
    assert response.status_code == 303
    assert colleague.post("/instellingen/", data={"case_notices": "elke seconde"}).status_code == 422
    with app.app_context():
        assert db.session.get(User, people.staff_a2).case_notices == "each"
        [event] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.settings")).scalars()
        assert event.actor_id == people.staff_a2 and json.loads(event.details) == {"case_notices": ["digest", "each"]}

    case_ids = [submit(client, people.school_a, requester_email=f"ouder{n}@example.nl") for n in range(2)]
    run_jobs()
    mails = _digests(smtp_server, people.email["staff_a2"])
    assert sorted(m["Subject"] for m in mails) == sorted(f"Nieuw AVG-verzoek {r}" for r in _references(app, case_ids))
    assert not _digests(smtp_server, people.email["staff_a"])
    smtp_server.clear()
    assert staff_digests(app, run_jobs) == 1
    assert len(_digests(smtp_server, people.email["staff_a"])) == 1
    assert not _digests(smtp_server, people.email["staff_a2"])


def test_only_staff_have_the_settings_page(app, people):
    assert signed_in(app, people, "director_a").get("/instellingen/").status_code == 403
    assert app.test_client().get("/instellingen/").status_code in (302, 401)


def test_each_digest_is_in_its_members_language(app, client, people, smtp_server, run_jobs):
    with app.app_context():
        db.session.get(User, people.staff_a).language = "en"
        db.session.commit()
    for n in range(2):
        submit(client, people.school_a, requester_email=f"ouder{n}@example.nl")
    run_jobs()
    staff_digests(app, run_jobs)
    [english] = _digests(smtp_server, people.email["staff_a"])
    [dutch] = _digests(smtp_server, people.email["staff_a2"])
    assert english["Subject"] == "2 new GDPR requests" and body(english).startswith("Dear Staff A,")
    assert dutch["Subject"] == "2 nieuwe AVG-verzoeken" and body(dutch).startswith("Beste Staff A2,")


def test_two_digest_runs_at_once_send_each_digest_once(app, client, people, smtp_server, run_jobs):
    for n in range(3):
        submit(client, people.school_a, requester_email=f"ouder{n}@example.nl")
    run_jobs()
    now, results = utcnow(), []
    start = threading.Barrier(2)

    def digest_run():
        with app.app_context():
            start.wait()
            results.append(send_staff_digests(now))
            db.session.remove()

    threads = [threading.Thread(target=digest_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in ([0, 2], [1, 1]), results
    with app.app_context():
        digests = db.session.execute(sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "staff_digest")
                                     ).scalars().all()
    assert sorted(digests) == sorted([people.email["staff_a"], people.email["staff_a2"]])
    run_jobs()
    assert len(_digests(smtp_server, people.email["staff_a"])) == 1


def test_a_lost_announcement_is_made_by_the_digest_job(app, client, people, smtp_server, run_jobs, redis_server):
    """Redis lost the announcement job (here: emptied before the worker ran): the digest job finds the case
    unannounced a minute later and announces it, once."""
    case_id = submit(client, people.school_a, requester_email="verloren@example.nl")
    redis_server.client().flushall()
    assert staff_digests(app, run_jobs) == 0, "within the first minute the job may still be on its way"
    assert staff_digests(app, run_jobs, _later(2)) == 2
    [digest] = _digests(smtp_server, people.email["staff_a"])
    assert _references(app, [case_id]) == set(REFERENCE.findall(body(digest)))
    with app.app_context():
        assert db.session.get(Case, case_id).staff_announced_at is not None
    assert staff_digests(app, run_jobs, _later(30)) == 0


def test_cases_stored_long_ago_without_an_announcement_are_not_news(app, client, people, smtp_server, run_jobs,
                                                                    redis_server):
    """Rows loaded in bulk, or a job lost over a day ago: on the queue page, not in a mail now."""
    submit(client, people.school_a, requester_email="oud@example.nl")
    redis_server.client().flushall()
    assert staff_digests(app, run_jobs, _later(25 * 60)) == 0


def test_digests_switched_off_announce_every_request_at_once(app, client, people, smtp_server, run_jobs,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_DIGEST_MINUTES", 0)
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    [mail] = _digests(smtp_server, people.email["staff_a"])
    assert mail["Subject"] == "Nieuw AVG-verzoek " + _references(app, [case_id]).pop()
    assert staff_digests(app, run_jobs) == 0
