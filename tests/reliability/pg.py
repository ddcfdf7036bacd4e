"""A throwaway PostgreSQL cluster for the reliability suite: its own data directory, its own port.

The scenarios stop and start PostgreSQL; they must never touch the shared server other engineers'
tests use, so they run ``initdb``/``pg_ctl`` on a private cluster (model: Indico's
``local_postgresql``). ``initdb`` refuses to run as root; as root every command runs as the
``postgres`` OS user through ``runuser``. A missing piece is a clear failure, never a skip: CI must
show that the suite did not run.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from dsr.dev.local_services import free_port

#: Where Debian and most distributions keep the server binaries (not on PATH).
_BIN_GLOBS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin",
              "/opt/homebrew/opt/postgresql@*/bin"]


class PostgresUnavailable(RuntimeError):
    """initdb/pg_ctl cannot be found or run here."""


def server_bin_dir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: ``$DSR_PG_BIN``, PATH, then the usual places."""
    override = os.environ.get("DSR_PG_BIN")
    candidates = [Path(override)] if override else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for pattern in _BIN_GLOBS:
        candidates += sorted((Path(p) for p in glob.glob(pattern)), reverse=True)  # newest major first
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise PostgresUnavailable(
        "The reliability suite needs the PostgreSQL server binaries (initdb, pg_ctl) for a throwaway "
        "cluster, and found none (looked at $DSR_PG_BIN, PATH and " + ", ".join(_BIN_GLOBS) + "). "
        "Install them (Debian: apt-get install postgresql) or set DSR_PG_BIN to their directory.")


class ThrowawayPostgres:
    """A private PostgreSQL cluster on 127.0.0.1:<free port>, trust auth, user ``dsr``, no fsync.

    ``stop(mode)``/``start()`` simulate an outage and keep the data and the port; ``destroy()``
    removes everything.
    """

    def __init__(self) -> None:
        self.bin = server_bin_dir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dsr-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self._owner = None
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root, but there is no 'postgres' OS user to run "
                                          "initdb as (initdb refuses root)") from exc
            os.chown(self.dir, self._owner.pw_uid, self._owner.pw_gid)
        self.dir.chmod(0o700)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._owner is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=self.dir)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://dsr@127.0.0.1:{self.port}/{database}"

    def init(self) -> ThrowawayPostgres:
        """``initdb`` and start; raises :class:`PostgresUnavailable` with initdb's own words."""
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "dsr", "-E", "UTF8",
                         "--locale=C", "--no-sync", "--no-instructions", timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
        return self.start()

    @property
    def running(self) -> bool:
        """True while the postmaster runs (``pg_ctl status``)."""
        return self._run("pg_ctl", "-D", str(self.data), "status", timeout=30).returncode == 0

    def start(self, timeout: float = 60) -> ThrowawayPostgres:
        """Start the server (same port, same data) and wait until it accepts connections; a no-op
        if it is running."""
        if self.running:
            return self
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")
        done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                         "-w", "-t", str(int(timeout)), "start", timeout=timeout + 10)
        if done.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()} {self.log_tail()}")
        self.wait_ready(timeout)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (a restart: sessions ended, transactions rolled back) or
        ``immediate`` (a crash); no-op if it is not running."""
        if not self.running:
            return
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=70)

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until a connection succeeds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user="dsr", dbname="postgres",
                                     connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create ``name`` (optionally as a copy of ``template``); returns its SQLAlchemy URL."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="dsr", dbname="postgres",
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(statement)
        return self.url(name)

    def log_text(self) -> str:
        """The whole server log so far."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 15) -> str:
        """The end of the server log (for failure messages)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        """Stop at once and delete the cluster."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
