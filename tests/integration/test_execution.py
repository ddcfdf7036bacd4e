"""Carrying out a granted right in the school's systems (issue 17 point 4): the dry run changes nothing and
shows the rows, "Doorvoeren" runs the statements once, the Art. 19 task of the system's recipient is
completed in either order, a system without a statement is "handmatig", and a retry never runs a step twice."""
from __future__ import annotations

import datetime as dt
import importlib.util
import json

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ErasureItem, RecipientTask, RegisterCategory
from dsr.services import connector_jobs
from tests.connectors import studadmin
from tests.helpers import case_version, local_today, signed_in, step, submit, text_of
from tests.integration.connector_helpers import NUMBER, OTHER, add_system, runs, set_student_number, student_db


def erasure_case(app, client, people, codes=("cijfers", "verzuim"), decision="grant"):
    """A former pupil's granted erasure request, with the categories in ``codes`` to erase; (case id, staff)."""
    today = local_today()
    case_id = submit(client, people.school_a, right="erasure", requester_role="student", parental_authority="",
                     requester_name="Sam Jansen", requester_email="sam@example.nl",
                     student_birth_date=dt.date(today.year - 21, 1, 15).isoformat(), data_concerned="Alles")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="known_contact").status_code == 302
    assert step(staff, app, case_id, "review", decision=decision, reason="Beoordeeld.").status_code == 302
    with app.app_context():
        for code in codes:
            category = db.session.execute(sa.select(RegisterCategory).where(RegisterCategory.code == code)).scalar_one()
            db.session.add(ErasureItem(case_id=case_id, category=category, outcome="erase",
                                       explanation="Mag weg."))
        db.session.commit()
    set_student_number(app, case_id)
    return case_id, staff


def recipient_of(app, code: str) -> str:
    """The code of a recipient of register category ``code`` (a processor the system stands for)."""
    with app.app_context():
        category = db.session.execute(sa.select(RegisterCategory).where(RegisterCategory.code == code)).scalar_one()
        return category.active_recipients[0].code


