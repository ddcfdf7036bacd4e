"""The whole system: the Procfile's processes on a private PostgreSQL cluster, fed by parents at a fixed
offered rate, until every mail of their submissions has been accepted by the SMTP server.

The deployment is the repository's Procfile (``release`` once, then ``web``, ``worker``, a mail
worker when the Procfile has one, ``scheduler``), configured only through ``DSR_*`` variables, against
a private PostgreSQL cluster and a private Redis, so that the CPU of every part can be read from /proc.
The baseline is :mod:`bench.baseline_app` with one smtplib send per submission, on the same gunicorn
line, the same cluster and the same SMTP sink.

Both get the same steps of offered load (open loop, :mod:`bench.system_load`), each ``system_seconds``
long, with rising rates; a step is sustained when every submission was answered, the answers kept to
the schedule, the mail kept pace (the backlog at the end of the load no more than two seconds' worth of
mail) and every mail of the step was accepted by the SMTP server within ``system_drain`` seconds after
the load stopped. The stepping stops at the first step that is not sustained.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import loader
from .common import BIN, Result, log
from .run import Run
from .system_load import StepLoad, offered_load
from .system_report import WorkerJobs
from .system_stack import CountingSink, CpuMeter, Process, expand, is_rq_worker, postmaster_pid, procfile


def _recipient_kind(recipients: list[str]) -> str:
    """Parents of the load write from @example.nl (bench.intake.form_data), staff are @bench.test."""
    address = recipients[0].lower() if recipients else ""
    return "parent" if address.endswith("@example.nl") else "staff" if address.endswith("@bench.test") else "other"


@dataclass
class Step:
    """One step of one app: its load, its mail and the CPU it took."""

    load: StepLoad
    mails: int = 0                      # outbox rows made by the step (dsr) / receipts expected (baseline)
    accepted: dict[str, int] = field(default_factory=dict)  # distinct mails accepted, by recipient kind
    duplicates: int = 0                 # mails accepted more than once
    failed: int = 0                     # outbox rows marked failed
    backlog_max: int = 0
    backlog_end: int = 0
    drain: float | None = None          # seconds from the end of the load to every mail accepted
    cpu: dict[str, float] = field(default_factory=dict)
    stored: int = 0                     # cases (rows) stored by the step

    def sustained(self, drain_limit: float) -> bool:
        load = self.load
        return (not load.errors and load.ok == load.planned and self.stored == load.ok and load.behind <= 2.0
                and self.drain is not None and self.drain <= drain_limit and not self.failed
                and self.backlog_end <= max(4, 2 * self.mails / load.seconds))

    def line(self) -> str:
        load = self.load
        why = []
        if load.errors:
            why.append(f"{len(load.errors)} errors ({load.errors[0]})")
        if load.behind > 2.0:
            why.append(f"last answer {load.behind:.1f} s late")
        drain = "not drained" if self.drain is None else f"drained in {self.drain:.1f} s"
        return (f"{load.rate:g}/s: {load.ok}/{load.planned} answered, {self.mails} mails, backlog max "
                f"{self.backlog_max} / end {self.backlog_end}, {drain}" + (f" [{'; '.join(why)}]" if why else ""))


class Deployment:
    """The Procfile's processes (or only a web line) on one database of the cluster, with a backlog
    sampler; stopped by :meth:`stop`."""

    def __init__(self, run: Run, env: dict, database_url: str, sink: CountingSink, workdir: Path,
                 lines: dict[str, str], parts: dict[str, list[int]]) -> None:
        self.run, self.env, self.url, self.sink, self.workdir = run, env, database_url, sink, workdir
        self.port = int(env["DSR_BIND"].rpartition(":")[2])
        self.processes = [Process(name, expand(command, env), env, workdir) for name, command in lines.items()]
        self.engine = sa.create_engine(database_url, pool_size=2)
        self.samples: list[tuple[float, int]] = []
        self._sampling = False
        self.meter = CpuMeter({**{p.name: [p.pid] for p in self.processes}, **parts})

    def workers(self) -> list[Process]:
        return [p for p in self.processes if is_rq_worker(p.args)]

    def start_sampling(self) -> None:
        import threading

        self._sampling = True
        threading.Thread(target=self.sample, daemon=True).start()

    def wait_ready(self, timeout: float = 120) -> None:
        """The web line answers GET /, every rq worker registered, the scheduler took its lock."""
        from dsr.dev.local_services import port_in_use

        deadline = time.monotonic() + timeout
        while not port_in_use(self.port):
            self._check(deadline, "the web process to listen")
        import redis
        from rq import Worker

        if self.workers() or any(p.name == "scheduler" for p in self.processes):
            from dsr.scheduler import LOCK_NAME

            with redis.Redis.from_url(self.env["DSR_REDIS_URL"]) as conn:
                while len(Worker.all(connection=conn)) < len(self.workers()):
                    self._check(deadline, "the rq workers to register")
                while any(p.name == "scheduler" for p in self.processes) and not conn.exists(LOCK_NAME):
                    self._check(deadline, "the scheduler to take its lock")

    def _check(self, deadline: float, what: str) -> None:
        for process in self.processes:
            process.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)

    def outbox(self, mark: int) -> tuple[int, int, int, int]:
        """(pending rows in all, pending / sent / failed rows after id ``mark``)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT count(*) FILTER (WHERE status = 'pending'), "
                "count(*) FILTER (WHERE status = 'pending' AND id > :m), "
                "count(*) FILTER (WHERE status = 'sent' AND id > :m), "
                "count(*) FILTER (WHERE status = 'failed' AND id > :m) FROM outbox"), {"m": mark}).one()
        return tuple(row)

    def scalar(self, statement: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(statement)).scalar() or 0

    def sample(self) -> None:
        """Background: the count of pending outbox rows every 0.5 s while ``_sampling``."""
        while self._sampling:
            with contextlib.suppress(Exception):
                self.samples.append((time.monotonic(), self.scalar(
                    "SELECT count(*) FROM outbox WHERE status = 'pending'")))
            time.sleep(0.5)

    def job_counts(self) -> dict[str, WorkerJobs]:
        """For every process that registered as an rq worker: the jobs its log shows so far, by
        function, and rq's own count of its finished and failed jobs (in Redis, found by pid)."""
        import redis
        from rq import Worker

        with redis.Redis.from_url(self.env["DSR_REDIS_URL"]) as conn:
            registered = {w.pid: w for w in Worker.all(connection=conn)}
        return {p.name: WorkerJobs(p.name, p.jobs(), registered[p.pid].successful_job_count
                                   + registered[p.pid].failed_job_count, registered[p.pid].queue_names())
                for p in self.processes if p.pid in registered}

    def stop(self) -> None:
        self._sampling = False
        for process in self.processes:
            process.stop()
        self.engine.dispose()


