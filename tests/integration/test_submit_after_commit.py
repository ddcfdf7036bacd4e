"""A submission is answered from what the request already knows once it has committed: if the
database went away right after the commit, the parent must still get the confirmation redirect
(docs/reliability.md, "a request stored but answered 'try again'")."""
from __future__ import annotations

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import School
from tests.helpers import case_count, intake_data


def test_no_case_query_after_the_submission_commits(app, client):
    with app.app_context():
        school = School(code="SAC", name="School na commit")
        db.session.add(school)
        db.session.commit()
        school_id, engine = school.id, db.engine
    after_commit: list[str] = []
    committed = []

    def on_commit(conn):
        committed.append(True)

    def on_statement(conn, cursor, statement, *args):
        if committed:
            after_commit.append(statement)

    sa.event.listen(engine, "commit", on_commit)
    sa.event.listen(engine, "before_cursor_execute", on_statement)
    try:
        response = client.post("/", data=intake_data(school_id))
    finally:
        sa.event.remove(engine, "commit", on_commit)
        sa.event.remove(engine, "before_cursor_execute", on_statement)

    assert response.status_code == 302 and response.headers["Location"].endswith("/verzoek/ontvangen")
    assert committed, "the submission was not committed"
    assert not [s for s in after_commit if "cases" in s.lower()], after_commit
    assert case_count(app) == 1
    # The confirmation page finds the case by the id the session carries.
    page = client.get("/verzoek/ontvangen").get_data(as_text=True)
    assert "AVG-" in page
