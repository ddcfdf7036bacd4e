"""Manual tasks for the owner of a system without an interface, or a processor (issue 17 point 2).

The system, its category mappings and its run are made directly here (collection and execution are other
helpers' parts); the task is opened with ``manual_tasks.open_task`` in a transaction, its mail goes through
the real outbox, RQ worker and SMTP sink, and the owner answers on the link with the test client: CSV and
XLSX exports become package documents, a confirmed erasure completes the processor's Art. 19 task.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from openpyxl import Workbook

from dsr.extensions import db
from dsr.models import (
    AuditEvent,
    Case,
    ConnectorRun,
    ManualTask,
    OutboxMessage,
    RecipientTask,
    RegisterCategory,
    System,
    SystemCategory,
)
from dsr.services import manual_tasks, recipient_tasks, storage
from dsr.services.deadlines import sweep_deadlines
from dsr.services.links import make_token
from dsr.services.transaction import transaction
from dsr.workflows import states as S
from dsr.workflows.deadlines import subtract_working_days, working_days_between
from tests.helpers import link_in, local_today, signed_in, text_of
from tests.integration.helpers import (
    body,
    documents_of,
    field_error,
    in_english,
    mails_to,
    reviewed_case,
    set_case_columns,
)

OWNER = "support@leerwijs.example"
CSV = b"leerlingnummer;vak;cijfer\r\n123456;Nederlands;7,5\r\n123456;Engels;8,1\r\n"


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Verzuim"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_system(app, codes: list[str], *, recipient_id: int | None = None, task_days: int = 10) -> int:
    """A manual system (a supplier's platform) holding ``codes``; returns its id."""
    with app.app_context():
        categories = {c.code: c for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
        system = System(code="leerwijs", name="LeerWijs lesmateriaal", kind="manual", owner_name="Team Support",
                        owner_email=OWNER, recipient_id=recipient_id, task_days=task_days)
        system.mappings = [SystemCategory(category=categories[code]) for code in codes]
        db.session.add(system)
        db.session.commit()
        return system.id


def open_task(app, case_id: int, system_id: int, kind: str = "deliver", purpose: str = "collect") -> int:
    """A run of the system for the case, and its task opened as the collection or execution does."""
    with app.app_context():
        with transaction():
            run = ConnectorRun(case_id=case_id, system_id=system_id, purpose=purpose, status="queued")
            db.session.add(run)
            db.session.flush()
            task = manual_tasks.open_task(run, kind)
            assert manual_tasks.open_task(run, kind) is task, "a run has one task; opening again mails nothing"
        task_id = task.id
        db.session.remove()
    return task_id


def task_link(smtp_server, subject_part: str = "LeerWijs") -> str:
    [mail] = mails_to(smtp_server, OWNER, subject_part)
    return urlsplit(link_in(body(mail))).path


def task_row(app, task_id: int) -> ManualTask:
    with app.app_context():
        task = db.session.get(ManualTask, task_id)
        _ = task.run.steps
        db.session.expunge_all()
        return task


def owner_actions(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor_kind) for e in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action.like("manual_task.%"))
            .order_by(AuditEvent.id)).scalars()]


