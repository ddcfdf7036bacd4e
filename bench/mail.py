"""Mail throughput: N pending outbox mails sent by one mail worker (started as in production: the
non-forking ``MailWorker`` on the mail queue) to a local SMTP server, against a plain smtplib loop sending
the same N messages to the same server.

The worker is started and has run one (empty) job before the clock starts; the clock runs from the
first enqueue to the N-th message arriving at the server. The plain loop opens one connection per message, as
Flask-Mail does for every send; a loop that keeps one connection open is shown for reference, and so is the
forking general worker (``AppWorker``) that sent mail before issue 16.
"""
from __future__ import annotations

import contextlib
import smtplib
import subprocess
import threading
import time
from email.message import EmailMessage

import sqlalchemy as sa

from . import loader
from .common import (
    BIN,
    ROOT,
    Result,
    children,
    log,
    peak_rss_mb,
    prepare_database,
    stop_process,
)
from .run import Run

OUTBOX_COLUMNS = ["id", "kind", "recipient", "subject", "body_text", "body_html", "status", "attempts",
                  "created_at", "next_attempt_at"]


MAIL_WORKER = "dsr.notifications.worker.MailWorker"
FORKING_WORKER = "dsr.jobs.AppWorker"


def worker_command(redis_url: str, worker_class: str = MAIL_WORKER) -> list[str]:
    """The production command line of the mail worker, or of the general worker (Procfile)."""
    if worker_class == MAIL_WORKER:
        return [str(BIN / "rq"), "worker", "--url", redis_url, "--worker-class", worker_class,
                "--job-class", "dsr.jobs.AppJob", "--serializer", "json", "dsr-mail"]
    return [str(BIN / "rq"), "worker", "--url", redis_url, "--worker-class", worker_class,
            "--job-class", "dsr.jobs.AppJob", "--serializer", "json", "--with-scheduler", "dsr"]


def _setup(run: Run, count: int):
    """N pending outbox rows holding a real receipt mail (rendered once from a real submission)."""
    import datetime as dt

    from dsr.extensions import db
    from dsr.models import Case, OutboxMessage
    from dsr.models._types import utcnow
    from dsr.notifications.render import render_mail

    app = run.make_app(run.database_url("mail"))
    prepare_database(app, fresh=run.fresh)
    with app.app_context(), app.test_request_context():
        loader.bulk_insert(db.engine, "schools", loader.SCHOOL_COLUMNS, loader.school_rows(1))
        case = Case(  # not stored: only rendered, as the receipt of a real submission
            id=1, reference="AVG-2026-00001", right="access", state="submitted", student_name="Sam Jansen",
            requester_name="Alex Jansen", requester_role="parent", requester_email="alex@example.nl",
            received_on=dt.date(2026, 3, 2), due_on=dt.date(2026, 4, 2), school_id=1, language="nl")
        mail = render_mail("receipt", case=case, confirm_url="http://bench.invalid/bevestigen/x" + "y" * 60)
        db.session.rollback()
        now = utcnow()
        rows = ((n, "receipt", f"ouder{n}@example.nl", mail.subject, mail.text, mail.html, "pending", 0, now, now)
                for n in range(1, count + 1))
        loader.bulk_insert(db.engine, "outbox", OUTBOX_COLUMNS, rows)
        messages = []
        for row in db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars():
            message = EmailMessage()
            message["Subject"], message["To"] = row.subject, row.recipient
            message["From"] = app.config["MAIL_DEFAULT_SENDER"]
            message["Message-ID"] = row.message_id
            message.set_content(row.body_text)
            message.add_alternative(row.body_html, subtype="html")
            messages.append(message)
        db.session.remove()
    return app, messages


def _plain_loop(run: Run, messages: list[EmailMessage], *, reuse: bool) -> float:
    sink, host, port = run.services.sink, run.services.smtp_host, run.services.smtp_port
    sink.clear()
    started = time.perf_counter()
    if reuse:
        with smtplib.SMTP(host, port, timeout=20) as smtp:
            for message in messages:
                smtp.send_message(message)
    else:
        for message in messages:
            with smtplib.SMTP(host, port, timeout=20) as smtp:
                smtp.send_message(message)
    sink.wait_for(len(messages), timeout=600)
    return time.perf_counter() - started


