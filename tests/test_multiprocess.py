"""The production process layout on one machine: the commands of the ``Procfile`` started as separate
processes on loopback (two web servers, two RQ workers, a mail worker, one scheduler) around one database, one
Redis and one SMTP server, and a public request that goes through all of them (docs/deployment.md).

Bounded in time (every wait has a deadline) and always cleaned up (each process leads its own
process group, which is killed at the end whatever happened).
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from rq import Worker

from bench.common import Browser, csrf_token
from dsr.dev.launcher import gunicorn_extra_args
from dsr.dev.local_services import free_port, port_in_use
from dsr.extensions import db
from dsr.models import School
from dsr.scheduler import LOCK_NAME
from tests.helpers import AUDIT_KEY, FILE_KEY, intake_data, procfile

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 90
MAIL_SECONDS = 60


def expand(command: str, env: dict) -> list[str]:
    """The command's words with ``${NAME}`` and ``${NAME:-default}`` filled in from ``env``."""
    def value(match: re.Match) -> str:
        return env.get(match.group(1)) or (match.group(3) or "")

    return shlex.split(re.sub(r"\$\{(\w+)(:-([^}]*))?\}", value, command))


def test_procfile_names_every_process_kind():
    assert set(procfile()) == {"release", "web", "worker", "mailworker", "scheduler"}


class Layout:
    """Processes started from the Procfile; :meth:`stop` ends every one of them."""

    def __init__(self, base_env: dict, log_dir: Path):
        self.base_env, self.log_dir = base_env, log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.commands = procfile()

    def start(self, name: str, kind: str, **env) -> subprocess.Popen:
        full_env = dict(self.base_env, **env)
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        with log:
            proc = subprocess.Popen(expand(self.commands[kind], full_env), env=full_env, cwd=ROOT,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]

    def wait(self, what: str, condition, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            self.check_alive()
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {name}\n{self.log(name)}" for name in self.procs)
                raise AssertionError(f"{what}: not within {seconds}s\n{logs}")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()  # graceful: gunicorn, rq and the scheduler all stop on SIGTERM
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: work horses, gunicorn workers
            proc.wait()


@pytest.fixture
def layout(app, database_url, redis_server, smtp_server, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        "DSR_DATABASE_URL": database_url, "DSR_SECRET_KEY": "multiprocess-test-secret",
        "DSR_REDIS_URL": redis_server.url, "DSR_MAIL_SERVER": smtp_server.host,
        "DSR_MAIL_PORT": str(smtp_server.port), "DSR_FILE_KEYS": f'["{FILE_KEY}"]',
        "DSR_AUDIT_KEYS": f'["{AUDIT_KEY}"]',
        "DSR_FILE_STORAGE": str(tmp_path / "files"), "DSR_PUBLIC_BASE_URL": "http://dsr.test",
        "DSR_PROXY_FIX_HOPS": "0", "WEB_CONCURRENCY": "1",
        # Two gunicorns on one machine: without this, gunicorn >= 25 would share a control socket.
        "GUNICORN_CMD_ARGS": " ".join(gunicorn_extra_args()),
    })
    processes = Layout(env, tmp_path)
    try:
        yield processes
    finally:
        processes.stop()


def test_two_web_two_workers_one_scheduler_serve_a_request(app, layout, redis_server, smtp_server):
    with app.app_context():
        school = School(code="MPT", name="Multiprocess School")
        db.session.add(school)
        db.session.commit()
        school_id = school.id
    ports = [free_port(), free_port()]
    for n, port in enumerate(ports, start=1):
        layout.start(f"web{n}", "web", DSR_BIND=f"127.0.0.1:{port}")
    layout.start("worker1", "worker")
    layout.start("worker2", "worker")
    layout.start("mailworker", "mailworker")
    layout.start("scheduler", "scheduler")
    connection = redis.Redis.from_url(redis_server.url)
    try:
        layout.wait("both web servers listen", lambda: all(port_in_use(p) for p in ports), STARTUP_SECONDS)
        layout.wait("two RQ workers and the mail worker registered",
                    lambda: len(Worker.all(connection=connection)) == 3, STARTUP_SECONDS)
        layout.wait("the scheduler holds the leader lock", lambda: connection.exists(LOCK_NAME), STARTUP_SECONDS)

        # The form comes from one web server and is posted to the other: the web tier is stateless.
        first, second = Browser(ports[0]), Browser(ports[1])
        status, _, page = first.get("/")
        assert status == 200
        second.cookies = first.cookies
        data = dict(intake_data(school_id, requester_email="multi.process@example.nl"), csrf_token=csrf_token(page))
        status, headers, body = second.post("/", data)
        assert status == 302, body[:2000]
        first.cookies = second.cookies
        status, _, confirmation = first.get(headers["Location"])
        assert status == 200
        reference = re.search(r"AVG-\d{4}-\d{5}", confirmation).group(0)

        # The mail worker sends the receipt.
        messages = smtp_server.wait_for(1, timeout=MAIL_SECONDS)
        receipts = [m for m in messages if "multi.process@example.nl" in m.envelope_rcpt_tos]
        assert len(receipts) == 1 and reference in receipts[0]["Subject"]
        layout.check_alive()
    finally:
        connection.close()
