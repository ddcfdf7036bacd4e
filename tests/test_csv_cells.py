"""CSV cells a spreadsheet cannot run (issue 13 point 7): a formula start is neutralised at the start of a
cell and after every separator inside it, since a reader who opens the file with another delimiter
splits the cell there. Pure: no app."""
from __future__ import annotations

import pytest

from dsr.services.csv_cells import neutralise


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("+31 6 1234", "'+31 6 1234"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t'=1"),
    ("\r=1", "'\r'=1"),
    ("Jansen;=HYPERLINK(\"http://evil.test\")", "Jansen;'=HYPERLINK(\"http://evil.test\")"),
    ("Jansen,=cmd|' /C calc'!A0", "Jansen,'=cmd|' /C calc'!A0"),
    ("Jansen, -2", "Jansen, '-2"),
    ("regel 1\n@SUM(A1)", "regel 1\n'@SUM(A1)"),
    ("kolom\t+1", "kolom\t'+1"),
    # Ordinary text stays as it is: a hyphen or sign inside a word or a date is not a cell's start.
    ("2026-12-04", "2026-12-04"),
    ("Jan-Piet de Vries", "Jan-Piet de Vries"),
    ("a;b, c", "a;b, c"),
    ("", ""),
])
def test_every_place_a_cell_could_start_is_neutralised(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", [5, None, 2.5])
def test_other_values_than_text_stay_as_they_are(value):
    assert neutralise(value) == value
