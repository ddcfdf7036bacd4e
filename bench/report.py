"""The machine, the versions and the results: a table on the terminal, markdown in results.md."""
from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path

from .common import Result

PACKAGES = ["flask", "werkzeug", "flask-wtf", "flask-sqlalchemy", "sqlalchemy", "psycopg", "gunicorn", "rq",
            "redis", "flask-mail", "aiosmtpd", "jinja2"]


def machine() -> dict[str, str]:
    info = {"nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())}
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(next(line for line in meminfo.splitlines() if line.startswith("MemTotal:")).split()[1])
        info["memory"] = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        info["memory"] = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    info["os"] = f"{platform.system()} {platform.release()}"
    return info


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def versions(database_url: str | None, redis_url: str | None) -> dict[str, str]:
    found = {"Python": platform.python_version()}
    if database_url and database_url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                found["PostgreSQL"] = conn.exec_driver_sql("SHOW server_version").scalar_one()
        finally:
            engine.dispose()
    elif database_url:
        import sqlite3

        found["SQLite"] = sqlite3.sqlite_version
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            found["Redis"] = client.info("server")["redis_version"]
        finally:
            client.close()
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def table(results: list[Result]) -> str:
    rows = [("Benchmark", "Figure", "Value", "Goal", "Status")]
    for r in results:
        rows.append((r.name, r.figure, "-" if r.value is None else f"{r.value:.2f}", r.goal, r.status()))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.extend(f"- {r.name}: {r.detail}" for r in results)
    return "\n".join(lines)


def markdown(results: list[Result], *, started: dt.datetime, seconds: float, host: dict, found: dict,
             loads: tuple[str, str], explanations: dict[str, str], command: str) -> str:
    out = [
        "# dsr benchmark results",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC; the run took {seconds / 60:.1f} minutes.",
        "Every figure is a ratio of two measurements taken in the same run (interleaved where possible), "
        "because the machine is shared and absolute timings drift with its load.",
        "",
        "## Machine",
        "",
        f"- nproc: {host['nproc']}, memory: {host['memory']}, CPU: {host['cpu']}, {host['os']}",
        f"- load average (1, 5, 15 min) at the start: {loads[0]}; at the end: {loads[1]}",
        "",
        "## Versions",
        "",
        ", ".join(f"{name} {version}" for name, version in found.items()),
        "",
        "## Results",
        "",
        "| Benchmark | Figure | Value | Goal | Status |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        value = "-" if r.value is None else f"{r.value:.2f}"
        out.append(f"| {r.name} | {r.figure} | {value} | {r.goal} | {r.status()} |")
    out += ["", "### Measurements behind the ratios", ""]
    out += [f"- **{r.name}**: {r.detail}" for r in results]
    missed = [r for r in results if r.met is False]
    if missed:
        out += ["", "## Goals not met", ""]
        for r in missed:
            out += [f"### {r.name}", "", explanations.get(r.name, "Not explained yet."), ""]
    for r in results:
        for note in r.notes:
            out += ["", note]
    return "\n".join(out).rstrip() + "\n"
