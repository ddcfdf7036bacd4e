"""The scheduler's intervals come from the app config (short ones let the fault tests recover fast)."""
from __future__ import annotations

from dsr.config import load_environment
from dsr.scheduler import PERIODIC, Scheduler, periodic_jobs


def test_default_intervals_are_the_documented_ones(app):
    assert [(f.__name__, i) for f, i in periodic_jobs(app.config)] == [
        ("redrive_outbox", 60), ("send_staff_digests", 60), ("sweep_deadlines", 3600), ("purge_expired", 24 * 3600),
        ("purge_packages", 24 * 3600), ("audit_checkpoint", 3600), ("mail_audit_checkpoint", 24 * 3600),
        ("sync_roster", 24 * 3600),
        ("redrive_connector_runs", 60), ("redrive_webhooks", 60)]
    assert periodic_jobs({}) == PERIODIC


def test_intervals_from_the_environment(app, redis_server):
    config = dict(app.config)
    load_environment(config, {"DSR_SCHEDULER_REDRIVE_SECONDS": "2", "DSR_SCHEDULER_SWEEP_SECONDS": "5.5"})
    app.config.update({k: config[k] for k in ("SCHEDULER_REDRIVE_SECONDS", "SCHEDULER_SWEEP_SECONDS")})
    try:
        scheduler = Scheduler(app)
        assert {f.__name__: i for f, i in scheduler.periodic} == {
            "redrive_outbox": 2, "send_staff_digests": 60, "sweep_deadlines": 5.5, "purge_expired": 24 * 3600,
            "purge_packages": 24 * 3600, "audit_checkpoint": 3600, "mail_audit_checkpoint": 24 * 3600,
            "sync_roster": 24 * 3600, "redrive_connector_runs": 2,
            "redrive_webhooks": 2}
        assert scheduler.run_once(now=100.0) == ["redrive_outbox", "send_staff_digests", "sweep_deadlines",
                                                 "purge_expired", "purge_packages", "audit_checkpoint",
                                                 "mail_audit_checkpoint", "sync_roster", "redrive_connector_runs",
                                                 "redrive_webhooks"]
        assert scheduler.run_once(now=101.0) == []
        assert scheduler.run_once(now=102.0) == ["redrive_outbox", "redrive_connector_runs", "redrive_webhooks"]
        assert scheduler.run_once(now=105.5) == ["redrive_outbox", "sweep_deadlines", "redrive_connector_runs",
                                                 "redrive_webhooks"]
        scheduler.lock.release()
    finally:
        app.config.update(SCHEDULER_REDRIVE_SECONDS=60, SCHEDULER_SWEEP_SECONDS=3600)
