"""R-DL-5 as the case page needs it: whether the extension is offered at all does not depend on the
reasons (which the form asks for), while the full check still requires them."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from dsr.workflows import states as S
from dsr.workflows.extension import EXTENSION_TOO_LATE, extension_blocker, extension_problem, may_extend
from dsr.workflows.roles import ADMIN, STAFF

RECEIVED = date(2026, 3, 2)
IN_TIME, TOO_LATE = date(2026, 3, 20), date(2026, 6, 1)


def _case(**changes):
    values = dict(school_id=1, state=S.SUBMITTED,
                  extended=False, received_on=RECEIVED)
    values.update(changes)
    return SimpleNamespace(**values)


STAFF = SimpleNamespace(role=STAFF, school_ids={1})


def test_offered_in_time_to_staff_of_the_school_without_reasons_yet():
    assert may_extend(_case(), STAFF, IN_TIME)
    assert extension_blocker(_case(), STAFF, IN_TIME) is None
    # The full check still wants the reasons and the explanation the form asks for.
    assert extension_problem(_case(), STAFF, IN_TIME, [], "")[0] == "NO_REASON"
    assert extension_problem(_case(), STAFF, IN_TIME, ["volume"], " ")[0] == "NO_EXPLANATION"
    assert extension_problem(_case(), STAFF, IN_TIME, ["volume"], "Drie systemen.") is None


@pytest.mark.parametrize("case, actor, on, code", [
    (_case(), STAFF, TOO_LATE, EXTENSION_TOO_LATE),
    (_case(extended=True), STAFF, IN_TIME, "ALREADY_EXTENDED"),
    (_case(school_id=2), STAFF, IN_TIME, "FORBIDDEN"),
    (_case(), SimpleNamespace(role=ADMIN, school_ids=set()), IN_TIME, "FORBIDDEN"),
])
def test_not_offered_when_a_rule_outside_the_reasons_blocks_it(case, actor, on, code):
    assert not may_extend(case, actor, on)
    assert extension_blocker(case, actor, on)[0] == code
    # Whatever reasons are given, the same rule refuses it on submit.
    assert extension_problem(case, actor, on, ["volume"], "Drie systemen.")[0] == code


def test_not_offered_for_a_closed_case():
    closed = sorted(set(S.STATES) - set(S.OPEN_STATES))[0]
    assert extension_blocker(_case(state=closed), STAFF, IN_TIME)[0] == "CLOSED"
