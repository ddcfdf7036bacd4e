"""Shared plumbing for the benchmarks: settings, databases, child processes, HTTP, statistics."""
from __future__ import annotations

import contextlib
import html
import http.client
import http.cookies
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: A fixed Fernet key and secret for benchmark processes only (throwaway databases).
FILE_KEY = "YmVuY2gtb25seS1rZXktbm90LWZvci1wcm9kdWN0aW8="
SECRET_KEY = "bench-secret-key-not-for-production"
AUDIT_KEY = "bench-audit-key-not-for-production-0123456789"
PASSWORD = "bench-password-2026"
PG_SERVER = os.environ.get("DSR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass
class Result:
    """One line of the results table."""

    name: str
    figure: str            # what the number is, e.g. "dsr / baseline submissions per second"
    value: float | None    # the ratio (or MB for memory)
    goal: str              # e.g. ">= 0.6"
    met: bool | None       # None: informational, no goal
    detail: str = ""       # the raw numbers behind the ratio
    notes: list[str] = field(default_factory=list)  # extra markdown (plans, explanations)

    def status(self) -> str:
        return "info" if self.met is None else ("met" if self.met else "NOT MET")


@dataclass
class Services:
    """Where the benchmark processes find Redis and SMTP."""

    redis_url: str
    smtp_host: str
    smtp_port: int
    sink: object = None  # the SmtpSink when we run it in-process


@contextlib.contextmanager
def local_services(redis_url: str | None = None, sink=None):
    """A private redis-server and SMTP sink (unless given), stopped afterwards."""
    from dsr.dev.local_mail import SmtpSink
    from dsr.dev.local_services import LocalRedis

    redis_server = None
    own_sink = sink is None
    if redis_url is None:
        redis_server = LocalRedis().start()
        redis_url = redis_server.url
    if own_sink:
        sink = SmtpSink().start()
    try:
        yield Services(redis_url, sink.host, sink.port, sink)
    finally:
        if own_sink:
            sink.stop()
        if redis_server is not None:
            redis_server.stop()


# --- databases ----------------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def bench_database_url(name: str) -> str:
    return f"{PG_SERVER}/dsr_bench_{name}"


def drop_database(url: str) -> None:
    """Drop a benchmark database (PostgreSQL only; SQLite files are left to their directory)."""
    if not is_postgres(url):
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.database)))


def schema_database_url(base_url: str, name: str) -> str:
    """The PostgreSQL database ``base_url`` with ``search_path`` set to its own schema ``bench_<name>``
    (created if missing): the smoke test's benchmarks get separate tables inside the test database."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"bench_{name}"
    plain = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"


def drop_schemas(base_url: str, names) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True, connect_timeout=10) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA IF EXISTS "bench_{name}" CASCADE')


def app_config(url: str, services: Services, **extra) -> dict:
    """Settings for an in-process app on a benchmark database (production defaults otherwise)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": services.redis_url,
        "MAIL_SERVER": services.smtp_host, "MAIL_PORT": services.smtp_port, "FILE_KEYS": [FILE_KEY],
        "AUDIT_KEYS": [AUDIT_KEY], "PUBLIC_BASE_URL": "http://bench.invalid", "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    return config


def make_app(url: str, services: Services, **extra):
    from dsr import create_app

    return create_app(app_config(url, services, **extra))


