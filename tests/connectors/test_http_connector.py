"""The HTTP/JSON connector against a real OneRoster 1.2 server on 127.0.0.1 (issue 17 point 2).

Each test talks over a socket to ``oneroster_server`` (no mocks): authentication of each kind, paging,
fields and the key check, every fault as a clear error on the system, the size limit, token expiry,
erasure (twice), the dry run, rectification, the roster, and no secret in any message or log line.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
import time

import pytest

from dsr.connectors import (
    CategorySpec,
    Change,
    ConnectorError,
    Limits,
    StudentKey,
    TooLarge,
    WrongStudent,
    connector_for,
)

from .oneroster_fixtures import oneroster  # noqa: F401  (the fixture)
from .oneroster_server import GRADEBOOK, ROSTERING, OneRosterServer

KEY = StudentKey("S1001", dt.date(2009, 3, 14), "Sanne de Vries")
RESULTS = CategorySpec(
    "cijfers", collect=f"{GRADEBOOK}/results?filter=student.sourcedId='{{student_number}}'\nrows: results",
    fields=("lineItem.sourcedId", "score", "comment"), key_field="student.sourcedId",
    other_people_fields=("comment",))
USER = CategorySpec(
    "inschrijving", collect=f"{ROSTERING}/users/{{student_number}}\nnot_found: empty",
    fields=("sourcedId", "givenName", "familyName", "email"), key_field="sourcedId",
    erase=f"DELETE {ROSTERING}/users/{{student_number}}",
    rectify=f'familyName: PATCH {ROSTERING}/users/{{student_number}} {{"familyName": "{{new_value}}"}}',
    restrict=f'PATCH {ROSTERING}/users/{{student_number}} {{"metadata": {{"restricted": true}}}}')


def connect(server: OneRosterServer, auth: str = "oauth2", *, timeout: float = 2, max_bytes: int = 1_000_000,
            credentials: dict | None = None, **settings):
    """The connector of a system that is ``server``, as dsr builds it from settings and credentials."""
    values = {"base_url": server.url, "auth": auth, "token_url": "/oauth/token", "client_id": server.client_id,
              "scope": "roster-core.readonly", "api_key_header": server.api_key_header,
              "username": server.username, "page_size": 100, **settings}
    secrets = credentials if credentials is not None else {
        "client_secret": server.client_secret, "api_key": server.api_key, "password": server.password}
    return connector_for("http", values, secrets, Limits(timeout_seconds=timeout, max_bytes=max_bytes))


@pytest.mark.parametrize("auth", ["oauth2", "api_key", "basic", "none"])
def test_each_kind_of_authentication_collects_the_students_results(oneroster, auth):
    oneroster.auth = auth
    data = connect(oneroster, auth).collect(RESULTS, KEY)
    assert data.category_code == "cijfers"
    assert data.columns == ["lineItem.sourcedId", "score", "comment"]
    assert data.rows == [
        {"lineItem.sourcedId": "li-wiskunde-1", "score": 7.5, "comment": "Goed gedaan"},
        {"lineItem.sourcedId": "li-engels-1", "score": 6.8, "comment": ""},
        {"lineItem.sourcedId": "li-biologie-1", "score": 8.1, "comment": "Samen met Tim de Boer gemaakt"}]
    assert oneroster.tokens_issued == (1 if auth == "oauth2" else 0)


@pytest.mark.parametrize("auth, credentials", [
    ("oauth2", {"client_secret": "wrong-secret-1"}),
    ("api_key", {"api_key": "wrong-key-2"}),
    ("basic", {"password": "wrong-password-3"}),
])
def test_wrong_credentials_say_check_the_credentials_and_are_not_retried(oneroster, auth, credentials):
    oneroster.auth = auth
    with pytest.raises(ConnectorError) as caught:
        connect(oneroster, auth, credentials=credentials).collect(RESULTS, KEY)
    assert "controleer" in caught.value.message
    assert not caught.value.retryable
    assert next(iter(credentials.values())) not in caught.value.message


@pytest.mark.parametrize("total, link", [(True, True), (True, False), (False, True), (False, False)])
def test_paging_follows_every_page(oneroster, total, link):
    for n in range(22):
        oneroster.add_result("S1001", f"li-extra-{n}", 6.0)
    oneroster.send_total, oneroster.send_link = total, link
    data = connect(oneroster, page_size=10).collect(RESULTS, KEY)
    assert len(data.rows) == 25
    assert len({r["lineItem.sourcedId"] for r in data.rows}) == 25
    assert len(oneroster.data_requests()) == 3
    assert all("limit=10" in path for _, path in oneroster.data_requests())


def test_a_full_last_page_without_headers_asks_once_more_and_stops_at_the_empty_page(oneroster):
    for n in range(17):
        oneroster.add_result("S1001", f"li-extra-{n}", 6.0)
    oneroster.send_total = oneroster.send_link = False
    assert len(connect(oneroster, page_size=10).collect(RESULTS, KEY).rows) == 20
    assert len(oneroster.data_requests()) == 3


def test_without_fields_every_top_level_field_is_a_column_and_objects_are_json(oneroster):
    data = connect(oneroster).collect(CategorySpec("inschrijving", collect=USER.collect, key_field="sourcedId"), KEY)
    assert data.columns[:3] == ["sourcedId", "status", "dateLastModified"]
    assert data.rows[0]["givenName"] == "Sanne"
    assert data.rows[0]["roles"].startswith('[{"roleType":"primary","role":"student"')


def test_one_object_is_one_row_and_an_unknown_student_is_no_data_when_so_configured(oneroster):
    connector = connect(oneroster)
    assert connector.collect(USER, KEY).rows == [
        {"sourcedId": "S1001", "givenName": "Sanne", "familyName": "de Vries", "email": "sanne@leerling.example"}]
    unknown = StudentKey("S9999", dt.date(2010, 1, 1))
    assert connector.collect(USER, unknown).rows == []
    strict = CategorySpec("inschrijving", collect=f"{ROSTERING}/users/{{student_number}}", key_field="sourcedId")
    with pytest.raises(ConnectorError, match="HTTP 404"):
        connector.collect(strict, unknown)


def test_the_student_number_is_url_quoted_and_a_filter_injection_yields_no_data(oneroster):
    odd = StudentKey("S1001' OR student.sourcedId!='x", dt.date(2009, 3, 14))
    with pytest.raises(ConnectorError):  # this server refuses the filter; one that runs it meets the key check
        connect(oneroster).collect(RESULTS, odd)
    assert "S1001%27%20OR%20student.sourcedId%21%3D%27x" in oneroster.data_requests()[-1][1].replace("+", "%20")


@pytest.mark.parametrize("spec", [RESULTS, USER])
def test_a_row_of_another_student_is_an_error_and_no_data(oneroster, spec):
    oneroster.fault = "other_student"
    with pytest.raises(WrongStudent) as caught:
        connect(oneroster).collect(spec, KEY)
    assert "andere leerling" in caught.value.message
    assert "S1002" not in caught.value.message and "Daan" not in caught.value.message


def test_a_missing_key_field_is_an_error(oneroster):
    spec = CategorySpec("cijfers", collect=RESULTS.collect, key_field="learner.sourcedId")
    with pytest.raises(ConnectorError, match="learner.sourcedId"):
        connect(oneroster).collect(spec, KEY)


@pytest.mark.parametrize("fault, error, retryable", [
    ("500", "HTTP 500", True),
    ("slow", "niet binnen 1 seconden", True),
    ("trickle", "niet binnen 1 seconden", True),
    ("malformed", "geen geldige JSON", True),
    ("huge", "groter dan de grens van 1.000.000 bytes", False),
])
def test_each_fault_is_a_clear_error_on_the_system(oneroster, fault, error, retryable):
    oneroster.fault, oneroster.slow_seconds = fault, 2.5
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        connect(oneroster, timeout=1).collect(RESULTS, KEY)
    assert error in caught.value.message
    assert caught.value.retryable is retryable
    assert isinstance(caught.value, TooLarge) is (fault == "huge")
    assert time.monotonic() - started < 2.4


def test_a_fault_that_passes_is_gone_on_the_next_try(oneroster):
    oneroster.fault, oneroster.fault_count = "500", 1
    connector = connect(oneroster)
    with pytest.raises(ConnectorError):
        connector.collect(RESULTS, KEY)
    assert len(connector.collect(RESULTS, KEY).rows) == 3


def test_the_size_limit_counts_all_pages_together(oneroster):
    for n in range(40):
        oneroster.add_result("S1001", f"li-extra-{n}", 6.0, "x" * 200)
    with pytest.raises(TooLarge):
        connect(oneroster, page_size=10, max_bytes=6_000).collect(RESULTS, KEY)
    assert 1 < len(oneroster.data_requests()) < 5


def test_a_refused_connection_and_an_unexpected_shape_and_a_wrong_path(oneroster):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    oneroster.auth = "none"
    with pytest.raises(ConnectorError, match="niet bereikbaar") as caught:
        connect(oneroster, "none", base_url=closed).collect(RESULTS, KEY)
    assert caught.value.retryable
    wrong_rows = CategorySpec("cijfers", collect=f"{GRADEBOOK}/results\nrows: grades")
    with pytest.raises(ConnectorError, match="verwachte vorm"):
        connect(oneroster, "none").collect(wrong_rows, KEY)
    with pytest.raises(ConnectorError, match="HTTP 404") as caught:
        connect(oneroster, "none").collect(CategorySpec("cijfers", collect="/ims/nothing/here"), KEY)
    assert not caught.value.retryable


def test_an_expired_token_is_replaced_and_a_valid_one_is_reused(oneroster):
    connector = connect(oneroster)
    connector.collect(RESULTS, KEY)
    connector.collect(USER, KEY)
    assert oneroster.tokens_issued == 1
    oneroster.revoke_tokens()  # the server forgot it: a 401, one new token, the call again
    assert len(connector.collect(RESULTS, KEY).rows) == 3
    assert oneroster.tokens_issued == 2
    oneroster.token_seconds = 61  # Authlib renews 60 s before the end: this one is stale after 1 s
    connector = connect(oneroster)
    connector.collect(RESULTS, KEY)
    time.sleep(1.3)
    connector.collect(RESULTS, KEY)
    assert oneroster.tokens_issued == 4


def test_erase_plans_executes_and_is_idempotent(oneroster):
    connector = connect(oneroster)
    plan = connector.plan("erase", USER, KEY)
    assert (plan.action, plan.row_count) == ("erase", 1)
    assert plan.rows == [{"sourcedId": "S1001", "givenName": "Sanne", "familyName": "de Vries",
                          "email": "sanne@leerling.example"}]
    assert plan.description == f"DELETE {ROSTERING}/users/{{student_number}}"
    assert oneroster.has_user("S1001")
    assert {m for m, _ in oneroster.data_requests()} == {"GET"}
    assert connector.execute("erase", USER, KEY) == 1
    assert not oneroster.has_user("S1001") and oneroster.has_user("S1002")
    assert connector.execute("erase", USER, KEY) == 0  # gone already: done, nothing more
    assert connector.plan("erase", USER, KEY).row_count == 0


def test_the_dry_run_refuses_an_object_of_another_student(oneroster):
    oneroster.fault = "other_student"
    with pytest.raises(WrongStudent):
        connect(oneroster).plan("erase", USER, KEY)
    assert oneroster.has_user("S1001")


def test_rectify_sends_the_new_value_as_json_and_restrict_its_body(oneroster):
    connector = connect(oneroster)
    change = Change("familyName", "de Vries", 'de Vries-"Bakker" \\ {new_value}')
    plan = connector.plan("rectify", USER, KEY, [change])
    assert plan.row_count == 1 and oneroster.user("S1001")["familyName"] == "de Vries"
    assert connector.execute("rectify", USER, KEY, [change]) == 1
    assert oneroster.user("S1001")["familyName"] == 'de Vries-"Bakker" \\ {new_value}'
    with pytest.raises(ConnectorError, match="givenName"):
        connector.execute("rectify", USER, KEY, [Change("givenName", "Sanne", "Susanne")])
    assert connector.execute("restrict", USER, KEY) == 1
    assert oneroster.user("S1001")["metadata"]["restricted"] is True
    with pytest.raises(ConnectorError, match="geen erase-opdracht"):
        connector.execute("erase", RESULTS, KEY)


def test_roster_reads_students_contacts_birth_dates_and_gezag(oneroster):
    entries = list(connect(oneroster, page_size=2).roster())
    assert [(e.school_code, e.student_number, e.name, e.birth_date) for e in entries] == [
        ("AAA", "S1001", "Sanne de Vries", dt.date(2009, 3, 14)),
        ("AAA", "S1002", "Daan Jansen", dt.date(2012, 6, 1)),
        ("AAA", "S1003", "Lotte Bakker", dt.date(2010, 11, 30))]
    sanne, daan, lotte = entries
    assert (sanne.enrolled_on, sanne.left_on) == (dt.date(2021, 8, 30), None)
    assert [(c.name, c.email, c.relation, c.gezag) for c in sanne.contacts] == [
        ("Anja de Vries", "anja.devries@example.org", "parent", True),
        ("Henk de Vries", "henk@example.org", "other", False)]  # no gezag field: no gezag
    assert [(c.relation, c.gezag) for c in daan.contacts] == [("guardian", True)]
    assert (lotte.left_on, lotte.contacts) == (dt.date(2025, 7, 15), ())
    assert any("offset=4" in p for _, p in oneroster.data_requests())  # 9 users over 5 pages
    mapped = list(connect(oneroster, school_codes={"AAA": "BBB"}).roster())
    assert {e.school_code for e in mapped} == {"BBB"}


def test_roster_without_a_birth_date_is_an_error_not_a_partial_roster(oneroster):
    oneroster.data["demographics"].pop()
    with pytest.raises(ConnectorError, match="geboortedatum"):
        list(connect(oneroster).roster())


@pytest.mark.parametrize("settings, error", [
    ({"base_url": "http://oneroster.example.org"}, "https://"),
    ({"base_url": "ftp://127.0.0.1"}, "geen geldige"),
    ({"auth": "kerberos"}, "onbekende manier"),
    ({"page_size": "veel"}, "geen getal"),
])
def test_bad_settings_are_clear_errors(oneroster, settings, error):
    with pytest.raises(ConnectorError, match=error):
        connect(oneroster, **settings)


def test_no_secret_token_or_data_in_any_message_or_log_line(oneroster, caplog):
    caplog.set_level(logging.DEBUG)
    messages = []

    def attempt(action) -> None:
        try:
            action()
        except ConnectorError as exc:
            messages.extend([exc.message, str(exc), repr(exc), str(exc.__cause__ or "")])

    connector = connect(oneroster)
    connector.collect(RESULTS, KEY)
    token = next(iter(oneroster.tokens))
    for fault in ("500", "malformed", "other_student", "huge"):
        oneroster.fault = fault
        attempt(lambda: connector.collect(RESULTS, KEY))
        attempt(lambda: connector.plan("erase", USER, KEY))
    oneroster.fault = None
    attempt(lambda: connect(oneroster, credentials={"client_secret": "Wr0ng-secret-77"}).collect(RESULTS, KEY))
    for auth in ("api_key", "basic"):
        oneroster.auth = auth
        wrong = connect(oneroster, auth, credentials={"api_key": "Wr0ng-key-88", "password": "Wr0ng-pw-99"})
        attempt(lambda: wrong.collect(RESULTS, KEY))  # noqa: B023 (called at once, inside the loop)
    assert len(messages) >= 10
    text = "\n".join(messages) + "\n" + caplog.text + "\n" + repr(caplog.records)
    for secret in (oneroster.client_secret, oneroster.api_key, oneroster.password, token, "Wr0ng-secret-77",
                   "Wr0ng-key-88", "Wr0ng-pw-99", "S1001", "Goed gedaan", "Sanne", "Tim de Boer"):
        assert secret not in text


def test_a_next_page_on_another_host_is_refused(oneroster):
    for n in range(5):
        oneroster.add_result("S1001", f"li-extra-{n}", 6.0)
    connector = connect(oneroster, page_size=3)
    oneroster.url = "http://127.0.0.2:9"  # the server's Link header now points elsewhere
    with pytest.raises(ConnectorError, match="ander adres"):
        connector.collect(RESULTS, KEY)
    assert len(oneroster.data_requests()) == 1
