"""The benchmarks in order, and the memory figure read from the processes they ran."""
from __future__ import annotations

import time
import traceback

from .audit import run_audit
from .common import Result, log
from .connectors_collect import run_connectors_collect
from .intake import run_intake
from .mail import run_mail
from .queue import run_queue
from .roster_sync import run_roster_sync
from .run import Run
from .sweep import run_sweep
from .system import run_system

BENCHMARKS = {
    "intake": run_intake,
    "queue": run_queue,
    "sweep": run_sweep,
    "mail": run_mail,
    "audit": run_audit,
    "system": run_system,
    "roster": run_roster_sync,
    "connectors_collect": run_connectors_collect,  # issue 17: collection from 5 systems for one case
}
MEMORY_LIMIT_MB = 150


def memory_results(run: Run) -> list[Result]:
    results = []
    for kind, label, source in (("web", "web worker", "gunicorn workers of the intake and queue runs"),
                                ("worker", "RQ worker", "rq worker and the work horses it forked, mail run")):
        peaks = run.peaks[kind]
        if not peaks:
            results.append(Result(f"Memory, {label}", "peak RSS (MB)", None, f"< {MEMORY_LIMIT_MB} MB", None,
                                  "not measured (its benchmark did not run)"))
            continue
        peak = max(peaks)
        results.append(Result(
            name=f"Memory, {label}", figure="peak RSS (VmHWM), MB", value=peak, goal=f"< {MEMORY_LIMIT_MB} MB",
            met=peak < MEMORY_LIMIT_MB,
            detail=f"{source}: peaks " + ", ".join(f"{p:.0f}" for p in sorted(peaks)) + " MB; resident when read "
                   + ", ".join(f"{p:.0f}" for p in sorted(run.resident[kind])) + " MB"))
    return results


def run_all(run: Run, only: list[str] | None = None, *, keep_going: bool = True) -> list[Result]:
    """Run the chosen benchmarks (all by default); a failing one becomes a failed line."""
    results = []
    for name, func in BENCHMARKS.items():
        if only and name not in only:
            continue
        log(f"{name}: starting")
        started = time.perf_counter()
        try:
            results.extend(func(run))
        except Exception as exc:
            if not keep_going:
                raise
            traceback.print_exc()
            results.append(Result(name=name, figure="(benchmark failed)", value=None, goal="runs", met=False,
                                  detail=f"{type(exc).__name__}: {exc}"))
        log(f"{name}: done in {time.perf_counter() - started:.0f}s")
    if not only or "memory" in only or {"intake", "queue", "mail"} & set(only):
        results.extend(memory_results(run))
    return results
