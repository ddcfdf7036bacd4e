"""The hostile-input suite's tally: what it tried, by kind (reported at the end of the run by conftest.py)."""
from __future__ import annotations

TRIED: dict[str, int] = {}


def count(kind: str, n: int = 1) -> None:
    """Record ``n`` hostile inputs of ``kind`` as tried."""
    TRIED[kind] = TRIED.get(kind, 0) + n
