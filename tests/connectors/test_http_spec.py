"""How an HTTP system's category is written down (``dsr.connectors.http_spec``): table-driven, no network."""
from __future__ import annotations

import pytest

from dsr.connectors import ConnectorError
from dsr.connectors.http_spec import (
    Call,
    CollectSpec,
    dig,
    fill_body,
    fill_path,
    parse_calls,
    parse_collect,
    parse_rectify,
    rows_at,
    select,
)

VALUES = {"student_number": "S 1/001", "birth_date": "2009-03-14", "student_name": "Sanne", "new_value": 'a"b\\c'}


@pytest.mark.parametrize("text, spec", [
    ("/users/{student_number}", CollectSpec("/users/{student_number}")),
    ("/results?filter=x='{student_number}'\nrows: results", CollectSpec("/results?filter=x='{student_number}'",
                                                                       "results")),
    ("# the learning platform\n\nrows: data.items\n/api/v1/items\nnot_found: empty",
     CollectSpec("/api/v1/items", "data.items", True)),
    ("/users/{student_number}\nnot_found: error", CollectSpec("/users/{student_number}")),
])
def test_parse_collect(text, spec):
    assert parse_collect(text, "cijfers") == spec


@pytest.mark.parametrize("text, error", [
    ("", "geen pad"),
    ("rows: results", "geen pad"),
    ("/a\n/b", "meer dan één pad"),
    ("/a\nfields: x", "niet begrepen"),
    ("users/{student_number}", "niet begrepen"),
])
def test_parse_collect_errors(text, error):
    with pytest.raises(ConnectorError, match=error):
        parse_collect(text, "cijfers")


@pytest.mark.parametrize("text, calls", [
    ("DELETE /users/{student_number}", [Call("DELETE", "/users/{student_number}")]),
    ("delete /a\n# comment\nPATCH /b {\"x\": true}", [Call("DELETE", "/a"), Call("PATCH", "/b", '{"x": true}')]),
    ("", []),
])
def test_parse_calls(text, calls):
    assert parse_calls(text, "c") == calls


@pytest.mark.parametrize("text", ["REMOVE /users/1", "DELETE users/1", "DELETE"])
def test_parse_call_errors(text):
    with pytest.raises(ConnectorError, match="niet begrepen"):
        parse_calls(text, "c")


def test_parse_rectify():
    calls = parse_rectify('familyName: PATCH /users/{student_number} {"familyName": "{new_value}"}\n'
                          "email: PUT /users/{student_number}/email {\"email\": \"{new_value}\"}", "c")
    assert calls == {"familyName": Call("PATCH", "/users/{student_number}", '{"familyName": "{new_value}"}'),
                     "email": Call("PUT", "/users/{student_number}/email", '{"email": "{new_value}"}')}
    assert calls["email"].describe() == 'PUT /users/{student_number}/email {"email": "{new_value}"}'
    with pytest.raises(ConnectorError, match="Correctieregel"):
        parse_rectify("PATCH /users/1", "c")


@pytest.mark.parametrize("template, url", [
    ("/users/{student_number}", "/users/S%201%2F001"),
    ("/r?filter=student.sourcedId='{student_number}'&d={birth_date}",
     "/r?filter=student.sourcedId='S%201%2F001'&d=2009-03-14"),
    ("/x/{other}/{student_name}", "/x/{other}/Sanne"),  # only the known placeholders; no other formatting
])
def test_fill_path(template, url):
    assert fill_path(template, VALUES) == url


def test_fill_body_escapes_the_value_inside_a_json_string():
    assert fill_body('{"familyName": "{new_value}", "n": "{student_number}"}', VALUES) == {
        "familyName": 'a"b\\c', "n": "S 1/001"}
    with pytest.raises(ConnectorError, match="JSON-body") as caught:
        fill_body('{"familyName": {new_value}}', VALUES)
    assert caught.value.__cause__ is None and 'a\\"b' not in caught.value.message


@pytest.mark.parametrize("document, path, rows, is_list", [
    ({"users": [{"a": 1}, {"a": 2}]}, "", [{"a": 1}, {"a": 2}], True),
    ({"user": {"a": 1}}, "", [{"a": 1}], False),
    ([{"a": 1}], "", [{"a": 1}], True),
    ({"data": {"items": []}, "meta": {}}, "data.items", [], True),
])
def test_rows_at(document, path, rows, is_list):
    assert rows_at(document, path, "c") == (rows, is_list)


@pytest.mark.parametrize("document, path", [
    ({"users": [], "meta": {}}, ""),
    ({"users": [1, 2]}, ""),
    ({"users": "x"}, "users"),
    ("text", ""),
    ({"users": []}, "results"),
])
def test_rows_at_refuses_another_shape(document, path):
    with pytest.raises(ConnectorError, match="verwachte vorm"):
        rows_at(document, path, "c")


def test_dig_and_select():
    row = {"score": 7.5, "lineItem": {"sourcedId": "li-1"}, "roles": [{"role": "student"}], "x": None}
    assert dig(row, "lineItem.sourcedId") == "li-1"
    assert dig(row, "lineItem.title") is None and dig(row, "score.value") is None
    assert select([row], ("lineItem.sourcedId", "score", "missing")) == (
        ["lineItem.sourcedId", "score", "missing"], [{"lineItem.sourcedId": "li-1", "score": 7.5, "missing": None}])
    columns, rows = select([row, {"extra": True}], ())
    assert columns == ["score", "lineItem", "roles", "x", "extra"]
    assert rows[0]["roles"] == '[{"role":"student"}]' and rows[1]["score"] is None
