"""Intake throughput: the public form (GET with its CSRF token, then POST) through gunicorn with two
workers, against :mod:`bench.baseline_app` receiving the same form on the same stack.

A thread pool on loopback plays concurrent requesters. Rounds alternate between the two apps (and
swap order every round), so a burst of load from elsewhere on the machine hits both.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

import sqlalchemy as sa

from . import loader
from .common import (
    Browser,
    Gunicorn,
    Result,
    Statements,
    count_rows,
    cpu_seconds,
    csrf_token,
    log,
    median,
    percentile,
    prepare_database,
)
from .run import Run


def form_data(n: int, school_id: int = 1) -> dict:
    """A valid submission (a parent with authority asking for access), different per ``n``."""
    birth = dt.date.today().replace(day=1) - dt.timedelta(days=365 * 12)
    return {
        "right": "access", "school_id": str(school_id), "student_name": f"Sam Jansen {n}",
        "student_birth_date": birth.isoformat(), "student_number": "", "requester_role": "parent",
        "parental_authority": "yes", "requester_name": "Alex Jansen", "requester_email": f"alex{n}@example.nl",
        "requester_phone": "", "details": "Graag een kopie van het leerlingdossier.", "data_concerned": "",
        "correct_value": "",
        "step": "send",  # the check step's "Verzoek versturen": a bare POST only shows the check step
    }


class Load:
    """``clients`` threads submitting the form to ``port`` until told to stop."""

    def __init__(self, port: int, clients: int):
        self.port, self.clients = port, clients
        self.done, self.errors, self.latencies = 0, [], []
        self._lock, self._counter = threading.Lock(), 0

    def _one(self) -> None:
        browser = Browser(self.port)
        with self._lock:
            self._counter += 1
            n = self._counter
        started = time.perf_counter()
        try:
            status, _, page = browser.get("/")
            if status != 200:
                raise RuntimeError(f"GET / HTTP {status}")
            data = dict(form_data(n), csrf_token=csrf_token(page))
            status, headers, body = browser.post("/", data)
            if status != 302:
                raise RuntimeError(f"POST / HTTP {status}: {body[:200]!r}")
        except Exception as exc:  # noqa: BLE001 - every failure counts as an error of the run
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            self.done += 1
            self.latencies.append(time.perf_counter() - started)

    def run_for(self, seconds: float) -> tuple[int, float]:
        """Submit for ``seconds``; returns (submissions completed, elapsed seconds)."""
        stop = time.monotonic() + seconds
        before = self.done

        def loop():
            while time.monotonic() < stop:
                self._one()

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(self.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.done - before, time.perf_counter() - started


def _setup(run: Run) -> tuple[str, str]:
    from argon2 import PasswordHasher

    from dsr.extensions import db

    from . import baseline_app

    url = run.database_url("intake")
    app = run.make_app(url)
    prepare_database(app, fresh=run.fresh)
    with app.app_context():
        engine = db.engine
        loader.bulk_insert(engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(1))
        users, links = loader.staff_rows([1], PasswordHasher().hash("not-used-here"), 1)
        loader.bulk_insert(engine, "users", loader.USER_COLUMNS, users)
        loader.bulk_insert(engine, "user_schools", ["user_id", "school_id"], links)
        # The baseline's one table lives in the same database (same server, same disk).
        baseline_app.Submission.__table__.drop(engine, checkfirst=True)
        baseline_app.Submission.__table__.create(engine)
        db.engine.dispose()
    return url, url


def _drop_baseline_table(url: str) -> None:
    from . import baseline_app

    engine = sa.create_engine(url)
    try:
        baseline_app.Submission.__table__.drop(engine, checkfirst=True)
    finally:
        engine.dispose()


class _ChainLock:
    """How long a transaction holds the audit chain's advisory lock: from the lock statement to the
    end of that transaction (PostgreSQL; SQLite serialises writers instead)."""

    def __init__(self, engine):
        self.engine, self.held, self._since = engine, [], None

    def _statement(self, conn, cursor, statement, *args):
        if "pg_advisory_xact_lock" in statement and self._since is None:
            self._since = time.perf_counter()

    def _end(self, conn):
        if self._since is not None:
            self.held.append(time.perf_counter() - self._since)
            self._since = None

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "commit", self._end)
        sa.event.listen(self.engine, "rollback", self._end)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "commit", self._end)
        sa.event.remove(self.engine, "rollback", self._end)


def _work_per_submission(run: Run, url: str, baseline_url: str, samples: int = 10):
    """(SQL statements, Redis commands) of one submission, GET and POST, run in-process; and the
    audit chain lock's hold time of ``samples`` dsr submissions."""
    import redis as redis_lib

    from dsr.extensions import db

    from . import baseline_app

    counts = {}
    client = redis_lib.Redis.from_url(run.services.redis_url)
    apps = {"dsr": run.make_app(url), "baseline": baseline_app.create_app(baseline_url)}
    try:
        for name, app in apps.items():
            with app.app_context():
                engine = (db if name == "dsr" else baseline_app.db).engine
            browser = app.test_client()

            # Bound now: the function runs within this iteration only.
            def submit(n: int, browser=browser, name=name) -> None:
                page = browser.get("/").get_data(as_text=True)
                response = browser.post("/", data=dict(form_data(n), csrf_token=csrf_token(page)))
                if response.status_code != 302:
                    raise RuntimeError(f"{name}: in-process submission answered {response.status_code}")

            commands = client.info("stats")["total_commands_processed"]
            with Statements(engine) as recorder:
                submit(0)
            commands = client.info("stats")["total_commands_processed"] - commands - 1  # minus our INFO
            counts[name] = (len(recorder.seen), commands)
            if name == "dsr":
                with _ChainLock(engine) as lock:
                    for n in range(samples):
                        submit(n + 1)
                counts["lock"] = lock.held
            with app.app_context():
                engine.dispose()
    finally:
        client.close()
    return counts


