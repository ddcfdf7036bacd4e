"""The staff queue, the director's approvals and the admin pages through HTTP, signed in for real."""
from __future__ import annotations

import datetime as dt
import email.message
import email.utils
import html
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case
from dsr.services.clock import local_today
from tests.helpers import login, step, submit
from tests.integration.helpers import set_case_columns

CASE_LINK = re.compile(r'href="/zaken/(\d+)"')
NEXT_LINK = re.compile(r'<a href="([^"]+)">Volgende pagina</a>')


# --- helpers -------------------------------------------------------------------------------------------


def _today(app) -> dt.date:
    with app.app_context():
        return local_today()


def _new_cases(client, school_id: int, count: int, **overrides) -> list[int]:
    if overrides.get("right", "access") != "access":
        overrides.setdefault("data_concerned", "Adres")
        if overrides["right"] == "rectification":
            overrides.setdefault("correct_value", "Stationsstraat 1, Almere")
    return [submit(client, school_id, **overrides) for _ in range(count)]


def _due_in(app, plan: dict[int, int]) -> None:
    """Set each case's due_on to today + N days."""
    today = _today(app)
    for case_id, days in plan.items():
        set_case_columns(app, case_id, due_on=today + dt.timedelta(days=days))


def _by_deadline(app, case_ids) -> list[int]:
    with app.app_context():
        rows = db.session.execute(sa.select(Case.id, Case.due_on).where(Case.id.in_(list(case_ids)))).all()
    return [case_id for case_id, _ in sorted(rows, key=lambda r: (r.due_on, r.id))]


def _signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def _listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in CASE_LINK.findall(response.get_data(as_text=True))]


def _queue(client, query: str = "") -> list[int]:
    return _listed(client.get("/zaken/" + (f"?{query}" if query else "")))


def _walk(client, query: str = "", limit: int = 50) -> list[list[int]]:
    """Follow 'Volgende pagina' from the first page; the case ids on each page."""
    url, pages = "/zaken/" + (f"?{query}" if query else ""), []
    while url and len(pages) < limit:
        response = client.get(url)
        pages.append(_listed(response))
        match = NEXT_LINK.search(response.get_data(as_text=True))
        url = html.unescape(match.group(1)) if match else None
    return pages


@contextmanager
def _config(app, **values):
    old = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


# --- what the queue lists ----------------------------------------------------------------------------------


def test_queue_lists_open_cases_of_own_school_by_deadline(app, client, people):
    a = _new_cases(client, people.school_a, 6)
    b = _new_cases(client, people.school_b, 2)
    _due_in(app, {a[0]: 12, a[1]: 3, a[2]: 30, a[3]: 3, a[4]: 1, a[5]: 2, b[0]: 0, b[1]: 5})
    set_case_columns(app, a[2], state="withdrawn")
    set_case_columns(app, a[5], state="fulfilled")
    open_a = [a[4], a[1], a[3], a[0]]  # due +1, +3 (lower id first), +3, +12
    assert _by_deadline(app, open_a) == open_a

    assert _queue(_signed_in(app, people.email["staff_a"])) == open_a
    assert _queue(_signed_in(app, people.email["director_a"])) == open_a
    assert _queue(_signed_in(app, people.email["staff_b"])) == [b[0], b[1]]


def test_queue_shows_reference_school_and_state(app, client, people):
    case_id = _new_cases(client, people.school_a, 1)[0]
    with app.app_context():
        reference = db.session.get(Case, case_id).reference
    page = _signed_in(app, people.email["staff_a"]).get("/zaken/").get_data(as_text=True)
    assert reference in page and "School A" in page and "Ontvangen" in page
    other = _signed_in(app, people.email["staff_b"]).get("/zaken/").get_data(as_text=True)
    assert reference not in other and "Geen verzoeken" in other


def test_status_filter(app, client, people):
    a = _new_cases(client, people.school_a, 4)
    b = _new_cases(client, people.school_b, 1)
    _due_in(app, {a[0]: 4, a[1]: 3, a[2]: 2, a[3]: 1, b[0]: 1})
    set_case_columns(app, a[0], state="identity_checked")
    set_case_columns(app, a[1], state="identity_checked")
    set_case_columns(app, a[2], state="awaiting_director")
    set_case_columns(app, a[3], state="fulfilled")
    set_case_columns(app, b[0], state="identity_checked")
    staff = _signed_in(app, people.email["staff_a"])
    assert _queue(staff, "status=identity_checked") == [a[1], a[0]]
    assert _queue(staff, "status=awaiting_director") == [a[2]]
    assert _queue(staff, "status=submitted") == []
    # A closed state can be looked up on purpose; the default list is open cases only.
    assert _queue(staff, "status=fulfilled") == [a[3]]
    assert _queue(staff) == [a[2], a[1], a[0]]
    assert _queue(staff, "status=bogus") == _queue(staff)


