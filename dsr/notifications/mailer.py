"""Flask-Mail with certificate verification and a timeout (Flask-Mail 0.10 has neither by default)."""
from __future__ import annotations

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
