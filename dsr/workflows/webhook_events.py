"""Webhooks (issue 18 point 6), the pure part: which case events a state change causes, which endpoint
addresses are allowed, and the signature every delivery carries.

A state change is known by its audit event: the action and the states from and to (every change of a
case's state is audited, services/audit.py). Three events leave dsr:

- ``case.received``: a request is registered (public form, API intake, staff registering another channel);
- ``case.decided``: the request reaches its decision: granted, partly granted or refused (the states of
  :data:`dsr.workflows.states.DECIDED_STATES`; a refusal only once the director approved it);
- ``case.closed``: the case ends (decided, withdrawn or closed unverified). A decision closes the case too,
  so it causes ``case.decided`` and then ``case.closed``; a reopened and decided again case sends both again.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

from . import states as S

RECEIVED = "case.received"
DECIDED = "case.decided"
CLOSED = "case.closed"
#: Every event a subscription can choose, in the order they happen.
EVENTS = (RECEIVED, DECIDED, CLOSED)
#: The audit action of a newly registered request (services/cases.open_new_case).
SUBMITTED_ACTION = "case.submitted"
#: Hosts an http:// (not https) endpoint may have, and then only in the demo and the tests.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def events_for(action: str, from_state: str | None, to_state: str | None) -> list[str]:
    """The webhook events of one audited state change, in order (empty when it causes none)."""
    if action == SUBMITTED_ACTION:
        return [RECEIVED]
    if to_state is None or from_state == to_state:
        return []
    events = []
    if to_state in S.DECIDED_STATES:
        events.append(DECIDED)
    if to_state in S.ENDED_STATES and from_state not in S.ENDED_STATES:
        events.append(CLOSED)
    return events


def url_problem(url: str, *, allow_local_http: bool) -> str | None:
    """Why ``url`` cannot receive webhooks (a short code), or None when it can.

    An endpoint is https; http only to this machine (``localhost``, ``127.0.0.1``, ``::1``) and only when
    ``allow_local_http`` (the demo and the tests): a signed payload may be read by nobody on the way. No
    user name or password in the address (it would show on the admin's page), no fragment.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError:
        return "invalid"
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in url):
        return "invalid"
    if parts.username is not None or parts.password is not None or parts.fragment:
        return "invalid"
    if parts.scheme == "http":
        if not allow_local_http or not _is_local(host):
            return "https_required"
    return None


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-DSR-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def parse_events(value: str) -> list[str]:
    """The known events in a stored space-separated list, in :data:`EVENTS` order."""
    chosen = set(value.split())
    return [event for event in EVENTS if event in chosen]