def test_the_owner_delivers_a_csv_and_an_xlsx_that_become_package_documents(app, client, people, register,
                                                                            smtp_server, run_jobs):
    case_id, staff = reviewed_case(app, client, people, age=12)
    system_id = make_system(app, ["cijfers", "verzuim"])
    task_id = open_task(app, case_id, system_id)
    run_jobs()
    [mail] = mails_to(smtp_server, OWNER, "LeerWijs")
    text = body(mail)
    assert "Lever de gegevens van deze leerling aan" in text and "Sam Jansen" not in text + mail["Subject"]
    with app.app_context():
        case = db.session.get(Case, case_id)
        task = db.session.get(ManualTask, task_id)
        assert task.due_on == _after_working_days(local_today(), 10) and task.run.status == "waiting"
        assert case.reference in mail["Subject"] and task.due_on.strftime("%Y") in text
        # The outbox row that was sent holds no working link: it is sealed under the file keys.
        row = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "owner_task")).scalar_one()
        token = link_in(text).rsplit("/", 1)[1]
        assert token not in row.body_text and token not in row.body_html and token not in (row.links_sealed or "")

    path = urlsplit(link_in(text)).path
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    shown = text_of(page)
    assert "Sam Jansen" in shown and "School A" in shown and "Cijfers, rapporten" in shown
    assert "Aanwezigheid en verzuim" in shown and "De medewerkers van de school" in shown

    form = {f"file_{register['cijfers']}": (io.BytesIO(CSV), "cijfers.csv"),
            f"file_{register['verzuim']}": (io.BytesIO(xlsx([["datum", "uren"], ["2026-01-12", 2],
                                                                ["2026-01-19", 1]])), "verzuim.xlsx"),
            "note": "Alleen schooljaar 2025-2026 staat in ons systeem."}
    answered = client.post(path, data=form, content_type="multipart/form-data")
    assert answered.status_code == 302, text_of(answered)[:2000]
    assert "Dank u wel" in text_of(client.get(answered.headers["Location"]))

    docs = documents_of(app, case_id)
    assert [(d.category_id, d.content_type) for d in docs] == [(register["cijfers"], "text/csv"),
                                                               (register["verzuim"], "text/csv")]
    assert all(d.uploaded_by_id is None and "aangeleverd door de eigenaar" in d.title for d in docs)
    assert all(d.third_party_checked_at is None for d in docs), "staff still confirm the checks"
    with app.app_context():
        assert storage.load(docs[0].storage_key) == CSV
        converted = storage.load(docs[1].storage_key).decode()
        assert converted.splitlines() == ["datum,uren", "2026-01-12,2", "2026-01-19,1"]
    task = task_row(app, task_id)
    assert task.answered_at is not None and task.answer_note.startswith("Alleen schooljaar")
    assert task.run.status == "done" and len(task.run.steps) == 2
    assert all(s.done_at and s.document_ids for s in task.run.steps)
    assert owner_actions(app, case_id) == [("manual_task.opened", "system"), ("manual_task.answered", "owner")]

    run_jobs()
    assert mails_to(smtp_server, people.email["staff_a"], "Antwoord van de eigenaar van LeerWijs")
    case_page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Taken voor eigenaars van systemen" in case_page and "Alleen schooljaar 2025-2026" in case_page
    assert "Beantwoord op" in case_page and "de eigenaar van het systeem" in case_page

    reused = client.get(path)
    assert reused.status_code == 410 and "al beantwoord" in text_of(reused)
    again = client.post(path, data={"note": "nog eens"}, content_type="multipart/form-data")
    assert again.status_code == 410 and len(documents_of(app, case_id)) == 2


def _after_working_days(day: dt.date, n: int) -> dt.date:
    while working_days_between(local_today(), day) < n:
        day += dt.timedelta(days=1)
    return day


def test_a_parent_of_a_17_year_old_is_asked_for_learning_results_only(app, client, people, register,
                                                                    smtp_server, run_jobs):
    case_id, _staff = reviewed_case(app, client, people, age=17, decision="partial", grounds=["student_16"])
    with app.app_context():
        assert db.session.get(Case, case_id).assessment_scope == "learning_results"
    system_id = make_system(app, ["cijfers", "zorg"])
    open_task(app, case_id, system_id)
    run_jobs()
    path = task_link(smtp_server)
    page = text_of(client.get(path))
    assert "Cijfers, rapporten" in page and "Zorg en ondersteuning" not in page
    assert f"file_{register['zorg']}" not in page
    answered = client.post(path, data={f"file_{register['cijfers']}": (io.BytesIO(CSV), "cijfers.csv")},
                           content_type="multipart/form-data")
    assert answered.status_code == 302
    assert [d.category_id for d in documents_of(app, case_id)] == [register["cijfers"]]


