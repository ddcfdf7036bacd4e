"""Open-loop load for the whole-system benchmark: submissions start on a fixed schedule.

Submission i of a step is due at ``start + i / rate``; ``clients`` threads take the next due
submission, wait for its time and run it (GET the form, POST it with its CSRF token). A system that
keeps up answers each one before the next is due on that thread; one that does not falls behind the
schedule, which the step sees as lateness and a late last answer, instead of the load slowing down to
what the system manages (as a closed loop would).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .common import Browser, csrf_token
from .intake import form_data


@dataclass
class StepLoad:
    """What one step of load did: counts, lateness and timings (seconds, time.monotonic())."""

    rate: float
    seconds: float
    planned: int
    started_at: float = 0.0
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    last_answer: float = 0.0

    @property
    def behind(self) -> float:
        """Seconds the last answer came after the end of the period (0 if in time)."""
        return max(0.0, self.last_answer - (self.started_at + self.seconds))


def offered_load(port: int, rate: float, seconds: float, clients: int, first: int) -> StepLoad:
    """Offer ``rate`` submissions per second for ``seconds`` to the server on ``port``; submission
    numbers (and so requester addresses) start at ``first``."""
    step = StepLoad(rate=rate, seconds=seconds, planned=max(1, round(rate * seconds)))
    lock = threading.Lock()
    upcoming = iter(range(step.planned))
    step.started_at = time.monotonic() + 0.05

    def client() -> None:
        while True:
            with lock:
                index = next(upcoming, None)
            if index is None:
                return
            due = step.started_at + index / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            began = time.monotonic()
            error = _submit(port, first + index)
            ended = time.monotonic()
            with lock:
                step.lateness.append(max(0.0, began - due))
                step.last_answer = max(step.last_answer, ended)
                if error:
                    step.errors.append(error)
                else:
                    step.ok += 1
                    step.latencies.append(ended - began)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return step


def _submit(port: int, n: int) -> str | None:
    """One requester: GET the form, POST it; None if answered with the redirect, else what went wrong."""
    browser = Browser(port)
    try:
        status, _, page = browser.get("/")
        if status != 200:
            return f"GET / HTTP {status}"
        status, _, body = browser.post("/", dict(form_data(n), csrf_token=csrf_token(page)))
        if status != 302:
            return f"POST / HTTP {status}: {body[:120]!r}"
    except Exception as exc:  # noqa: BLE001 - every failure counts as an error of the step
        return f"{type(exc).__name__}: {exc}"
    return None
