"""Which register categories the assessed scope of a request allows (R-CH-3, R-CH-5, R-CH-7).

Pure functions, no I/O. ``scope`` is ``Case.assessment_scope`` as ``policy.assess`` computed it at the
legal review: ``full`` (the whole file, minus the exemptions of docs/legal.md §4), ``learning_results``
(only categories the register marks as leerresultaten) or ``none``. ``None`` means no review yet.
The server checks every uploaded document against this before it is stored, and again before the
package is released and before it is delivered (the scope can change on re-assessment, R-CH-1).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from flask_babel import gettext as _

__all__ = ["category_problem", "categories_in_scope", "SCOPE_LABELS"]

SCOPE_LABELS = {
    "full": "het volledige dossier (met de uitzonderingen voor anderen en werkaantekeningen)",
    "learning_results": "alleen de leerresultaten",
    "none": "geen gegevens",
}


class _Category(Protocol):
    name: str
    is_learning_result: bool


C = TypeVar("C", bound=_Category)


def category_problem(scope: str | None, category: _Category) -> str | None:
    """Why a document of ``category`` may not go into a package with ``scope``, or None if it may."""
    if scope is None:
        return _("De omvang van dit verzoek is nog niet vastgesteld. Leg eerst de juridische beoordeling vast; "
                 "daarna kunt u documenten toevoegen.")
    if scope == "full":
        return None
    if scope == "learning_results":
        if category.is_learning_result:
            return None
        return _("'%(category)s' valt buiten de omvang van dit verzoek: de aanvrager krijgt alleen leerresultaten "
                 "(cijfers, rapporten, (school)examenresultaten, overgang, studieadvies en diploma). Dat geldt voor "
                 "een ouder van een leerling van 16 of 17 zonder machtiging van de leerling, en voor informatie aan "
                 "een ouder zonder gezag (R-CH-3, R-CH-5, R-CH-7).", category=category.name)
    if scope == "none":
        return _("Volgens de beoordeling krijgt de aanvrager geen gegevens; er kan geen pakket worden samengesteld.")
    raise ValueError(f"unknown scope {scope!r}")


def categories_in_scope(scope: str | None, categories: Iterable[C]) -> list[C]:
    """The categories a document may be tagged with under ``scope``."""
    return [c for c in categories if category_problem(scope, c) is None]
