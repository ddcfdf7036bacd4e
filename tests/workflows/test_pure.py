"""The rule tests in tests/workflows are pure (dsr/workflows holds pure functions): none of them may use the
app, the database, Redis or the SMTP server, directly or through another fixture. Then tests/conftest.py
starts none of those for them, and the whole directory runs in seconds.

The check reads the tests collected in this run, so it covers the directory whenever the directory runs
(``make test``, ``make test-fast``, ``pytest tests/workflows``)."""
from __future__ import annotations

from pathlib import Path

from tests.helpers import SHARED_STATE

HERE = Path(__file__).resolve().parent


def test_no_rule_test_uses_the_app_the_database_redis_or_mail(request):
    here = [item for item in request.session.items if Path(str(item.fspath)).resolve().parent == HERE]
    assert request.node in here  # the check sees this directory's tests
    offenders = {item.nodeid: sorted(SHARED_STATE.intersection(item.fixturenames)) for item in here
                 if not SHARED_STATE.isdisjoint(item.fixturenames)}
    assert offenders == {}, "pure rule tests must not use the app or its services (move them to tests/integration)"
