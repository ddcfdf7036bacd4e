"""A real HTTP receiver for webhook deliveries, and what the webhook tests share."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from dsr.extensions import db
from dsr.models import User, WebhookDelivery
from dsr.services import webhooks


@dataclass
class Receiver:
    """A real HTTP endpoint: records every request and answers ``failures`` times with 500 first."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    failures: int = 0
    status: int = 200
    #: Seconds to wait before answering (a receiver slower than WEBHOOK_TIMEOUT_SECONDS).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.requests.append({"headers": dict(request.headers), "body": request.get_data(), "path": request.path})
            if self.failures > 0:
                self.failures -= 1
                answer = Response("down", status=500)
            else:
                answer = Response("ok", status=self.status)
        return answer(environ, start_response)

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


def serve(found: Receiver) -> Iterator[Receiver]:
    """Serve ``found`` on a free port of this machine until the test ends."""
    server = make_server("127.0.0.1", 0, found, threaded=True)
    found.url = f"http://127.0.0.1:{server.server_port}/hooks/dsr"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    yield found
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def quick_retries(app):
    """Two retries without a wait (the default waits minutes); put back afterwards (a fixture's body)."""
    before = app.config["WEBHOOK_RETRY_SECONDS"]
    app.config["WEBHOOK_RETRY_SECONDS"] = [0, 0]
    yield
    app.config["WEBHOOK_RETRY_SECONDS"] = before


def subscribe(app, people, url: str, events=("case.received", "case.decided", "case.closed"),
              school: str | None = None) -> tuple[int, str]:
    """A subscription made by the admin through the service; returns its id and its secret."""
    with app.app_context():
        admin = db.session.get_one(User, people.admin)
        row, secret = webhooks.create(admin, name="Rapportage", url=url, events=list(events), school_code=school)
        return row.id, secret


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs): recompute the HMAC over "<t>.<body>" and compare in constant time."""
    parts = dict(part.split("=", 1) for part in headers["X-Dsr-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])
