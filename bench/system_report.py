"""The results lines of the whole-system benchmark (bench/system.py) from its steps."""
from __future__ import annotations

from dataclasses import dataclass

from .common import Result


@dataclass
class WorkerJobs:
    """The jobs of one rq worker process: by function from its log, and rq's own count in Redis."""

    name: str
    logged: dict[str, int]
    counted: int
    queues: list[str]

    def subtract(self, before: WorkerJobs | None) -> None:
        """Keep only what happened since ``before`` (the same worker read earlier)."""
        if before is not None:
            self.logged = {k: v - before.logged.get(k, 0) for k, v in self.logged.items()}
            self.counted -= before.counted


def is_mail_job(function: str) -> bool:
    """The job that sends outbox mail: ``deliver`` (or a ``deliver_...`` variant) in any module."""
    return function.rpartition(".")[2].startswith("deliver")


def mail_jobs(workers: list[WorkerJobs], mail_queue: str) -> tuple[int, list[str]]:
    """Mail jobs run by all workers, and notes on how each worker's figure was found.

    A worker's log names every job it takes; where it shows fewer jobs than rq counted (a worker
    started with less logging), a worker serving only the mail queue counts its unlogged jobs as mail
    jobs, any other is noted as possibly low."""
    total, notes = 0, []
    for worker in workers:
        logged = sum(worker.logged.values())
        logged_mail = sum(n for function, n in worker.logged.items() if is_mail_job(function))
        if logged >= worker.counted:
            total += logged_mail
        elif set(worker.queues) == {mail_queue}:
            total += worker.counted - (logged - logged_mail)
            notes.append(f"{worker.name}: from rq's count ({worker.counted}), its log shows {logged}")
        else:
            total += logged_mail
            notes.append(f"{worker.name}: its log shows {logged} of the {worker.counted} jobs rq counted; "
                         "the figure may be low")
    return total, notes


def _sustained(steps, drain_limit: float):
    """The highest step sustained (steps stop at the first that is not), or None."""
    good = [s for s in steps if s.sustained(drain_limit)]
    return good[-1] if good else None


def _cpu_ms(step) -> tuple[float, dict[str, float]]:
    """CPU per answered submission (ms), in all and per part."""
    per = {name: seconds * 1000 / max(step.load.ok, 1) for name, seconds in step.cpu.items()}
    return sum(per.values()), per


def results(sizes, base_steps, steps, burst, workers: list[WorkerJobs], mail_queue: str, mails: int, left: int,
            lines: list[str]) -> list[Result]:
    """Throughput ratio, backlog drain (of the burst at the goal's rate), jobs per mail and CPU per
    submission."""
    limit = sizes.system_drain
    best, base_best = _sustained(steps, limit), _sustained(base_steps, limit)
    rate = best.load.rate if best else 0.0
    base_rate = base_best.load.rate if base_best else 0.0
    ratio = rate / base_rate if base_rate else 0.0
    ladder = ", ".join(f"{r:g}" for r in sizes.system_rates)
    per_submission = ""
    if best:
        kinds = best.accepted
        per_submission = (f"; at {rate:g}/s each submission made {best.mails / max(best.load.ok, 1):.2f} mails "
                          f"({kinds['parent']} to parents, {kinds['staff']} to staff within the step)")
    detail = (f"dsr {rate:g}/s vs baseline {base_rate:g}/s sustained (highest step with every submission "
              f"answered on schedule, the mail backlog at the end of the load at most 2 s of mail, and all of "
              f"the step's mail accepted by the SMTP server within {limit:g} s); open loop, "
              f"{sizes.system_clients} clients, steps of {sizes.system_seconds:g} s at {ladder}/s, stopping at the "
              f"first step not sustained; the Procfile's {', '.join(lines)} on a private PostgreSQL cluster "
              f"and Redis, STAFF_DIGEST_MINUTES={sizes.system_digest_minutes}{per_submission}. dsr steps: "
              + "; ".join(s.line() for s in steps) + ". Baseline steps: " + "; ".join(s.line() for s in base_steps))
    out = [Result(name="Whole system, sustained intake with mail delivered",
                  figure="dsr / baseline sustained submissions per second", value=ratio, goal=">= 0.5",
                  met=bool(base_rate) and ratio >= 0.5, detail=detail)]

    drained = burst.drain is not None
    drain = burst.drain if drained else sizes.system_drain + sizes.system_settle
    out.append(Result(
        name="Mail backlog drained after load", figure="seconds from the end of the load to the last mail accepted",
        value=drain, goal=f"<= {limit:g}", met=drained and drain <= limit,
        detail=(f"a burst of {burst.load.planned} submissions at {burst.load.rate:g}/s for {sizes.system_seconds:g} s "
                f"(half the baseline's sustained rate: the rate the throughput goal asks for), "
                f"{burst.load.ok} answered, last answer {burst.load.behind:.1f} s after the period: {burst.mails} "
                f"mails, backlog (pending outbox rows, sampled every 0.5 s) max {burst.backlog_max}, "
                f"{burst.backlog_end} at the end of the load, "
                + (f"0 after {drain:.1f} s" if drained else f"still not 0 after {drain:g} s")
                + f"; {burst.duplicates} mails accepted twice; dsr CPU per submission in the burst "
                f"{_cpu_ms(burst)[0]:.1f} ms")))

    count, notes = mail_jobs(workers, mail_queue)
    others: dict[str, int] = {}
    for worker in workers:
        for function, n in worker.logged.items():
            if n and not is_mail_job(function):
                others[function.rpartition(".")[2]] = others.get(function.rpartition(".")[2], 0) + n
    per_worker = ", ".join(f"{w.name} ({'/'.join(w.queues)}) {w.counted}" for w in workers)
    out.append(Result(
        name="Jobs per mail", figure="mail jobs run / mails accepted", value=count / mails if mails else 0.0,
        goal="== 1.00", met=bool(mails) and count == mails,
        detail=(f"{count} mail jobs (deliver) run for {mails} distinct mails accepted over all dsr steps and "
                f"the burst, counted from the workers' logs; jobs per worker as rq counts them: {per_worker}"
                + (f"; other jobs: {', '.join(f'{k} {v}' for k, v in sorted(others.items()))}" if others else "")
                + (f"; {'; '.join(notes)}" if notes else "")
                + (f"; {left} mails still pending at the end" if left else ""))))

    # Both at the same offered rate: dsr's sustained one (or its first step), so that the idle work
    # (heartbeats, the scheduler's ticks) weighs the same per submission.
    step = best or steps[0]
    base_step = next((b for b in base_steps if b.load.rate == step.load.rate), base_best or base_steps[0])
    total, parts = _cpu_ms(step)
    base_total, base_parts = _cpu_ms(base_step)
    out.append(Result(
        name="CPU per submission", figure="ms of CPU per submission, whole dsr system", value=total, goal="(info)",
        met=None,
        detail=(f"dsr {total:.1f} ms at {step.load.rate:g}/s (" + ", ".join(f"{k} {v:.1f}" for k, v in parts.items())
                + f") vs baseline {base_total:.1f} ms at {base_step.load.rate:g}/s ("
                + ", ".join(f"{k} {v:.1f}" for k, v in base_parts.items())
                + "); user + system time from /proc of each process tree (work horses and PostgreSQL "
                  "backends included), from the start of the step until its mail was delivered")))
    return out
