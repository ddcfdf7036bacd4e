"""The pure webhook rules (issue 18 point 6): which events a state change causes, which addresses may
receive them, and the signature."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from dsr.workflows import states as S
from dsr.workflows.webhook_events import events_for, parse_events, signature, url_problem


@pytest.mark.parametrize(("action", "from_state", "to_state", "events"), [
    ("case.submitted", None, S.SUBMITTED, ["case.received"]),
    ("transition.verify_identity", S.SUBMITTED, S.IDENTITY_CHECKED, []),
    ("transition.review", S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED, []),  # a proposal, not yet the decision
    ("transition.propose_refusal", S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR, []),
    ("transition.fulfil", S.LEGAL_BASIS_REVIEWED, S.FULFILLED, ["case.decided", "case.closed"]),
    ("transition.approve_refusal", S.AWAITING_DIRECTOR, S.REFUSED, ["case.decided", "case.closed"]),
    ("transition.approve_refusal", S.AWAITING_DIRECTOR, S.PARTIALLY_FULFILLED, ["case.decided", "case.closed"]),
    ("transition.reject_refusal", S.AWAITING_DIRECTOR, S.IDENTITY_CHECKED, []),
    ("transition.withdraw", S.AWAITING_REQUESTER, S.WITHDRAWN, ["case.closed"]),
    ("transition.close_unverified", S.AWAITING_REQUESTER, S.CLOSED_UNVERIFIED, ["case.closed"]),
    ("transition.reopen", S.REFUSED, S.IDENTITY_CHECKED, []),
    ("transition.information_received", S.AWAITING_REQUESTER, S.SUBMITTED, []),
    ("case.assigned", None, None, []),
])
def test_events_of_a_state_change(action, from_state, to_state, events):
    assert events_for(action, from_state, to_state) == events


@pytest.mark.parametrize(("url", "local_http", "problem"), [
    ("https://koppeling.school.nl/dsr", False, None),
    ("https://koppeling.school.nl:8443/dsr?k=1", False, None),
    ("http://koppeling.school.nl/dsr", True, "https_required"),
    ("http://127.0.0.1:8080/hook", False, "https_required"),
    ("http://127.0.0.1:8080/hook", True, None),
    ("http://localhost/hook", True, None),
    ("http://[::1]:9000/hook", True, None),
    ("http://127.0.0.2/hook", True, None),  # loopback too
    ("http://10.0.0.1/hook", True, "https_required"),
    ("ftp://koppeling.school.nl/dsr", False, "invalid"),
    ("https://", False, "invalid"),
    ("https://user:secret@koppeling.school.nl/", False, "invalid"),
    ("https://koppeling.school.nl/#frag", False, "invalid"),
    ("https://koppeling.school.nl:99999/", False, "invalid"),
    ("https://koppeling school.nl/", False, "invalid"),
    ("koppeling.school.nl/dsr", False, "invalid"),
])
def test_which_addresses_may_receive(url, local_http, problem):
    assert url_problem(url, allow_local_http=local_http) == problem


def test_the_signature_is_hmac_sha256_over_time_dot_body():
    body = b'{"id": 1}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_x", 1700000000, body) == f"t=1700000000,v1={expected}"
    assert signature("whsec_y", 1700000000, body) != signature("whsec_x", 1700000000, body)
    assert signature("whsec_x", 1700000001, body) != signature("whsec_x", 1700000000, body)


@pytest.mark.parametrize(("stored", "events"), [
    ("case.closed case.received", ["case.received", "case.closed"]),
    ("case.unknown", []),
    ("", []),
])
def test_stored_events_are_read_in_order(stored, events):
    assert parse_events(stored) == events
