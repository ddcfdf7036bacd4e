"""The transaction boundary (issue 12 point 3): a service call commits once on success and leaves nothing
behind when it raises; nested calls join the outer one; jobs queued for after the commit go only when
it commits; and only the domain's "not found" is a 404 (a ``KeyError`` bug is a logged 500)."""
from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
import sqlalchemy as sa

from dsr.errors import NotFound
from dsr.extensions import db
from dsr.jobs import enqueue_after_commit, get_queue
from dsr.models import AccessPackage, AuditEvent, OutboxMessage, PackageDocument, User
from dsr.models._types import utcnow
from dsr.notifications.jobs import mail_queue
from dsr.services import audit, operations
from dsr.services.cases import CaseNotFound
from dsr.services.transaction import transaction, transactional
from tests.helpers import case_version, plain_pdf, signed_in, step, submit, text_of


class Refused(Exception):
    pass


@transactional
def _record(action: str, fail: bool = False) -> None:
    audit.record(action, actor_kind="system")
    if fail:
        raise Refused(action)


@transactional
def _record_twice_then(fail: bool) -> None:
    _record("inner.one")
    _record("inner.two")
    if fail:
        raise Refused("outer")


def _actions() -> list[str]:
    # A new session: what another request would see, i.e. what was committed.
    with db.engine.connect() as connection:
        return list(connection.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_a_service_that_raises_leaves_nothing_committed(app):
    with app.app_context():
        with pytest.raises(Refused):
            _record("should.vanish", fail=True)
        assert _actions() == []
        assert db.session.execute(sa.select(AuditEvent)).first() is None  # rolled back here, too


def test_a_service_that_succeeds_is_committed(app):
    with app.app_context():
        _record("kept")
        assert _actions() == ["kept"]


def test_nested_services_commit_once_with_the_outermost(app):
    with app.app_context():
        with pytest.raises(Refused):
            _record_twice_then(fail=True)
        assert _actions() == []  # the inner calls did not commit on their own
        _record_twice_then(fail=False)
        assert _actions() == ["inner.one", "inner.two"]


def test_an_inner_failure_caught_by_the_outer_service_does_not_undo_its_work(app):
    @transactional
    def outer() -> None:
        _record("before")
        try:
            _record("inner.fails", fail=True)
        except Refused:
            pass  # the outer use case decides what an inner refusal means
        _record("after")

    with app.app_context():
        outer()
        assert _actions() == ["before", "inner.fails", "after"]


def test_jobs_for_after_the_commit_go_only_when_it_commits(app):
    with app.app_context():
        queue = get_queue()
        with pytest.raises(Refused):
            with transaction():
                audit.record("mail.queued", actor_kind="system")  # as the outbox writes its row first
                enqueue_after_commit(print, "rolled back")
                raise Refused("no")
        assert queue.count == 0
        with transaction():
            audit.record("mail.queued", actor_kind="system")
            enqueue_after_commit(print, "committed")
            assert queue.count == 0  # not before the commit
        assert queue.count == 1


def test_a_job_queued_before_any_write_is_dropped_when_the_transaction_rolls_back(app):
    """SQLAlchemy fires ``after_rollback`` only when something reached the database; a job queued before
    the first write must still not ride along with the next transaction's commit."""
    with app.app_context():
        queue = get_queue()
        with pytest.raises(Refused):
            with transaction():
                enqueue_after_commit(print, "rolled back before any write")
                raise Refused("no")
        with transaction():
            audit.record("mail.queued", actor_kind="system")
        assert queue.count == 0


def test_views_neither_commit_nor_roll_back():
    """Services own the transaction: no view commits or rolls back (``grep "commit()\\|rollback()"``)."""
    from pathlib import Path

    views = Path(__file__).resolve().parents[2] / "dsr" / "views"
    found = [f"{path.name}:{number}" for path in sorted(views.glob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if "commit()" in line or "rollback()" in line]
    assert found == []


def _dispatch(app, path: str, exc: Exception):
    """What the app answers when ``exc`` escapes a view behind ``path``: Flask's own dispatch of a view's
    exception (the blueprint's handlers first, then the app's), raised as in a request."""
    with app.test_request_context(path, method="POST"):
        try:
            raise exc
        except Exception as raised:  # noqa: BLE001 - as Flask's full_dispatch_request catches it
            return app.make_response(app.handle_user_exception(raised))


def test_a_key_error_bug_in_a_fulfilment_view_is_a_logged_500_not_a_404(app, caplog):
    caplog.set_level(logging.ERROR, logger="dsr.errors")
    response = _dispatch(app, "/zaken/1/pakket/vrijgeven", KeyError("state"))
    assert response.status_code == 500
    assert [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], KeyError)]


