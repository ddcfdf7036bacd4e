"""Internal notes on a case (issue 15 point 3): who wrote what and when, append-only; readable only by the
users who may see the case (its school's staff and directors, the privacy officer); audited without the
text (the audit log is exported); bad input answered at the field with nothing lost; deleted when the case
is anonymised. That no note reaches the requester is tests/integration/test_notes_never_leak.py."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, CaseNote
from tests.helpers import local_today, signed_in, text_of
from tests.integration.db_search import find_in_database
from tests.integration.helpers import field_error, in_english, reader_text, set_case_columns

NOTE = "Vader belde op 3 december: zoon zit sinds de herfst bij de mentor Kwartelkoning."
MARKER = "Kwartelkoning"
READERS = ("Alleen zichtbaar voor medewerkers van deze school, de directeur en de privacyfunctionaris. Niet in "
           "brieven, mails of het portaal.")


def _note(client, case_id, text=NOTE):
    return client.post(f"/zaken/{case_id}/notities", data={"body": text})


def _notes(app, case_id) -> list[tuple[int, str]]:
    with app.app_context():
        return [(n.author_id, n.body) for n in db.session.execute(
            sa.select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)).scalars()]


def _page_text(client, case_id) -> str:
    return " ".join(reader_text(client.get(f"/zaken/{case_id}").get_data(as_text=True)).split())


def test_a_note_is_kept_with_its_author_and_time_and_read_by_colleagues(app, people, case_id):
    staff = signed_in(app, people)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Interne notities" in page and "Nog geen notities." in page
    assert READERS in page, "the field says who reads it"

    response = _note(staff, case_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/zaken/{case_id}#notities")
    director = signed_in(app, people, "director_a")
    assert _note(director, case_id, "Akkoord, ik bel de vader terug.").status_code == 302
    assert _notes(app, case_id) == [(people.staff_a, NOTE), (people.director_a, "Akkoord, ik bel de vader terug.")]

    # Oldest first, each with its author and local time: a log.
    for who in ("staff_a", "staff_a2", "director_a", "director_a2", "privacy"):
        text = _page_text(signed_in(app, people, who), case_id)
        notes = text.split("Interne notities", 1)[1]
        assert notes.index(f"Staff A {NOTE}") < notes.index("Director A Akkoord, ik bel de vader terug."), who
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert page.count('<li data-note="') == 2 and page.count("<time datetime=") >= 2


def test_only_users_who_may_see_the_case_read_or_write_notes(app, people, case_id):
    assert _note(signed_in(app, people), case_id).status_code == 302
    for who in ("staff_b", "director_b"):  # another school: the case does not exist for them
        other = signed_in(app, people, who)
        assert other.get(f"/zaken/{case_id}").status_code == 404
        assert _note(other, case_id, "Ook van mij.").status_code == 404
    admin = signed_in(app, people, "admin")  # manages accounts, never reads case content
    assert admin.get(f"/zaken/{case_id}").status_code == 403
    assert _note(admin, case_id, "Beheer.").status_code == 403
    assert _notes(app, case_id) == [(people.staff_a, NOTE)]


def test_a_note_is_audited_by_its_id_and_its_text_is_not_in_the_audit_log_or_its_export(app, people, case_id):
    assert _note(signed_in(app, people), case_id).status_code == 302
    with app.app_context():
        [note_id] = db.session.execute(sa.select(CaseNote.id)).scalars().all()
        [event] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "case.note_added")).scalars()
        assert (event.case_id, event.actor_id, event.reason) == (case_id, people.staff_a, "")
        assert json.loads(event.details) == {"note_id": note_id}
        assert [hit for hit in find_in_database(MARKER) if not hit.startswith("case_notes.")] == []
    officer = signed_in(app, people, "privacy")
    for url in ("/zaken/audit.csv", f"/zaken/audit.csv?zaak={case_id}"):
        export = officer.get(url).get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(export)))
        assert any(row["action"] == "case.note_added" for row in rows), url
        assert MARKER not in export, url


def test_bad_input_is_answered_at_the_field_and_the_text_kept(app, people, case_id):
    staff = signed_in(app, people)
    for text, message in (
            ("   ", "Schrijf eerst de notitie."),
            ("x" * 5001, "Gebruik maximaal 5000 tekens."),
            ("Een bel\x07 in de tekst", "De tekst bevat ongeldige tekens.")):
        response = _note(staff, case_id, text)
        assert response.status_code == 422, repr(text[:20])
        page = text_of(response)
        assert field_error(page, "note-body") == message
        assert "De notitie is niet opgeslagen: controleer de invoer." in page
        if text.strip():
            assert text[:200].replace("\x07", "") in page.replace("\x07", ""), "what was typed is still there"
    assert _notes(app, case_id) == []
    with app.app_context():
        assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "case.note_added")).first() is None


def test_notes_are_append_only(app, people, case_id):
    staff = signed_in(app, people)
    assert _note(staff, case_id).status_code == 302
    [(_, body)] = _notes(app, case_id)
    with app.app_context():
        note_id = db.session.execute(sa.select(CaseNote.id)).scalar_one()
    # No route changes or removes a note.
    for method in ("get", "post", "put", "delete"):
        response = getattr(staff, method)(f"/zaken/{case_id}/notities/{note_id}", data={"body": "Anders."})
        assert response.status_code in (404, 405), method
    assert staff.get(f"/zaken/{case_id}/notities").status_code == 405
    assert _notes(app, case_id) == [(people.staff_a, body)]


def test_notes_on_a_closed_case_and_none_after_anonymisation(app, people, case_id):
    staff = signed_in(app, people)
    closed_at = dt.datetime.combine(local_today() - dt.timedelta(days=10), dt.time(12), tzinfo=dt.UTC)
    set_case_columns(app, case_id, state="withdrawn", closed_at=closed_at)
    assert _note(staff, case_id).status_code == 302, "a closed case still takes a note (a call afterwards)"
    with app.app_context():
        assert find_in_database(MARKER) != []

    later = local_today() + dt.timedelta(days=6 * 366)
    result = app.test_cli_runner().invoke(args=["dsr", "purge-expired", "--today", later.isoformat()])
    assert result.exit_code == 0 and "1 case(s) anonymised" in result.output, result.output
    assert _notes(app, case_id) == []
    with app.app_context():
        assert find_in_database(MARKER) == [], "the note is gone with the case's personal data"
        note_events = db.session.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "case.note_added")).scalars().all()
        assert len(note_events) == 1, "the audit trail still says a note was written"

    response = _note(staff, case_id, "Nog iets.")
    assert response.status_code == 422
    assert "Bij een geanonimiseerd verzoek kunt u geen notitie meer maken." in text_of(response)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Nog geen notities." in page and 'id="note-body"' not in page
    assert _notes(app, case_id) == []


def test_notes_in_english(app, people, case_id):
    staff = signed_in(app, people)
    in_english(staff)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Internal notes" in page and "No notes yet." in page and "Add note" in page
    assert "Only visible to the staff of this school, the director and the privacy officer." in page
    response = _note(staff, case_id, "")
    assert field_error(text_of(response), "note-body") == "Write the note first."


def test_the_desk_forms_need_their_csrf_token(app, csrf_app, people, case_id):
    signed = signed_in(app, people)  # the same secret key: the session works in the CSRF-checking app
    staff = csrf_app.test_client()
    staff.set_cookie("session", signed.get_cookie("session").value)
    assert staff.get(f"/zaken/{case_id}").status_code == 200, "signed in"
    for url, data in ((f"/zaken/{case_id}/notities", {"body": NOTE}),
                      (f"/zaken/{case_id}/toewijzen/mij", {"version": "1"}),
                      (f"/zaken/{case_id}/toewijzen", {"version": "1", "assignee_id": str(people.staff_a)})):
        response = staff.post(url, data=data)
        assert response.status_code == 400 and "beveiligingscode" in response.get_data(as_text=True), url
    assert _notes(app, case_id) == []
    with app.app_context():
        assert db.session.execute(sa.select(AuditEvent.id).where(AuditEvent.action.in_(
            ("case.note_added", "case.assigned")))).first() is None
