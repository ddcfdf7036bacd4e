"""Stored files of an access package are deleted only once the change that drops them is committed
(issue 12 point 3): when the commit fails, the record stays and so does its file."""
from __future__ import annotations

import contextlib

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Letter
from dsr.services.storage import _path as storage_path
from tests.helpers import case_version
from tests.integration.helpers import check, documents_of, package_of, release, reviewed_case, upload


class CommitRefused(Exception):
    """The database refuses the commit (a lost connection, a failover)."""


@contextlib.contextmanager
def failing_commits(engine: sa.Engine):
    """Every commit on ``engine`` fails while the block runs."""
    def refuse(connection: sa.Connection) -> None:
        raise CommitRefused("commit refused")

    sa.event.listen(engine, "commit", refuse)
    try:
        yield
    finally:
        sa.event.remove(engine, "commit", refuse)


def test_a_failed_unrelease_keeps_the_cover_letter_and_its_file(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    assert release(staff, app, case_id).status_code == 302
    cover_id = package_of(app, case_id).cover_letter_id
    with app.app_context():
        path = storage_path(db.session.get_one(Letter, cover_id).storage_key)
        engine = db.engine
    assert path.exists()

    with failing_commits(engine):
        failed = staff.post(f"/zaken/{case_id}/pakket/intrekken", data={"version": case_version(app, case_id)})
    assert failed.status_code == 500

    package = package_of(app, case_id)
    assert package.released_at is not None and package.cover_letter_id == cover_id  # nothing was saved ...
    assert path.exists(), "... so the cover letter's file must still be there"

    # Once the database accepts the commit again, the undo goes through and the file goes with it.
    assert staff.post(f"/zaken/{case_id}/pakket/intrekken",
                      data={"version": case_version(app, case_id)}).status_code == 302
    assert package_of(app, case_id).cover_letter_id is None and not path.exists()


def test_a_failed_document_removal_keeps_the_file(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    with app.app_context():
        path = storage_path(doc.storage_key)
        engine = db.engine
    with failing_commits(engine):
        assert staff.post(f"/zaken/{case_id}/pakket/document/{doc.id}/verwijderen").status_code == 500
    assert path.exists() and [d.id for d in documents_of(app, case_id)] == [doc.id]


def _stored_files(app) -> set[str]:
    with app.app_context():
        return {path.name for path in storage_path("00").parent.parent.rglob("*") if path.is_file()}


def test_a_failed_release_leaves_no_cover_letter_file_behind(app, client, people, categories):
    case_id, staff = reviewed_case(app, client, people)
    upload(staff, case_id, categories["cijfers"])
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    before = _stored_files(app)
    with app.app_context():
        engine = db.engine
    with failing_commits(engine):
        assert release(staff, app, case_id).status_code == 500
    assert package_of(app, case_id).released_at is None
    assert _stored_files(app) == before, "the cover letter's PDF was stored for a release that was not saved"
    assert release(staff, app, case_id).status_code == 302
    assert len(_stored_files(app)) == len(before) + 1
