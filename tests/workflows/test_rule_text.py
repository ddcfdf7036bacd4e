"""Rule ids out of the sentences staff read (issue 15 point 5): dsr.workflows.rule_text."""
from __future__ import annotations

import pytest

from dsr.workflows.rule_text import split_rule_ids

CASES = [
    # (text, without the ids, the ids)
    ("Verlengen met twee maanden kan tot en met maandag 4 mei 2026 (R-DL-5).",
     "Verlengen met twee maanden kan tot en met maandag 4 mei 2026.", ("R-DL-5",)),
    ("De termijn staat stil tot het antwoord binnen is (R-DL-6): twijfel.",
     "De termijn staat stil tot het antwoord binnen is: twijfel.", ("R-DL-6",)),
    ("Toestemming van de leerling (R-CH-3/4)", "Toestemming van de leerling", ("R-CH-3", "R-CH-4")),
    ("Controles (R-EX-2, R-EX-3)", "Controles", ("R-EX-2", "R-EX-3")),
    ("Ontvangers inlichten (art. 19 AVG, R-RI-7)", "Ontvangers inlichten (art. 19 AVG)", ("R-RI-7",)),
    ("Ingetrokken (R-CH-8, art. 7 lid 3 AVG)", "Ingetrokken (art. 7 lid 3 AVG)", ("R-CH-8",)),
    ("Vanaf 16 jaar (R-CH-3). Tot 18 jaar (R-CH-3, R-CH-7).", "Vanaf 16 jaar. Tot 18 jaar.", ("R-CH-3", "R-CH-7")),
    ("Volgens R-CH-1 opnieuw beoordelen.", "Volgens opnieuw beoordelen.", ("R-CH-1",)),
    ("Geen regel hier (art. 15 AVG).", "Geen regel hier (art. 15 AVG).", ()),
    ("", "", ()),
]


@pytest.mark.parametrize("text, clean, ids", CASES, ids=[c[0][:30] or "empty" for c in CASES])
def test_split_rule_ids(text, clean, ids):
    result = split_rule_ids(text)
    assert (result.text, result.rule_ids) == (clean, ids)


def test_not_a_rule_id_stays():
    """Only R-XX-n is a rule id: a reference, a student number or a year stays as it is."""
    text = "Verzoek AVG-2026-00042 (nr. 12345, R-2026)"
    assert split_rule_ids(text).text == text and split_rule_ids(text).rule_ids == ()
