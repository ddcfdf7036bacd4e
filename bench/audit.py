"""Audit verify: ``verify_chain()`` time per event on a small and a large hash chain. Audited writes: how
audited writes per second scale with parallel writers (issue 16 point 6).

The chains are valid (built with the model's own canonical form), so the whole chain is read and
every hash recomputed. The small chain is verified several times per round (its run is short and
so more exposed to noise); rounds alternate between the two databases.

The writes are measured by writer processes, each with its own app and database connection; a write is
one transaction as a request makes it: read a case, change it (one UPDATE) and ``audit.record`` an event
about it, then commit. Rounds alternate 1 writer, 4 writers on 4 schools (4 chains) and 4 writers on one
school (one chain, different cases): the figure is writes/s with 4 writers on 4 schools / with 1 writer.
Each writer also times the chain lock, from the ``pg_advisory_xact_lock`` statement to the commit.
"""
from __future__ import annotations

import multiprocessing
import os
import time

from . import loader
from .common import Result, app_config, is_postgres, log, median, percentile, prepare_database, vacuum_analyze
from .run import Run

#: Writers of the parallel figures; the cases each writes to (one school each, or four cases of school 1).
WRITERS = 4
_SPREAD = [(school, school) for school in range(1, WRITERS + 1)]          # (school id, case id)
_ONE_SCHOOL = [(1, 1)] + [(1, WRITERS + n) for n in range(1, WRITERS)]     # cases 5.. are in school 1 too


def _setup(run: Run, name: str, events: int):
    from dsr.extensions import db

    app = run.make_app(run.database_url(name))
    prepare_database(app, fresh=run.fresh)
    started = time.perf_counter()
    with app.app_context():
        loader.bulk_insert(db.engine, "audit_events", loader.AUDIT_COLUMNS, loader.audit_rows(1, events),
                           rebuild_indexes=True)
        vacuum_analyze(db.engine, "audit_events")
    log(f"audit: {events:,} events loaded in {time.perf_counter() - started:.1f}s")
    return app


def run_audit(run: Run) -> list[Result]:
    """The verify figure, then the audited-writes figures."""
    return _run_verify(run) + _run_writes(run)


def _run_verify(run: Run) -> list[Result]:
    from dsr.extensions import db
    from dsr.services.audit_verify import verify_chain

    sizes = run.sizes
    totals = {"small": sizes.audit_small, "large": sizes.audit_large}
    apps = {label: _setup(run, f"audit_{label}", total) for label, total in totals.items()}
    per_event = {label: [] for label in totals}
    problems = []
    try:
        for _ in range(sizes.audit_repeats):
            for label, app in apps.items():
                for _ in range(5 if label == "small" else 1):
                    with app.app_context():
                        started = time.perf_counter()
                        result = verify_chain()
                        per_event[label].append((time.perf_counter() - started) / totals[label])
                        db.session.remove()
                    if not result.ok or result.checked != totals[label]:
                        problems.append(f"{label}: checked {result.checked}, broken at {result.first_broken_id}")
    finally:
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
    small, large = median(per_event["small"]), median(per_event["large"])
    ratio = large / small
    return [Result(
        name="Audit verify",
        figure=f"time per event at {totals['large']:,} / at {totals['small']:,} events",
        value=ratio, goal="within 1/1.5 .. 1.5", met=1 / 1.5 <= ratio <= 1.5 and not problems,
        detail=(f"{small * 1e6:.1f} us vs {large * 1e6:.1f} us per event "
                f"({totals['large'] * large:.1f} s for the large chain); medians, alternating"
                f"{'; ' + '; '.join(problems) if problems else ''}"),
    )]


# --- audited writes ------------------------------------------------------------------------------------------


def _setup_writes(run: Run) -> tuple[str, dict]:
    """A database with WRITERS schools, one case in each and WRITERS - 1 more in school 1; no events."""
    import datetime as dt

    from dsr.extensions import db

    url = run.database_url("audit_writes")
    app = run.make_app(url)
    prepare_database(app, fresh=run.fresh)
    today = dt.date(2026, 12, 4)
    cases = [loader.case_row(case_id, school_id, "submitted", today, today + dt.timedelta(days=30))
             for school_id, case_id in dict.fromkeys(_SPREAD + _ONE_SCHOOL)]
    with app.app_context():
        loader.bulk_insert(db.engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(WRITERS))
        loader.bulk_insert(db.engine, "cases", loader.CASE_COLUMNS, cases)
        db.engine.dispose()
    return url, app_config(url, run.services, **run.overrides)


def _write(n: int, case_id: int) -> None:
    """One audited write, as a request makes it."""
    from dsr.extensions import db
    from dsr.models import Case
    from dsr.services import audit
    from dsr.services.transaction import transaction

    with transaction():
        case = db.session.get(Case, case_id)
        case.review_note = f"Bekeken ({n})."
        audit.record("case.viewed", case=case, actor_kind="system", details={"n": n})