def process_env(url: str, services: Services, **extra) -> dict:
    """The environment of a dsr child process (gunicorn, rq worker), as an operator would set it."""
    env = dict(os.environ)
    for name in [n for n in env if n.startswith("DSR_") and not n.startswith("DSR_BENCH_")]:
        del env[name]  # only what we set here
    env.update({
        "DSR_DATABASE_URL": url, "DSR_SECRET_KEY": SECRET_KEY, "DSR_REDIS_URL": services.redis_url,
        "DSR_MAIL_SERVER": services.smtp_host, "DSR_MAIL_PORT": str(services.smtp_port),
        "DSR_FILE_KEYS": json.dumps([FILE_KEY]), "DSR_AUDIT_KEYS": json.dumps([AUDIT_KEY]),
        "DSR_PUBLIC_BASE_URL": "http://bench.invalid",
        "DSR_RATELIMIT_ENABLED": "false", "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def prepare_database(app, *, fresh: bool) -> None:
    """A database with the current schema and no rows.

    ``fresh`` (the full run, PostgreSQL): recreate the database and migrate it as a release would.
    Otherwise (the smoke test on the test database): create missing tables, then empty them.
    """
    from dsr.dev.local_services import ensure_database
    from dsr.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if fresh and is_postgres(url):
            db.engine.dispose()
            ensure_database(url, recreate=True)
            from flask_migrate import upgrade

            upgrade(directory=str(ROOT / "dsr" / "migrations"))
        else:
            db.create_all()
            empty_tables(db)
        db.session.remove()


def empty_tables(db) -> None:
    from dsr.models.audit import guard_statements, unguard_statements

    db.session.rollback()
    connection = db.session.connection()
    # audit_events refuses DELETE (an append-only trigger): lifted for this transaction only, as in the tests.
    for statement in unguard_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    for statement in guard_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    db.session.commit()


def vacuum_analyze(engine, *tables: str) -> None:
    """Fresh statistics after a bulk load (PostgreSQL VACUUM ANALYZE; SQLite ANALYZE)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


# --- child processes ----------------------------------------------------------------------------


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    from dsr.dev.local_services import port_in_use

    deadline = time.monotonic() + timeout
    while not port_in_use(port):
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on port {port} after {timeout}s")
        time.sleep(0.1)


def stop_process(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM the process group leader, SIGKILL the group if it does not end in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything it left behind in its own group


class Gunicorn:
    """``gunicorn -w N wsgi:app`` (or another app) on a free loopback port, in its own process group."""

    def __init__(self, env: dict, app: str = "wsgi:app", workers: int = 2, log=None):
        from dsr.dev.launcher import gunicorn_extra_args
        from dsr.dev.local_services import free_port

        self.port = free_port()
        args = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                "--timeout", "120", *gunicorn_extra_args(), app]
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True,
                                     stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.workers = workers

    @classmethod
    def several(cls, stack: contextlib.ExitStack, *specs: tuple[dict, str], log=None) -> list[Gunicorn]:
        """Start several servers at once (they boot in parallel), each stopped by ``stack``."""
        servers = []
        for env, app in specs:
            server = cls(env, app=app, log=log)
            stack.callback(stop_process, server.proc)
            servers.append(server)
        for server in servers:
            server.__enter__()
        return servers

    def __enter__(self) -> Gunicorn:
        try:
            wait_for_port(self.port, self.proc)
            deadline = time.monotonic() + 30
            while len(children(self.proc.pid)) < self.workers and time.monotonic() < deadline:
                time.sleep(0.05)
        except BaseException:
            stop_process(self.proc)
            raise
        return self

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)


def children(pid: int) -> list[int]:
    """Direct child pids (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _status_mb(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a live process in MB, None if it is gone or not on Linux."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float | None:
    """VmRSS (resident set now) of a live process in MB."""
    return _status_mb(pid, "VmRSS")


def cpu_seconds(pid: int, *, children_too: bool = False) -> float:
    """User + system CPU time of a live process (and of its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children_too else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


class Statements:
    """Record the SQL statements run on ``engine`` inside the block (to count or EXPLAIN them)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


# --- HTTP ---------------------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def short_sql(statement: str) -> str:
    """The statement on one line, with a long select list shortened (for the plans in results.md)."""
    text = " ".join(statement.split())
    head, sep, rest = text.partition(" FROM ")
    return (head[:60] + " ..." if len(head) > 80 else head) + sep + rest


def explain(engine, statement: str, params) -> str:
    """The plan of one recorded statement: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
    SQLite, one line per plan row."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    return "\n".join(" | ".join(str(v) for v in row) if len(row) > 1 else str(row[0]) for row in rows)


class Browser:
    """A minimal HTTP client with a cookie jar (http.client; one connection per request, as the
    sync gunicorn worker closes it anyway)."""

    def __init__(self, port: int, host: str = "127.0.0.1", user_agent: str = "dsr-bench"):
        self.host, self.port, self.cookies = host, port, {}
        self.user_agent = user_agent

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30.0):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        headers = {"User-Agent": self.user_agent, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, payload.decode("utf-8", "replace")
        finally:
            conn.close()

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict):
        return self.request("POST", path, data)

    def form_token(self, path: str) -> str:
        status, _, page = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        return csrf_token(page)


def csrf_token(page: str) -> str:
    match = CSRF_FIELD.search(page)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return html.unescape(match.group(1) or match.group(2))


def sign_in(browser: Browser, email: str, totp_secret: str, password: str = PASSWORD) -> None:
    """Staff sign-in through the real forms: password, then the current TOTP code."""
    import pyotp

    token = browser.form_token("/medewerkers/inloggen")
    status, headers, _ = browser.post("/medewerkers/inloggen",
                                      {"csrf_token": token, "email": email, "password": password})
    if status != 302 or not headers["Location"].endswith("/medewerkers/tweede-stap"):
        raise RuntimeError(f"password step failed: HTTP {status} {headers.get('Location')}")
    token = browser.form_token("/medewerkers/tweede-stap")
    status, headers, _ = browser.post("/medewerkers/tweede-stap",
                                      {"csrf_token": token, "code": pyotp.TOTP(totp_secret).now()})
    if status != 302:
        raise RuntimeError(f"TOTP step failed: HTTP {status}")


# --- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 - our names
    finally:
        engine.dispose()
