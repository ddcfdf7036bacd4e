"""`make totp EMAIL=...` from a shell, as a new user runs it next to `make run`: the sign-in code of a
demo account, computed with the demo's keys from instance/ (it failed before: "DSR_SECRET_KEY is not
set", since only the launcher's own processes had the key)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from dsr.dev import launcher

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def test_totp_code_for_a_demo_login_uses_the_demo_keys(tmp_path, monkeypatch, capfd):
    for name in ("DSR_SECRET_KEY", "DSR_FILE_KEYS", "DSR_AUDIT_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DSR_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    monkeypatch.setenv("DSR_REDIS_URL", "redis://127.0.0.1:1/0")  # no Redis: the seed's mails wait
    instance = tmp_path / "instance"
    env = launcher.demo_environment(instance)
    for args in (["db", "upgrade"], ["dsr", "seed-demo"]):
        done = subprocess.run([FLASK, "--app", "wsgi", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    capfd.readouterr()

    assert launcher.demo_totp("admin.odk@demo.asg.nl", instance=instance) == 0
    printed = capfd.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", printed), printed
    # The keys came from instance/, as `make run` keeps them; that the code signs the account in is
    # tests/integration/test_cli.py's part (the same demo-totp command, in process).
    assert (instance / "secret_key").exists() and (instance / "file_keys").exists()
