"""The real processes of one dsr deployment on loopback, for the reliability suite.

gunicorn (2 workers) serving ``wsgi:app``, worker hosts (each a forking ``rq worker`` with dsr's worker
and job classes and a mail worker on the mail queue, as the Procfile has them), the ``flask dsr
scheduler``, configured only through ``DSR_*`` variables as in production, against a private
PostgreSQL cluster, a private Redis and an SMTP sink. Each child leads its own
process group and carries a marker in its environment, so teardown ends exactly the processes
this suite started (also RQ's work-horses, which leave their parent's group), and nothing else.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis
from cryptography.fernet import Fernet
from rq import Worker
from rq.serializers import JSONSerializer

from dsr.dev.launcher import gunicorn_extra_args
from dsr.dev.local_services import LocalRedis, free_port
from tests.reliability.helpers import LONG
from tests.reliability.mailsink import FaultSink
from tests.reliability.pg import ThrowawayPostgres
from tests.reliability.watchdog import marked_processes
from tests.reliability.web import Browser

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MARKER = "RELIABILITY_STACK_ID"

#: Settings of the deployment: production code, with claims, back-off and scheduler intervals of
#: seconds instead of minutes so that recovery fits in a test. The claim (10 s; 30 s in the long
#: variant) outlasts the PostgreSQL restart of scenario 5 (4 s; long: 20 s), as production's 300 s
#: outlast a restart: a mail sent just before the shutdown is then marked sent once the database is
#: back, not sent again. The rate limiter is off for the load (scenario 3 checks it).
BASE_SETTINGS = {
    "RATELIMIT_ENABLED": "false",
    "OUTBOX_CLAIM_SECONDS": "30" if LONG else "10",
    "OUTBOX_REDRIVE_AFTER_SECONDS": "1",
    "OUTBOX_MAX_BACKOFF_SECONDS": "2",
    "SCHEDULER_REDRIVE_SECONDS": "2",
    "SCHEDULER_SWEEP_SECONDS": "2",
    "MAIL_TIMEOUT": "5",
}


class ProcessDied(AssertionError):
    """A child process exited while the scenario needed it."""


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1, check=None):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if check is not None:
            check()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    """All processes below ``pid``."""
    result, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


class Proc:
    """One child process in its own session, output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(args, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid
        #: Set once the process was seen ready (for rq workers: registered in Redis).
        self.ready = False

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def check(self) -> None:
        if not self.alive:
            raise ProcessDied(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the process, its group and everything it forked (a crash, no clean-up)."""
        victims = descendants(self.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._log.close()

    def terminate(self) -> None:
        """SIGTERM the group (gunicorn, rq and the scheduler all shut down cleanly on it)."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)

    def reap(self, timeout: float) -> None:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._log.close()


class WorkerHost:
    """One worker host's processes: the general ``rq worker`` and the mail worker (the Procfile's ``worker``
    and ``mailworker``), started, killed and stopped together, like a machine. A scenario that kills "a
    worker" kills the host, and so the mail worker in the middle of its send."""

    def __init__(self, name: str, general: Proc, mail: Proc, marker: str) -> None:
        self.name, self.general, self.mail = name, general, mail
        #: The names they register under in Redis.
        self.registered_names = {f"{name}-{marker}", f"{name}-mail-{marker}"}
        self.ready = False

    @property
    def procs(self) -> tuple[Proc, Proc]:
        return self.general, self.mail

    @property
    def pid(self) -> tuple[int, int]:
        return self.general.pid, self.mail.pid

    @property
    def alive(self) -> bool:
        return all(proc.alive for proc in self.procs)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(proc.log_tail(lines) for proc in self.procs)

    def check(self) -> None:
        for proc in self.procs:
            proc.check()

    def kill(self) -> None:
        for proc in self.procs:
            if proc.alive:
                proc.kill()

    def terminate(self) -> None:
        for proc in self.procs:
            proc.terminate()

    def reap(self, timeout: float) -> None:
        for proc in self.procs:
            proc.reap(timeout)


class Stack:
    """The deployment: database, Redis, SMTP sink and the dsr processes."""

    def __init__(self, pg: ThrowawayPostgres, database_url: str, workdir: Path, settings: dict | None = None) -> None:
        #: Signed-in staff browsers by e-mail (a TOTP code is accepted once per 30 s, so each
        #: person signs in once and keeps the session, like a browser tab left open).
        self.sessions: dict[str, Browser] = {}
        self.pg, self.database_url, self.workdir = pg, database_url, workdir
        self.marker = uuid.uuid4().hex
        self.redis = LocalRedis()
        self.sink = FaultSink()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.secret_key = "k" + uuid.uuid4().hex  # "k": DSR_* values are JSON-decoded; keep it a string
        self.file_key = Fernet.generate_key().decode()
        self.audit_key = "a" + uuid.uuid4().hex + uuid.uuid4().hex  # a string (see secret_key)
        # Each stack its own file store: the audit checkpoints in it are signed with this stack's key, and
        # the default (instance/files) is the developer's own demo store.
        self.file_storage = workdir / f"files-{uuid.uuid4().hex[:12]}"
        self.settings = {**BASE_SETTINGS, **(settings or {})}
        self.web: Proc | None = None
        self.workers: list[WorkerHost] = []
        self.schedulers: list[Proc] = []
        self._all: list[Proc] = []
        self._app = None
        self._worker_count = self._scheduler_count = 0

    # --- configuration -------------------------------------------------------------------------

    @property
    def env(self) -> dict:
        return self.env_with()

    def env_with(self, settings: dict | None = None) -> dict:
        """The environment of every dsr process: the developer's DSR_* variables removed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
        env.update({
            "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), MARKER: self.marker,
            "DSR_DATABASE_URL": self.database_url, "DSR_REDIS_URL": self.redis.url,
            "DSR_SECRET_KEY": self.secret_key, "DSR_FILE_KEYS": json.dumps([self.file_key]),
            "DSR_AUDIT_KEYS": json.dumps([self.audit_key]), "DSR_FILE_STORAGE": str(self.file_storage),
            "DSR_MAIL_SERVER": self.sink.host, "DSR_MAIL_PORT": str(self.sink.port),
            "DSR_PUBLIC_BASE_URL": self.base_url,
        })
        env.update({f"DSR_{key}": value for key, value in {**self.settings, **(settings or {})}.items()})
        return env

    @property
    def app(self):
        """An in-process app on the same database and Redis, for seeding and for checking outcomes."""
        if self._app is None:
            from sqlalchemy.pool import NullPool

            from dsr import create_app

            self._app = create_app({
                "TESTING": True, "SECRET_KEY": self.secret_key, "FILE_KEYS": [self.file_key],
                "AUDIT_KEYS": [self.audit_key], "FILE_STORAGE": str(self.file_storage),
                "SQLALCHEMY_DATABASE_URI": self.database_url, "REDIS_URL": self.redis.url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},  # nothing pooled across an outage
                "MAIL_SERVER": self.sink.host, "MAIL_PORT": self.sink.port, "PUBLIC_BASE_URL": self.base_url,
            })
        return self._app

    def redis_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis.url, socket_connect_timeout=1, socket_timeout=3)

    # --- processes -----------------------------------------------------------------------------

    def start(self, *, web: bool = True, workers: int = 2, schedulers: int = 1) -> Stack:
        """Start Redis, the sink and the processes; return when all are ready."""
        self.redis.start()
        self.sink.start()
        if web:
            self.start_web(wait=False)
        for _ in range(workers):
            self.start_worker(wait=False)
        for _ in range(schedulers):
            self.start_scheduler(wait=False)
        self.wait_ready()
        return self

    def _spawn(self, name: str, args: list[str], settings: dict | None = None) -> Proc:
        proc = Proc(name, args, self.env_with(settings), self.workdir)
        self._all.append(proc)
        return proc

    def _gunicorn(self, name: str, port: int, settings: dict | None = None) -> Proc:
        return self._spawn(name, [
            str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
            "--graceful-timeout", "5", *gunicorn_extra_args(), "wsgi:app"], settings)

    def start_web(self, wait: bool = True) -> Proc:
        self.web = self._gunicorn("gunicorn", self.web_port)
        if wait:
            self.wait_ready()
        return self.web

    def extra_web(self, settings: dict) -> tuple[Proc, str]:
        """A second gunicorn on another port with other settings; the caller stops it."""
        port = free_port()
        proc = self._gunicorn(f"gunicorn-{port}", port, settings)
        base_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: self._web_up(base_url), 90, "the extra web server", 0.2, proc.check)
        return proc, base_url

    def start_worker(self, wait: bool = True) -> WorkerHost:
        """Start a worker host: the general worker and the mail worker, with the Procfile's arguments."""
        self._worker_count += 1
        name = f"worker{self._worker_count}"
        general = self._spawn(name, [
            str(BIN / "rq"), "worker", "--url", self.redis.url, "--worker-class", "dsr.jobs.AppWorker",
            "--job-class", "dsr.jobs.AppJob", "--serializer", "json", "--with-scheduler",
            "--name", f"{name}-{self.marker[:8]}", "dsr"])
        mail = self._spawn(f"{name}-mail", [
            str(BIN / "rq"), "worker", "--url", self.redis.url, "--worker-class", "dsr.notifications.worker.MailWorker",
            "--job-class", "dsr.jobs.AppJob", "--serializer", "json",
            "--name", f"{name}-mail-{self.marker[:8]}", "dsr-mail"])
        host = WorkerHost(name, general, mail, self.marker[:8])
        self.workers.append(host)
        if wait:
            self.wait_ready()
        return host

    def start_scheduler(self, wait: bool = True) -> Proc:
        self._scheduler_count += 1
        proc = self._spawn(f"scheduler{self._scheduler_count}",
                           [str(BIN / "flask"), "--app", "wsgi", "dsr", "scheduler"])
        self.schedulers.append(proc)
        if wait:
            self.wait_ready()
        return proc

    def kill_worker(self, proc: WorkerHost) -> None:
        """SIGKILL a worker host (its worker with the work-horse, and its mail worker), as in a crash; it is
        no longer counted as running."""
        proc.kill()
        self.workers.remove(proc)

    def check_alive(self) -> None:
        for proc in [p for p in [self.web, *self.workers, *self.schedulers] if p is not None]:
            proc.check()

    def registered_workers(self) -> set[str]:
        with self.redis_client() as conn:
            return {w.name for w in Worker.all(connection=conn)}

    def wait_ready(self, timeout: float = 90) -> None:
        """Web answers GET /, every new worker has registered in Redis, a scheduler holds the lock.
        (A worker registers once, at start: after Redis was lost it works on, unlisted.)"""
        if self.web is not None and self.web.alive:
            wait_until(lambda: self._web_up(self.base_url), timeout, "gunicorn to answer GET /", 0.2, self.check_alive)
        new = [w for w in self.workers if w.alive and not w.ready]
        if new:
            names = set().union(*(w.registered_names for w in new))
            wait_until(lambda: names <= self.registered_workers(), timeout, "the rq workers", 0.2, self.check_alive)
            for host in new:
                host.ready = True
        if any(s.alive for s in self.schedulers):
            from dsr.scheduler import LOCK_NAME

            def leader():
                with self.redis_client() as conn:
                    return conn.exists(LOCK_NAME)

            wait_until(leader, timeout, "a scheduler to take the leader lock", 0.2, self.check_alive)

    @staticmethod
    def _web_up(base_url: str) -> bool:
        try:
            return Browser(base_url, timeout=5).get("/").status == 200
        except OSError:
            return False

    def heal(self, workers: int = 2, timeout: float = 120) -> None:
        """Bring the deployment back to normal between scenarios: PostgreSQL, Redis and the sink up,
        one web server, ``workers`` rq workers and one scheduler running, no mail still pending."""
        self.pg.start()
        self.redis.start()
        self.sink.start()
        if self.web is None or not self.web.alive:
            self.start_web(wait=False)
        for dead in [w for w in self.workers if not w.alive]:  # one of its two processes died: end the other
            self.stop_proc(dead)
        for extra in self.workers[workers:]:
            self.stop_proc(extra)
        while len(self.workers) < workers:
            self.start_worker(wait=False)
        self.schedulers = [s for s in self.schedulers if s.alive]
        for extra in self.schedulers[1:]:
            self.stop_proc(extra)
        if not self.schedulers:
            self.start_scheduler(wait=False)
        self.wait_ready(timeout)
        from tests.reliability.seed import outbox_counts

        wait_until(lambda: not outbox_counts(self).get("pending"), timeout, "the outbox to settle", 0.3)
        self.sink.clear()

    def stop_proc(self, proc: Proc | WorkerHost) -> None:
        """Stop one process cleanly (SIGTERM, then SIGKILL after 15 s)."""
        proc.terminate()
        proc.reap(timeout=15)
        for group in (self.workers, self.schedulers):
            if proc in group:
                group.remove(proc)

    def staff(self, email: str) -> Browser:
        """A browser signed in as ``email`` (the person's one session, copied: a new tab)."""
        from tests.reliability.web import sign_in

        session = self.sessions.get(email)
        if session is None or session.get("/zaken/").status != 200:  # never, or timed out
            self.sessions[email] = sign_in(self.base_url, email)
        tab = Browser(self.base_url)
        tab.cookies = dict(self.sessions[email].cookies)
        return tab

    def mark(self) -> int:
        """The newest outbox row id now: a scenario checks only the mail it caused."""
        import sqlalchemy as sa

        from dsr.extensions import db
        from dsr.models import OutboxMessage

        with self.app.app_context():
            newest = db.session.execute(sa.select(sa.func.max(OutboxMessage.id))).scalar() or 0
            db.session.remove()
        return newest

    def _running_jobs(self) -> list:
        """The jobs started and not finished, from the queues' registries (not from the workers'
        registration, which a Redis restart loses)."""
        from rq.registry import StartedJobRegistry

        from dsr.jobs import AppJob

        jobs = []
        with self.redis_client() as conn:
            for queue in ("dsr", "dsr-mail"):
                registry = StartedJobRegistry(queue, connection=conn, job_class=AppJob, serializer=JSONSerializer)
                jobs += AppJob.fetch_many(registry.get_job_ids(), connection=conn, serializer=JSONSerializer)
        return [job for job in jobs if job is not None]

    def _worker_named(self, name: str | None) -> WorkerHost | None:
        return next((w for w in self.workers if name and name in w.registered_names), None)

    def busy_workers(self) -> list[WorkerHost]:
        """The worker processes running a job right now."""
        found = [self._worker_named(job.worker_name) for job in self._running_jobs()]
        return [w for w in found if w is not None and w.alive]

    def busy_worker(self, outbox_id: int) -> WorkerHost:
        """The worker host whose mail worker is sending outbox row ``outbox_id`` right now."""

        def find():
            for job in self._running_jobs():
                if (job.func_name or "").endswith(".deliver") and list(job.args) == [outbox_id]:
                    return self._worker_named(job.worker_name)
            return None

        return wait_until(find, 10, f"a worker busy with outbox row {outbox_id}")

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``flask --app wsgi ...`` with this stack's environment."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def logs(self) -> str:
        """Tails of every process log (attached to failures)."""
        return "\n".join(f"--- {p.name} ---\n{p.log_tail(15)}" for p in self._all)

    def stop(self) -> None:
        """End every process this stack started, then Redis and the sink; safe to call twice."""
        for proc in self._all:
            proc.terminate()
        for proc in self._all:
            proc.reap(timeout=15)
        for pid in marked_processes(MARKER, self.marker):  # e.g. a work-horse whose worker was killed
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self._all.clear()
        if self._app is not None:
            with self._app.app_context():
                from dsr.extensions import db

                db.session.remove()
                db.engine.dispose()
            conn = self._app.extensions.pop("dsr_redis", None)
            if conn is not None:
                conn.close()
        self.sink.stop()
        self.redis.stop()
