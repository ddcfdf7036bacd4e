"""Which register categories an assessed scope allows (R-CH-3, R-CH-5, R-CH-7): pure, by rule id."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from dsr.workflows.scope import categories_in_scope, category_problem


@dataclass(frozen=True)
class Cat:
    name: str
    is_learning_result: bool


GRADES, EXAM, ZORG, VERZUIM, INCIDENT = (Cat("Cijfers", True), Cat("Centraal examen", True), Cat("Zorg", False),
                                         Cat("Verzuim", False), Cat("Incidenten", False))
ALL = [GRADES, EXAM, ZORG, VERZUIM, INCIDENT]

CASES = [
    ("R-CH-2 full scope: every category", "full", ALL),
    ("R-CH-3/R-CH-7 parent of a 16-17-year-old: learning results only", "learning_results", [GRADES, EXAM]),
    ("R-CH-4 refused: nothing", "none", []),
    ("no review yet: nothing", None, []),
]


@pytest.mark.parametrize(("scope", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_categories_in_scope(scope, allowed):
    assert categories_in_scope(scope, ALL) == allowed


def test_refusal_reasons_name_the_category_and_the_rule():
    reason = category_problem("learning_results", ZORG)
    assert "'Zorg' valt buiten de omvang" in reason and "R-CH-7" in reason
    assert "nog niet vastgesteld" in category_problem(None, GRADES)
    assert "geen gegevens" in category_problem("none", GRADES)
    assert category_problem("learning_results", GRADES) is None


def test_r_ch_7_verzuim_is_not_a_learning_result_unless_the_register_says_so():
    assert category_problem("learning_results", VERZUIM) is not None
    assert category_problem("learning_results", Cat("Verzuim", True)) is None


def test_unknown_scope_is_an_error():
    with pytest.raises(ValueError):
        category_problem("most", GRADES)
