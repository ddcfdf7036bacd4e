"""What a benchmark run needs: sizes, services, where its databases live, peaks seen so far."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .common import Services


@dataclass(frozen=True)
class Sizes:
    """Full sizes by default; :data:`SMOKE` is the reduced suite run by ``make test``."""

    intake_clients: int = 8           # concurrent load-generator threads
    intake_seconds: float = 10.0      # per measured round; rounds alternate baseline and dsr
    intake_rounds: int = 2
    intake_warmup: float = 2.0
    queue_small: int = 1_000          # cases in the database
    queue_large: int = 1_000_000
    queue_open: int = 800             # open cases of the measured school (its queue, same at both sizes)
    queue_deep_offset: int = 500      # the deep page starts after this many cases (keyset cursor)
    queue_requests: int = 150         # timed requests per page and size (the officer's: a quarter)
    sweep_due: int = 1_000            # cases reaching a milestone today
    sweep_small: int = 10_000         # open cases in the database
    sweep_large: int = 1_000_000
    sweep_repeats: int = 2
    mail_count: int = 200
    audit_small: int = 10_000
    audit_large: int = 1_000_000
    audit_repeats: int = 1
    audit_write_seconds: float = 5.0  # per measured round of the audited writes
    audit_write_rounds: int = 3
    system_clients: int = 8           # parents submitting at once (threads), open loop
    system_seconds: float = 8.0       # load per step
    system_rates: tuple[float, ...] = (1, 1.4, 2, 2.8, 4, 5.7, 8, 11, 16, 23, 32, 45, 64)  # submissions/s offered
    system_drain: float = 60.0        # every mail of a step accepted this soon after its load, or not sustained
    system_settle: float = 40.0       # the burst's backlog is followed this much longer than system_drain
    system_digest_minutes: int = 1    # STAFF_DIGEST_MINUTES of the deployment
    system_web_workers: int | None = None  # WEB_CONCURRENCY; None: the Procfile's default
    roster_students: int = 20_000     # students in the roster source, two contacts each
    collect_students: int = 5_000     # students in the student administration the 5 systems query


SMOKE = Sizes(
    intake_clients=2, intake_seconds=0.7, intake_rounds=1, intake_warmup=0.2,
    queue_small=60, queue_large=400, queue_open=40, queue_deep_offset=25, queue_requests=4,
    sweep_due=5, sweep_small=40, sweep_large=300, sweep_repeats=1,
    mail_count=5, audit_small=50, audit_large=500, audit_repeats=1, audit_write_seconds=0.3, audit_write_rounds=1,
    system_clients=2, system_seconds=1.5, system_rates=(1, 2), system_drain=20.0, system_settle=5.0,
    system_web_workers=1, roster_students=60, collect_students=20,
)


@dataclass
class Run:
    services: Services
    #: name -> database URL for that benchmark
    database_url: Callable[[str], str]
    #: recreate and migrate each database (full run); else empty the tables of an existing schema
    fresh: bool
    sizes: Sizes = field(default_factory=Sizes)
    #: drop the benchmark databases at the end (full run)
    drop: bool = False
    #: peak RSS (MB) per process kind, filled in by the benchmarks, read by the memory figure
    peaks: dict[str, list[float]] = field(default_factory=lambda: {"web": [], "worker": []})
    #: resident set (MB) of the same processes when they were read
    resident: dict[str, list[float]] = field(default_factory=lambda: {"web": [], "worker": []})
    #: extra log output (gunicorn, rq) goes here; None = discarded
    log_file: object = None
    #: settings for every app and process of the run (the smoke test makes password hashing cheap)
    overrides: dict = field(default_factory=dict)

    def note_memory(self, kind: str, pids) -> None:
        """Read the peak and current RSS of live processes (before they are stopped)."""
        from .common import peak_rss_mb, rss_mb

        for pid in pids:
            peak, now = peak_rss_mb(pid), rss_mb(pid)
            if peak:
                self.peaks[kind].append(peak)
                self.resident[kind].append(now or 0.0)

    def make_app(self, url: str, **extra):
        from .common import make_app

        return make_app(url, self.services, **{**self.overrides, **extra})

    def process_env(self, url: str, **extra) -> dict:
        import json

        from .common import process_env

        env = process_env(url, self.services, **extra)
        # Text settings are read as they are; the others (numbers, true/false, lists) as JSON.
        env.update({f"DSR_{key}": value if isinstance(value, str) else json.dumps(value)
                    for key, value in self.overrides.items()})
        return env