def run_intake(run: Run) -> list[Result]:
    sizes = run.sizes
    url, baseline_url = _setup(run)
    env = run.process_env(url)
    baseline_env = dict(env, BENCH_BASELINE_DATABASE_URL=baseline_url)
    done = {"dsr": 0, "baseline": 0}
    elapsed = {"dsr": 0.0, "baseline": 0.0}
    cpu = {"dsr": 0.0, "baseline": 0.0}
    loads = {}
    try:
        with contextlib.ExitStack() as stack:
            servers = dict(zip(("dsr", "baseline"), Gunicorn.several(
                stack, (env, "wsgi:app"), (baseline_env, "bench.baseline_app:app"), log=run.log_file), strict=True))
            loads = {name: Load(server.port, sizes.intake_clients) for name, server in servers.items()}
            for name in ("baseline", "dsr"):
                loads[name].run_for(sizes.intake_warmup)
            warm = {name: load.done for name, load in loads.items()}
            for round_ in range(sizes.intake_rounds):
                order = ("baseline", "dsr") if round_ % 2 == 0 else ("dsr", "baseline")
                for name in order:
                    pids = servers[name].worker_pids()
                    before = sum(cpu_seconds(pid) for pid in pids)
                    count, seconds = loads[name].run_for(sizes.intake_seconds)
                    cpu[name] += sum(cpu_seconds(pid) for pid in pids) - before
                    done[name] += count
                    elapsed[name] += seconds
            run.note_memory("web", servers["dsr"].worker_pids())
            log(f"intake: dsr {done['dsr']} / baseline {done['baseline']} submissions")
        stored = {"dsr": count_rows(url, "cases"), "baseline": count_rows(baseline_url, "bench_baseline_submissions")}
        work = _work_per_submission(run, url, baseline_url)
    finally:
        _drop_baseline_table(baseline_url)
    errors = loads["dsr"].errors + loads["baseline"].errors if loads else ["no run"]
    submitted = {name: warm[name] + done[name] for name in done}
    lost = [f"{name}: {stored[name]} stored for {submitted[name]} answered" for name in done
            if stored[name] != submitted[name]]
    rate = {name: done[name] / elapsed[name] if elapsed[name] else 0.0 for name in done}
    ratio = rate["dsr"] / rate["baseline"] if rate["baseline"] else 0.0
    lat = {name: loads[name].latencies for name in loads}
    per = {name: cpu[name] / max(done[name], 1) * 1000 for name in done}
    detail = (f"dsr {rate['dsr']:.1f}/s vs baseline {rate['baseline']:.1f}/s (GET + POST each); "
              f"{sizes.intake_clients} clients, {sizes.intake_rounds} x {sizes.intake_seconds:g} s per app, "
              f"alternating; p95 {percentile(lat['dsr'], 95) * 1000:.0f} vs "
              f"{percentile(lat['baseline'], 95) * 1000:.0f} ms; worker CPU per submission "
              f"{per['dsr']:.1f} vs {per['baseline']:.1f} ms; per submission {work['dsr'][0]} vs "
              f"{work['baseline'][0]} SQL statements, {work['dsr'][1]} vs {work['baseline'][1]} Redis commands; "
              f"errors {len(errors)}{' (' + errors[0] + ')' if errors else ''}"
              f"{'; ' + '; '.join(lost) if lost else ''}")
    results = [Result(name="Intake throughput", figure="dsr / baseline submissions per second", value=ratio,
                      goal=">= 0.6, zero errors", met=ratio >= 0.6 and not errors and not lost, detail=detail)]
    if work["lock"]:
        held = median(work["lock"]) * 1000
        results.append(Result(
            name="Audit chain lock per submission", figure="ms held (advisory lock to commit), median",
            value=held, goal="(info)", met=None,
            detail=(f"{len(work['lock'])} in-process submissions, {min(work['lock']) * 1000:.1f} to "
                    f"{max(work['lock']) * 1000:.1f} ms: submissions to one school commit one at a time (its audit "
                    f"chain's lock), so one school takes at most about {1000 / held:.0f} per second; other "
                    f"schools' chains have locks of their own")))
    return results