class _PeakSampler(threading.Thread):
    """Samples the peak RSS of a worker and of the work horses it forks."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopping = pid, 0.0, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for pid in [self.pid, *children(self.pid)]:
                self.peak = max(self.peak, peak_rss_mb(pid) or 0.0)
            self.stopping.wait(0.01)


def _worker_run(run: Run, app, count: int, worker_class: str = MAIL_WORKER) -> tuple[float, float]:
    """Enqueue N deliver jobs (as the web does: one pipeline) for an idle production worker on its queue;
    seconds until all N arrived, peak MB."""
    import redis as redis_lib
    from rq import Worker

    from dsr.extensions import db
    from dsr.jobs import get_queue
    from dsr.notifications.jobs import deliver, delivery_job_id

    queue_name = "dsr-mail" if worker_class == MAIL_WORKER else "dsr"

    sink = run.services.sink
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    connection = redis_lib.Redis.from_url(run.services.redis_url)
    connection.flushdb()
    with app.app_context():  # every row pending again (a previous run sent them)
        db.session.execute(sa.text("UPDATE outbox SET status = 'pending', attempts = 0, sent_at = NULL, "
                                   "claimed_until = NULL, last_error = NULL"))
        db.session.commit()
        db.session.remove()
    proc = subprocess.Popen(worker_command(run.services.redis_url, worker_class), env=run.process_env(url), cwd=ROOT,
                            start_new_session=True, stdout=run.log_file or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    sampler = _PeakSampler(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while not Worker.all(connection=connection):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rq worker did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        with app.app_context():  # one job first: the worker has built its app and met the database
            warm = get_queue(name=queue_name).enqueue(deliver, 0)
            deadline = time.monotonic() + 120
            while warm.get_status(refresh=True) not in ("finished", "failed"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("rq worker did not run the warm-up job")
                time.sleep(0.05)
        sampler.start()
        sink.clear()
        with app.app_context():
            started = time.perf_counter()
            queue = get_queue(name=queue_name)
            queue.enqueue_many([queue.prepare_data(deliver, (outbox_id,), job_id=delivery_job_id(outbox_id),
                                                   failure_ttl=7 * 24 * 3600) for outbox_id in range(1, count + 1)])
            sink.wait_for(count, timeout=900)
            elapsed = time.perf_counter() - started
            sent = db.session.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one()
            db.session.remove()
        deadline = time.monotonic() + 30
        while sent < count and time.monotonic() < deadline:  # the last commit may trail the SMTP answer
            time.sleep(0.1)
            with app.app_context():
                sent = db.session.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one()
                db.session.remove()
        if sent != count:
            raise RuntimeError(f"{sent} of {count} outbox rows marked sent")
        if worker_class == FORKING_WORKER:
            run.note_memory("worker", [proc.pid])
    finally:
        sampler.stopping.set()
        stop_process(proc)
        connection.close()
    return elapsed, sampler.peak


def run_mail(run: Run) -> list[Result]:
    count = run.sizes.mail_count
    app, messages = _setup(run, count)
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: _dispose(app))
        plain = _plain_loop(run, messages, reuse=False)
        reuse = _plain_loop(run, messages, reuse=True)
        worker, _ = _worker_run(run, app, count)
        plain_again = _plain_loop(run, messages, reuse=False)
        forking, peak = _worker_run(run, app, count, FORKING_WORKER)
    run.peaks["worker"][-1:] = [max(peak, *run.peaks["worker"][-1:])]  # the horses' peaks count too
    plain = min(plain, plain_again)
    log(f"mail: mail worker {worker:.2f}s, forking worker {forking:.2f}s, plain {plain:.2f}s, "
        f"one connection {reuse:.2f}s")
    ratio = plain / worker
    return [
        Result(name="Mail throughput", figure="mail worker / plain smtplib loop (mails per second)",
               value=ratio, goal=">= 0.5", met=ratio >= 0.5,
               detail=(f"{count} mails: mail worker (`{MAIL_WORKER}` on `dsr-mail`, no fork, one SMTP "
                       f"connection per batch) {count / worker:.1f}/s ({worker:.2f} s), plain loop "
                       f"{count / plain:.1f}/s ({plain:.2f} s, a connection per mail, best of two runs around "
                       f"the worker's)")),
        Result(name="Mail throughput, forking worker", figure="general RQ worker / plain smtplib loop",
               value=plain / forking, goal="(info)", met=None,
               detail=(f"the same {count} jobs on the forking general worker (`{FORKING_WORKER}`, a work horse "
                       f"and an SMTP connection per mail, as before issue 16): {count / forking:.1f}/s "
                       f"({forking:.2f} s)")),
        Result(name="Mail throughput, one SMTP connection", figure="mail worker / smtplib loop on one connection",
               value=reuse / worker, goal="(info)", met=None,
               detail=f"one connection for all {count} mails: {count / reuse:.1f}/s ({reuse:.2f} s)"),
    ]


def _dispose(app) -> None:
    from dsr.extensions import db

    with app.app_context():
        db.engine.dispose()
