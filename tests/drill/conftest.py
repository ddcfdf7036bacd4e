"""The backup drill: mark every test here ``drill`` (``-m "not drill"`` leaves them out)."""
from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/drill/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.drill)
