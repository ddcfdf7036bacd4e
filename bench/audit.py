"""Audit verify: ``verify_chain()`` time per event on a small and a large hash chain.

The chains are valid (built with the model's own canonical form), so the whole chain is read and
every hash recomputed. The small chain is verified several times per round (its run is short and
so more exposed to noise); rounds alternate between the two databases.
"""
from __future__ import annotations

import time

from . import loader
from .common import Result, log, median, prepare_database, vacuum_analyze
from .run import Run


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
