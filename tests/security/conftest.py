"""The hostile-input suite counts what it tried and reports it at the end of the run."""
from __future__ import annotations

TRIED: dict[str, int] = {}


def count(kind: str, n: int = 1) -> None:
    """Record ``n`` hostile inputs of ``kind`` as tried."""
    TRIED[kind] = TRIED.get(kind, 0) + n


def pytest_terminal_summary(terminalreporter):
    if TRIED:
        total = sum(TRIED.values())
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(TRIED.items()))
        terminalreporter.write_line(f"hostile-input suite: {total} inputs tried ({parts})")
