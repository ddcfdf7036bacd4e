"""The throwaway SMTP server of the demo launcher and the test suite.

:class:`SmtpSink` is an in-process SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it
receives (and, for the demo, writes each to a mailbox folder). Like :mod:`dsr.dev.local_services` it does
not import the Flask app.
"""
from __future__ import annotations

import contextlib
import email
import email.policy
import errno
import os
import threading
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .local_services import free_port, port_in_use

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

__all__ = ["ReceivedMessage", "SmtpSink"]

class ReceivedMessage(EmailMessage):
    """An :class:`~email.message.EmailMessage` as received by :class:`SmtpSink`.

    Besides the parsed message it carries the SMTP envelope, which can differ from the headers
    (Bcc recipients appear only in the envelope).
    """

    def __init__(self, policy=None) -> None:
        """Create an empty message; the sink fills in the envelope after parsing."""
        super().__init__(policy=policy)
        #: ``MAIL FROM`` address.
        self.envelope_from: str = ""
        #: ``RCPT TO`` addresses, in order.
        self.envelope_rcpt_tos: list[str] = []
        #: When the sink accepted the message (local time).
        self.received_at: datetime | None = None


class _SinkHandler:
    """aiosmtpd handler that hands each DATA payload to its :class:`SmtpSink`."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        """Parse and store the message; 451 (sender retries later) if it cannot be stored."""
        try:
            self.sink.receive(envelope)
        except OSError:
            return "451 4.3.0 Demo mailbox not writable"
        return "250 OK"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts every message and keeps it in memory.

    Messages are parsed as :class:`ReceivedMessage` (``email.policy.default``). Optionally each one
    is also written to ``mailbox_dir`` as ``<timestamp>-<n>.eml`` (the demo's /beheer/mail page
    lists them) and summarised on stdout (``echo=True``). Stopping closes the port, so tests can
    simulate an SMTP outage; :meth:`start` again reuses the same port.
    """

    def __init__(self, port: int | None = None, *, host: str = "127.0.0.1",
                 mailbox_dir: str | os.PathLike | None = None, echo: bool = False,
                 startup_timeout: float = 10.0) -> None:
        """Prepare (not start) a sink; ``port=None`` picks a free port on first start."""
        #: Interface the server listens on.
        self.host = host
        #: TCP port; fixed after the first start.
        self.port: int | None = port
        self.mailbox_dir = Path(mailbox_dir) if mailbox_dir is not None else None
        self.echo = echo
        self._startup_timeout = startup_timeout
        self._messages: list[ReceivedMessage] = []
        self._cond = threading.Condition()
        self._counter = 0
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot (copy) of the messages received so far, oldest first."""
        with self._cond:
            return list(self._messages)

    @property
    def running(self) -> bool:
        """True while the server accepts connections."""
        return self._controller is not None

    def handler(self):
        """The aiosmtpd handler the server uses (subclasses answer differently, e.g. slowly)."""
        return _SinkHandler(self)

    def start(self) -> SmtpSink:
        """Start listening; a no-op if already running."""
        from aiosmtpd.controller import Controller  # imported late: only users of the sink pay

        if self._controller is not None:
            return self
        if self.mailbox_dir is not None:
            self.mailbox_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.port is None:
            self.port = free_port(self.host)
        elif port_in_use(self.port, self.host):
            # aiosmtpd would only notice after its full ready_timeout; fail fast instead.
            raise OSError(errno.EADDRINUSE, f"SMTP sink: port {self.port} on {self.host} is in use")
        # A Controller closes its event loop on stop, so every start needs a fresh one.
        # server_hostname avoids socket.getfqdn(), which can hang on a machine without DNS.
        controller = Controller(self.handler(), hostname=self.host, port=self.port,
                                server_hostname="dsr-smtp-sink.localhost",
                                ready_timeout=self._startup_timeout)
        try:
            controller.start()
        except BaseException:
            # e.g. the port is taken: end the thread and close its loop (no ResourceWarning).
            with contextlib.suppress(Exception):
                controller.stop(no_assert=True)
            if not controller.loop.is_running() and not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (connections are then refused); kept messages stay."""
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def restart(self) -> SmtpSink:
        """Stop and start again on the same port."""
        self.stop()
        return self.start()

    def clear(self) -> None:
        """Forget all messages received so far (files in ``mailbox_dir`` stay)."""
        with self._cond:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages have arrived; return all of them.

        Raises :class:`TimeoutError` (saying how many arrived) after ``timeout`` seconds, because
        mail is sent by background workers and a test must not hang forever.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} message(s) within {timeout}s, "
                                   f"got {len(self._messages)}")
            return list(self._messages)

    def receive(self, envelope) -> None:
        """Store what an aiosmtpd ``envelope`` carries (for handlers, including tests' own)."""
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self._deliver(raw, envelope.mail_from, list(envelope.rcpt_tos))

    def _deliver(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        """Called from the server thread: parse, write to the mailbox, store, echo."""
        # _class makes the parser build a ReceivedMessage; typeshed types the result by the policy's
        # message class (EmailMessage) instead.
        msg = cast(ReceivedMessage,
                   email.message_from_bytes(raw, _class=ReceivedMessage, policy=email.policy.default))
        msg.envelope_from = mail_from
        msg.envelope_rcpt_tos = rcpt_tos
        msg.received_at = received_at = datetime.now()
        with self._cond:
            self._counter += 1
            n = self._counter
        if self.mailbox_dir is not None:
            self._write_eml(self.mailbox_dir, raw, received_at, n)
        with self._cond:
            self._messages.append(msg)
            self._cond.notify_all()
        if self.echo:
            # Demo sink only: To and Subject help the person clicking through the demo.
            print(f"[mail {received_at:%H:%M:%S}] To: {msg.get('To', ', '.join(rcpt_tos))}"
                  f" | Subject: {msg.get('Subject', '')}", flush=True)

    @staticmethod
    def _write_eml(mailbox_dir: Path, raw: bytes, when: datetime, n: int) -> None:
        """Write atomically (tmp + rename) and owner-only, as mails hold personal data."""
        name = f"{when:%Y%m%dT%H%M%S.%f}-{n}.eml"
        final = mailbox_dir / name
        tmp = mailbox_dir / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, final)

    def __enter__(self) -> SmtpSink:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(self, *exc) -> None:
        """Stop on leaving it."""
        self.stop()
