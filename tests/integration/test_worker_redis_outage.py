"""dsr's workers — the forking ``rq worker`` with dsr's worker class and the non-forking mail worker —
outlive a Redis crash in the middle of a job: they wait for Redis and take the next job, instead of
quitting (found by the reliability suite)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from werkzeug.utils import import_string

from dsr.dev.local_services import LocalRedis
from dsr.jobs import AppJob, redis_connection
from tests.helpers import AUDIT_KEY

ALIVE_KEY = "dsr:test:worker-alive"


def slow_job(seconds: float) -> str:
    """A job that is still running when Redis goes away."""
    time.sleep(seconds)
    return "done"


def mark_alive() -> str:
    """A job that leaves a trace in Redis."""
    redis_connection().set(ALIVE_KEY, "1")
    return "ok"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def own_redis():
    server = LocalRedis().start()
    yield server
    server.stop()


#: (worker class, queue): the general worker and the mail worker, as the Procfile starts them.
WORKERS = [("dsr.jobs.AppWorker", "dsr"), ("dsr.notifications.worker.MailWorker", "dsr-mail")]


@pytest.mark.parametrize(("worker_class", "queue_name"), WORKERS)
def test_worker_survives_redis_crash_during_a_job(own_redis, tmp_path, worker_class, queue_name):
    from rq import Queue

    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update(DSR_DATABASE_URL=f"sqlite:///{tmp_path / 'w.sqlite'}", DSR_SECRET_KEY="k-test",
               DSR_AUDIT_KEYS=f'["{AUDIT_KEY}"]', DSR_PUBLIC_BASE_URL="http://dsr.test",
               DSR_REDIS_URL=own_redis.url, PYTHONPATH=os.getcwd())
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([rq, "worker", "--url", own_redis.url, "--worker-class", worker_class,
                               "--job-class", "dsr.jobs.AppJob", "--serializer", "json", queue_name],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with own_redis.client() as conn:
            queue = Queue(queue_name, connection=conn, job_class=AppJob, serializer=JSONSerializer)
            queue.enqueue(slow_job, 2.0)
            started = StartedJobRegistry(queue_name, connection=conn, job_class=AppJob, serializer=JSONSerializer)
            _wait(lambda: started.count == 1, 60, "the slow job to start")
        own_redis.kill()  # a crash in the middle of the job
        time.sleep(3.0)  # the job ends while Redis is away; the worker reports it and fails
        own_redis.start()  # back on the same port, empty
        with own_redis.client() as conn:
            Queue(queue_name, connection=conn, job_class=AppJob, serializer=JSONSerializer).enqueue(mark_alive)
            _wait(lambda: conn.exists(ALIVE_KEY) or worker.poll() is not None, 60, "the next job")
            assert worker.poll() is None and conn.exists(ALIVE_KEY), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        if worker.poll() is None:
            worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait()
        log.close()


@pytest.mark.parametrize(("worker_class", "queue_name"), WORKERS)
def test_worker_waits_for_redis_when_it_is_gone_between_jobs(app, own_redis, monkeypatch, worker_class, queue_name):
    """Between two jobs the worker marks itself idle before it listens for the next one. RQ does that
    outside its own reconnect loop, so a Redis outage at that moment ended ``rq worker`` (seen once in
    the reliability suite: "worker2 exited with 1"). dsr's worker waits for Redis and takes the job."""
    import threading

    from rq import Queue

    from dsr import jobs

    monkeypatch.setattr(jobs, "_worker_app", lambda: app)
    with own_redis.client() as conn:
        worker = import_string(worker_class)([queue_name], connection=conn, job_class=AppJob,
                                             serializer=JSONSerializer)
        worker.max_connection_wait_time = 0.2
        own_redis.kill()
        outcome: dict = {}

        def listen():
            try:
                outcome["result"] = worker.dequeue_job_and_maintain_ttl(timeout=5)
            except Exception as exc:  # the failure this test is about
                outcome["error"] = exc

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.0)  # the worker meets the outage while it marks itself idle
        own_redis.start()
        Queue(queue_name, connection=conn, job_class=AppJob, serializer=JSONSerializer).enqueue(mark_alive)
        listener.join(30)
    assert "error" not in outcome, repr(outcome.get("error"))
    job, queue = outcome["result"]
    assert queue.name == queue_name and job.func_name.endswith("mark_alive")
