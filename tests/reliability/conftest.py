"""Fixtures of the reliability suite: one dsr deployment on loopback for the whole run — a throwaway
PostgreSQL cluster, Redis, an SMTP sink, gunicorn, rq workers and the scheduler — that lives through
every scenario, as a production system lives through one fault after another. Before each scenario
it is healed (whatever a scenario stopped or killed is started again) and the outbox has settled.

Short variants run in ``make test``; ``DSR_RELIABILITY_LONG=1`` (set by ``make bench``) runs the
long ones. The figures each scenario measures are printed at the end of the run and written to
``test-artifacts/reliability-figures.json``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.reliability.helpers import LONG
from tests.reliability.pg import PostgresUnavailable, ThrowawayPostgres
from tests.reliability.seed import seed_people
from tests.reliability.stack import BIN, ROOT, Stack
from tests.reliability.watchdog import SESSION_MARKER

FIGURES: dict[str, dict] = {}


def pytest_collection_modifyitems(items):
    """These scenarios are slow by nature: mark them ``reliability`` and ``slow``, so that
    ``-m "not reliability"`` (``make test-fast``) or ``-m "not slow"`` can leave them out."""
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash["reliability_failed"] = True
    return report


@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL cluster; scenario 5 stops and starts it (never the shared server)."""
    started = time.monotonic()
    try:
        cluster = ThrowawayPostgres()
    except PostgresUnavailable as exc:
        pytest.fail(f"reliability suite cannot run: {exc}", pytrace=False)
    # Everything started from here on carries the session marker; if this run is killed before its
    # fixtures clean up, the watchdog ends those processes and removes the cluster.
    session_id = uuid.uuid4().hex
    cluster.workdir = Path(tempfile.mkdtemp(prefix="dsr-reliability-"))  # process logs; not tmp_path:
    # pytest prunes the basetemp dirs of other runs, and other runs share this machine's user.
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.watchdog", str(os.getpid()), session_id, str(cluster.bin),
         str(cluster.dir), str(cluster.workdir)], cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ[SESSION_MARKER] = session_id
    try:
        try:
            cluster.init()
        except PostgresUnavailable as exc:
            pytest.fail(f"reliability suite cannot run: {exc}", pytrace=False)
        FIGURES.setdefault("_setup", {})["cluster_s"] = round(time.monotonic() - started, 1)
        yield cluster
    finally:
        try:
            cluster.destroy()
        finally:
            os.environ.pop(SESSION_MARKER, None)
            watchdog.terminate()
            watchdog.wait(timeout=10)


@pytest.fixture(scope="session")
def deployment(pg_cluster, request):
    """The deployment: schema by ``flask db upgrade``, processes started, schools and staff seeded."""
    started = time.monotonic()
    workdir = pg_cluster.workdir
    url = pg_cluster.create_database("dsr")
    stack = Stack(pg_cluster, url, workdir)
    try:
        stack.redis.start()
        stack.sink.start()
        migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], env=stack.env_with(),
                                  cwd=ROOT, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        assert migrated.returncode == 0, f"flask db upgrade failed:\n{migrated.stderr[-3000:]}"
        stack.start()
        stack.people = seed_people(stack)
        FIGURES.setdefault("_setup", {})["deployment_start_s"] = round(time.monotonic() - started, 1)
        yield stack
    finally:
        stack.stop()
        if request.session.testsfailed:
            sys.stderr.write(f"\nreliability: process logs kept in {workdir}\n")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def stack(deployment, request):
    """The deployment, healed and quiet, for one scenario; its process logs are shown if it fails."""
    started = time.monotonic()
    deployment.heal()
    FIGURES.setdefault("_setup", {}).setdefault("heal_s", []).append(round(time.monotonic() - started, 1))
    yield deployment
    if request.node.stash.get("reliability_failed", False):
        sys.stderr.write(f"\n==== process logs ({request.node.name}) ====\n{deployment.logs()}\n"
                         f"---- postgres ----\n{deployment.pg.log_tail()}\n")


@pytest.fixture
def figures(request):
    """A dict the scenario fills with its measurements; collected for the end-of-run summary."""
    entry: dict = {"variant": "long" if LONG else "short"}
    started = time.monotonic()
    yield entry
    entry["test_seconds"] = round(time.monotonic() - started, 1)
    entry["load_average_1m"] = round(os.getloadavg()[0], 1)  # other work on the machine skews timings
    FIGURES[request.node.name] = entry


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, entry in FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(entry, sort_keys=True)}")
    out = ROOT / "test-artifacts" / "reliability-figures.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
    terminalreporter.write_line(f"(written to {out.relative_to(ROOT)})")