def _base_env(run: Run, url: str, redis_url: str, sink: CountingSink, home: Path) -> dict:
    """The environment of a deployment as an operator sets it: DSR_* variables, PATH with the venv."""
    from dsr.dev.local_services import free_port

    env = run.process_env(url)
    home.mkdir(parents=True, exist_ok=True)
    env.update({
        "DSR_REDIS_URL": redis_url, "DSR_MAIL_SERVER": sink.host, "DSR_MAIL_PORT": str(sink.port),
        "DSR_FILE_STORAGE": str(home / "files"), "DSR_BIND": f"127.0.0.1:{free_port()}",
        "DSR_STAFF_DIGEST_MINUTES": str(run.sizes.system_digest_minutes),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # gunicorn >= 25 puts a control socket in $HOME: one home per deployment, none shared.
        "HOME": str(home),
    })
    if run.sizes.system_web_workers:
        env["WEB_CONCURRENCY"] = str(run.sizes.system_web_workers)
    return env


def _seed(url: str) -> None:
    """One school with its staff (two staff members and a director: the notices of a new case)."""
    engine = sa.create_engine(url)
    try:
        loader.bulk_insert(engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(1))
        users, links = loader.staff_rows([1], "not-used-here", 1)
        loader.bulk_insert(engine, "users", loader.USER_COLUMNS, users)
        loader.bulk_insert(engine, "user_schools", ["user_id", "school_id"], links)
    finally:
        engine.dispose()


