"""The ``DSR_*`` settings: declared once (:mod:`dsr.settings.declared`), read from the environment here.

Each environment variable is read as what its setting holds (:mod:`dsr.settings.kinds`); an unknown
``DSR_*`` name or a bad value stops the start with one line naming the variable. The README's table
is generated from the declaration (:mod:`dsr.settings.readme`, ``make settings-table``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .declared import ALL_SETTINGS, APP_SETTINGS, TOOLING_SETTINGS, TRANSLATIONS_DIR
from .kinds import Setting

__all__ = ["ALL_SETTINGS", "APP_SETTINGS", "TOOLING_SETTINGS", "TRANSLATIONS_DIR", "ConfigError", "Setting",
           "by_env_name", "defaults", "read_environment"]

#: Names that were settings once: the refusal says where the choice went instead.
RETIRED = {
    "DSR_APPEAL_ROUTE": "the appeal route is set per school by the privacy officer (page \"Scholen\")",
}

by_env_name: dict[str, Setting] = {s.env_name: s for s in ALL_SETTINGS}


class ConfigError(RuntimeError):
    """The environment holds an unknown ``DSR_*`` name or a value its setting cannot hold."""


def defaults(instance_path: str) -> dict[str, Any]:
    """The built-in value of every app setting, by Flask config key."""
    return {s.config_key: s.default_for(instance_path) for s in APP_SETTINGS}


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The app settings that ``environ`` sets, by Flask config key, parsed by kind.

    Tooling names are accepted and left to their tools. Raises :class:`ConfigError` with one line
    naming every unknown name (with the likely intended one) and every bad value.
    """
    values, problems = {}, []
    for name in sorted(n for n in environ if n.startswith("DSR_")):
        setting = by_env_name.get(name)
        if setting is None:
            problems.append(_unknown(name))
        elif not setting.tooling:
            try:
                values[setting.config_key] = setting.parse(environ[name])
            except ValueError as exc:
                shown = "the value" if setting.secret else repr(environ[name])
                problems.append(f"{name}: {shown} {exc}")
    if problems:
        raise ConfigError("; ".join(problems) + "; the settings are listed in README.md, Configuration")
    return values


def _unknown(name: str) -> str:
    """'<name> is not a setting', with the likely intended name when one is close."""
    import difflib  # only on the way to a refusal: keeps it out of every start

    if name in RETIRED:
        return f"{name} is no longer a setting: {RETIRED[name]}"
    # A config key spelt as a variable (the prefix and SQLALCHEMY_DATABASE_URI) points at its own name.
    candidates = {s.env_name: s.env_name for s in APP_SETTINGS} | {"DSR_" + s.config_key: s.env_name
                                                                   for s in APP_SETTINGS}
    candidates |= {s.env_name: s.env_name for s in TOOLING_SETTINGS}
    close = difflib.get_close_matches(name.upper(), list(candidates), n=1, cutoff=0.75)
    hint = f" (did you mean {candidates[close[0]]}?)" if close else ""
    return f"{name} is not a setting{hint}"