def _writer(config: dict, commands, results) -> None:
    """A writer process: for each command (case id, start at, seconds) write until the time is up; put
    (writes, seconds, lock hold times, CPU seconds of this process) on ``results``. None ends it."""
    import sqlalchemy as sa

    from dsr import create_app
    from dsr.extensions import db

    app = create_app(config)
    with app.app_context():
        engine = db.engine
        held: list[float] = []
        since: list[float] = []

        def statement(conn, cursor, text, *args):
            if "pg_advisory_xact_lock" in text and not since:
                since.append(time.perf_counter())

        def end(conn):
            if since:
                held.append(time.perf_counter() - since.pop())

        sa.event.listen(engine, "before_cursor_execute", statement)
        sa.event.listen(engine, "commit", end)
        sa.event.listen(engine, "rollback", end)
        n = 0
        while (command := commands.get()) is not None:
            case_id, start_at, seconds = command
            _write(n, case_id)  # warm: connection and statement caches
            n += 1
            held.clear()
            time.sleep(max(0.0, start_at - time.time()))
            started, cpu = time.perf_counter(), time.process_time()
            count = 0
            while time.perf_counter() - started < seconds:
                _write(n, case_id)
                n, count = n + 1, count + 1
            results.put((count, time.perf_counter() - started, list(held), time.process_time() - cpu))
        engine.dispose()


def _measure(processes, targets: list[tuple[int, int]], seconds: float) -> tuple[float, list[float], float]:
    """Writes/s of ``len(targets)`` writers running together, their lock hold times, and the writers' CPU
    seconds per write."""
    commands, results = processes
    start_at = time.time() + 1.0
    for _, case_id in targets:
        commands.put((case_id, start_at, seconds))
    done = [results.get(timeout=seconds + 120) for _ in targets]
    writes = sum(count for count, _, _, _ in done)
    rate = writes / max(elapsed for _, elapsed, _, _ in done)
    return rate, [h for _, _, held, _ in done for h in held], sum(cpu for *_, cpu in done) / max(writes, 1)


def _run_writes(run: Run) -> list[Result]:
    url, config = _setup_writes(run)
    seconds = run.sizes.audit_write_seconds
    # SQLite (the smoke test) has one writer at a time: the figures then only show the code runs.
    writers = WRITERS if is_postgres(url) else 1
    context = multiprocessing.get_context("spawn")
    commands, results = context.Queue(), context.Queue()
    processes = [context.Process(target=_writer, args=(config, commands, results), daemon=True)
                 for _ in range(writers)]
    for process in processes:
        process.start()
    rates: dict[str, list[float]] = {"one": [], "spread": [], "same": []}
    held: dict[str, list[float]] = {"one": [], "spread": [], "same": []}
    cpu: dict[str, list[float]] = {"one": [], "spread": [], "same": []}
    try:
        for _ in range(run.sizes.audit_write_rounds):
            for label, targets in (("one", _SPREAD[:1]), ("spread", _SPREAD[:writers]),
                                   ("same", _ONE_SCHOOL[:writers])):
                rate, times, per_write = _measure((commands, results), targets, seconds)
                rates[label].append(rate)
                held[label].extend(times)
                cpu[label].append(per_write)
                log(f"audit writes: {label}: {rate:.0f} writes/s")
    finally:
        for _ in processes:
            commands.put(None)
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
    problems = _verify_writes(run, url)
    one, spread, same = (median(rates[k]) for k in ("one", "spread", "same"))

    def lock(label: str) -> str:
        times = held[label]
        return (f"median {median(times) * 1000:.2f} ms, p95 {percentile(times, 95) * 1000:.2f} ms"
                if times else "no lock (SQLite)")

    ratio = spread / one
    return [
        Result(name="Audited writes, 4 parallel writers",
               figure=f"audited writes/s, {writers} writers on {writers} schools / 1 writer",
               value=ratio, goal=">= 3.0", met=ratio >= 3.0 and not problems and writers == WRITERS,
               detail=(f"{spread:.0f} vs {one:.0f} writes/s (one transaction each: read a case, UPDATE it, "
                       f"audit.record); chain lock from lock to commit: {lock('spread')} (1 writer: "
                       f"{lock('one')}); writer CPU per write {median(cpu['one']) * 1000:.1f} ms "
                       f"(1 writer), {median(cpu['spread']) * 1000:.1f} ms (4), on {os.cpu_count()} CPU(s); "
                       f"medians of {run.sizes.audit_write_rounds} alternating round(s) of {seconds:g} s"
                       f"{'; ' + '; '.join(problems) if problems else ''}")),
        Result(name="Audited writes, 4 writers on one school",
               figure=f"audited writes/s, {writers} writers on one school (one chain) / 1 writer",
               value=same / one, goal="(info)", met=None,
               detail=(f"{same:.0f} vs {one:.0f} writes/s; the chain's lock is the serial point that remains: "
                       f"{lock('same')} held per write")),
    ]


def _verify_writes(run: Run, url: str) -> list[str]:
    """Every chain the writers made must verify (run.make_app: the same keys)."""
    from dsr.extensions import db
    from dsr.services.audit_verify import verify_chain

    app = run.make_app(url)
    with app.app_context():
        result = verify_chain()
        db.session.remove()  # its connection back to the pool first: dispose() closes only checked-in ones
        db.engine.dispose()
    return [] if result.ok else [f"writes: chain broken at event {result.first_broken_id}: {result.problem}"]
