"""Issue 15 point 2: the queue finds things. Search (posted, never in a URL), the filters (in the URL), the
columns, bad parameters, and the URL round trip, through HTTP as signed-in staff."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, User
from dsr.services import queue as queue_service
from dsr.services.clock import local_today
from dsr.workflows import deadlines
from tests.helpers import login, submit
from tests.integration.helpers import set_case_columns

CASE_LINK = re.compile(r'href="/zaken/(\d+)"')
NOTES = re.compile(r"<div class=\"notice\" role=\"status\" data-queue-notes>(.*?)</div>", re.S)


def _client(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def _listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in CASE_LINK.findall(response.get_data(as_text=True))]


def _get(client, query: str = "") -> list[int]:
    return _listed(client.get("/zaken/" + (f"?{query}" if query else "")))


def _search(client, term: str, **filters) -> list[int]:
    return _listed(client.post("/zaken/", data={"q": term, **filters}))


def _notes(response) -> str:
    match = NOTES.search(response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else ""


def _today(app) -> dt.date:
    with app.app_context():
        return local_today()


@pytest.fixture
def cases(app, client, people):
    """Cases of school A (one closed) and one of school B with the same student name as one of A."""
    made = {
        "vries": submit(client, people.school_a, student_name="Sanne de Vries", requester_name="Pieter de Vries",
                        requester_email="p.devries@example.nl"),
        "yilmaz": submit(client, people.school_a, student_name="Özlem Yılmaz", requester_name="Ayşe Yılmaz",
                         requester_email="ayse@voorbeeld.nl"),
        "bakker": submit(client, people.school_a, student_name="Tom Bakker", requester_name="Els Bakker",
                         requester_email="els_bakker@example.com"),
        "other": submit(client, people.school_b, student_name="Sanne de Vries", requester_name="Karel Smit",
                        requester_email="k.smit@example.nl"),
    }
    today = _today(app)
    set_case_columns(app, made["vries"], student_number="20231234", due_on=today + dt.timedelta(days=20))
    set_case_columns(app, made["yilmaz"], student_number="20239999", due_on=today + dt.timedelta(days=10))
    set_case_columns(app, made["bakker"], state="refused", decision_grounds="art12_5",
                     due_on=today - dt.timedelta(days=40))
    set_case_columns(app, made["other"], student_number="20231234")
    with app.app_context():
        made["reference"] = db.session.get(Case, made["vries"]).reference
    return made


# --- search ------------------------------------------------------------------------------------------------

SEARCHES = [
    # (what staff type, the cases of school A it finds, in deadline order)
    ("{reference}", ["vries"]),                      # the reference, whole
    ("{reference_lower}", ["vries"]),                # ... in lower case
    ("{reference_tail}", ["vries"]),                 # ... a part of it (its number)
    ("SANNE", ["vries"]),                            # student name, other case
    ("vrie", ["vries"]),                             # partial, in the student's and the requester's name
    ("2023123", ["vries"]),                          # student number, partial
    ("20239999", ["yilmaz"]),                        # student number, whole
    ("pieter", ["vries"]),                           # requester name
    ("DEVRIES@EXAMPLE", ["vries"]),                  # requester e-mail, partial, upper case
    ("P.DeVries@Example.NL", ["vries"]),             # a whole address: looked up exactly, whatever the case
    ("devries@example.nl", ["vries"]),               # a whole address nobody has exactly: as a part of one
    ("K.SMIT@EXAMPLE.NL", []),                       # a whole address of another school's case: nothing
    ("voorbeeld.nl", ["yilmaz"]),                    # the e-mail's domain
    ("Özlem", ["yilmaz"]),                           # letters beyond A-Z, same case
    ("bakker", ["bakker"]),                          # a refused (closed) case: a search finds old ones too
    ("els_bakker", ["bakker"]),                      # "_" is a letter here, not LIKE's wildcard
    ("sanne   vries", ["vries"]),                    # every word must occur (spaces do not matter)
    ("vries bakker", []),                            # ... in the same case
    ("s_nne", []),                                   # "_" matches only itself
    ("100%", []),                                    # "%" too
    ("example", ["vries", "bakker"]),                # several
    ("nobody-has-this", []),
]


@pytest.mark.parametrize(("typed", "found"), SEARCHES)
def test_search_finds_each_field_case_insensitively_and_partially(app, people, cases, typed, found):
    term = typed.format(reference=cases["reference"], reference_lower=cases["reference"].lower(),
                        reference_tail=cases["reference"].rsplit("-", 1)[1])
    staff = _client(app, people.email["staff_a"])
    by_deadline = ["yilmaz", "vries", "bakker"]  # due +10, +20, -40 days: bakker first
    expected = [cases[key] for key in ["bakker", "yilmaz", "vries"] if key in found]
    assert sorted(expected) == sorted(cases[key] for key in by_deadline if key in found)
    assert _search(staff, term) == expected


def test_case_folding_beyond_a_to_z_depends_on_the_database(app, people, cases, database_url):
    """PostgreSQL folds every letter (ILIKE); SQLite's lower() folds only A-Z, as docs/deployment.md says."""
    staff = _client(app, people.email["staff_a"])
    found = _search(staff, "özlem")
    assert found == ([cases["yilmaz"]] if database_url.startswith("postgresql") else [])


