"""The SMTP server of the reliability suite: :class:`dsr.dev.local_mail.SmtpSink` that can hold a reply.

To kill a worker "in the middle of sending", the sink can keep the SMTP client waiting for the
answer to DATA after it has stored the message: exactly the moment where a crash leaves a mail
delivered but not yet marked sent, the worst case for duplicates.
"""
from __future__ import annotations

import asyncio
import collections
import threading

from dsr.dev.local_mail import SmtpSink


class _HoldingHandler:
    """Store each message at once; for a message the sink wants held, answer only after a delay."""

    def __init__(self, sink: FaultSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.sink.receive(envelope)
        seconds = self.sink._take_hold(list(envelope.rcpt_tos))
        if seconds:
            await asyncio.sleep(seconds)  # cancelled when the client's connection drops
        return "250 OK"


class FaultSink(SmtpSink):
    """An SMTP sink with :meth:`hold_next` and counting by Message-ID."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hold: tuple[str, float] | None = None
        #: Set when a held message has been stored and its sender is waiting for the answer.
        self.holding = threading.Event()

    def hold_next(self, recipient: str, seconds: float) -> None:
        """Keep the sender of the next message to ``recipient`` waiting ``seconds`` after DATA."""
        self.holding.clear()
        self._hold = (recipient.lower(), seconds)

    def _take_hold(self, recipients: list[str]) -> float:
        hold = self._hold
        if hold and hold[0] in (r.lower() for r in recipients):
            self._hold = None
            self.holding.set()
            return hold[1]
        return 0.0

    def handler(self) -> _HoldingHandler:
        """The holding handler instead of the plain one."""
        return _HoldingHandler(self)

    def message_ids(self) -> collections.Counter:
        """How often each Message-ID arrived."""
        return collections.Counter(m["Message-ID"] for m in self.messages)

    def to(self, recipient: str) -> list:
        """The messages addressed to ``recipient``."""
        return [m for m in self.messages if recipient.lower() in (r.lower() for r in m.envelope_rcpt_tos)]
