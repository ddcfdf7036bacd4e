"""The systemd units in deploy/systemd start the same programs with the same essential arguments as
the Procfile (which tests/test_multiprocess.py runs), so the two process lists cannot drift apart."""
from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from tests.helpers import procfile

UNITS = Path(__file__).resolve().parent.parent / "deploy" / "systemd"
UNIT_FOR = {"release": "dsr-migrate.service", "web": "dsr-web.service", "worker": "dsr-worker@.service",
            "mailworker": "dsr-mailworker@.service", "scheduler": "dsr-scheduler.service"}


def _exec_start(unit: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(UNITS / unit)
    words = shlex.split(parser["Service"]["ExecStart"])
    return [Path(words[0]).name, *words[1:]]


def _options(words: list[str]) -> dict[str, str]:
    """``--name value`` pairs (flags map to ``""``)."""
    options, i = {}, 0
    while i < len(words):
        if words[i].startswith("--"):
            has_value = i + 1 < len(words) and not words[i + 1].startswith("--")
            options[words[i]] = words[i + 1] if has_value else ""
            i += 2 if has_value else 1
        else:
            i += 1
    return options


@pytest.mark.parametrize("kind", sorted(UNIT_FOR))
def test_unit_runs_what_the_procfile_runs(kind):
    procfile_words = shlex.split(procfile()[kind])
    unit_words = _exec_start(UNIT_FOR[kind])
    assert unit_words[0] == procfile_words[0]
    # Positional words (subcommands, the WSGI app, the queue name) are the same and in the same order.
    positional = [w for w in procfile_words if not w.startswith(("--", "$"))]
    assert [w for w in positional if w in unit_words] == positional
    # Every option the Procfile sets, the unit sets to the same value (variables may be spelt differently).
    unit_options = _options(unit_words)
    for option, value in _options(procfile_words).items():
        assert option in unit_options, f"{UNIT_FOR[kind]} lacks {option}"
        if not value.startswith("$"):
            assert unit_options[option] == value, option


def test_web_unit_keeps_no_access_log():
    """Magic links carry their token in the path: an access log would store working tokens."""
    assert "--access-logfile" not in _exec_start(UNIT_FOR["web"])
