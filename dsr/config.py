"""Settings: declared defaults, overridden by ``DSR_*`` environment variables, then by a mapping.

Operators configure dsr only through the environment (twelve-factor); tests pass a mapping of Flask
config keys to :func:`dsr.create_app`. Every setting is declared once, with its kind, default and
meaning, in :mod:`dsr.settings.declared`; the README's table is generated from that declaration.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from .settings import TRANSLATIONS_DIR, ConfigError, read_environment
from .settings import defaults as _defaults

__all__ = ["TRANSLATIONS_DIR", "ConfigError", "defaults", "load_environment"]


def defaults(instance_path: str) -> dict:
    """The built-in settings: a laptop-friendly SQLite database in ``instance/`` and local Redis."""
    return _defaults(instance_path)


def load_environment(config: MutableMapping, environ: Mapping[str, str] | None = None) -> None:
    """Apply the ``DSR_*`` variables of ``environ`` (default: the process environment) onto ``config``.

    Each value is read as its setting's kind (text stays text). Raises :class:`ConfigError`, one
    line, for an unknown ``DSR_*`` name or a bad value, so a typo stops the start.
    """
    config.update(read_environment(os.environ if environ is None else environ))
