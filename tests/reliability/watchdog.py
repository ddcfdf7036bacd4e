"""Cleans up after a reliability run that was killed before its fixtures could (CI timeout, kill -9).

Started by the session fixture in a session of its own: ``python -m tests.reliability.watchdog
<pytest pid> <session id> <pg bin dir> <cluster dir> [<scratch dir>...]``. While the pytest process
lives it sleeps; when it is gone it kills every process carrying this session's marker in its
environment (only processes this suite started), stops the throwaway PostgreSQL cluster and deletes
it and the scratch directories. A normal end of the session stops the watchdog first.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SESSION_MARKER = "RELIABILITY_SESSION_ID"


def marked_processes(name: str, value: str) -> list[int]:
    """Pids (other than this one) whose environment carries ``name=value``."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    return False


def clean_up(session_id: str, pg_bin: str, cluster_dir: str, scratch: list[str]) -> None:
    data = Path(cluster_dir) / "data"
    if data.is_dir():
        command = [str(Path(pg_bin) / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        with contextlib.suppress(Exception):
            subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    for pid in marked_processes(SESSION_MARKER, session_id):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    for directory in (cluster_dir, *scratch):
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    parent, session_id, pg_bin, cluster_dir, scratch = int(argv[0]), argv[1], argv[2], argv[3], argv[4:]
    while _alive(parent):
        time.sleep(1.0)
    clean_up(session_id, pg_bin, cluster_dir, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
