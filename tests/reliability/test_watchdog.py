"""The suite's own hygiene: if a run is killed before its fixtures clean up, the watchdog ends the
processes it started and removes the throwaway cluster directory."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.reliability.stack import ROOT, wait_until
from tests.reliability.watchdog import SESSION_MARKER


def test_watchdog_cleans_up_after_a_killed_run():
    session_id = uuid.uuid4().hex
    env = {**os.environ, SESSION_MARKER: session_id}
    cluster_dir = Path(tempfile.mkdtemp(prefix="dsr-pg-watchdog-test-"))
    scratch = Path(tempfile.mkdtemp(prefix="dsr-reliability-watchdog-test-"))
    run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)  # "pytest"
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env,
                              start_new_session=True)  # e.g. a gunicorn that would outlive the run
    watchdog = subprocess.Popen([sys.executable, "-m", "tests.reliability.watchdog", str(run.pid), session_id,
                                 "/nonexistent", str(cluster_dir), str(scratch)], cwd=ROOT, start_new_session=True)
    try:
        run.kill()
        run.wait()
        assert watchdog.wait(timeout=30) == 0
        wait_until(lambda: orphan.poll() is not None, 10, "the orphan to be killed")
        assert not cluster_dir.exists() and not scratch.exists()
    finally:
        for proc in (run, orphan, watchdog):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