def test_other_schools_cases_are_never_found(app, people, cases):
    staff_a, staff_b = _client(app, people.email["staff_a"]), _client(app, people.email["staff_b"])
    for term in ("sanne", "20231234", "k.smit", "karel"):
        assert cases["other"] not in _search(staff_a, term), term
        assert cases["other"] not in _search(staff_a, term, status="alle", school=str(people.school_b)), term
    assert _search(staff_b, "sanne") == [cases["other"]]
    assert _search(staff_b, "pieter") == []
    privacy = _client(app, people.email["privacy"])
    assert set(_search(privacy, "sanne de vries")) == {cases["vries"], cases["other"]}


def test_a_search_with_a_state_looks_only_in_that_state(app, people, cases):
    staff = _client(app, people.email["staff_a"])
    assert _search(staff, "example", status="refused") == [cases["bakker"]]
    assert _search(staff, "example", status="submitted") == [cases["vries"]]
    assert _search(staff, "example", brief="1") == []


def test_the_search_never_goes_into_a_url(app, people, cases):
    staff = _client(app, people.email["staff_a"])
    response = staff.post("/zaken/", data={"q": "Sanne", "type": "access"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sanne de Vries" in page
    for link in re.findall(r'(?:href|action)="([^"]*)"', page):
        assert "sanne" not in link.lower(), link
    # The term stays in the field, and the page says what was searched and where.
    assert 'name="q" value="Sanne"' in page and "alle statussen, ook afgesloten" in page
    # A search in the address is not used (an old bookmark, a typed URL): the page says so.
    response = staff.get("/zaken/?q=Sanne")
    assert "zoek met het zoekveld" in _notes(response) and 'name="q" value=""' in response.get_data(as_text=True)
    assert _listed(response) == [cases["yilmaz"], cases["vries"]]  # the open queue, not a search


def test_posting_filters_without_a_search_redirects_to_their_url(app, people, cases):
    staff = _client(app, people.email["staff_a"])
    response = staff.post("/zaken/", data={"q": "", "status": "alle", "type": "access", "toegewezen": "mij"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/zaken/?status=alle&type=access&toegewezen=mij"


def test_too_short_and_too_long_searches(app, people, cases):
    staff = _client(app, people.email["staff_a"])
    response = staff.post("/zaken/", data={"q": "sa"})
    assert "minstens 3 tekens" in _notes(response)
    assert _listed(response) == [cases["yilmaz"], cases["vries"]]  # no search: the open queue
    response = staff.post("/zaken/", data={"q": "vries " + "x" * 300})
    assert "ingekort tot 100 tekens" in _notes(response) and _listed(response) == []


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_search_needs_the_forms_csrf_token(csrf_app, people, cases):
    from tests.helpers import PASSWORD, totp_code

    client = csrf_app.test_client()
    token = _token(client.get("/medewerkers/inloggen").get_data(as_text=True))
    client.post("/medewerkers/inloggen", data={"email": people.email["staff_a"], "password": PASSWORD,
                                                "csrf_token": token})
    token = _token(client.get("/medewerkers/tweede-stap").get_data(as_text=True))
    client.post("/medewerkers/tweede-stap", data={"code": totp_code(people.email["staff_a"]), "csrf_token": token})
    page = client.get("/zaken/").get_data(as_text=True)
    assert client.post("/zaken/", data={"q": "sanne"}).status_code == 400
    assert _listed(client.post("/zaken/", data={"q": "sanne", "csrf_token": _token(page)})) == [cases["vries"]]


def test_search_results_page_through_posts_that_keep_the_search(app, people, client):
    ids = [submit(client, people.school_a, student_name=f"Lotte Visser {n}") for n in range(4)]
    ids.append(submit(client, people.school_a, student_name="Someone Else"))
    app.config["QUEUE_PAGE_SIZE"], old = 3, app.config["QUEUE_PAGE_SIZE"]
    try:
        staff = _client(app, people.email["staff_a"])
        first = staff.post("/zaken/", data={"q": "visser", "type": "access"})
        page = first.get_data(as_text=True)
        assert _listed(first) == ids[:3]
        cursor = re.search(r'name="na" value="([^"]+)"', page).group(1)
        assert 'name="q" value="visser"' in page and 'name="type" value="access"' in page
        assert _search(staff, "visser", type="access", na=cursor) == [ids[3]]
    finally:
        app.config["QUEUE_PAGE_SIZE"] = old


# --- columns ---------------------------------------------------------------------------------------------


def test_columns_show_student_requester_and_assignee(app, people, cases):
    set_case_columns(app, cases["vries"], assigned_to_id=people.staff_a2)
    page = _client(app, people.email["staff_a"]).get("/zaken/").get_data(as_text=True)
    for header in ("Leerling", "Aanvrager", "Toegewezen aan"):
        assert f'<th scope="col">{header}</th>' in page
    row = re.search(rf'href="/zaken/{cases["vries"]}".*?</tr>', page, re.S).group(0)
    assert "Sanne de Vries" in row and "20231234" in row and "Pieter de Vries" in row
    assert "p.devries@example.nl" in row and "Staff A2" in row


# --- filters ---------------------------------------------------------------------------------------------


def _filter_cases(app, client, people):
    """Six cases of school A with what each filter looks at, and one of school B."""
    names = ["mine", "colleague", "nobody", "waiting_long", "waiting_short", "letter"]
    made = {name: submit(client, people.school_a, student_name=f"Kind {name}") for name in names}
    made["b"] = submit(client, people.school_b)
    today = _today(app)
    tz_start = queue_service.proposed_before  # the boundary the filter uses, checked below on its own
    with app.app_context():
        long_ago = tz_start(today, 3) - dt.timedelta(minutes=1)
        just_now = tz_start(today, 1) + dt.timedelta(minutes=1)
    for n, name in enumerate(names):
        set_case_columns(app, made[name], due_on=today + dt.timedelta(days=n + 1),
                         received_on=dt.date(2025, 3, 1 + n))
    set_case_columns(app, made["mine"], assigned_to_id=people.staff_a, extended=True)
    set_case_columns(app, made["colleague"], assigned_to_id=people.staff_a2, right="erasure",
                     data_concerned="Adres")
    set_case_columns(app, made["waiting_long"], state="awaiting_director", proposed_at=long_ago,
                     assigned_to_id=people.staff_a)
    set_case_columns(app, made["waiting_short"], state="awaiting_director", proposed_at=just_now)
    set_case_columns(app, made["letter"], state="refused", letter_pending=True,
                     decision_grounds="art12_5,art15_4")
    set_case_columns(app, made["nobody"], state="partially_fulfilled", decision_grounds="art15_4",
                     letter_pending=False)
    return made


FILTERS = [
    # (query string, the cases of school A listed, in deadline order)
    ("", ["mine", "colleague", "waiting_long", "waiting_short", "letter"]),
    ("status=alle", ["mine", "colleague", "nobody", "waiting_long", "waiting_short", "letter"]),
    ("status=partially_fulfilled", ["nobody"]),
    ("type=erasure", ["colleague"]),
    ("toegewezen=mij", ["mine", "waiting_long"]),
    ("toegewezen={staff_a2}", ["colleague"]),
    ("toegewezen=niemand", ["waiting_short", "letter"]),
    ("toegewezen=niemand&status=alle", ["nobody", "waiting_short", "letter"]),
    ("brief=1", ["letter"]),
    ("status=awaiting_director", ["waiting_long", "waiting_short"]),
    ("wacht_langer_dan=2", ["waiting_long"]),
    ("wacht_langer_dan=0", ["waiting_long", "waiting_short"]),
    ("ontvangen_van=2025-03-02&ontvangen_tot=2025-03-04&status=alle", ["colleague", "nobody", "waiting_long"]),
    ("ontvangen_van=2025-03-05", ["waiting_short", "letter"]),
    ("grond=art15_4", ["nobody", "letter"]),
    ("grond=art12_5", ["letter"]),
    ("verlengd=1", ["mine"]),
    ("school={school_a}&toegewezen=mij&type=access", ["mine", "waiting_long"]),
    ("school={school_b}", []),
]


@pytest.mark.parametrize(("query", "listed"), FILTERS)
def test_each_filter(app, client, people, query, listed):
    made = _filter_cases(app, client, people)
    staff = _client(app, people.email["staff_a"])
    query = query.format(staff_a2=people.staff_a2, school_a=people.school_a, school_b=people.school_b)
    assert _get(staff, query) == [made[name] for name in listed]


def test_due_within_counts_working_days():
    """A Friday: 1 working day reaches Monday; over Christmas the holidays do not count (R-DL-3)."""
    friday, christmas_eve = dt.date(2026, 12, 4), dt.date(2026, 12, 24)
    assert queue_service.due_within_limit(friday, 0) == dt.date(2026, 12, 6)  # the weekend holds no working day
    assert queue_service.due_within_limit(friday, 1) == dt.date(2026, 12, 7)
    assert queue_service.due_within_limit(friday, 5) == dt.date(2026, 12, 13)  # Friday the 11th, then the weekend
    assert queue_service.due_within_limit(christmas_eve, 1) == dt.date(2026, 12, 28)
    for today in (friday, christmas_eve, dt.date(2026, 4, 3)):  # Good Friday is no holiday; Easter Monday is
        for days in range(0, 12):
            limit = queue_service.due_within_limit(today, days)
            assert deadlines.working_days_between(today, limit) <= days
            assert deadlines.working_days_between(today, limit + dt.timedelta(days=1)) == days + 1


def test_waiting_for_the_director_counts_working_days(app):
    with app.app_context():
        monday = dt.date(2026, 12, 7)
        # Proposed on Wednesday or earlier: more than two working days (Thu, Fri, Mon) by Monday; on the
        # Thursday: two (Fri, Mon), not more.
        boundary = queue_service.proposed_before(monday, 2)
    assert boundary == dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)  # Thursday 00:00 in Amsterdam


# --- the URL ---------------------------------------------------------------------------------------------

ROUND_TRIPS = [
    {},
    {"status": "alle"},
    {"status": "awaiting_director", "wacht_langer_dan": "2"},
    {"type": "erasure", "school": "7", "toegewezen": "mij", "binnen": "5", "te_laat": "1"},
    {"toegewezen": "niemand", "brief": "1"},
    {"toegewezen": "12", "ontvangen_van": "2025-01-01", "ontvangen_tot": "2025-12-31", "grond": "art15_4",
     "verlengd": "1", "status": "refused"},
]


@pytest.mark.parametrize("args", ROUND_TRIPS)
def test_filters_survive_the_url_round_trip(app, people, args):
    with app.test_request_context():
        user = db.session.get(User, people.staff_a)
        filters, notes = queue_service.filters_from_args(args, user)
        assert notes == [] and queue_service.filter_args(filters) == args


def test_pager_and_bookmarked_urls_keep_the_filters(app, client, people):
    ids = [submit(client, people.school_a, right="erasure", data_concerned="Adres") for _ in range(3)]
    submit(client, people.school_a)
    set_case_columns(app, ids[0], assigned_to_id=people.staff_a)
    app.config["QUEUE_PAGE_SIZE"], old = 2, app.config["QUEUE_PAGE_SIZE"]
    try:
        staff = _client(app, people.email["staff_a"])
        response = staff.get("/zaken/?type=erasure&status=alle")
        assert _listed(response) == ids[:2]
        link = html.unescape(re.search(r'<a href="([^"]+)">Volgende pagina</a>', response.get_data(as_text=True))
                             .group(1))
        assert "type=erasure" in link and "status=alle" in link
        assert _get(staff, link.split("?", 1)[1]) == [ids[2]]
        # The form shows the bookmarked filters as chosen.
        page = staff.get("/zaken/?type=erasure&toegewezen=mij").get_data(as_text=True)
        assert '<option value="erasure" selected>' in page and '<option value="mij" selected>' in page
    finally:
        app.config["QUEUE_PAGE_SIZE"] = old


BAD = [
    ("status=bogus", "Status"),
    ("type=<script>", "Soort"),
    ("school=abc", "School"),
    ("school=99999999999999999999", "School"),
    ("toegewezen=iemand", "Toegewezen aan"),
    ("binnen=-1", "werkdagen"),
    ("binnen=1e3", "werkdagen"),
    ("wacht_langer_dan=x", "directeur"),
    ("ontvangen_van=2025-13-01", "Ontvangen vanaf"),
    ("ontvangen_tot=gisteren", "Ontvangen tot en met"),
    ("ontvangen_van=2025-06-01&ontvangen_tot=2025-01-01", "eindigt vóór"),
    ("grond=%00", "Weigeringsgrond"),
    ("na=garbage", "paginaverwijzing"),
    ("na=2026-01-01.99999999999", "paginaverwijzing"),
]


@pytest.mark.parametrize(("query", "named"), BAD)
def test_bad_parameters_are_ignored_with_a_note(app, people, cases, query, named):
    staff = _client(app, people.email["staff_a"])
    response = staff.get(f"/zaken/?{query}")
    assert response.status_code == 200
    assert named in _notes(response)
    assert _listed(response) == [cases["yilmaz"], cases["vries"]]  # as if the bad value was not there
    posted = staff.post("/zaken/", data=dict(part.split("=", 1) for part in query.split("&")) | {"q": "example"})
    assert posted.status_code == 200 and named in _notes(posted)


def test_the_queue_page_reads_cases_with_a_fixed_number_of_statements(app, people, client):
    """Assignees come with the page (a join), not one query per row."""
    ids = [submit(client, people.school_a) for _ in range(6)]
    for case_id in ids:
        set_case_columns(app, case_id, assigned_to_id=people.staff_a2)
    staff = _client(app, people.email["staff_a"])
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        staff.get("/zaken/")
        few = len(statements)
        for case_id in ids[:3]:
            set_case_columns(app, case_id, assigned_to_id=people.director_a)
        statements.clear()
        staff.get("/zaken/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM users" in s]) <= 3
    assert len(statements) == few


def test_staff_see_their_schools_by_a_condition_the_queue_indexes_serve(app, people):
    """Only directors are ever appointed to approve another school's refusal: for staff the visibility is the
    plain school condition (an OR with appointed_approver_id made the 1,000,000-case queue scan every open
    case, bench/results.md); a director's OR is served by ix_cases_appointed_approver."""
    from dsr.services.case_access import visible_cases

    with app.app_context():
        staff, director = db.session.get(User, people.staff_a), db.session.get(User, people.director_a)
        assert "appointed_approver_id" not in str(visible_cases(staff).compile()).split("WHERE", 1)[1]
        assert "appointed_approver_id" in str(visible_cases(director).compile()).split("WHERE", 1)[1]
        assert "ix_cases_appointed_approver" in {i.name for i in Case.__table__.indexes}
