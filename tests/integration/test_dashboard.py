"""The dashboard through HTTP, signed in for real: R-AC-5 figures on a constructed data set, scoped like
the queue, charts with table alternatives, and a CSV with the same figures."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest

from dsr.charts import Bar, bar_chart
from dsr.extensions import db
from dsr.models import AuditEvent, Case, School
from dsr.models.audit import GENESIS
from dsr.services.clock import local_today
from dsr.workflows.deadlines import add_months
from dsr.workflows.vocabulary import REFUSAL_GROUNDS
from tests.helpers import login

UTC = dt.UTC
PERIOD_2025 = "van=2025-01-01&tot=2025-12-31"


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- building the data set directly in the database ---------------------------------------------------


def _case(school_id: int, right: str, state: str, received: dt.date, due: dt.date, *, closed=None, **values) -> int:
    case = Case(
        school_id=school_id, right=right, state=state, received_on=received, due_on=due, closed_at=closed,
        student_name="Leerling", student_birth_date=dt.date(2010, 5, 1), requester_role="parent",
        requester_name="Ouder", requester_email="ouder@example.nl", parental_authority=True,
        extended=values.pop("extended", False), suspended_days=0, student_consent=False, **values,
    )
    db.session.add(case)
    db.session.flush()
    case.reference = f"AVG-{received.year}-{case.id:05d}"
    return case.id


def _events(case_id: int, *steps: tuple[str, str | None, dt.datetime]) -> None:
    """Audit events with chosen times (the chain itself is not what this test is about)."""
    for action, to_state, when in steps:
        event = AuditEvent(case_id=case_id, actor_kind="staff", action=action, to_state=to_state, reason="",
                           details="{}", created_at=when, prev_hash=GENESIS)
        event.hash = event.compute_hash()
        db.session.add(event)


def _walk(case_id: int, start: dt.datetime, checked=None, reviewed=None, decided=None, decided_state="fulfilled"):
    steps = [("case.submitted", "submitted", start)]
    if checked:
        steps.append(("transition.verify_identity", "identity_checked", checked))
    if reviewed:
        steps.append(("transition.review", "legal_basis_reviewed", reviewed))
    if decided:
        steps.append(("transition.approve_refusal" if decided_state != "fulfilled" else "transition.fulfil",
                      decided_state, decided))
    _events(case_id, *steps)


@pytest.fixture
def data(app, people):
    """Six cases received in 2025 (five at school A, one at B) and three outside that period.

    ===  =========  ===================  ==========  ==============================  ======================
    id   right      state                received    answered (Amsterdam date)        one month / 3 months
    ===  =========  ===================  ==========  ==============================  ======================
    A1   access     fulfilled            2025-03-03  2025-03-20                      on time / on time
    A2   erasure    refused (extended)   2025-03-03  2025-05-10                      late / on time
    A3   access     partially_fulfilled  2025-03-03  2025-04-04 00:30 (= 3 Apr UTC)  late / on time
    A4   rectif.    withdrawn            2025-04-01  -                               not counted
    A5   access     identity_checked     2025-06-02  open, due 2025-07-02            late / late
    B1   objection  refused              2025-02-03  2025-02-20                      on time / on time
    A6   access     fulfilled            2024-11-01  outside the period
    B2   access     submitted            today       outside the period, not overdue
    B3   access     submitted            2024-12-01  outside the period, overdue now
    ===  =========  ===================  ==========  ==============================  ======================
    """
    a, b = people.school_a, people.school_b
    with app.app_context():
        today = local_today()
        ids = {
            "A1": _case(a, "access", "fulfilled", dt.date(2025, 3, 3), dt.date(2025, 4, 3), closed=at(3, 20),
                        decision="grant"),
            "A2": _case(a, "erasure", "refused", dt.date(2025, 3, 3), dt.date(2025, 6, 3), closed=at(5, 10),
                        extended=True, decision="refuse", decision_grounds="art17_3_b"),
            "A3": _case(a, "access", "partially_fulfilled", dt.date(2025, 3, 3), dt.date(2025, 4, 3),
                        closed=at(4, 3, 22, 30), decision="partial", decision_grounds="art15_4,uavg41_i"),
            "A4": _case(a, "rectification", "withdrawn", dt.date(2025, 4, 1), dt.date(2025, 5, 1), closed=at(4, 10)),
            "A5": _case(a, "access", "identity_checked", dt.date(2025, 6, 2), dt.date(2025, 7, 2)),
            "B1": _case(b, "objection", "refused", dt.date(2025, 2, 3), dt.date(2025, 3, 3), closed=at(2, 20),
                        decision="refuse", decision_grounds="art15_4"),
            "A6": _case(a, "access", "fulfilled", dt.date(2024, 11, 1), dt.date(2024, 12, 2),
                        closed=at(11, 10, year=2024), decision="grant"),
            "B2": _case(b, "access", "submitted", today, today + dt.timedelta(days=30)),
            "B3": _case(b, "access", "submitted", dt.date(2024, 12, 1), dt.date(2025, 1, 2)),
        }
        # Time per step: identity 1, 2, 4, 3, 1 days; review 3, 1, 2, 5; decision 13, 65, 25.5625, 9.
        _walk(ids["A1"], at(3, 3), at(3, 4), at(3, 7), at(3, 20))
        _walk(ids["A2"], at(3, 3), at(3, 5), at(3, 6), at(5, 10), "refused")
        _walk(ids["A3"], at(3, 3), at(3, 7), at(3, 9), at(4, 3, 22, 30), "partially_fulfilled")
        _walk(ids["A4"], at(4, 1))
        _walk(ids["A5"], at(6, 2), at(6, 3))
        _walk(ids["B1"], at(2, 3), at(2, 6), at(2, 11), at(2, 20), "refused")
        _walk(ids["A6"], at(11, 1, year=2024), at(11, 2, year=2024), at(11, 3, year=2024), at(11, 10, year=2024))
        db.session.commit()
    return ids


# --- reading the page and the CSV ----------------------------------------------------------------------


class _Tables(HTMLParser):
    """The dashboard's data tables: {section: {row label: (value, note)}}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict[str, tuple[str, str]]] = {}
        self._section = None
        self._cells: list[str] | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-section" in attrs:
            self._section = attrs["data-section"]
            self.tables[self._section] = {}
        elif self._section and tag == "tr":
            self._cells = []
        elif self._cells is not None and tag in ("th", "td"):
            self._text = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._section = None
        elif self._text is not None and tag in ("th", "td"):
            self._cells.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._cells is not None:
            if self._cells and self._cells[0] != "Omschrijving":
                label, value, note = self._cells
                self.tables[self._section][label] = (value, note)
            self._cells = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def tables(page: str) -> dict[str, dict[str, tuple[str, str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def values(page: str, section: str) -> dict[str, str]:
    return {label: value for label, (value, _note) in tables(page)[section].items()}


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _client(app, who_email):
    client = app.test_client()
    login(client, who_email)
    return client


def _page(client, query=PERIOD_2025) -> str:
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- the figures ---------------------------------------------------------------------------------------


def test_privacy_officer_sees_every_figure_for_all_schools(app, people, data):
    page = _page(_client(app, people.email["privacy"]))
    found = tables(page)
    assert found["overzicht"] == {
        "Ontvangen in de periode": ("6", ""), "Termijn verlengd": ("1", ""),
        "Nu te laat (termijn verstreken, nog geen antwoord verstuurd)": ("2", "ongeacht de periode"),
    }
    assert found["termijn"] == {"Binnen één maand": ("40,0", "2 van 5"), "Binnen drie maanden": ("80,0", "4 van 5")}
    assert values(page, "status") == {
        "Ontvangen": "0", "Wacht op aanvrager": "0", "Identiteit gecontroleerd": "1", "Juridisch beoordeeld": "0",
        "Wacht op directeur": "0", "Uitgevoerd": "1", "Deels uitgevoerd": "1", "Geweigerd": "2",
        "Ingetrokken": "1", "Gesloten (niet geverifieerd)": "0",
    }
    assert values(page, "soort") == {
        "Inzage": "3", "Rectificatie (wijzigen)": "1", "Verwijdering": "1", "Beperking van de verwerking": "0",
        "Bezwaar tegen het gebruik van gegevens (art. 21 AVG)": "1", "Overdraagbaarheid": "0",
        "Toestemming intrekken": "0",
    }
    assert values(page, "school") == {"School A": "5", "School B": "1"}
    grounds = {label.split(":")[0]: v for label, v in values(page, "weigeringsgronden").items() if v != "0"}
    assert grounds == {"Art. 15 lid 4 AVG": "2", "Art. 17 lid 3 sub b AVG": "1", "Art. 41 lid 1 sub i UAVG": "1"}
    # Every ground is listed, the unused ones with 0.
    assert len(values(page, "weigeringsgronden")) == len(REFUSAL_GROUNDS)
    assert values(page, "te-laat") == {"School A": "1", "School B": "1"}
    assert found["doorlooptijd"] == {
        "Ontvangen → identiteit gecontroleerd": ("2,0", "5 verzoeken"),
        "Identiteit gecontroleerd → juridisch beoordeeld": ("2,5", "4 verzoeken"),
        "Juridisch beoordeeld → besluit": ("19,3", "4 verzoeken"),
    }
    assert "Alle scholen · verzoeken ontvangen 01-01-2025 t/m 31-12-2025" in page


def test_privacy_officer_filters_on_one_school(app, people, data):
    page = _page(_client(app, people.email["privacy"]), f"{PERIOD_2025}&school={people.school_b}")
    assert values(page, "overzicht")["Ontvangen in de periode"] == "1"
    assert tables(page)["termijn"] == {"Binnen één maand": ("100,0", "1 van 1"),
                                       "Binnen drie maanden": ("100,0", "1 van 1")}
    assert values(page, "school") == {"School B": "1"}
    assert values(page, "te-laat") == {"School B": "1"}
    assert values(page, "status")["Geweigerd"] == "1"
    assert values(page, "overzicht")["Nu te laat (termijn verstreken, nog geen antwoord verstuurd)"] == "1"


def test_the_period_limits_the_cases_counted(app, people, data):
    client = _client(app, people.email["privacy"])
    page = _page(client, "van=2025-03-01&tot=2025-03-31")  # A1, A2, A3 only
    assert values(page, "overzicht")["Ontvangen in de periode"] == "3"
    assert tables(page)["termijn"]["Binnen één maand"] == ("33,3", "1 van 3")
    page = _page(client, "van=2024-01-01&tot=2024-12-31")  # A6 and B3 (open, overdue)
    assert values(page, "soort")["Inzage"] == "2"
    assert tables(page)["termijn"]["Binnen één maand"] == ("50,0", "1 van 2")


def test_director_sees_only_own_schools(app, people, data):
    client = _client(app, people.email["director_a"])
    for query in (PERIOD_2025, f"{PERIOD_2025}&school={people.school_b}"):  # another school's id is ignored
        page = _page(client, query)
        assert values(page, "overzicht") == {"Ontvangen in de periode": "5", "Termijn verlengd": "1",
                                             "Nu te laat (termijn verstreken, nog geen antwoord verstuurd)": "1"}
        assert tables(page)["termijn"] == {"Binnen één maand": ("25,0", "1 van 4"),
                                           "Binnen drie maanden": ("75,0", "3 van 4")}
        assert values(page, "school") == {"School A": "5"}
        assert values(page, "soort")["Bezwaar tegen het gebruik van gegevens (art. 21 AVG)"] == "0"  # B1 is school B's
        grounds = {label.split(":")[0]: v for label, v in values(page, "weigeringsgronden").items() if v != "0"}
        assert grounds == {"Art. 15 lid 4 AVG": "1", "Art. 17 lid 3 sub b AVG": "1", "Art. 41 lid 1 sub i UAVG": "1"}
        assert values(page, "doorlooptijd") == {
            "Ontvangen → identiteit gecontroleerd": "1,5", "Identiteit gecontroleerd → juridisch beoordeeld": "2,0",
            "Juridisch beoordeeld → besluit": "25,6"}
        assert "School B" not in page
        rows = csv_rows(client.get(f"/dashboard/cijfers.csv?{query}"))
        assert "School B" not in str(rows)
        assert ["Kerncijfers", "Ontvangen in de periode", "5", "verzoeken", ""] in rows


@pytest.mark.parametrize("who", ["staff_a", "admin"])
def test_staff_and_admins_get_403(app, people, data, who):
    client = _client(app, people.email[who])
    assert client.get("/dashboard/").status_code == 403
    assert client.get(f"/dashboard/cijfers.csv?{PERIOD_2025}").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    for url in ("/dashboard/", "/dashboard/cijfers.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]


def test_nav_links_for_directors_and_privacy_officer(app, people, data):
    for who, expected in (("director_a", True), ("privacy", True), ("staff_a", False)):
        page = _client(app, people.email[who]).get("/zaken/").get_data(as_text=True)
        assert ('href="/dashboard/"' in page) is expected, who


# --- CSV and charts -----------------------------------------------------------------------------------


def test_csv_holds_the_same_figures_as_the_page(app, people, data):
    client = _client(app, people.email["privacy"])
    query = f"{PERIOD_2025}&school={people.school_a}"
    page = _page(client, query)
    response = client.get(f"/dashboard/cijfers.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["onderdeel", "omschrijving", "waarde", "eenheid", "toelichting"]
    assert rows[1:4] == [["Filter", "Periode (datum van ontvangst)", "01-01-2025 t/m 31-12-2025", "", ""],
                         ["Filter", "School", "School A", "", ""],
                         ["Filter", "Stand van", local_today_text(app), "", ""]]
    titles = dict(re.findall(r'<section class="card figures" id="([\w-]+)".*?<h2[^>]*>([^<]+)</h2>', page, re.S))
    from_page = {(titles[section], label, value, note)
                 for section, table in tables(page).items() for label, (value, note) in table.items()}
    from_csv = {(section, label, value, note) for section, label, value, _unit, note in rows[4:]}
    assert from_csv == from_page
    assert len(rows[4:]) == len(from_page) == 3 + 2 + 10 + 7 + 1 + len(REFUSAL_GROUNDS) + 1 + 3
    # and the link on the page carries the same filters
    assert f'/dashboard/cijfers.csv?van=2025-01-01&amp;tot=2025-12-31&amp;school={people.school_a}' in page


def local_today_text(app) -> str:
    with app.app_context():
        return f"{local_today():%d-%m-%Y}"


def test_every_chart_is_an_accessible_image_with_a_table_right_below(app, people, data):
    page = _page(_client(app, people.email["privacy"]))
    charts = re.findall(r'<svg [^>]*role="img"[^>]*aria-labelledby="chart-([\w-]+)-title chart-\1-desc"', page)
    assert charts == ["termijn", "status", "soort", "school", "weigeringsgronden", "te-laat", "doorlooptijd"]
    for key in charts:
        assert re.search(rf'<title id="chart-{key}-title">[^<]+</title><desc id="chart-{key}-desc">', page)
        following = re.search(rf'chart-{key}-title.*?</svg></div>\s*<(\w+)[^>]*data-section="([\w-]+)"', page, re.S)
        assert following and following.groups() == ("table", key), key
    # The charts need no JavaScript and nothing the CSP would block: the only script is the staff
    # pages' keyboard shortcuts, from dsr's own static folder.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/shortcuts.js" defer>']
    assert "style=" not in page
    # the chart reads out the figures too
    assert "Binnen één maand: 40,0 %; Binnen drie maanden: 80,0 %" in page


def test_chart_geometry_and_escaping():
    svg = str(bar_chart("chart-x", "Titel <b>", [Bar("<script>alert(1)</script>", 5, "5"), Bar("Nul", 0, "0"),
                                                 Bar("Helft", 2.5, "2,5")]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Titel &lt;b&gt;" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == 640 - 250 - 80 - 16 and widths[1] == 0 and widths[2] == widths[0] / 2
    empty = str(bar_chart("chart-leeg", "Leeg", []))
    assert "Geen gegevens" in empty and 'role="img"' in empty
    assert 'width="100"' not in str(bar_chart("chart-p", "P", [Bar("a", 150, "150")], max_value=100))  # capped
    with pytest.raises(ValueError):
        bar_chart('x" onload="alert(1)', "t", [])


def test_school_names_are_escaped_and_formula_safe_in_csv(app, people):
    with app.app_context():
        school = School(code="EVL", name='=HYPERLINK("http://evil")<script>x</script>')
        db.session.add(school)
        db.session.flush()
        _case(school.id, "access", "submitted", dt.date(2025, 3, 3), dt.date(2025, 4, 3))
        db.session.commit()
    client = _client(app, people.email["privacy"])
    page = _page(client)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    rows = csv_rows(client.get(f"/dashboard/cijfers.csv?{PERIOD_2025}"))
    names = [row[1] for row in rows if row[0] == "Verzoeken per school"]
    assert "'=HYPERLINK(\"http://evil\")<script>x</script>" in names


@pytest.mark.parametrize("query", ["van=2025-13-01", "van=2025-06-01&tot=2025-01-01", "van=2010-01-01&tot=2025-12-31",
                                   "van=abc&tot=%00", "school=abc", "school=99999999999999"])
def test_bad_filters_fall_back_to_the_last_twelve_months(app, people, query):
    client = _client(app, people.email["privacy"])
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 200
    with app.app_context():
        today = local_today()
    start = add_months(today, -12) + dt.timedelta(days=1)
    page = response.get_data(as_text=True)
    assert f"verzoeken ontvangen {start:%d-%m-%Y} t/m {today:%d-%m-%Y}" in page
    if not query.startswith("school"):
        assert 'role="alert"' in page
    assert client.get(f"/dashboard/cijfers.csv?{query}").status_code == 200


def test_empty_dashboard_renders(app, people):
    page = _page(_client(app, people.email["privacy"]))
    assert tables(page)["termijn"] == {"Binnen één maand": ("—", "0 van 0"), "Binnen drie maanden": ("—", "0 van 0")}
    assert values(page, "doorlooptijd") == dict.fromkeys(
        ["Ontvangen → identiteit gecontroleerd", "Identiteit gecontroleerd → juridisch beoordeeld",
         "Juridisch beoordeeld → besluit"], "—")


def test_figures_are_a_fixed_number_of_queries(app, people, data):
    """No N+1: the number of statements does not grow with the number of cases."""
    import sqlalchemy as sa

    client = _client(app, people.email["privacy"])

    def statements() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            _page(client)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    with app.app_context():
        for day in range(1, 29):
            case_id = _case(people.school_a, "access", "fulfilled", dt.date(2025, 2, day), dt.date(2025, 3, 28),
                            closed=at(3, 1), decision="grant")
            _walk(case_id, at(2, day), at(2, day, 12), at(2, day, 15), at(3, 1))
        db.session.commit()
    assert statements() == few


def test_the_csv_filter_rows_are_neutralised_too(app, people, data):
    """Issue 13 point 7: a school's name is a cell of the filter rows; a formula in it never runs."""
    with app.app_context():
        db.session.get(School, people.school_a).name = "=HYPERLINK(\"http://evil.test\")"
        db.session.commit()
    client = _client(app, people.email["privacy"])
    rows = csv_rows(client.get(f"/dashboard/cijfers.csv?{PERIOD_2025}&school={people.school_a}"))
    [school_filter] = [row for row in rows if row[:2] == ["Filter", "School"]]
    assert school_filter[2] == "'=HYPERLINK(\"http://evil.test\")"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