def _run_steps(run: Run, deployment: Deployment, *, mail_from_outbox: bool, counter: list[int]) -> list[Step]:
    """The rising steps of offered load until one is not sustained."""
    sizes = run.sizes
    steps: list[Step] = []
    for rate in sizes.system_rates:
        step = _one_step(deployment, rate, sizes, mail_from_outbox=mail_from_outbox, first=counter[0])
        counter[0] += step.load.planned
        steps.append(step)
        log(f"system: {'dsr' if mail_from_outbox else 'baseline'} {step.line()}")
        if not step.sustained(sizes.system_drain):
            break
    return steps


def _one_step(deployment: Deployment, rate: float, sizes, *, mail_from_outbox: bool, first: int,
              wait: float | None = None) -> Step:
    """Offer ``rate`` for ``system_seconds``, then wait until the step's mail is delivered (at most
    ``wait`` seconds, by default ``system_drain``)."""
    table = "cases" if mail_from_outbox else "bench_baseline_submissions"
    mark = deployment.scalar("SELECT max(id) FROM outbox") if mail_from_outbox else 0
    stored_before = deployment.scalar(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
    deployment.meter.begin()
    since = time.monotonic()
    load = offered_load(deployment.port, rate, sizes.system_seconds, sizes.system_clients, first)
    ended = time.monotonic()
    step = Step(load=load)
    step.backlog_end = deployment.outbox(mark)[0] if mail_from_outbox else 0
    while True:
        accepted = deployment.sink.since(since)
        if mail_from_outbox:
            mine = [a for a in accepted if _outbox_id(a.message_id) > mark]
            _, pending, sent, step.failed = deployment.outbox(mark)
            step.mails = pending + sent + step.failed
        else:
            mine, pending, sent = accepted, 0, load.ok
            step.mails = load.ok
        distinct = {a.message_id for a in mine}
        if not pending and len(distinct) >= sent:
            step.drain = time.monotonic() - ended
            break
        if time.monotonic() - ended > (sizes.system_drain if wait is None else wait):
            break
        time.sleep(0.25)
    step.cpu = deployment.meter.used()
    step.accepted = {}
    for kind in ("parent", "staff", "other"):
        step.accepted[kind] = len({a.message_id for a in mine if a.kind == kind})
    step.duplicates = len(mine) - len(distinct)
    step.backlog_max = max([n for t, n in deployment.samples if since <= t] + [step.backlog_end])
    step.stored = deployment.scalar(f"SELECT count(*) FROM {table}") - stored_before  # noqa: S608
    return step


def _outbox_id(message_id: str) -> int:
    """The outbox row of a dsr Message-ID (``<outbox-12@dsr>``); 0 for anything else."""
    head = message_id.strip("<>").partition("@")[0]
    return int(head[7:]) if head.startswith("outbox-") and head[7:].isdigit() else 0


def _warm(deployment: Deployment, run: Run, counter: list[int], *, mail_from_outbox: bool) -> None:
    """A few submissions (each gunicorn worker builds its app and meets the database), and the
    scheduler's first jobs run, before anything is measured."""
    sizes = run.sizes
    offered_load(deployment.port, 2.0, max(1.0, sizes.system_clients / 2.0), sizes.system_clients, counter[0])
    counter[0] += 10_000
    deadline = time.monotonic() + sizes.system_drain
    while mail_from_outbox and deployment.outbox(0)[0] and time.monotonic() < deadline:
        time.sleep(0.25)


def _lines(app: str) -> dict[str, str]:
    """The Procfile's lines to start: all but ``release`` for dsr; only ``web`` for the baseline."""
    lines = procfile()
    if app == "dsr":
        return {name: command for name, command in lines.items() if name != "release"}
    if "wsgi:app" not in lines["web"]:
        raise RuntimeError("the Procfile's web line does not serve wsgi:app; cannot swap in the baseline")
    return {"web": lines["web"].replace("wsgi:app", "bench.baseline_app:app")}


def run_system(run: Run) -> list[Result]:
    from dsr.dev.local_services import LocalRedis
    from tests.reliability.pg import ThrowawayPostgres

    from . import baseline_app

    sizes = run.sizes
    counter = [1]
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-system-"))
        stack.callback(shutil.rmtree, workdir, True)
        pg = ThrowawayPostgres()
        stack.callback(pg.destroy)
        pg.init()
        redis_server = LocalRedis().start()
        stack.callback(redis_server.stop)
        sink = CountingSink(_recipient_kind).start()
        stack.callback(sink.stop)
        import redis

        with redis.Redis.from_url(redis_server.url) as conn:
            redis_pid = int(conn.info("server")["process_id"])
        parts = {"postgresql": [postmaster_pid(pg.data)], "redis": [redis_pid]}

        # The baseline: its web line only, on its own database of the same cluster.
        baseline_url = pg.create_database("baseline")
        engine = sa.create_engine(baseline_url)
        baseline_app.Submission.__table__.create(engine)
        engine.dispose()
        env = dict(_base_env(run, baseline_url, redis_server.url, sink, workdir / "baseline"),
                   BENCH_BASELINE_DATABASE_URL=baseline_url, BENCH_BASELINE_SMTP=f"{sink.host}:{sink.port}")
        baseline = Deployment(run, env, baseline_url, sink, workdir, _lines("baseline"),
                              {"postgresql": parts["postgresql"]})
        try:
            baseline.wait_ready()
            _warm(baseline, run, counter, mail_from_outbox=False)
            base_steps = _run_steps(run, baseline, mail_from_outbox=False, counter=counter)
        finally:
            baseline.stop()

        # dsr as deployed: release (migrations), then every process of the Procfile.
        url = pg.create_database("dsr")
        env = _base_env(run, url, redis_server.url, sink, workdir / "dsr")
        release = procfile().get("release")
        if release:
            done = subprocess.run(expand(release, env), env=env, cwd=workdir, capture_output=True, text=True,
                                  timeout=300, stdin=subprocess.DEVNULL)
            if done.returncode:
                raise RuntimeError(f"release failed: {done.stdout[-800:]} {done.stderr[-800:]}")
        _seed(url)
        system = Deployment(run, env, url, sink, workdir, _lines("dsr"), parts)
        try:
            system.wait_ready()
            _warm(system, run, counter, mail_from_outbox=True)
            jobs_before, accepted_before = system.job_counts(), time.monotonic()
            system.start_sampling()
            steps = _run_steps(run, system, mail_from_outbox=True, counter=counter)
            # The burst: the throughput goal's rate (half the baseline's sustained rate), whatever dsr
            # sustained; its backlog is followed until it is gone (or system_drain + system_settle).
            base_best = [s for s in base_steps if s.sustained(sizes.system_drain)]
            target = base_best[-1].load.rate / 2 if base_best else sizes.system_rates[0]
            burst = _one_step(system, target, sizes, mail_from_outbox=True, first=counter[0],
                              wait=sizes.system_drain + sizes.system_settle)
            counter[0] += burst.load.planned
            log(f"system: dsr burst {burst.line()}")
            time.sleep(1.0)  # the last jobs' log lines
            jobs, left = system.job_counts(), system.outbox(0)[0]
            mails = {a.message_id for a in sink.since(accepted_before) if _outbox_id(a.message_id)}
            _write_backlog(run, system.samples, accepted_before)
        finally:
            system.stop()
    for name, worker in jobs.items():
        worker.subtract(jobs_before.get(name))
    from .system_report import results

    mail_queue = env.get("DSR_RQ_MAIL_QUEUE") or "dsr-mail"
    return results(sizes, base_steps, steps, burst, list(jobs.values()), mail_queue, len(mails), left,
                   list(procfile()))


def _write_backlog(run: Run, samples: list[tuple[float, int]], since: float) -> None:
    """The backlog over time, next to the run's log (bench/data/system-backlog.csv in ``make bench``)."""
    name = getattr(run.log_file, "name", None)
    if not isinstance(name, str):
        return
    rows = "".join(f"{t - since:.1f},{n}\n" for t, n in samples)
    (Path(name).parent / "system-backlog.csv").write_text("seconds,pending_outbox_rows\n" + rows)