def test_each_category_needs_a_file_or_no_data_and_a_bad_file_is_refused_at_its_field(app, client, people,
                                                                                      register, smtp_server,
                                                                                      run_jobs):
    case_id, _staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers", "verzuim"]))
    run_jobs()
    path = task_link(smtp_server)
    cijfers, verzuim = f"file_{register['cijfers']}", f"file_{register['verzuim']}"

    files_before = stored_files(app)
    nothing = client.post(path, data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and "geen gegevens van deze leerling" in field_error(nothing.get_data(
        as_text=True), cijfers)
    fake = client.post(path, data={cijfers: (io.BytesIO(b"%PDF-1.4 not really"), "cijfers.xlsx"),
                                   f"none_{register['verzuim']}": "y"}, content_type="multipart/form-data")
    assert fake.status_code == 422 and "geen Excel-bestand" in field_error(fake.get_data(as_text=True), cijfers)
    renamed = client.post(path, data={cijfers: (io.BytesIO(b"<html><body>x</body></html>"), "cijfers.csv"),
                                      f"none_{register['verzuim']}": "y"}, content_type="multipart/form-data")
    assert renamed.status_code == 422 and field_error(renamed.get_data(as_text=True), cijfers)
    # The first category's file is good and stored; the second is refused: nothing of the answer is kept.
    half = client.post(path, data={cijfers: (io.BytesIO(CSV), "cijfers.csv"),
                                   verzuim: (io.BytesIO(b"PK\x03\x04 broken"), "verzuim.xlsx")},
                       content_type="multipart/form-data")
    assert half.status_code == 422 and "kan niet worden gelezen" in field_error(half.get_data(as_text=True), verzuim)
    assert documents_of(app, case_id) == [] and task_row(app, task_id).answered_at is None
    assert stored_files(app) == files_before, "a refused answer leaves no stored file behind"

    answered = client.post(path, data={cijfers: (io.BytesIO(CSV), "cijfers.csv"),
                                       f"none_{register['verzuim']}": "y", verzuim: (io.BytesIO(b""), "")},
                           content_type="multipart/form-data")
    assert answered.status_code == 302
    steps = {s.category_id: s for s in task_row(app, task_id).run.steps}
    assert steps[register["verzuim"]].row_count == 0 and steps[register["verzuim"]].document_ids == ""
    assert len(documents_of(app, case_id)) == 1


def stored_files(app) -> int:
    """How many files the file store holds."""
    return sum(1 for p in Path(app.config["FILE_STORAGE"]).rglob("*") if p.is_file())


def test_a_confirmed_erasure_completes_the_processors_art19_task(app, client, people, register, smtp_server,
                                                                run_jobs):
    case_id, staff = reviewed_case(app, client, people, age=12)
    with app.app_context():
        case = db.session.get(Case, case_id)
        category = db.session.get(RegisterCategory, register["leermiddelen"])
        with transaction():
            created = recipient_tasks.create_tasks(case, "erasure", [category])
        recipient_id = created[0].recipient_id
        art19_id = created[0].id
        db.session.remove()
    system_id = make_system(app, ["leermiddelen"], recipient_id=recipient_id)
    task_id = open_task(app, case_id, system_id, kind="confirm_erasure", purpose="erasure")
    run_jobs()
    mail_text = body(mails_to(smtp_server, OWNER, "LeerWijs")[0])
    assert "Bevestig dat de gegevens zijn gewist" in mail_text and "artikel 28, lid 3, onder e, AVG" in mail_text
    path = task_link(smtp_server)
    page = text_of(client.get(path))
    assert "De gegevens van deze leerling zijn gewist" in page and "Digitaal leermateriaal" in page

    unticked = client.post(path, data={"done_on": local_today().isoformat()})
    assert unticked.status_code == 422 and field_error(unticked.get_data(as_text=True), "confirmed")
    future = client.post(path, data={"confirmed": "y", "done_on": (local_today() + dt.timedelta(days=9)).isoformat()})
    assert future.status_code == 422 and "toekomst" in field_error(future.get_data(as_text=True), "done_on")
    done = client.post(path, data={"confirmed": "y", "done_on": local_today().isoformat(),
                                   "note": "Account en resultaten verwijderd."})
    assert done.status_code == 302
    with app.app_context():
        art19 = db.session.get(RecipientTask, art19_id)
        assert art19.status == "done" and "LeerWijs" in art19.note
    task = task_row(app, task_id)
    assert task.run.status == "done" and [s.category_id for s in task.run.steps] == [register["leermiddelen"]]
    assert owner_actions(app, case_id) == [("manual_task.opened", "system"), ("manual_task.answered", "owner"),
                                           ("manual_task.confirmed", "owner")]
    assert client.get(path).status_code == 410


def test_the_sweep_reminds_the_owner_once_per_milestone(app, client, people, register, smtp_server, run_jobs):
    case_id, _staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"], task_days=10))
    run_jobs()
    due_on = task_row(app, task_id).due_on
    days = {"before": subtract_working_days(due_on, 4), "due_in_3": subtract_working_days(due_on, 3),
            "due_in_1": subtract_working_days(due_on, 1), "due": due_on, "overdue": due_on + dt.timedelta(days=1)}

    def sweep(day: dt.date) -> list[str]:
        before = len(smtp_server.messages)
        with app.app_context():
            sweep_deadlines(day)
            db.session.remove()
        run_jobs()
        return [str(m["Subject"]).strip() for m in smtp_server.messages[before:] if OWNER in m["To"]]

    assert sweep(days["before"]) == []
    [first] = sweep(days["due_in_3"])
    assert first.startswith("Herinnering")
    assert sweep(days["due_in_3"]) == [], "each milestone once"
    [second] = sweep(days["due_in_1"])
    assert second.startswith("Herinnering")
    assert sweep(days["due"]) == []
    [overdue] = sweep(days["overdue"])
    assert overdue.startswith("Termijn verstreken")
    assert sweep(days["overdue"] + dt.timedelta(days=7)) == []
    assert task_row(app, task_id).reminded == "overdue"
    mails = mails_to(smtp_server, OWNER, "Herinnering")
    assert "nog 3 werkdagen" in body(mails[0]) and "nog 1 werkdag." in body(mails[1])
    assert ("manual_task.reminded", "system") in owner_actions(app, case_id)
    # A sweep that missed the earlier milestones sends only the most urgent one.
    other_case, _ = reviewed_case(app, client, people, age=12, email="tweede@example.nl")
    with app.app_context():
        system = db.session.execute(sa.select(System)).scalar_one()
        system_id = system.id
    late_id = open_task(app, other_case, system_id, purpose="erasure", kind="confirm_erasure")
    run_jobs()
    late_due = task_row(app, late_id).due_on
    assert [s.split(":")[0] for s in sweep(late_due + dt.timedelta(days=3))] == ["Termijn verstreken"]


def set_due(app, task_id: int, due_on: dt.date) -> None:
    with app.app_context():
        db.session.get(ManualTask, task_id).due_on = due_on
        db.session.commit()


def test_an_overdue_task_shows_on_the_case_page_and_the_dashboard(app, client, people, register, smtp_server,
                                                                  run_jobs):
    case_id, staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"]))
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Wacht op de eigenaar" in page and "te laat" not in page.split("Taken voor eigenaars")[1][:600]
    assert "data-overdue-tasks" not in signed_in(app, people, "director_a").get("/dashboard/").get_data(as_text=True)

    due = subtract_working_days(local_today(), 3)
    set_due(app, task_id, due)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert re.search(r'data-manual-task="\d+">.*?data-overdue>te laat<', page, re.S)
    with app.app_context():
        reference = db.session.get(Case, case_id).reference
    for who in ("director_a", "privacy"):
        dashboard = signed_in(app, people, who).get("/dashboard/").get_data(as_text=True)
        row = re.search(rf'data-overdue-task="{task_id}">(.*?)</tr>', dashboard, re.S)
        assert row and "LeerWijs lesmateriaal" in row.group(1) and reference in row.group(1), who
        assert re.search(r'<td class="num">(\d+)</td>', row.group(1)).group(1) == str(
            working_days_between(due, local_today()))
    assert "data-overdue-task" not in signed_in(app, people, "director_b").get("/dashboard/").get_data(as_text=True)


def test_a_forged_replaced_or_other_purpose_link_shows_a_calm_page(app, client, people, register, smtp_server,
                                                                   run_jobs):
    case_id, staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"]))
    run_jobs()
    old = task_link(smtp_server)
    forged = client.get(old[:-3] + ("abc" if not old.endswith("abc") else "xyz"))
    assert forged.status_code == 400 and "nieuwe link" in text_of(forged)
    with app.test_request_context():
        wrong_purpose = make_token("package", {"t": task_id, "n": task_row(app, task_id).link_nonce})
        unknown = make_token(manual_tasks.LINK_PURPOSE, {"t": 99999, "n": "x"})
    assert client.get(f"/taak/{wrong_purpose}").status_code == 400
    assert client.get(f"/taak/{unknown}").status_code == 400

    # Staff of another school cannot send a new link; the school's own staff can, and the old link stops.
    other = signed_in(app, people, "staff_b")
    assert other.post(f"/zaken/{case_id}/taken/{task_id}/nieuwe-link").status_code == 404
    renewed = staff.post(f"/zaken/{case_id}/taken/{task_id}/nieuwe-link")
    assert renewed.status_code == 302
    run_jobs()
    new = task_link(smtp_server, "Nieuwe link")
    assert new != old
    replaced = client.get(old)
    assert replaced.status_code == 400 and "nieuwste e-mail" in text_of(replaced)
    assert client.get(new).status_code == 200
    assert ("manual_task.link_renewed", "staff") in owner_actions(app, case_id)


def test_the_owners_page_in_english(app, client, people, register, smtp_server, run_jobs):
    case_id, _staff = reviewed_case(app, client, people, age=12)
    open_task(app, case_id, make_system(app, ["cijfers"]))
    run_jobs()
    path = task_link(smtp_server)
    dutch = text_of(client.get(path))
    assert '<html lang="nl">' in client.get(path).get_data(as_text=True) and "Graag uiterlijk" in dutch
    in_english(client)
    english = client.get(path)
    page = text_of(english)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Deliver the data of this student" in page and "Please answer by" in page
    assert "Send" in page and "The school's staff who handle the request read this" in page
    refused = client.post(path, data={}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "Send a file" in text_of(refused)


def test_a_task_of_a_closed_request_needs_nothing_more(app, client, people, register, smtp_server, run_jobs):
    """Once the request is withdrawn (or answered), the owner's link says so, no reminder goes out, and the
    task no longer counts as overdue."""
    case_id, _staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"]))
    run_jobs()
    path = task_link(smtp_server)
    set_due(app, task_id, subtract_working_days(local_today(), 2))
    set_case_columns(app, case_id, state=S.WITHDRAWN, letter_pending=False)
    closed = client.get(path)
    assert closed.status_code == 410 and "Dit verzoek is afgerond" in text_of(closed)
    before = len(smtp_server.messages)
    with app.app_context():
        sweep_deadlines(local_today())
        db.session.remove()
    run_jobs()
    assert len(smtp_server.messages) == before
    assert "data-overdue-task" not in signed_in(app, people, "privacy").get("/dashboard/").get_data(as_text=True)


def test_the_owners_form_needs_its_csrf_token(app, csrf_app, client, people, register, smtp_server, run_jobs):
    case_id, _staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"]))
    run_jobs()
    path = task_link(smtp_server)
    owner = csrf_app.test_client()
    page = owner.get(path).get_data(as_text=True)
    data = {f"none_{register['cijfers']}": "y"}
    assert owner.post(path, data=data, content_type="multipart/form-data").status_code == 400
    assert task_row(app, task_id).answered_at is None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answered = owner.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")
    assert answered.status_code == 302 and task_row(app, task_id).answered_at is not None


def test_two_answers_at_once_count_once(app, client, people, register, smtp_server, run_jobs):
    """The owner double-clicks, or two colleagues answer at once: one answer counts, the others are told."""
    import threading

    racers = 4
    case_id, _staff = reviewed_case(app, client, people, age=12)
    task_id = open_task(app, case_id, make_system(app, ["cijfers"]))
    run_jobs()
    path = task_link(smtp_server)
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def race(n: int) -> None:
        browser = app.test_client()
        barrier.wait()
        response = browser.post(path, data={f"file_{register['cijfers']}": (io.BytesIO(CSV), f"export{n}.csv")},
                                content_type="multipart/form-data")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [410] * (racers - 1), statuses
    assert len(documents_of(app, case_id)) == 1
    assert [a for a in owner_actions(app, case_id) if a[0] == "manual_task.answered"] == [
        ("manual_task.answered", "owner")]
    assert task_row(app, task_id).run.status == "done"
