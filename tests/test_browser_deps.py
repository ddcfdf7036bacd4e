"""A new developer's first hour (issue 12, point 9): `make test` first makes sure the browser tests can
run (scripts/ensure-browser-deps.sh installs Debian's Chromium and npm as root); where it cannot, it
stops at the start with one line saying what to install, instead of failing a dozen browser tests at
the end. These tests never install anything: the script runs as a user who cannot."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ensure-browser-deps.sh"


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def test_without_npm_and_without_root_it_stops_with_one_line(tmp_path):
    # PATH holds only: `id` saying "not root", and an apt-get that records being called. No npm, no sudo.
    calls = tmp_path / "apt-calls"
    _stub(tmp_path, "id", "echo 1000")
    _stub(tmp_path, "apt-get", f'echo "$@" >> {calls}')
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    expected = ("chromium npm" if not os.access("/usr/bin/chromium", os.X_OK) else "npm")
    assert lines[0] == (f"make test needs {expected} for the browser tests: apt-get install -y {expected} "
                        "(or run make test-fast)")
    assert not calls.exists()  # it did not try to install as a user who cannot


def test_without_apt_get_it_stops_with_one_line(tmp_path):
    _stub(tmp_path, "id", "echo 0")  # root, but no apt-get (not Debian)
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and "apt-get install -y" in done.stderr and "npm" in done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_checks_the_browser_tools_before_anything_else():
    # -n: print the commands without running them. The check is the first thing `make test` and
    # `make test-pg` do; `make test-fast` (no browser tests) does not need it.
    # Run as a fresh make, not as a sub-make of the `make test` that may be running this test.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    make = ["make", "--no-print-directory", "-n"]
    for target in ("test", "test-pg"):
        printed = subprocess.run([*make, target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert printed.returncode == 0, printed.stderr
        first = [line for line in printed.stdout.splitlines() if line.strip()][0]
        assert first == "scripts/ensure-browser-deps.sh", printed.stdout
    fast = subprocess.run([*make, "test-fast"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert fast.returncode == 0 and "ensure-browser-deps" not in fast.stdout
    assert "not browser" in fast.stdout


def test_ci_uses_the_same_script():
    # One script for both, so `make test` on a laptop and CI install the same things the same way.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/ensure-browser-deps.sh" in ci
    assert "apt-get install -y -qq \"$tool\"" not in ci  # its old copy of the install loop is gone
