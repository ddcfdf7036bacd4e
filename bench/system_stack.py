"""The pieces of the whole-system benchmark: the Procfile's processes, a counting SMTP sink, CPU of
process trees.

The processes are the repository's ``Procfile`` lines as a deployment runs them (``web``,
``worker``, any further worker such as a mail worker, ``scheduler``; ``release`` once before), with
``${VAR:-default}`` expanded from the environment the benchmark builds, so a line added to the
Procfile is picked up without a change here.
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import ROOT, children

PROCFILE = ROOT / "Procfile"
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: rq's line for every job it takes: "Worker <name>: <queue>: <description> (<job id>)"; the description
#: of a job without its own is "<module>.<function>(<arguments>)".
_JOB_LINE = re.compile(r"Worker \S+: [\w.-]+: ([\w.]+)\(.*\) \(\S+\)\s*$")


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's process types: name -> command line (not yet expanded), in file order."""
    lines = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        lines[name.strip()] = command.strip()
    return lines


def expand(command: str, env: dict[str, str]) -> list[str]:
    """The command's arguments with ``$VAR``, ``${VAR}`` and ``${VAR:-default}`` taken from ``env``, as a
    shell (or foreman, honcho) would."""
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        found = env.get(name, "")
        return found if found or match.group(2) is None else match.group(2)

    return shlex.split(_VARIABLE.sub(value, command))


def is_rq_worker(args: list[str]) -> bool:
    """True for an ``rq worker`` line (a general or a mail worker)."""
    return len(args) > 1 and Path(args[0]).name == "rq" and args[1].startswith("worker")


class Process:
    """One Procfile process in its own session (process group), output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path) -> None:
        self.name, self.args = name, args
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(args, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid

    def check(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}: {self.log_tail()}")

    def log_tail(self, lines: int = 12) -> str:
        with contextlib.suppress(OSError):
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def jobs(self) -> dict[str, int]:
        """Jobs this rq worker took so far, by function (from its log)."""
        counts: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in self.log_path.read_text(errors="replace").splitlines():
                match = _JOB_LINE.search(_ANSI.sub("", line))
                if match:
                    counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the group (gunicorn, rq and the scheduler shut down cleanly), SIGKILL after ``timeout``."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # what it left behind in its group
        self.popen.wait()


# --- CPU ----------------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    found, todo = [pid], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process tree: every live process's own time and that of the
    children it reaped. A delta of two readings counts processes that came and went in between (RQ's
    work horses, PostgreSQL's backends) exactly once."""
    ticks = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU seconds per part (name -> root pids), read before and after a step."""

    parts: dict[str, list[int]]
    start: dict[str, float] = field(default_factory=dict)

    def read(self) -> dict[str, float]:
        return {name: sum(tree_cpu(pid) for pid in pids) for name, pids in self.parts.items()}

    def begin(self) -> None:
        self.start = self.read()

    def used(self) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - self.start.get(name, 0.0) for name in now}


def postmaster_pid(data_dir: Path) -> int:
    """The postmaster of a PostgreSQL cluster (first line of postmaster.pid)."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


# --- SMTP sink ----------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Accepted:
    """One message the sink accepted: when (monotonic), for whom, its Message-ID."""

    at: float
    kind: str
    message_id: str


class CountingSink:
    """An SMTP server (aiosmtpd) that accepts every message and keeps only when, the recipient's kind
    and the Message-ID: cheap enough not to be the bottleneck of the load it measures."""

    def __init__(self, classify) -> None:
        from dsr.dev.local_services import free_port

        self.host, self.port = "127.0.0.1", free_port()
        self.classify = classify
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        match = _MESSAGE_ID.search(head)
        message_id = match.group(1).decode("ascii", "replace") if match else ""
        kind = self.classify(list(envelope.rcpt_tos))
        with self._lock:
            self._accepted.append(Accepted(time.monotonic(), kind, message_id))
        return "250 OK"

    def start(self) -> CountingSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port,
                                      server_hostname="dsr-bench-sink.localhost", ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def since(self, moment: float) -> list[Accepted]:
        """The messages accepted at or after ``moment`` (time.monotonic())."""
        with self._lock:
            return [a for a in self._accepted if a.at >= moment]

    def count(self) -> int:
        with self._lock:
            return len(self._accepted)
