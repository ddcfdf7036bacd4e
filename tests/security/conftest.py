"""The hostile-input suite counts what it tried (tests/security/helpers.py) and reports it at the end of the run."""
from __future__ import annotations

from tests.security.helpers import TRIED


def pytest_terminal_summary(terminalreporter):
    if TRIED:
        total = sum(TRIED.values())
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(TRIED.items()))
        terminalreporter.write_line(f"hostile-input suite: {total} inputs tried ({parts})")
