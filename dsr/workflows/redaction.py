"""Other people's data in collected rows is redacted before any person sees it (Art. 15(4) AVG, R-EX-2).

Pure functions, no I/O. The register marks per system and category which fields hold other people's
data (``SystemCategory.other_people_fields``: classmates named in a care note, a teacher's private note).
Before a collected category becomes a package document, every such value is replaced by
:data:`REDACTED`, so the requester sees that something was there and why it is not shown. An empty value
stays empty: there is nothing to shield, and the reader sees that nothing was there.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["REDACTED", "redact_rows"]

#: What the reader sees in place of another person's data.
REDACTED = "[afgeschermd: gegevens van een ander]"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def redact_rows(rows: Sequence[Mapping[str, Any]], fields: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """``rows`` with the value of every field in ``fields`` replaced by :data:`REDACTED` (empty values
    kept), and how many values were replaced. The input is not changed."""
    shielded = set(fields)
    redacted: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        copy = dict(row)
        for name in shielded.intersection(copy):
            if not _empty(copy[name]):
                copy[name] = REDACTED
                count += 1
        redacted.append(copy)
    return redacted, count