def test_type_filter(app, client, people):
    access = _new_cases(client, people.school_a, 2)
    erasure = _new_cases(client, people.school_a, 2, right="erasure")
    rectification = _new_cases(client, people.school_a, 1, right="rectification")
    other_school = _new_cases(client, people.school_b, 1, right="erasure")
    _due_in(app, {erasure[0]: 9, erasure[1]: 2, access[0]: 1, access[1]: 5, rectification[0]: 3,
                  other_school[0]: 1})
    staff = _signed_in(app, people.email["staff_a"])
    assert _queue(staff, "type=erasure") == [erasure[1], erasure[0]]
    assert _queue(staff, "type=access") == [access[0], access[1]]
    assert _queue(staff, "type=rectification") == rectification
    assert _queue(staff, "type=portability") == []
    assert _queue(staff, "type=bogus") == _queue(staff)
    assert _queue(staff, "type=erasure&status=submitted") == [erasure[1], erasure[0]]


def test_due_within_filter(app, client, people):
    from dsr.workflows.deadlines import working_days_between

    ids = _new_cases(client, people.school_a, 5)
    overdue, today, five, six, month = ids
    plan = {overdue: -2, today: 0, five: 5, six: 6, month: 30}
    _due_in(app, plan)
    staff = _signed_in(app, people.email["staff_a"])
    # "Termijn binnen N werkdagen" (issue 15): at most N working days away, past deadlines included.
    day = _today(app)
    for days in (0, 3, 4, 5, 6):
        expected = [i for i in ids if working_days_between(day, day + dt.timedelta(days=plan[i])) <= days]
        assert _queue(staff, f"binnen={days}") == expected, days
    everything = [overdue, today, five, six, month]
    for ignored in ("binnen=abc", "binnen=-1", "binnen=367", "binnen=", "binnen=1e3"):
        assert _queue(staff, ignored) == everything, ignored


def test_overdue_filter(app, client, people):
    ids = _new_cases(client, people.school_a, 5)
    late, later, due_today, future, closed_late = ids
    other = _new_cases(client, people.school_b, 1)[0]
    _due_in(app, {late: -1, later: -10, due_today: 0, future: 4, closed_late: -3, other: -5})
    set_case_columns(app, closed_late, state="refused")
    set_case_columns(app, later, state="awaiting_requester")
    staff = _signed_in(app, people.email["staff_a"])
    assert _queue(staff, "te_laat=1") == [later, late]
    assert _queue(staff, "te_laat=1&status=awaiting_requester") == [later]
    assert _queue(staff, "te_laat=1&status=refused") == []  # overdue means open
    assert _queue(staff, "te_laat=yes") == [later, late, due_today, future]  # only "1" switches it on


def test_privacy_officer_sees_every_school_and_can_filter(app, client, people):
    a = _new_cases(client, people.school_a, 2)
    b = _new_cases(client, people.school_b, 2)
    _due_in(app, {a[0]: 3, b[0]: 1, a[1]: 7, b[1]: 5})
    privacy = _signed_in(app, people.email["privacy"])
    assert _queue(privacy) == [b[0], a[0], b[1], a[1]]
    assert _queue(privacy, f"school={people.school_b}") == [b[0], b[1]]
    assert _queue(privacy, f"school={people.school_a}") == [a[0], a[1]]
    page = privacy.get("/zaken/").get_data(as_text=True)
    assert 'name="school"' in page and "School A" in page and "School B" in page
    # The school filter narrows what one may see; it never widens it.
    staff = _signed_in(app, people.email["staff_a"])
    assert _queue(staff, f"school={people.school_b}") == []
    assert 'name="school"' not in staff.get("/zaken/").get_data(as_text=True)


