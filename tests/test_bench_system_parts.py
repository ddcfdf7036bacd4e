"""The pure pieces of the whole-system benchmark (bench/system_stack.py, bench/system.py): how it reads
the Procfile, counts jobs from rq's log lines and tells a dsr mail from the others. The scenario itself
runs end to end in tests/test_bench_smoke.py."""
from __future__ import annotations

from bench.system import Step, _outbox_id, _recipient_kind
from bench.system_load import StepLoad
from bench.system_stack import PROCFILE, Process, expand, is_rq_worker, procfile


def test_the_procfile_is_read_line_by_line_and_a_new_line_is_picked_up(tmp_path):
    path = tmp_path / "Procfile"
    path.write_text("# a comment\nrelease: flask --app wsgi db upgrade\n\n"
                    "web: gunicorn --workers ${WEB_CONCURRENCY:-4} --bind ${DSR_BIND:-127.0.0.1:8000} wsgi:app\n"
                    "worker: rq worker --url ${DSR_REDIS_URL} dsr\n"
                    "mailworker: rq worker --url $DSR_REDIS_URL --worker-class x.Mail dsr-mail\n")
    lines = procfile(path)
    assert list(lines) == ["release", "web", "worker", "mailworker"]
    env = {"DSR_REDIS_URL": "redis://127.0.0.1:7000/0", "WEB_CONCURRENCY": ""}
    assert expand(lines["web"], env) == ["gunicorn", "--workers", "4", "--bind", "127.0.0.1:8000", "wsgi:app"]
    assert expand(lines["web"], dict(env, WEB_CONCURRENCY="2"))[2] == "2"
    assert expand(lines["mailworker"], env)[3] == "redis://127.0.0.1:7000/0"
    assert [name for name, line in lines.items() if is_rq_worker(expand(line, env))] == ["worker", "mailworker"]


def test_the_repository_procfile_has_the_lines_the_benchmark_needs():
    lines = procfile(PROCFILE)
    assert {"web", "worker", "scheduler"} <= set(lines)
    assert "wsgi:app" in lines["web"]  # the baseline swaps in bench.baseline_app:app


def test_jobs_are_counted_from_rq_log_lines_with_or_without_colours(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text(
        "22:10:01 Worker w1: started with PID 12, version 3.0.0\n"
        "22:10:02 Worker w1: dsr: dsr.notifications.jobs.deliver(12) (4f1c-aa)\n"
        "22:10:02 Worker w1: \x1b[32mdsr-mail\x1b[39;49;00m: \x1b[34mdsr.notifications.jobs.deliver(13)"
        "\x1b[39;49;00m (outbox-13)\n"
        "22:10:02 Worker w1: dsr: Job OK (4f1c-aa)\n"
        "22:10:03 Worker w1: dsr: dsr.notifications.jobs.redrive_outbox() (77ab)\n")
    process = Process.__new__(Process)
    process.log_path = log
    assert process.jobs() == {"dsr.notifications.jobs.deliver": 2, "dsr.notifications.jobs.redrive_outbox": 1}


def test_mails_are_told_apart_by_message_id_and_recipient():
    assert _outbox_id("<outbox-1234@dsr>") == 1234
    assert _outbox_id("<baseline-5@bench>") == 0
    assert _recipient_kind(["alex7@example.nl"]) == "parent"
    assert _recipient_kind(["staff0.s1@bench.test"]) == "staff"


def test_a_step_is_sustained_only_if_answers_and_mail_keep_pace():
    def step(**changes):
        load = StepLoad(rate=4, seconds=10, planned=40, started_at=100.0, ok=40, last_answer=110.5)
        base = {"load": load, "mails": 120, "stored": 40, "backlog_end": 20, "drain": 3.0}
        return Step(**{**base, **changes})

    assert step().sustained(60)
    assert not step(drain=None).sustained(60)             # mail not all delivered in time
    assert not step(backlog_end=25).sustained(60)         # more than 2 s of mail (24) still waiting
    assert not step(stored=39).sustained(60)              # an answered submission without its case
    late = step()
    late.load.last_answer = 112.5                          # the answers fell behind the schedule
    assert not late.sustained(60)


def test_mail_jobs_come_from_the_logs_or_from_rqs_count_for_a_quiet_mail_worker():
    from bench.system_report import WorkerJobs, mail_jobs

    general = WorkerJobs("worker", {"dsr.notifications.jobs.deliver": 5, "dsr.scheduler.redrive_outbox": 2}, 7, ["dsr"])
    assert mail_jobs([general], "dsr-mail") == (5, [])
    quiet = WorkerJobs("mailworker", {}, 40, ["dsr-mail"])  # started with less logging: rq's count stands
    count, notes = mail_jobs([general, quiet], "dsr-mail")
    assert count == 45 and notes and "mailworker" in notes[0]
    unclear = WorkerJobs("worker", {"dsr.notifications.jobs.deliver": 1}, 7, ["dsr"])
    assert mail_jobs([unclear], "dsr-mail")[0] == 1 and "may be low" in mail_jobs([unclear], "dsr-mail")[1][0]
    later = WorkerJobs("worker", {"dsr.notifications.jobs.deliver": 9}, 12, ["dsr"])
    later.subtract(WorkerJobs("worker", {"dsr.notifications.jobs.deliver": 4}, 5, ["dsr"]))
    assert (later.logged, later.counted) == ({"dsr.notifications.jobs.deliver": 5}, 7)
