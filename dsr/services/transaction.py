"""The transaction boundary: a service entry point commits its work once on success and rolls all of it
back on any exception, so views never commit or roll back themselves (issue 12 point 3).

Use it as a decorator on the functions views call::

    @transactional
    def retry_outbox(user, outbox_id: int) -> None: ...

Calls nest: a transactional service that calls another one commits (or rolls back) only when the
outermost call ends, so a use case built from several services stays one unit of work. Side effects
that must wait for the commit (mail jobs, ``jobs.enqueue_after_commit``) keep working: they run from
the session's ``after_commit`` hook and are dropped by its ``after_rollback`` hook.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from ..extensions import db
from ..jobs import discard_pending

P = ParamSpec("P")
R = TypeVar("R")

#: Kept in the session's ``info`` (one per request/app context): how many transactional calls are open.
_DEPTH_KEY = "dsr_transaction_depth"


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work: commit when the outermost block ends normally, roll back on any exception
    (which is re-raised). Nested blocks join the outer one."""
    db_session = db.session()
    depth = db_session.info.get(_DEPTH_KEY, 0)
    db_session.info[_DEPTH_KEY] = depth + 1
    try:
        yield
    except BaseException:
        db_session.info[_DEPTH_KEY] = depth
        if depth == 0:
            # The outer caller decides for nested calls: it may catch the error and carry on.
            db_session.rollback()
            discard_pending(db_session)
        raise
    db_session.info[_DEPTH_KEY] = depth
    if depth == 0:
        try:
            db_session.commit()
        except BaseException:
            db_session.rollback()  # a failed commit (a constraint, a lost connection) leaves nothing behind
            discard_pending(db_session)
            raise


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``func`` in :func:`transaction` (commit on success, roll back on any exception)."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return func(*args, **kwargs)

    return run

