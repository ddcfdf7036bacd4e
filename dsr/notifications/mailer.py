"""Flask-Mail with certificate verification and a timeout (Flask-Mail 0.10 has neither by default), and
the mail worker's batch: consecutive mails over one SMTP connection."""
from __future__ import annotations

import contextlib
import smtplib
import ssl

import flask_mail
from flask import current_app


class VerifiedConnection(flask_mail.Connection):
    """An SMTP connection that verifies the server certificate and gives up after MAIL_TIMEOUT."""

    def configure_host(self):
        mail, config = self.mail, current_app.config
        timeout = config.get("MAIL_TIMEOUT", 20)
        context = None
        if mail.use_ssl or mail.use_tls:
            context = ssl.create_default_context(cafile=config.get("MAIL_CA_FILE"))
        host: smtplib.SMTP
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=timeout, context=context)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls(context=context)
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class VerifiedMail(flask_mail.Mail):
    """``Mail`` whose connections are :class:`VerifiedConnection`."""

    def connect(self):
        return VerifiedConnection(current_app.extensions["mail"])


mail = VerifiedMail()


class MailBatch:
    """One SMTP connection kept open across consecutive sends (the mail worker's batch).

    Opened by the first send, closed by :meth:`close` (the worker calls it when its queue is idle),
    after ``size`` mails, or at once on any error, so that the next send starts on a fresh
    connection. A connection the server dropped between two mails (an idle timeout on the relay) is
    reopened once for the same mail: it may then reach the server twice, with the same Message-ID,
    as the at-least-once promise allows.
    """

    def __init__(self, size: int = 100) -> None:
        self.size = size
        self.connection: flask_mail.Connection | None = None
        self.sent = 0  # over the current connection
        self.opened = 0  # connections opened in all (for tests and the benchmark)

    @property
    def open(self) -> bool:
        """Whether a connection is open now."""
        return self.connection is not None

    def send(self, message: flask_mail.Message) -> None:
        """Send ``message`` over the batch's connection, opening one if needed."""
        reused = self.open
        try:
            self._send(message)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            self._send(message)  # the relay dropped the kept connection: once more on a new one
        if self.sent >= self.size:
            self.close()

    def _send(self, message: flask_mail.Message) -> None:
        if self.connection is None:
            self.connection = mail.connect().__enter__()
            self.opened += 1
            self.sent = 0
        try:
            self.connection.send(message)
        except BaseException:
            self.close()
            raise
        self.sent += 1

    def close(self) -> None:
        """End the connection (politely; a connection that is already broken is just dropped)."""
        connection, self.connection = self.connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


_batch: MailBatch | None = None


@contextlib.contextmanager
def batching(batch: MailBatch):
    """Within the block, :func:`send` goes over ``batch``'s connection (the mail worker, per job)."""
    global _batch
    previous, _batch = _batch, batch
    try:
        yield batch
    finally:
        _batch = previous


def send(message: flask_mail.Message) -> None:
    """Send one message: over the mail worker's batch connection when there is one, else over a
    connection of its own (Flask-Mail's way: one per message)."""
    if _batch is not None:
        _batch.send(message)
    else:
        mail.send(message)
