"""Cells that a spreadsheet cannot run (CSV injection, OWASP "CSV Injection").

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) as a formula. Such a text may also hide inside a cell, after a separator: opened with
another delimiter than the one written (a comma, a semicolon, a tab, a line break), the cell splits,
and the piece after the separator starts a new cell. So every such start, at the beginning and after
any separator (and the spaces after it), gets a single quote in front: the reader sees the text, the
spreadsheet never runs it. Every CSV dsr writes passes each text cell through :func:`neutralise`.
"""
from __future__ import annotations

import re

#: Where a new cell could begin: the start of the text, or after a separator and any spaces.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n][ ]*)(?=[=+\-@\t\r])")


def neutralise(value: object) -> object:
    """``value`` with a single quote before every place a spreadsheet could read a formula; other
    types than text (numbers, None) are returned as they are."""
    if not isinstance(value, str):
        return value
    return _FORMULA_START.sub(lambda match: match.group(1) + "'", value)
