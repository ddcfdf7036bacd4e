"""``python -m dsr.dev.launcher`` (``make run``): the whole demo on one laptop with one command.

Starts what is not configured (a private Redis, an SMTP sink that prints and stores mail), migrates
and seeds the database, then runs the web server, one RQ worker, one mail worker and the one dsr
scheduler as child processes. Ctrl-C or SIGTERM stops everything; if a child dies, everything stops with exit 1.
Production does not use this: there each process is a systemd unit (see docs).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from dsr.dev.local_mail import SmtpSink
from dsr.dev.local_services import LocalRedis, free_port, port_in_use

BIN = Path(sys.executable).parent  # the venv's bin dir: flask, gunicorn and rq live beside python
QUEUE = "dsr"
MAIL_QUEUE = "dsr-mail"
JOB_CLASS = "dsr.jobs.AppJob"
#: The admins' and privacy officer's list of the demo's mail (dsr/views/admin.py, ``admin.mailbox``);
#: tests/test_dev_package.py checks that every path the banner names is a real route.
MAIL_PAGE = "/beheer/mail"


class LaunchError(Exception):
    """Startup or runtime failure with a message meant for the person at the terminal."""


def project_root() -> Path:
    """The directory holding wsgi.py: the current one, else the checkout this package is in."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parent.parent.parent):
        if (candidate / "wsgi.py").is_file():
            return candidate
    raise LaunchError("wsgi.py not found: run `make run` from the project checkout")


def _stable_secret(path: Path, make) -> str:
    """A value generated once and kept in ``path`` (0600), so restarts keep sessions and files."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def secret_key(instance: Path) -> str:
    """The demo's DSR_SECRET_KEY ("k" prefix: DSR_* values are JSON-decoded; keep it a string)."""
    return _stable_secret(instance / "secret_key", lambda: "k" + secrets.token_hex(32))


def file_keys(instance: Path) -> str:
    """The demo's DSR_FILE_KEYS: a JSON list with one Fernet key."""
    from cryptography.fernet import Fernet

    return _stable_secret(instance / "file_keys", lambda: json.dumps([Fernet.generate_key().decode()]))


def audit_keys(instance: Path) -> str:
    """The demo's DSR_AUDIT_KEYS: a JSON list with one key (64 hex characters)."""
    return _stable_secret(instance / "audit_keys", lambda: json.dumps([secrets.token_hex(32)]))


def demo_environment(instance: Path, base_url: str = "http://127.0.0.1:5000") -> dict:
    """The environment every demo process runs with: the secret key, file keys and audit keys kept in
    ``instance`` (made on first use), unless DSR_SECRET_KEY / DSR_FILE_KEYS / DSR_AUDIT_KEYS are set already,
    and ``base_url`` as DSR_PUBLIC_BASE_URL unless that is set (the app starts only with one)."""
    instance.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if not env.get("DSR_PUBLIC_BASE_URL"):
        env["DSR_PUBLIC_BASE_URL"] = base_url
    if not env.get("DSR_SECRET_KEY"):
        env["DSR_SECRET_KEY"] = secret_key(instance)
    if not env.get("DSR_FILE_KEYS"):
        env["DSR_FILE_KEYS"] = file_keys(instance)
    if not env.get("DSR_AUDIT_KEYS"):
        env["DSR_AUDIT_KEYS"] = audit_keys(instance)
    return env


def demo_totp(email: str, instance: Path | None = None) -> int:
    """``make totp``: print the current sign-in code of a demo account, with the demo's keys (the
    TOTP secret is encrypted with them; without them the app would not even start)."""
    root = project_root()
    env = demo_environment(instance or root / "instance")
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.run([flask, "--app", "wsgi", "dsr", "demo-totp", email], env=env, cwd=root).returncode


def web_port() -> int:
    """DSR_PORT if set; else 5000, or a free port when 5000 is taken (e.g. macOS AirPlay)."""
    if os.environ.get("DSR_PORT"):
        return int(os.environ["DSR_PORT"])
    return free_port() if port_in_use(5000) else 5000


def gunicorn_extra_args() -> list[str]:
    """gunicorn >= 25 opens a control socket at a fixed path in $HOME; a demo needs none, and
    a second instance (another checkout, a test run) would collide on that path."""
    from importlib.metadata import version

    return ["--no-control-socket"] if int(version("gunicorn").split(".")[0]) >= 25 else []


def run_step(args: list[str], env: dict, what: str) -> None:
    """Run a one-off command (migration, seed) with output passed through; fail clearly."""
    print(f"==> {what}", flush=True)
    result = subprocess.run(args, env=env)
    if result.returncode != 0:
        raise LaunchError(f"{what} failed (exit code {result.returncode}); see the output above")


