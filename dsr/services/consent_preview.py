"""What the parent will see for each answer the student can give on the consent page (R-CH-3, R-CH-4, R-CH-7).

The student chooses between "everything", "only my learning results" and "no". For each choice the page
lists what the parent would get: the documents the school has put in the access package so far (the
exact list), or, while there are none yet, the kinds of data in the register. "Learning results" are the
register categories marked ``is_learning_result`` (R-CH-7); the same mark keeps every other document out
of a package whose scope is the learning results (``workflows/scope.py``), so the list and the package
cannot disagree. The answer can change until the package is released (:func:`release_lock`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Case, RegisterCategory
from ..workflows.policy import age_on
from .case_records import package_of
from .clock import local_today


@dataclass(frozen=True)
class Preview:
    """What the parent gets for one choice: document titles when the school has put documents in the
    package (``from_package``), otherwise the register's kinds of data; ``items`` is empty when the parent
    gets nothing."""

    choice: str
    items: tuple[str, ...]
    from_package: bool


def _categories() -> list[RegisterCategory]:
    return list(db.session.execute(
        sa.select(RegisterCategory).where(RegisterCategory.active.is_(True))
        .order_by(RegisterCategory.position, RegisterCategory.name)).scalars())


def previews(case: Case, choices: tuple[str, ...], on: dt.date | None = None) -> list[Preview]:
    """For each of ``choices`` ("full", "learning_results", "declined"): what the parent will see.

    "declined" gives nothing from 18 (R-CH-4) and the learning results at 16–17 (R-CH-3: the parent
    gets those without the student's consent).
    """
    adult = age_on(case.student_birth_date, on or local_today()) >= 18
    package = package_of(case.id)
    documents = [d for d in package.documents if d.storage_key] if package is not None else []
    categories = _categories()
    result = []
    for choice in choices:
        scope = choice if choice != "declined" else (None if adult else "learning_results")
        keep_all = scope == "full"
        if scope is None:
            items: tuple[str, ...] = ()
        elif documents:
            items = tuple(d.title for d in documents if keep_all or d.category.is_learning_result)
        else:
            items = tuple(c.name for c in categories if keep_all or c.is_learning_result)
        result.append(Preview(choice, items, from_package=bool(documents)))
    return result


def release_lock(case: Case) -> dt.datetime | None:
    """When the package for the parent was released (the answer can no longer change), or None."""
    package = package_of(case.id)
    return package.released_at if package is not None else None
