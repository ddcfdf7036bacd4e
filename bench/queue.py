"""Staff queue at scale: one school's queue by deadline, first page and a deep page (keyset cursor),
with a small and a large database, through gunicorn as a signed-in staff member.

The measured school's queue (its open cases) is the same in both databases; the large database adds
closed history of that school and the cases of many other schools (a tenth of them open). So the
ratio shows what the size of the database costs a page, nothing else.

The privacy officer's first page (every school) is measured the same way; there the open cases do grow
(800 against some 80,000), and the page's tabs count them all: the ratio shows that those counts stay
index-only scans of the open cases (ix_cases_open_counts), not of every case (issue 16 point 7).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import time

import pyotp
import sqlalchemy as sa

from dsr.workflows import states as S
from dsr.workflows.roles import PRIVACY_OFFICER, STAFF

from . import loader, search
from .common import (
    PASSWORD,
    Browser,
    Gunicorn,
    Result,
    Statements,
    explain,
    log,
    percentile,
    prepare_database,
    short_sql,
    sign_in,
    vacuum_analyze,
)
from .run import Run

SCHOOL = 1  # the measured school
CASE_LINK = re.compile(r'href="/zaken/\d+"')


def _schools(run: Run) -> int:
    return min(2000, max(3, run.sizes.queue_large // 500))


def _open_state(n: int) -> str:
    return S.OPEN_STATES[n % len(S.OPEN_STATES)]


def _closed_state(n: int) -> str:
    return S.ENDED_STATES[n % len(S.ENDED_STATES)]


def _rows(first: int, last: int, *, small: int, open_count: int, schools: int, today: dt.date):
    """Cases ``first..last``: up to ``small`` the measured school (``open_count`` of them open),
    beyond that 2% closed history of the measured school and the rest spread over other schools."""
    for n in range(first, last + 1):
        if n <= small:
            school, is_open = SCHOOL, n <= open_count
        elif n % 50 == 0:
            school, is_open = SCHOOL, False
        else:
            school, is_open = 2 + n % (schools - 1), n % 10 == 0
        if is_open:
            due = today + dt.timedelta(days=(n * 7919) % 70 - 10)
            state = _open_state(n)
        else:
            due = today - dt.timedelta(days=60 + n % 1800)
            state = _closed_state(n)
        yield loader.case_row(n, school, state, due - dt.timedelta(days=30), due)


#: Who signs in: (email, role, schools). HTTP users browse through gunicorn; "plans" users run the
#: same pages in-process to count and EXPLAIN their SQL.
USERS = {
    "staff": ("queue-staff@bench.test", STAFF, [f"S{SCHOOL:05d}"]),
    "officer": ("queue-officer@bench.test", PRIVACY_OFFICER, []),
    "plans": ("queue-plans@bench.test", STAFF, [f"S{SCHOOL:05d}"]),
    "plans_officer": ("queue-plans-officer@bench.test", PRIVACY_OFFICER, []),
}


def _add_users(app) -> dict[str, str]:
    """The users above, enrolled for TOTP; returns their secrets by key."""
    from dsr.extensions import db
    from dsr.services.people import create_user
    from dsr.services.signin import enrol_with_secret

    secrets = {}
    with app.app_context():
        for key, (email, role, schools) in USERS.items():
            user = create_user(email, f"Bench {key}", role, PASSWORD, schools)
            secrets[key] = pyotp.random_base32()
            enrol_with_secret(user, secrets[key])
        db.session.commit()
    return secrets


def _deep_cursor(engine, offset: int) -> str:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT due_on, id FROM cases WHERE school_id = :s AND state IN :states "
            "ORDER BY due_on, id LIMIT 1 OFFSET :o").bindparams(sa.bindparam("states", expanding=True)),
            {"s": SCHOOL, "states": list(S.OPEN_STATES), "o": offset - 1}).one()
    due = row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(row[0])
    return f"{due.isoformat()}.{row[1]}"


def _time_pages(browser: Browser, pages: dict[str, str], requests: int, expect: dict[str, int]):
    """Alternate the pages ``requests`` times; latency lists per page and the number of bad answers."""
    latencies = {name: [] for name in pages}
    errors = 0
    for _ in range(requests):
        for name, path in pages.items():
            started = time.perf_counter()
            status, _, body = browser.get(path)
            latencies[name].append(time.perf_counter() - started)
            if status != 200 or len(CASE_LINK.findall(body)) != expect[name]:
                errors += 1
    return latencies, errors


def _plans(app, client, pages: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Statements per page and the EXPLAIN (ANALYZE, BUFFERS) of each statement reading cases."""
    from dsr.extensions import db

    counts, plans = {}, []
    with app.app_context():
        engine = db.engine
    for name, path in pages.items():
        with Statements(engine) as recorder:
            response = client.get(path)
            assert response.status_code == 200, response.status_code
        counts[name] = len(recorder.seen)
        for statement, params in recorder.seen:
            if "FROM cases" not in statement:
                continue
            plan = explain(engine, statement, params)
            plans.append(f"{name} page: {short_sql(statement)}\n{params}\n\n{plan}")
    return counts, plans


