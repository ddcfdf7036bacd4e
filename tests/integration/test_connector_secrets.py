"""Credentials never leak (issue 17, "Bad input"): a distinctive password in a system's read and write URLs,
after a full collection, a failed system and an erasure carried out, is in no page fetched, no log record,
no outbox row, no audit row and no RQ job in Redis."""
from __future__ import annotations

import datetime as dt
import logging
import os

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, OutboxMessage
from tests.connectors import studadmin
from tests.helpers import case_version, text_of
from tests.integration.connector_helpers import add_system, drop_pg, pg_student_db, runs, set_student_number
from tests.integration.helpers import reviewed_case
from tests.integration.test_execution import erasure_case, post

SECRET = "Zeer-Geheim-Wachtwoord-7731"


def _with_password(url: str) -> str:
    """``url`` with the distinctive password (the server trusts local connections, so any password works)."""
    return sa.make_url(url).set(password=SECRET).render_as_string(hide_password=False)


@pytest.fixture
def pg_url():
    name = f"dsr_secret_{os.getpid()}"
    try:
        url = pg_student_db(name, dt.date(dt.date.today().year - 12, 1, 1))
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server for the student administration database")
    yield _with_password(url)
    drop_pg(name)


def test_a_password_in_a_systems_urls_appears_nowhere(app, client, people, register, pg_url, run_jobs,
                                                      redis_server, caplog):
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []
    app.config.update(CONNECTOR_RETRIES=0)
    try:
        case_id, staff = reviewed_case(app, client, people, age=12)
        set_student_number(app, case_id)
        add_system(app, "magister", read_url=pg_url, write_url=pg_url)
        refused = _with_password("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
        add_system(app, "kapot", read_url=refused, write_url=refused,
                   mappings={"cijfers": studadmin.MAPPINGS["cijfers"]})
        pages.append(text_of(staff.get(f"/zaken/{case_id}")))
        assert staff.post(f"/zaken/{case_id}/verzamelen", data={"version": case_version(app, case_id)}
                          ).status_code == 302
        pages.append(text_of(staff.get(f"/zaken/{case_id}/koppelingen")))
        run_jobs()
        by_code = {r.system.code: r for r in runs(app, case_id)}
        assert by_code["magister"].status == "done", by_code["magister"].error
        assert by_code["kapot"].status == "failed" and "OperationalError" in by_code["kapot"].error

        erase_id, erase_staff = erasure_case(app, client, people)
        for what in ("proefrun", "bevestigen"):
            assert post(erase_staff, app, erase_id, "erasure", what).status_code == 302
            run_jobs()
        by_code = {r.system.code: r for r in runs(app, erase_id, "erasure")}
        assert by_code["magister"].status == "done", by_code["magister"].error
        for path in (f"/zaken/{case_id}", f"/zaken/{case_id}/koppelingen", f"/zaken/{erase_id}",
                     f"/zaken/{erase_id}/koppelingen"):
            pages.append(text_of(staff.get(path)))
    finally:
        app.config.update(CONNECTOR_RETRIES=3)

    assert all(SECRET not in page for page in pages) and any("kapot" in page for page in pages)
    assert caplog.records and all(SECRET not in record.getMessage() and SECRET not in str(record.args)
                                  for record in caplog.records)
    assert SECRET not in caplog.text
    with app.app_context():
        for message in db.session.execute(sa.select(OutboxMessage)).scalars():
            assert SECRET not in " ".join(str(getattr(message, c.key)) for c in OutboxMessage.__table__.columns)
        events = db.session.execute(sa.select(AuditEvent)).scalars().all()
        assert any(e.action == "collection.system_failed" for e in events)
        assert all(SECRET not in (e.details or "") + (e.reason or "") for e in events)
    redis = redis_server.client()
    keys = redis.keys("*")
    assert any(b"connector-run" in k for k in keys)
    for key in keys:
        kind = redis.type(key)
        if kind == b"hash":
            values = [v for pair in redis.hgetall(key).items() for v in pair]
        elif kind == b"string":
            values = [redis.get(key)]
        elif kind in (b"list",):
            values = redis.lrange(key, 0, -1)
        elif kind == b"zset":
            values = redis.zrange(key, 0, -1)
        elif kind == b"set":
            values = list(redis.smembers(key))
        else:
            values = []
        assert all(SECRET.encode() not in (v if isinstance(v, bytes) else str(v).encode()) for v in values), key
