"""Other people's data redacted before anyone sees collected rows (Art. 15(4) AVG, R-EX-2): pure, table-driven."""
from __future__ import annotations

import pytest

from dsr.workflows.redaction import REDACTED, redact_rows

NOTE = {"student_number": "123", "note": "Gesprek", "classmates_involved": "Daan Jansen, Eva Smit"}

CASES = [
    ("R-EX-2 a classmate's name is shielded", [NOTE], ["classmates_involved"],
     [{**NOTE, "classmates_involved": REDACTED}], 1),
    ("nothing marked: nothing changes", [NOTE], [], [NOTE], 0),
    ("an empty value stays empty (nothing to shield)", [{**NOTE, "classmates_involved": ""}],
     ["classmates_involved"], [{**NOTE, "classmates_involved": ""}], 0),
    ("None stays None", [{"a": None}], ["a"], [{"a": None}], 0),
    ("a marked field the system did not return is ignored", [NOTE], ["teacher_note"], [NOTE], 0),
    ("numbers are data too", [{"a": 0, "b": 7}], ["a", "b"], [{"a": REDACTED, "b": REDACTED}], 2),
    ("every row, every marked field", [NOTE, NOTE], ["classmates_involved", "note"],
     [{**NOTE, "classmates_involved": REDACTED, "note": REDACTED}] * 2, 4),
    ("no rows", [], ["note"], [], 0),
]


@pytest.mark.parametrize(("rows", "fields", "expected", "count"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_redact_rows(rows, fields, expected, count):
    assert redact_rows(rows, fields) == (expected, count)


def test_the_input_rows_are_not_changed():
    rows = [dict(NOTE)]
    redact_rows(rows, ["note"])
    assert rows == [NOTE]