def _client_signed_in(app, email: str, secret: str):
    client = app.test_client()
    response = client.post("/medewerkers/inloggen", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    response = client.post("/medewerkers/tweede-stap", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.status_code
    return client


def _setup(run: Run, name: str, total: int, schools: int, today: dt.date):
    """A database with ``total`` cases (see :func:`_rows`) and the two signed-in staff members."""
    from dsr.extensions import db

    url = run.database_url(name)
    app = run.make_app(url)
    prepare_database(app, fresh=run.fresh)
    with app.app_context():
        engine = db.engine
        started = time.perf_counter()
        loader.bulk_insert(engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(schools))
        loader.bulk_insert(engine, "cases", loader.CASE_COLUMNS, _rows(
            1, total, small=run.sizes.queue_small, open_count=run.sizes.queue_open, schools=schools, today=today),
            rebuild_indexes=True)
        vacuum_analyze(engine, "cases", "schools")
        log(f"queue: {total:,} cases loaded in {time.perf_counter() - started:.1f}s")
        cursor = _deep_cursor(engine, run.sizes.queue_deep_offset)
        with engine.connect() as conn:
            reference = conn.execute(sa.text("SELECT reference FROM cases WHERE id = :i"),
                                     {"i": search.measured_case(run.sizes.queue_open)}).scalar_one()
    return url, app, _add_users(app), cursor, reference


def run_queue(run: Run) -> list[Result]:
    from dsr.extensions import db
    from dsr.services.clock import local_today

    sizes = run.sizes
    with run.make_app(run.database_url("queue_small")).app_context():
        today = local_today()
    schools = _schools(run)
    setups = {label: _setup(run, f"queue_{label}", total, schools, today)
              for label, total in (("small", sizes.queue_small), ("large", sizes.queue_large))}
    totals = {"small": sizes.queue_small, "large": sizes.queue_large}
    page_size = setups["small"][1].config["QUEUE_PAGE_SIZE"]
    searched = search.measured_case(sizes.queue_open)
    searches = search.terms(searched, setups["small"][4])
    # (who, page) -> links expected on it
    expect = {("staff", "first"): page_size,
              ("staff", "deep"): min(page_size, sizes.queue_open - sizes.queue_deep_offset),
              ("officer", "first"): page_size}
    latencies = {(label, *key): [] for label in totals for key in expect}
    errors, statements, all_plans = 0, {}, []
    warmup = max(2, sizes.queue_requests // 10)
    with contextlib.ExitStack() as stack:
        servers = Gunicorn.several(stack, *((run.process_env(url), "wsgi:app") for url, *_ in setups.values()),
                                   log=run.log_file)
        sessions = {}  # (label, who) -> Browser
        paths = {}     # (label, page) -> path
        for server, (label, (_url, _app, secrets, cursor, _ref)) in zip(servers, setups.items(), strict=True):
            for who in ("staff", "officer"):
                sessions[(label, who)] = Browser(server.port)
                sign_in(sessions[(label, who)], USERS[who][0], secrets[who])
            paths[(label, "first")], paths[(label, "deep")] = "/zaken/", f"/zaken/?na={cursor}"
        # Interleaved: each round asks both databases for every page, so machine noise hits both.
        for round_ in range(warmup + sizes.queue_requests):
            for label in totals:
                for (who, page), links in expect.items():
                    started = time.perf_counter()
                    status, _, body = sessions[(label, who)].get(paths[(label, page)])
                    elapsed = time.perf_counter() - started
                    if status != 200 or len(CASE_LINK.findall(body)) != links:
                        errors += 1
                    if round_ >= warmup:
                        latencies[(label, who, page)].append(elapsed)
        # The search (issue 15): the same servers and staff member, after the queue's pages.
        search_latencies, search_errors = search.time_searches(
            {label: sessions[(label, "staff")] for label in totals}, searches, searched,
            rounds=sizes.queue_requests, warmup=warmup)
        search_statements, search_plans = {}, []
        for label, (url, _app, secrets, _cursor, _ref) in setups.items():
            plans_app = run.make_app(url, WTF_CSRF_ENABLED=False)
            client = _client_signed_in(plans_app, USERS["plans"][0], secrets["plans"])
            counts, plans = _plans(plans_app, client, {page: paths[(label, page)] for page in ("first", "deep")})
            officer = _client_signed_in(plans_app, USERS["plans_officer"][0], secrets["plans_officer"])
            page_name = "privacy officer's first"
            officer_counts, officer_plans = _plans(plans_app, officer, {page_name: paths[(label, "first")]})
            counts["officer"] = officer_counts[page_name]
            plans.extend(officer_plans)
            statements[label] = counts
            all_plans.extend(f"{totals[label]:,} cases, {p}" for p in plans)
            with plans_app.app_context():
                engine = db.engine
            # Outside the app context, as _plans: each request then pushes (and tears down) its own, so its
            # session gives its connection back before the pool is disposed.
            search_statements[label], found = search.plans(engine, client, searches, f"{totals[label]:,} cases")
            search_plans.extend(found)
            with plans_app.app_context():
                db.engine.dispose()
        for server in servers:
            run.note_memory("web", server.worker_pids())
    for _url, app, _secrets, _cursor, _ref in setups.values():
        with app.app_context():
            db.engine.dispose()

    results = []
    for who, page in expect:
        small, large = latencies[("small", who, page)], latencies[("large", who, page)]
        p95_small, p95_large = percentile(small, 95), percentile(large, 95)
        ratio = p95_large / p95_small
        staff = who == "staff"
        detail = (f"p95 {p95_small * 1000:.1f} ms vs {p95_large * 1000:.1f} ms, p50 "
                  f"{percentile(small, 50) * 1000:.1f} vs {percentile(large, 50) * 1000:.1f} ms; "
                  f"{len(small)} requests each, interleaved")
        if staff:
            detail += (f"; SQL statements per page {statements['small'][page]} vs {statements['large'][page]}; "
                       f"bad answers {errors}")
        else:
            open_large = sizes.queue_open + sum(1 for n in range(sizes.queue_small + 1, sizes.queue_large + 1)
                                                if n % 50 and n % 10 == 0)
            detail += (f"; all schools: {sizes.queue_open:,} vs {open_large:,} open cases; SQL statements per page "
                       f"{statements['small']['officer']} vs {statements['large']['officer']}; bad answers {errors}")
        results.append(Result(
            name=f"Staff queue, {page} page" if staff else "Privacy officer's queue (all schools), first page",
            figure=f"p95 at {totals['large']:,} / p95 at {totals['small']:,} cases",
            value=ratio, goal="<= 2.0", met=ratio <= 2.0 and errors == 0, detail=detail))
    results[-1].notes.append("#### Query plans of the queue (EXPLAIN (ANALYZE, BUFFERS))\n\n"
                             "The SQL that reads cases for one staff member's queue pages and for the privacy "
                             "officer's first page (every school), recorded from a real request and explained on "
                             "the same database.\n\n"
                             + "\n\n".join(f"```\n{p}\n```" for p in all_plans))
    results.extend(search.results(search_latencies, search_errors, totals, search_statements, search_plans))
    return results
