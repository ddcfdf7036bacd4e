"""Labels: the translated names of stored keys.

The keys are stored and never translated. The labels are Dutch msgids marked with ``lazy_gettext``;
each mapping is a :class:`Labels`, whose lookups return a plain ``str`` in the current language
(Dutch by default and outside any request), so callers can join, format or store them. Form
choices take :meth:`Labels.choices`, which stay lazy and follow the language of each request.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from wtforms.fields.choices import SelectChoice


class Labels(Mapping):
    """A read-only ``key -> label`` mapping that translates each label when it is looked up."""

    def __init__(self, labels: dict):
        self._labels = dict(labels)

    def __getitem__(self, key: str) -> str:
        return str(self._labels[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        return f"Labels({list(self._labels)!r})"

    def choices(self) -> list:
        """The choices of a WTForms field: each label stays lazy, so it is translated at each render."""
        return [SelectChoice(key, label) for key, label in self._labels.items()]
