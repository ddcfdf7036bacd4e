"""The README's settings table, generated from the declaration (:mod:`dsr.settings.declared`).

``python -m dsr.settings`` prints it, ``--write`` puts it into README.md between the two markers,
``--check`` fails when README.md differs (tests/test_config.py checks the same).
"""
from __future__ import annotations

from pathlib import Path

from .declared import ALL_SETTINGS
from .kinds import Setting

BEGIN = "<!-- settings table: generated from dsr/settings/declared.py by `make settings-table`; do not edit -->"
END = "<!-- end of the settings table -->"
README = Path(__file__).resolve().parent.parent.parent / "README.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default(setting: Setting) -> str:
    if setting.shown_default:
        return setting.shown_default
    value = setting.default
    if value is None:
        return "none"
    shown = setting.kind.show(value)
    return f"`{shown}`" if shown else "empty"


def markdown() -> str:
    """The settings, one table per group, in the order of the declaration."""
    lines: list[str] = []
    group = None
    for setting in ALL_SETTINGS:
        if setting.group != group:
            group = setting.group
            lines += ["", f"**{group}**", "", "| variable | kind | default | meaning |", "|---|---|---|---|"]
        lines.append(f"| `{setting.env_name}` | {_cell(setting.kind.label)} | {_cell(_default(setting))} "
                     f"| {_cell(setting.meaning)} |")
    return "\n".join([BEGIN, *lines, "", END])


def replaced(readme: str) -> str:
    """``readme`` with the text between the markers (markers included) replaced by :func:`markdown`."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md lacks the markers of the settings table:\n{BEGIN}\n{END}")
    return readme[:start] + markdown() + readme[end + len(END):]


def main(argv: list[str]) -> int:
    """``python -m dsr.settings [--write | --check]``."""
    if argv == ["--write"]:
        README.write_text(replaced(README.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the settings table into {README.name}")
        return 0
    if argv == ["--check"]:
        text = README.read_text(encoding="utf-8")
        if replaced(text) != text:
            print("README.md's settings table differs from dsr/settings/declared.py; run: make settings-table")
            return 1
        return 0
    if argv:
        print("usage: python -m dsr.settings [--write | --check]")
        return 2
    print(markdown())
    return 0