# --- pagination -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [6, 8])
def test_next_page_links_visit_every_case_once_in_order(app, client, people, extra):
    ids = _new_cases(client, people.school_a, extra)
    # Ties on the deadline across page boundaries: the keyset is (due_on, id).
    offsets = [5, 5, 5, 5, 2, 9, 9, 1]
    _due_in(app, {case_id: offsets[i] for i, case_id in enumerate(ids)})
    expected = _by_deadline(app, ids)
    with _config(app, QUEUE_PAGE_SIZE=3):
        staff = _signed_in(app, people.email["staff_a"])
        pages = _walk(staff)
        second = staff.get(html.unescape(NEXT_LINK.search(staff.get("/zaken/").get_data(as_text=True)).group(1)))
    assert [len(p) for p in pages] == [3] * (extra // 3) + ([extra % 3] if extra % 3 else [])
    assert [case_id for page in pages for case_id in page] == expected
    assert "Eerste pagina" in second.get_data(as_text=True)


def test_pagination_keeps_the_filters(app, client, people):
    access = _new_cases(client, people.school_a, 5)
    erasure = _new_cases(client, people.school_a, 4, right="erasure")
    plan = dict(zip(access + erasure, [3, 1, 4, 1, 5, 9, 2, 6, 5], strict=True))
    _due_in(app, plan)
    with _config(app, QUEUE_PAGE_SIZE=2):
        staff = _signed_in(app, people.email["staff_a"])
        pages = _walk(staff, "type=access&binnen=30")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [case_id for page in pages for case_id in page] == _by_deadline(app, access)


@pytest.mark.parametrize("query", [
    "na=garbage", "na=", "na=.", "na=2026-13-01.1", "na=2026-01-01", "na=2026-01-01.abc", "na=2026-01-01.1.2",
    "na=%00", "status=bogus", "type=bogus", "binnen=abc", "binnen=-5", "binnen=99999999999999999999",
    "school=abc", "school=-1", "school=99999999999999999999", "te_laat=2", "status=&type=&binnen=&school=",
    "status=submitted&status=bogus",
])
def test_malformed_query_never_breaks_the_queue(app, client, people, query):
    ids = _new_cases(client, people.school_a, 4)
    _due_in(app, dict(zip(ids, [4, 3, 2, 1], strict=True)))
    with _config(app, QUEUE_PAGE_SIZE=3):
        staff = _signed_in(app, people.email["staff_a"])
        first_page = _queue(staff)
        response = staff.get("/zaken/?" + query)
    assert response.status_code == 200, query
    listed = _listed(response)
    assert set(listed) <= set(ids)
    if query.startswith("na="):
        assert listed == first_page, "a cursor that cannot be read starts at the first page"


@pytest.mark.parametrize("cursor", ["2026-01-01.9223372036854775808", "2026-01-01.99999999999999999999999"])
def test_out_of_range_cursor_is_ignored(app, client, people, cursor):
    _new_cases(client, people.school_a, 2)
    staff = _signed_in(app, people.email["staff_a"])
    assert staff.get(f"/zaken/?na={cursor}").status_code == 200


def test_unknown_underscore_argument_does_not_break_the_pager(app, client, people):
    ids = _new_cases(client, people.school_a, 3)
    with _config(app, QUEUE_PAGE_SIZE=2):
        staff = _signed_in(app, people.email["staff_a"])
        response = staff.get("/zaken/?_method=POST")
    assert response.status_code == 200
    assert set(_listed(response)) <= set(ids)


# --- no N+1 -------------------------------------------------------------------------------------------------


def _statements_for(app, client, url: str) -> tuple[int, int]:
    """(SQL statements run, cases listed) for one GET of ``url``."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), len(_listed(response))


def test_queue_statement_count_does_not_grow_with_the_page(app, client, people):
    a = _new_cases(client, people.school_a, 20)
    b = _new_cases(client, people.school_b, 20)
    _due_in(app, {case_id: i % 7 for i, case_id in enumerate(a + b)})
    for role in ("staff_a", "privacy"):
        user = _signed_in(app, people.email[role])
        with _config(app, QUEUE_PAGE_SIZE=3):
            user.get("/zaken/")  # warm up
            small, listed_small = _statements_for(app, user, "/zaken/")
        with _config(app, QUEUE_PAGE_SIZE=20):
            large, listed_large = _statements_for(app, user, "/zaken/")
        assert (listed_small, listed_large) == (3, 20)
        assert small == large, (role, small, large)
        assert large <= 8, (role, large)


# --- the director's approvals ---------------------------------------------------------------------------------


def test_director_approvals_lists_awaiting_cases_of_own_schools(app, client, people):
    proposed, direct, reviewed = _new_cases(client, people.school_a, 3)
    other_school = _new_cases(client, people.school_b, 1)[0]
    staff = _signed_in(app, people.email["staff_a"])
    assert step(staff, app, proposed, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, proposed, "review", decision="refuse", grounds=["art12_5"],
                reason="Vijfde identieke verzoek in acht weken.").status_code == 302
    assert step(staff, app, proposed, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Kennelijk buitensporig.").status_code == 302
    set_case_columns(app, direct, state="awaiting_director")
    set_case_columns(app, reviewed, state="legal_basis_reviewed")
    set_case_columns(app, other_school, state="awaiting_director")
    _due_in(app, {proposed: 8, direct: 2, reviewed: 1, other_school: 1})
    with app.app_context():
        assert db.session.get(Case, proposed).state == "awaiting_director"

    director = _signed_in(app, people.email["director_a"])
    response = director.get("/zaken/goedkeuren")
    assert _listed(response) == [direct, proposed]
    assert "Staff A" in response.get_data(as_text=True)  # who proposed it
    assert _listed(_signed_in(app, people.email["director_b"]).get("/zaken/goedkeuren")) == [other_school]

    assert staff.get("/zaken/goedkeuren").status_code == 403
    assert _signed_in(app, people.email["staff_b"]).get("/zaken/goedkeuren").status_code == 403
    assert _signed_in(app, people.email["admin"]).get("/zaken/goedkeuren").status_code == 403


def test_director_approvals_empty(app, client, people):
    response = _signed_in(app, people.email["director_a"]).get("/zaken/goedkeuren")
    assert response.status_code == 200 and _listed(response) == []
    assert "Er wacht niets op uw goedkeuring." in response.get_data(as_text=True)


# --- admin pages and role boundaries ---------------------------------------------------------------------------


def _write_eml(folder, name: str, subject: str, to: str, body: str) -> None:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "avg@asg.nl", to, subject
    msg["Date"] = email.utils.format_datetime(dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC))
    msg.set_content(body)
    (folder / name).write_bytes(msg.as_bytes())


def test_demo_mailbox_is_404_unless_configured(app, people):
    admin = _signed_in(app, people.email["admin"])
    with _config(app, DEMO_MAILBOX=None):
        assert admin.get("/beheer/mail").status_code == 404
        assert "Demo-mail" not in admin.get("/beheer/gebruikers").get_data(as_text=True)


def test_demo_mailbox_is_404_outside_the_demo_even_with_a_folder_configured(app, people, tmp_path):
    """Issue 13 point 10: the page shows working links from other people's mails; a mailbox folder set by
    mistake in production must not open it."""
    _write_eml(tmp_path, "0001.eml", "Ontvangstbevestiging", "ouder@example.nl", "http://dsr.test/bevestigen/x")
    admin = _signed_in(app, people.email["admin"])
    with _config(app, DEMO_MAILBOX=str(tmp_path), DEMO=False):
        assert admin.get("/beheer/mail").status_code == 404
        assert "Demo-mail" not in admin.get("/beheer/gebruikers").get_data(as_text=True)


def test_demo_mailbox_lists_the_eml_files(app, people, tmp_path):
    _write_eml(tmp_path, "0001.eml", "Ontvangstbevestiging AVG-2026-00001", "ouder@example.nl",
               "Wij hebben uw verzoek ontvangen.")
    _write_eml(tmp_path, "0002.eml", "Nieuw verzoek AVG-2026-00002", "staff-a@asg.test", "Er is een nieuw verzoek.")
    (tmp_path / "notes.txt").write_text("Geen mail.")
    admin = _signed_in(app, people.email["admin"])
    with _config(app, DEMO_MAILBOX=str(tmp_path), DEMO=True):
        response = admin.get("/beheer/mail")
        nav = admin.get("/beheer/gebruikers").get_data(as_text=True)
        staff_response = _signed_in(app, people.email["staff_a"]).get("/beheer/mail")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Ontvangstbevestiging AVG-2026-00001", "ouder@example.nl", "Wij hebben uw verzoek ontvangen.",
                 "Nieuw verzoek AVG-2026-00002", "staff-a@asg.test"):
        assert text in page
    assert "Geen mail." not in page
    assert page.index("AVG-2026-00002") < page.index("AVG-2026-00001"), "newest first"
    assert "Demo-mail" in nav
    assert staff_response.status_code == 403


def test_empty_demo_mailbox(app, people, tmp_path):
    admin = _signed_in(app, people.email["admin"])
    with _config(app, DEMO_MAILBOX=str(tmp_path), DEMO=True):
        response = admin.get("/beheer/mail")
    assert response.status_code == 200 and "Nog geen mail." in response.get_data(as_text=True)


def test_admin_has_no_access_to_casework(app, client, people):
    case_id = _new_cases(client, people.school_a, 1)[0]
    admin = _signed_in(app, people.email["admin"])
    assert admin.get("/zaken/").status_code == 403
    assert admin.get(f"/zaken/{case_id}").status_code == 403
    assert admin.get("/beheer/gebruikers").status_code == 200


def test_queue_requires_sign_in(app, client):
    response = client.get("/zaken/")
    assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]
