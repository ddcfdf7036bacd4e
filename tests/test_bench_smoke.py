"""The benchmark suite (``make bench``, bench/) at tiny sizes, so its code paths cannot rot.

Every benchmark runs end to end as in ``make bench``: gunicorn with two workers, the baseline app,
a signed-in staff member, the deadline sweep, a production RQ worker, the audit chain, and the whole
system (the Procfile's processes on a private PostgreSQL cluster, bench/system.py). On
PostgreSQL (``DSR_TEST_DATABASE_URL``) the data goes in with COPY, into schemas of the test database;
on SQLite the same rows go in with plain INSERTs. Timings are printed, never asserted: only that
every figure was produced.
"""
from __future__ import annotations

import pytest

from bench.common import Services, drop_schemas, schema_database_url
from bench.report import table
from bench.run import SMOKE, Run
from bench.suite import BENCHMARKS, run_all

#: ``make test-fast`` leaves this out (``-m "not bench"``); ``make test`` runs it.
pytestmark = pytest.mark.bench

DATABASES = ["intake", "mail", "audit_writes", "roster", "roster_source", "connectors_collect", "studadmin"] + [
    f"{name}_{size}" for name in ("queue", "sweep", "audit") for size in ("small", "large")]


@pytest.fixture
def bench_database_url(database_url, tmp_path):
    """name -> a database of its own: a schema of the PostgreSQL test database, or an SQLite file."""
    if database_url.startswith("postgresql"):
        yield lambda name: schema_database_url(database_url, name)
        drop_schemas(database_url, DATABASES)
    else:
        yield lambda name: f"sqlite:///{tmp_path / name}.sqlite"


def test_every_benchmark_runs_at_tiny_sizes(bench_database_url, redis_server, smtp_server, capsys):
    services = Services(redis_server.url, smtp_server.host, smtp_server.port, smtp_server)
    run = Run(services, bench_database_url, fresh=False, sizes=SMOKE,
              overrides={"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    results = run_all(run, keep_going=False)
    with capsys.disabled():
        print("\n" + table(results))
    names = {r.name for r in results}
    assert {"Intake throughput", "Staff queue, first page", "Staff queue, deep page", "Deadline sweep",
            "Mail throughput", "Audit verify", "Audited writes, 4 parallel writers", "Memory, web worker",
            "Memory, RQ worker",
            "Whole system, sustained intake with mail delivered", "Mail backlog drained after load",
            "Jobs per mail", "CPU per submission", "Roster sync, first", "Roster sync, unchanged source",
            "Roster sync, 1 % of the contacts changed", "Collection from 5 systems",
            "Collection vs direct queries"} <= names
    assert all(r.value is not None and r.value > 0 for r in results), [r for r in results if not r.value]
    assert len(BENCHMARKS) == 8
