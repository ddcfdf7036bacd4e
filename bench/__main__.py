"""``python -m bench`` (``make bench``): run every benchmark, print the table, write bench/results.md.

Needs PostgreSQL (``DSR_BENCH_PG``, default ``postgresql+psycopg://postgres@127.0.0.1:5432``; the
benchmarks create and drop their own ``dsr_bench_*`` databases) and a ``redis-server`` binary (a
private one is started; ``DSR_BENCH_REDIS_URL`` uses a running one instead). Mail goes to an
in-process SMTP server. The whole-system benchmark (bench/system.py) runs its own PostgreSQL cluster
(``initdb``, as the reliability suite does), its own Redis and SMTP server, and removes them afterwards:
it leaves no database behind on that server.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from .common import (
    PG_SERVER,
    ROOT,
    bench_database_url,
    drop_database,
    local_services,
)
from .report import load_average, machine, markdown, table, versions
from .run import SMOKE, Run, Sizes
from .suite import BENCHMARKS, run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), as in make test")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"),
                        help="markdown file to write ('-' for none)")
    parser.add_argument("--keep-databases", action="store_true", help="do not drop the dsr_bench_* databases")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",")] if args.only else None
    unknown = set(only or []) - set(BENCHMARKS) - {"memory"}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    import os

    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    load_before = load_average()
    try:
        _check_postgres()
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        print(f"bench: PostgreSQL at {PG_SERVER} is not usable: {exc}", file=sys.stderr)
        return 2
    data_dir = ROOT / "bench" / "data"
    data_dir.mkdir(exist_ok=True)
    names = [f"{b}_{s}" for b in ("queue", "sweep", "audit") for s in ("small", "large")] + \
        ["intake", "mail", "audit_writes", "roster", "roster_source", "connectors_collect", "studadmin"]
    with open(data_dir / "bench.log", "w") as log_file, \
            local_services(redis_url=os.environ.get("DSR_BENCH_REDIS_URL")) as services:
        run = Run(services, bench_database_url, fresh=True, sizes=SMOKE if args.smoke else Sizes(),
                  drop=not args.keep_databases, log_file=log_file)
        try:
            results = run_all(run, only)
            found = versions(PG_SERVER + "/postgres", services.redis_url)
        finally:
            if run.drop:
                for name in names:
                    drop_database(bench_database_url(name))
    seconds = time.perf_counter() - clock
    print()
    print(table(results))
    print(f"\n{sum(r.met is True for r in results)} goals met, {sum(r.met is False for r in results)} not met; "
          f"{seconds / 60:.1f} minutes")
    if args.output != "-":
        from .explanations import EXPLANATIONS

        command = "make bench" if not (args.smoke or only) else "python -m bench " + " ".join(argv or sys.argv[1:])
        text = markdown(results, started=started, seconds=seconds, host=machine(), found=found,
                        loads=(load_before, load_average()), explanations=EXPLANATIONS, command=command)
        Path(args.output).write_text(text)
        print(f"written to {args.output}")
    return 0


def _check_postgres() -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_SERVER + "/postgres").set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=5) as conn:
        conn.execute("SELECT 1")


if __name__ == "__main__":
    sys.exit(main())