@pytest.mark.parametrize("exc", [CaseNotFound(1), NotFound(7)])
def test_the_domains_not_found_is_still_a_404(app, exc, caplog):
    caplog.set_level(logging.ERROR, logger="dsr.errors")
    for path in ("/zaken/1/pakket/vrijgeven", "/zaken/1/stap/review", "/verwerkingsregister/beheer"):
        assert _dispatch(app, path, exc).status_code == 404
    assert not [r for r in caplog.records if r.exc_info]  # a 404 is not an error to log


# --- through HTTP: the boundary as staff meet it --------------------------------------------------------

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)


def _reviewed_access_case(app, client, people) -> tuple[int, object]:
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="grant", reason="Beoordeeld.").status_code == 302
    return case_id, staff


def test_a_stale_form_in_a_fulfilment_view_shows_the_case_page_409_and_changes_nothing(app, client, people,
                                                                                       register):
    case_id, staff = _reviewed_access_case(app, client, people)
    added = staff.post(f"/zaken/{case_id}/pakket/document", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF), "export.pdf"), "category_id": str(register["cijfers"]),
                             "title": "Rapport"})
    assert added.status_code == 302
    with app.app_context():
        document_id = db.session.execute(sa.select(PackageDocument.id)).scalar_one()
    checked = staff.post(f"/zaken/{case_id}/pakket/document/{document_id}/controle",
                         data={f"d{document_id}-third_party": "y", f"d{document_id}-work_notes": "y"})
    assert checked.status_code == 302
    loaded = case_version(app, case_id) - 1  # the form was loaded before the last change to the case
    stale = staff.post(f"/zaken/{case_id}/pakket/vrijgeven", data={"confirmed": "y", "version": loaded})
    assert stale.status_code == 409
    assert "door iemand anders gewijzigd" in text_of(stale) and "Inzagepakket" in text_of(stale)
    with app.app_context():
        assert db.session.execute(sa.select(AccessPackage.released_at)).scalar_one() is None
        assert not db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "package.released")).first()


def test_an_item_that_is_not_part_of_the_case_is_the_404_page(app, client, people, register):
    case_id, staff = _reviewed_access_case(app, client, people)
    assert staff.post(f"/zaken/{case_id}/pakket/document/999999/verwijderen").status_code == 404
    assert staff.get(f"/zaken/{case_id}/pakket/document/999999").status_code == 404
    other = signed_in(app, people, "staff_b")  # another school's case looks the same
    assert other.post(f"/zaken/{case_id}/pakket/vrijgeven", data={"confirmed": "y", "version": 1}).status_code == 404


# --- the operations page's retry as a service -------------------------------------------------------------


def _outbox_row(status: str) -> int:
    row = OutboxMessage(kind="decision_refused", recipient="iemand@example.nl", subject="Onderwerp",
                        body_text="Inhoud", body_html="<p>Inhoud</p>", status=status, attempts=3,
                        next_attempt_at=utcnow() + dt.timedelta(hours=1))
    db.session.add(row)
    db.session.commit()
    return row.id


def test_retrying_a_mail_that_did_not_fail_changes_nothing(app, people):
    with app.app_context():
        admin = db.session.get(User, people.admin)
        sent = _outbox_row("sent")
        with pytest.raises(operations.OperationRefused):
            operations.retry_outbox(admin, sent)
        with pytest.raises(NotFound):
            operations.retry_outbox(admin, sent + 1000)
        assert db.session.get(OutboxMessage, sent).status == "sent"
        assert "ops.outbox_retried" not in _actions() and mail_queue().count == 0


def test_retrying_a_failed_mail_commits_the_row_the_audit_and_then_the_job(app, people):
    with app.app_context():
        admin = db.session.get(User, people.admin)
        failed = _outbox_row("failed")
        operations.retry_outbox(admin, failed)
        assert db.session.get(OutboxMessage, failed).status == "pending"
        assert _actions()[-1] == "ops.outbox_retried"
        assert [job.args for job in mail_queue().jobs] == [[failed]]