class Launcher:
    """Owns the local services and child processes, and tears them down in reverse order."""

    def __init__(self) -> None:
        self.services: list = []  # LocalRedis / SmtpSink, started in this order
        self.children: dict[str, subprocess.Popen] = {}
        self.signals = 0

    def _on_signal(self, signum, frame) -> None:
        """SIGINT/SIGTERM: count them; the main loop and shutdown() act on the count."""
        self.signals += 1

    def run(self) -> int:
        """Start everything, wait for a signal or a dying child, then stop everything."""
        root = project_root()
        os.chdir(root)  # flask --app wsgi and gunicorn wsgi:app import from the cwd
        instance = root / "instance"
        port = web_port()
        url = f"http://127.0.0.1:{port}"
        env = demo_environment(instance, base_url=url)  # links in mails point at this web server

        notes = []
        if "DSR_REDIS_URL" not in env:
            # Own session: Ctrl-C must not kill Redis before the worker has shut down.
            redis_server = LocalRedis(new_session=True).start()
            self.services.append(redis_server)
            env["DSR_REDIS_URL"] = redis_server.url
            notes.append(f"Redis:    {redis_server.url} (private, emptied on exit)")
        if "DSR_MAIL_SERVER" not in env:
            mailbox = instance / "mail"
            sink = SmtpSink(echo=True, mailbox_dir=mailbox).start()
            self.services.append(sink)
            # DSR_DEMO: the mailbox page shows working links, so it exists only in the demo (views.admin).
            env.update(DSR_MAIL_SERVER=sink.host, DSR_MAIL_PORT=str(sink.port),
                       DSR_DEMO_MAILBOX=str(mailbox), DSR_DEMO="1")
            notes.append(f"Mail:     not sent out; printed here as [mail ...] lines, listed at "
                         f"{MAIL_PAGE}, stored in {mailbox.relative_to(root)}/")
        notes.insert(0, "Database: " + ("from DSR_DATABASE_URL" if "DSR_DATABASE_URL" in env
                                        else "SQLite in instance/dsr.sqlite"))

        flask = [str(BIN / "flask"), "--app", "wsgi"]
        run_step(flask + ["db", "upgrade"], env, "Migrating the database")
        run_step(flask + ["dsr", "seed-demo"], env, "Loading demo data")

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        redis_url = env["DSR_REDIS_URL"]
        commands = {
            "web server (gunicorn)": [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                      *gunicorn_extra_args(), "wsgi:app"],
            "worker (rq worker)": [str(BIN / "rq"), "worker", "--url", redis_url, "--worker-class",
                                   "dsr.jobs.AppWorker", "--job-class", JOB_CLASS, "--serializer", "json",
                                   "--with-scheduler", QUEUE],
            "mail worker (rq worker)": [str(BIN / "rq"), "worker", "--url", redis_url, "--worker-class",
                                        "dsr.notifications.worker.MailWorker", "--job-class", JOB_CLASS,
                                        "--serializer", "json", MAIL_QUEUE],
            "scheduler": [str(BIN / "flask"), "--app", "wsgi", "dsr", "scheduler"],
        }
        for name, args in commands.items():
            # Own session each, so the terminal's Ctrl-C reaches only us and we stop them in order.
            self.children[name] = subprocess.Popen(args, env=env, start_new_session=True)

        self._wait_for_web(port)
        print("\n" + "=" * 72)
        print(f"dsr is running at {url}   (demo logins: see 'Loading demo data' above)")
        for note in notes:
            print("  " + note)
        print("Press Ctrl-C to stop.")
        print("=" * 72 + "\n", flush=True)

        while not self.signals:
            self._check_children()
            time.sleep(0.5)
        print("\n==> Stopping (Ctrl-C again to force)", flush=True)
        return 0

    def _check_children(self) -> None:
        """Raise if any child has exited: a half-running demo would only confuse."""
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise LaunchError(f"the {name} exited unexpectedly (exit code {proc.returncode});"
                                  " stopping everything")

    def _wait_for_web(self, port: int, timeout: float = 60.0) -> None:
        """Block until gunicorn accepts connections (or a child dies, or we are told to stop)."""
        deadline = time.monotonic() + timeout
        while not self.signals and not port_in_use(port):
            self._check_children()
            if time.monotonic() > deadline:
                raise LaunchError(f"the web server did not listen on port {port} within {timeout}s")
            time.sleep(0.2)

    def shutdown(self) -> None:
        """SIGTERM every child, wait (SIGKILL after 15 s or on a second Ctrl-C), stop services."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        signals_before = self.signals
        for proc in self.children.values():
            if proc.poll() is None:
                proc.terminate()  # gunicorn and rq both shut down gracefully on SIGTERM
        deadline = time.monotonic() + 15
        for proc in self.children.values():
            while proc.poll() is None:
                if self.signals > signals_before or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    break
                time.sleep(0.1)
        for proc in self.children.values():
            # Each child leads its own process group: sweep up what outlived it (e.g. the
            # scheduler process a crashed rq worker forked) before Redis goes away.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for service in reversed(self.services):
            service.stop()


def main() -> int:
    """Entry point: run the launcher, always clean up, exit 1 with a message on failure."""
    launcher = Launcher()
    try:
        return launcher.run()
    except (LaunchError, RuntimeError, OSError) as err:  # RuntimeError: e.g. no redis-server
        print(f"\ndsr launcher: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the handlers were installed (migration, seed)
        return 130
    finally:
        launcher.shutdown()


if __name__ == "__main__":
    if sys.argv[1:2] == ["totp"] and len(sys.argv) == 3:
        sys.exit(demo_totp(sys.argv[2]))
    sys.exit(main())