def counts(url: str, number: str) -> dict[str, int]:
    """How many grades and absences the student still has in the student administration."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {table: connection.execute(sa.text(
            f"SELECT count(*) FROM {table} t JOIN students s ON s.id = t.student_id WHERE s.student_number = :n"),
            {"n": number}).scalar_one() for table in ("grades", "absences")}
    engine.dispose()
    return found


def post(staff, app, case_id, purpose, what):
    return staff.post(f"/zaken/{case_id}/doorvoeren/{purpose}/{what}", data={"version": case_version(app, case_id)})


def tasks(app, case_id) -> dict[str, str]:
    with app.app_context():
        return {t.recipient.code: t.status for t in db.session.execute(
            sa.select(RecipientTask).where(RecipientTask.case_id == case_id)).scalars()}


def audit_details(app, case_id, action):
    with app.app_context():
        return [json.loads(e.details) for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]


@pytest.fixture
def erasure(app, client, people, register, tmp_path):
    case_id, staff = erasure_case(app, client, people)
    url = student_db(tmp_path, dt.date(2005, 1, 15))
    recipient = recipient_of(app, "cijfers")
    add_system(app, "magister", read_url=url, recipient_code=recipient,
               mappings={c: studadmin.MAPPINGS[c] for c in ("cijfers", "verzuim")})
    return case_id, staff, url, recipient


def test_the_dry_run_changes_nothing_then_the_erasure_runs_once_and_completes_its_art_19_task(
        app, erasure, run_jobs):
    case_id, staff, url, recipient = erasure
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Gegevens wissen" in page and "Proefrun" in page

    assert post(staff, app, case_id, "erasure", "proefrun").status_code == 302
    run_jobs()
    [run] = runs(app, case_id, "erasure")
    assert run.status == "planned", run.error
    plan = json.loads(run.plan_json)
    assert plan["manual"] is False
    assert {code: c["rows"] for code, c in plan["categories"].items()} == {"cijfers": 2, "verzuim": 1}
    assert counts(url, NUMBER) == {"grades": 2, "absences": 1}  # the dry run was rolled back
    shown = text_of(staff.get(f"/zaken/{case_id}/koppelingen"))
    assert "zou 2 rij(en) wijzigen" in shown and "Doorvoeren in de systemen" in shown

    assert post(staff, app, case_id, "erasure", "bevestigen").status_code == 302
    run_jobs()
    [run] = runs(app, case_id, "erasure")
    assert run.status == "done", run.error
    assert {s.category.code: s.row_count for s in run.steps} == {"cijfers": 2, "verzuim": 1}
    assert counts(url, NUMBER) == {"grades": 0, "absences": 0}
    assert counts(url, OTHER) == {"grades": 2, "absences": 1}  # the classmate's rows are untouched
    assert [d["category"] for d in audit_details(app, case_id, "execution.step_done")] == ["cijfers", "verzuim"]

    # Nothing runs twice: the job again does nothing, and no new plan can be made for a carried-out system.
    with app.app_context():
        assert connector_jobs.run_execute(run.id) == "not claimed"
        db.session.remove()
    assert post(staff, app, case_id, "erasure", "proefrun").status_code == 422

    # The Art. 19 tasks are made when staff record the erasure as carried out: the system's recipient was
    # told by the act itself (done at once), the others stay open.
    assert staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)}).status_code == 302
    found = tasks(app, case_id)
    assert found[recipient] == "done" and any(status == "open" for code, status in found.items() if code != recipient)


def test_a_task_made_before_the_run_is_completed_when_the_run_is_done(app, erasure, run_jobs):
    case_id, staff, _url, recipient = erasure
    assert staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)}).status_code == 302
    assert tasks(app, case_id)[recipient] == "open"
    post(staff, app, case_id, "erasure", "proefrun")
    run_jobs()
    post(staff, app, case_id, "erasure", "bevestigen")
    run_jobs()
    assert tasks(app, case_id)[recipient] == "done"
    [done] = audit_details(app, case_id, "execution.system_done")
    assert done["task_completed"] is not None and done["rows"] == {"cijfers": 2, "verzuim": 1}


def test_a_system_without_an_erase_statement_is_listed_as_handmatig(app, erasure, run_jobs, tmp_path):
    case_id, staff, url, _recipient = erasure
    add_system(app, "archief", read_url=url, mappings={"cijfers": {**studadmin.MAPPINGS["cijfers"], "erase": ""}})
    post(staff, app, case_id, "erasure", "proefrun")
    run_jobs()
    by_code = {r.system.code: r for r in runs(app, case_id, "erasure")}
    assert by_code["archief"].status == "planned" and json.loads(by_code["archief"].plan_json)["manual"] is True
    page = text_of(staff.get(f"/zaken/{case_id}/koppelingen"))
    assert "handmatig" in page and "geen opdracht ingesteld" in page


@pytest.mark.skipif(importlib.util.find_spec("dsr.services.manual_tasks") is None,
                    reason="for the lead: needs helper E's services.manual_tasks (open_task) merged")
def test_confirming_gives_a_manual_system_a_task(app, erasure, run_jobs):
    from dsr.models import ManualTask

    case_id, staff, url, _recipient = erasure
    add_system(app, "archief", read_url=url, kind="manual", owner_email="archief@example.nl",
               mappings={"cijfers": {}})
    post(staff, app, case_id, "erasure", "proefrun")
    run_jobs()
    assert post(staff, app, case_id, "erasure", "bevestigen").status_code == 302
    run_jobs()
    by_code = {r.system.code: r for r in runs(app, case_id, "erasure")}
    assert by_code["archief"].status == "waiting" and by_code["magister"].status == "done"
    with app.app_context():
        [task] = db.session.execute(sa.select(ManualTask)).scalars().all()
        assert task.kind == "confirm_erasure"


def test_confirm_waits_for_the_dry_run_and_a_stale_page_gets_409(app, erasure, run_jobs):
    case_id, staff, _url, _recipient = erasure
    stale = case_version(app, case_id)
    post(staff, app, case_id, "erasure", "proefrun")
    waiting = post(staff, app, case_id, "erasure", "bevestigen")
    assert waiting.status_code == 422 and "nog bezig" in text_of(waiting)
    run_jobs()
    assert staff.post(f"/zaken/{case_id}/doorvoeren/erasure/bevestigen", data={"version": stale}).status_code == 409
    assert [r.status for r in runs(app, case_id, "erasure")] == ["planned"]


def test_another_schools_staff_cannot_plan_or_confirm(app, people, erasure):
    case_id, _staff, _url, _recipient = erasure
    other = signed_in(app, people, "staff_b")
    assert post(other, app, case_id, "erasure", "proefrun").status_code == 404
    assert post(other, app, case_id, "erasure", "bevestigen").status_code == 404
    assert runs(app, case_id) == []


def test_a_rectification_corrects_the_field_through_its_statement(app, client, people, register, tmp_path, run_jobs):
    today = local_today()
    case_id = submit(client, people.school_a, right="rectification", requester_role="student",
                     parental_authority="", requester_email="sam@example.nl",
                     student_birth_date=dt.date(today.year - 19, 1, 15).isoformat(), data_concerned="Adres",
                     correct_value="Dorpsweg 2")
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="known_contact")
    step(staff, app, case_id, "review", decision="grant", reason="Beoordeeld.")
    set_student_number(app, case_id)
    from dsr.models import RectificationItem

    with app.app_context():
        category = db.session.execute(sa.select(RegisterCategory).where(
            RegisterCategory.code == "inschrijving")).scalar_one()
        db.session.add(RectificationItem(case_id=case_id, category=category, kind="factual", field="address",
                                         old_value="Schoolstraat 1", new_value="Dorpsweg 2, Almere",
                                         evidence="BRP", statement=""))
        db.session.commit()
        assert db.session.get(Case, case_id).decision == "grant"
    url = student_db(tmp_path, dt.date(today.year - 19, 1, 15))
    add_system(app, "magister", read_url=url, mappings={"inschrijving": studadmin.MAPPINGS["inschrijving"]})
    assert post(staff, app, case_id, "rectification", "proefrun").status_code == 302
    run_jobs()
    assert post(staff, app, case_id, "rectification", "bevestigen").status_code == 302
    run_jobs()
    [run] = runs(app, case_id, "rectification")
    assert run.status == "done" and run.steps[0].row_count == 1
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT address FROM students WHERE student_number = :n"),
                                  {"n": NUMBER}).scalar_one() == "Dorpsweg 2, Almere"
    engine.dispose()


def _granted(app, client, people, right: str, outcome: str, codes: list[str]) -> tuple[int, object]:
    """A granted request of ``right`` with its decision ``outcome`` on ``codes`` (and, for a withdrawal, the
    erasure items R-CH-8 makes); (case id, staff)."""
    from dsr.models import RightDecision

    today = local_today()
    case_id = submit(client, people.school_a, right=right, requester_role="student", parental_authority="",
                     requester_email="sam@example.nl", student_birth_date=dt.date(today.year - 19, 1, 15).isoformat(),
                     data_concerned="Inschrijving")
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="known_contact")
    assert step(staff, app, case_id, "review", decision="grant", reason="Beoordeeld.").status_code == 302
    set_student_number(app, case_id)
    with app.app_context():
        ground = "18_1_a" if right == "restriction" else None
        db.session.add(RightDecision(case_id=case_id, outcome=outcome, explanation="Toegewezen.",
                                     category_codes=",".join(codes), ground=ground))
        if outcome == "withdrawn":
            for code in codes:
                category = db.session.execute(sa.select(RegisterCategory).where(
                    RegisterCategory.code == code)).scalar_one()
                db.session.add(ErasureItem(case_id=case_id, category=category, outcome="erase", erase_ground="17_1_b",
                                           explanation="Alle gegevens in deze categorie."))
        db.session.commit()
    return case_id, staff


def test_a_restriction_runs_its_restrict_statement_once(app, client, people, register, tmp_path, run_jobs):
    case_id, staff = _granted(app, client, people, "restriction", "restricted", ["inschrijving"])
    url = student_db(tmp_path, dt.date(2005, 1, 15))
    add_system(app, "magister", read_url=url, mappings={"inschrijving": studadmin.MAPPINGS["inschrijving"]})
    assert "Verwerking beperken" in text_of(staff.get(f"/zaken/{case_id}"))
    post(staff, app, case_id, "restriction", "proefrun")
    run_jobs()
    assert json.loads(runs(app, case_id)[0].plan_json)["categories"]["inschrijving"]["rows"] == 1
    post(staff, app, case_id, "restriction", "bevestigen")
    run_jobs()
    [run] = runs(app, case_id, "restriction")
    assert run.status == "done" and run.steps[0].row_count == 1
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert dict(connection.execute(sa.text("SELECT student_number, restricted FROM students")).all()) == \
            {NUMBER: 1, OTHER: 0}
    engine.dispose()


def test_a_consent_withdrawal_erases_the_consent_categories(app, client, people, register, tmp_path, run_jobs):
    case_id, staff = _granted(app, client, people, "consent_withdrawal", "withdrawn", ["verzuim"])
    url = student_db(tmp_path, dt.date(2005, 1, 15))
    add_system(app, "magister", read_url=url, mappings={c: studadmin.MAPPINGS[c] for c in ("cijfers", "verzuim")})
    post(staff, app, case_id, "withdrawal", "proefrun")
    run_jobs()
    post(staff, app, case_id, "withdrawal", "bevestigen")
    run_jobs()
    [run] = runs(app, case_id, "withdrawal")
    assert run.status == "done" and [s.category.code for s in run.steps] == ["verzuim"]
    assert counts(url, NUMBER) == {"grades": 2, "absences": 0}  # only the withdrawn category
    assert post(staff, app, case_id, "erasure", "proefrun").status_code == 422  # nothing to erase otherwise


def test_a_statement_with_returning_shows_the_rows_and_they_go_when_the_case_is_anonymised(
        app, client, people, register, tmp_path, run_jobs):
    from dsr.services.retention import anonymise

    case_id, staff = erasure_case(app, client, people)
    url = student_db(tmp_path, dt.date(2005, 1, 15))
    returning = {"cijfers": {**studadmin.MAPPINGS["cijfers"],
                             "erase": studadmin.MAPPINGS["cijfers"]["erase"] + " RETURNING subject, grade"},
                 "verzuim": studadmin.MAPPINGS["verzuim"]}
    add_system(app, "magister", read_url=url, mappings=returning)
    post(staff, app, case_id, "erasure", "proefrun")
    run_jobs()
    plan = json.loads(runs(app, case_id)[0].plan_json)["categories"]
    assert plan["cijfers"]["rows"] == 2 and [r["subject"] for r in plan["cijfers"]["shown"]] == \
        ["Nederlands", "Wiskunde"]
    assert plan["verzuim"] == {"rows": 1, "shown": [], "description": "1 rij(en) in 'verzuim'"}
    page = text_of(staff.get(f"/zaken/{case_id}/koppelingen"))
    assert "Bekijk de rijen" in page and "Wiskunde" in page
    assert counts(url, NUMBER) == {"grades": 2, "absences": 1}
    with app.app_context():
        anonymise(db.session.get(Case, case_id))
        db.session.commit()
    [run] = runs(app, case_id)
    assert run.plan_json == "" and {s.category.code for s in run.steps} == {"cijfers", "verzuim"}
