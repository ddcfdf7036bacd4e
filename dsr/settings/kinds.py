"""The kinds of value a setting holds, and how each reads the text of an environment variable.

Environment variables are text. Each setting says what it holds, so ``DSR_MAIL_PASSWORD=123456``
stays the text ``"123456"`` and ``DSR_SECRET_KEY=1e3`` stays ``"1e3"``; only the settings that hold
a list or an object read JSON. A bad value raises :class:`ValueError` with a short reason.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no"})


class Kind:
    """A kind of value: ``label`` names it in the README, :meth:`parse` reads an environment value."""

    label = "text"

    def parse(self, raw: str) -> Any:
        """The value ``raw`` stands for; ValueError with a short reason when it is not one."""
        return raw

    def show(self, value: Any) -> str:
        """The value as an operator would write it (the README's default column)."""
        return str(value)


class Text(Kind):
    """Any text, taken as it is."""


class Integer(Kind):
    """A whole number such as ``8025``."""

    label = "integer"

    def parse(self, raw: str) -> int:
        """``int(raw)``; ``1.5`` or ``abc`` are refused."""
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError("is not a whole number") from None


class Number(Kind):
    """A number of seconds that may have a fraction (``5.5``); whole numbers stay ``int``."""

    label = "number"

    def parse(self, raw: str) -> int | float:
        """``int`` when ``raw`` is whole, else ``float``."""
        try:
            return int(raw.strip())
        except ValueError:
            pass
        try:
            return float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None


class Boolean(Kind):
    """``true``/``false``, ``1``/``0`` or ``yes``/``no`` (any case)."""

    label = "true/false"

    def parse(self, raw: str) -> bool:
        """True or False; anything else is refused rather than guessed."""
        word = raw.strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
        raise ValueError("is not true/false (also accepted: 1/0, yes/no)")

    def show(self, value: Any) -> str:
        """``true`` or ``false``."""
        return "true" if value else "false"


class Choice(Kind):
    """One of a few fixed texts."""

    def __init__(self, *options: str):
        self.options = options
        self.label = "one of " + ", ".join(options)

    def parse(self, raw: str) -> str:
        """``raw`` when it is one of the options (exact case, as the consumers compare it)."""
        if raw not in self.options:
            raise ValueError("is not one of " + ", ".join(self.options))
        return raw


class ListOf(Kind):
    """A list: JSON (``[10, 5]``, ``["a", "b"]``) or separated by commas (``10,5``, ``a,b``)."""

    def __init__(self, item: Integer | Text):
        self.item = item
        self.label = "list of " + ("integers" if isinstance(item, Integer) else "texts")

    def parse(self, raw: str) -> list:
        """The items; an empty value is the empty list."""
        text = raw.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                raise ValueError("is not a JSON list") from None
            if not isinstance(items, list):
                raise ValueError("is not a JSON list")
            want = int if isinstance(self.item, Integer) else str
            # bool is an int in Python; a list of integers must not take true/false.
            if any(not isinstance(i, want) or isinstance(i, bool) for i in items):
                raise ValueError(f"is not a {self.label}")
            return items
        try:
            return [self.item.parse(part.strip()) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"is not a {self.label}") from None

    def show(self, value: Any) -> str:
        """JSON, the form the old settings used."""
        return json.dumps(value)


class JsonObject(Kind):
    """A JSON object such as ``{"pool_size": 2}``, passed on to a library as it is."""

    label = "JSON object"

    def parse(self, raw: str) -> dict:
        """The object; any other JSON (or no JSON) is refused."""
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValueError("is not a JSON object") from None
        if not isinstance(value, dict):
            raise ValueError("is not a JSON object")
        return value

    def show(self, value: Any) -> str:
        """Compact JSON."""
        return json.dumps(value)


TEXT, INTEGER, NUMBER, BOOLEAN, JSON_OBJECT = Text(), Integer(), Number(), Boolean(), JsonObject()
INTEGERS, TEXTS = ListOf(INTEGER), ListOf(TEXT)


@dataclass(frozen=True)
class Setting:
    """One ``DSR_*`` environment variable: what it holds, its default and what it means.

    ``key`` is the Flask config key it sets (the name without ``DSR_`` unless given). ``default``
    may be a function of the instance path. A setting whose default is None may be set empty to
    mean None. ``tooling`` settings are read by the launcher, gunicorn, tests or benchmarks, not
    by the app: they are declared so that the app does not refuse them. ``secret`` values are never
    repeated in an error message (they end up in logs).
    """

    name: str
    kind: Kind
    default: Any
    meaning: str
    group: str
    key: str = ""
    secret: bool = False
    shown_default: str = ""  # the README's text for a default that is computed or needs words
    tooling: bool = False

    @property
    def env_name(self) -> str:
        """The environment variable, e.g. ``DSR_MAIL_PORT``."""
        return "DSR_" + self.name

    @property
    def config_key(self) -> str:
        """The Flask config key it sets."""
        return self.key or self.name

    def default_for(self, instance_path: str) -> Any:
        """The default value, a fresh copy (lists and dicts are changed in place by some tests)."""
        value = self.default(instance_path) if callable(self.default) else self.default
        return copy.deepcopy(value)

    def parse(self, raw: str) -> Any:
        """The value of ``raw``; None when ``raw`` is empty and the setting may be None."""
        if self.default is None and raw == "":
            return None
        return self.kind.parse(raw)
