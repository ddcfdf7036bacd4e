"""The staff queue's search (issue 15 point 2) at scale, measured inside the queue benchmark.

It reuses the queue benchmark's two databases (1,000 and 1,000,000 cases on PostgreSQL), gunicorn servers
and signed-in staff member of the measured school, so the million cases are loaded once. The searches are
what a staff member types to find one case of their school: its reference, part of its student number, the
student's full name, the family's surname, and the requester's e-mail address. Each search is posted with
the form's CSRF token, as the page does (a search never goes in a URL), and must list the case.

The names come from :mod:`bench.loader`: a surname is shared by about 1 case in 2,300 (about 430 cases among
a million, spread over every school), a full name by about 1 in 92,000. What the database size costs a
search is what the ratio shows: the measured school's matches are nearly the same in both databases.
"""
from __future__ import annotations

import time

from . import loader
from .common import Browser, Result, Statements, explain, percentile, short_sql

#: What staff type, from the measured case's id (the reference is read from the database: its year
#: comes from the case's dates).
SEARCHES = {
    "reference": None,
    "student number, 7 of 8 digits": lambda case_id: loader.student_number(case_id)[1:],
    "student's full name": loader.student_name,
    "surname": loader.surname,
    "requester's e-mail address": loader.requester_email,
}


def measured_case(open_count: int) -> int:
    """An open case of the measured school present in both databases (ids 1..open_count are)."""
    return min(421, max(1, open_count // 2))


def terms(case_id: int, reference: str) -> dict[str, str]:
    """The search text per kind for ``case_id`` (its stored reference: the year depends on its dates)."""
    return {name: reference if make is None else make(case_id) for name, make in SEARCHES.items()}


def _post(browser: Browser, token: str, text: str):
    return browser.post("/zaken/", {"csrf_token": token, "q": text})


def time_searches(sessions: dict[str, Browser], searches: dict[str, str], case_id: int, *, rounds: int,
                  warmup: int) -> tuple[dict[tuple[str, str], list[float]], int]:
    """Post every search to every database ``warmup + rounds`` times, interleaved (machine noise hits all);
    latencies per (database label, search) after the warm-up, and the number of answers without the case."""
    tokens = {label: browser.form_token("/zaken/") for label, browser in sessions.items()}
    link = f'href="/zaken/{case_id}"'
    latencies: dict[tuple[str, str], list[float]] = {(label, name): [] for label in sessions for name in searches}
    errors = 0
    for round_ in range(warmup + rounds):
        for name, text in searches.items():
            for label, browser in sessions.items():
                started = time.perf_counter()
                status, _headers, body = _post(browser, tokens[label], text)
                elapsed = time.perf_counter() - started
                if status != 200 or link not in body:
                    errors += 1
                if round_ >= warmup:
                    latencies[(label, name)].append(elapsed)
    return latencies, errors


def plans(engine, client, searches: dict[str, str], title: str) -> tuple[dict[str, int], list[str]]:
    """Statements per search page and the EXPLAIN (ANALYZE, BUFFERS) of the statement that reads the cases."""
    counts, found = {}, []
    for name, text in searches.items():
        with Statements(engine) as recorder:
            response = client.post("/zaken/", data={"q": text})
            assert response.status_code == 200, response.status_code
        counts[name] = len(recorder.seen)
        for statement, params in recorder.seen:
            if "FROM cases" not in statement or "LIKE" not in statement.upper():
                continue
            plan = explain(engine, statement, params)
            found.append(f"{title}, search by {name} ({text!r}):\n{short_sql(statement)}\n\n{plan}")
    return counts, found


def results(latencies: dict[tuple[str, str], list[float]], errors: int, totals: dict[str, int],
            statements: dict[str, dict[str, int]], all_plans: list[str]) -> list[Result]:
    """One line per kind of search: p95 at the large size over p95 at the small size (goal <= 2)."""
    out = []
    for name in SEARCHES:
        small, large = latencies[("small", name)], latencies[("large", name)]
        p95_small, p95_large = percentile(small, 95), percentile(large, 95)
        out.append(Result(
            name=f"Queue search, {name}",
            figure=f"p95 at {totals['large']:,} / p95 at {totals['small']:,} cases",
            value=p95_large / p95_small, goal="<= 2.0", met=p95_large / p95_small <= 2.0 and errors == 0,
            detail=(f"p95 {p95_small * 1000:.1f} ms vs {p95_large * 1000:.1f} ms, p50 "
                    f"{percentile(small, 50) * 1000:.1f} vs {percentile(large, 50) * 1000:.1f} ms; "
                    f"{len(small)} searches each, interleaved; SQL statements per page "
                    f"{statements['small'][name]} vs {statements['large'][name]}; answers without the case "
                    f"{errors}")))
    out[-1].notes.append("#### Query plans of the queue search (EXPLAIN (ANALYZE, BUFFERS))\n\n"
                         "The SQL that reads cases for one staff member's search, recorded from a real "
                         "request and explained on the same database. On PostgreSQL each word is an ILIKE "
                         "on five columns, each with a trigram GIN index (`ix_cases_search_*`).\n\n"
                         + "\n\n".join(f"```\n{p}\n```" for p in all_plans))
    return out
