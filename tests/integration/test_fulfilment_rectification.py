"""Rectification through HTTP (R-RI-2, R-RI-7, R-LT-4): per field old/new/evidence, opinions get a statement
instead, carrying it out creates one Art. 19 task per recipient, and the case cannot close while one is open."""
from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, Letter, RecipientTask, RectificationItem
from tests.helpers import case_version, link_in, signed_in, step, submit, text_of
from tests.integration.helpers import confirm_address, pdf_text


def _case(app, client, people, *, decision="grant", grounds=(), email="leerling@example.nl"):
    today = dt.date.today()
    case_id = submit(client, people.school_a, right="rectification", requester_role="student",
                     requester_name="Sam Jansen", requester_email=email, parental_authority="",
                     student_birth_date=dt.date(today.year - 17, 3, 1).isoformat(),
                     data_concerned="Geboortedatum", correct_value="14-03-2009")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal").status_code == 302
    assert step(staff, app, case_id, "review", decision=decision, grounds=list(grounds),
                reason="Beoordeeld.").status_code == 302
    return case_id, staff


def add_item(client, case_id, category, **values):
    data = {"category_id": str(category), "kind": "factual", "field": "Geboortedatum",
            "old_value": "14-03-2008", "new_value": "14-03-2009", "evidence": "Uittreksel BRP gezien", "statement": ""}
    data.update(values)
    return client.post(f"/zaken/{case_id}/rectificatie", data=data)


def carry_out(client, app, case_id, version=None):
    return client.post(f"/zaken/{case_id}/doorvoeren", data={"version": version or case_version(app, case_id)})


def resolve(client, app, case_id, task_id, outcome="done", note="Gemeld via BRON op 3 maart.", kind=""):
    version = case_version(app, case_id)
    return client.post(f"/zaken/{case_id}/art19/{task_id}", data={
        f"t{task_id}-version": version, f"t{task_id}-outcome": outcome, f"t{task_id}-note": note,
        f"t{task_id}-exception_kind": kind})


def _tasks(app, case_id) -> list[RecipientTask]:
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)
                                   .order_by(RecipientTask.id)).scalars().all()
        for t in tasks:
            _ = t.recipient
            db.session.expunge(t)
        return tasks


def send_letter(client, case_id, kind):
    page = client.get(f"/zaken/{case_id}/brieven/{kind}").get_data(as_text=True)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)
    return client.post(f"/zaken/{case_id}/brieven/{kind}", data={"confirmed": "y", "digest": digest})


def test_rectification_creates_one_task_per_recipient_and_blocks_closure_until_done(
        app, client, people, register, smtp_server, run_jobs):
    """R-RI-7: 'corrected birth date -> tasks: BRON correction plus one per supplier holding the date; the
    case cannot reach CLOSED while any task is open'."""
    case_id, staff = _case(app, client, people)
    blocked = step(staff, app, case_id, "fulfil", reason="Gewijzigd.")
    assert blocked.status_code == 409 and "Leg eerst per gegeven vast" in text_of(blocked)

    assert add_item(staff, case_id, register["inschrijving"]).status_code == 302
    blocked = step(staff, app, case_id, "fulfil", reason="Gewijzigd.")
    assert blocked.status_code == 409 and "Voer eerst de rectificatie door" in text_of(blocked)

    assert carry_out(staff, app, case_id).status_code == 302
    tasks = _tasks(app, case_id)
    # The register's recipients of 'Inschrijving en persoonsgegevens': one task each, no duplicates; the suppliers
    # by name (the demo register names them instead of the group placeholder).
    assert sorted(t.recipient.code for t in tasks) == ["duo_bron", "leerplicht", "leverancier_leerlijn",
                                                       "leverancier_oefenplein", "oso"]
    assert all(t.status == "open" and t.reason == "rectification" and t.category_codes == "inschrijving"
               for t in tasks)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Ontvangers inlichten (art. 19 AVG)" in page and "BRON-uitwisseling" in page

    blocked = step(staff, app, case_id, "fulfil", reason="Gewijzigd.")
    assert blocked.status_code == 409 and "Nog open art. 19-taken: 5" in text_of(blocked)

    for task in tasks[:-1]:
        assert resolve(staff, app, case_id, task.id).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Gewijzigd.").status_code == 409, "one still open"
    last = tasks[-1]
    no_reason = resolve(staff, app, case_id, last.id, outcome="exception", kind="disproportionate", note="")
    assert no_reason.status_code == 422 and "onevenredige inspanning" in text_of(no_reason)
    no_kind = resolve(staff, app, case_id, last.id, outcome="exception", note="Onbekend adres.")
    assert no_kind.status_code == 422 and "Kies waarom" in text_of(no_kind)
    assert resolve(staff, app, case_id, last.id, outcome="exception", kind="impossible",
                   note="De oude school bestaat niet meer.").status_code == 302

    assert step(staff, app, case_id, "fulfil", reason="Geboortedatum gecorrigeerd.").status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).state == "fulfilled"

    # R-LT-4: the completion letter says what was done, who was told, and who not and why.
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Nog te versturen" in page
    assert send_letter(staff, case_id, "completion").status_code == 302
    assert "Nog te versturen" not in text_of(staff.get(f"/zaken/{case_id}"))
    run_jobs()
    [mail] = [m for m in smtp_server.messages if m["To"] == "leerling@example.nl" and "uitgevoerd" in m["Subject"]]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "14-03-2009" not in body and "Sam Jansen" not in body
    confirm_address(client, smtp_server, run_jobs, "leerling@example.nl")  # letter links need a confirmed address
    response = client.get(urlsplit(link_in(body)).path)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "gewijzigd van '14-03-2008' in '14-03-2009'" in text
    assert "DUO (Dienst Uitvoering Onderwijs), via BRON" in text and "Leerplicht en RMC" in text
    assert "hebben wij niet ingelicht" in text and "De oude school bestaat niet meer." in text

    with app.app_context():
        details = " ".join(e.details for e in db.session.query(AuditEvent).filter_by(case_id=case_id))
        actions = [e.action for e in db.session.query(AuditEvent).filter_by(case_id=case_id).order_by(AuditEvent.id)]
    assert "14-03-2009" not in details and "Uittreksel" not in details, "values stay out of the audit log"
    assert actions.count("fulfilment.task_resolved") == 5 and "rectification.carried_out" in actions
    assert actions.index("rectification.carried_out") < actions.index("transition.fulfil")


def test_a_close_form_loaded_before_the_tasks_existed_is_stale(app, client, people, register):
    case_id, staff = _case(app, client, people)
    add_item(staff, case_id, register["financieel"], field="Factuuradres")
    loaded = case_version(app, case_id)
    assert carry_out(staff, app, case_id, version=loaded).status_code == 302
    response = step(staff, app, case_id, "fulfil", version=loaded, reason="Klaar.")
    assert response.status_code == 409 and "door iemand anders gewijzigd" in text_of(response)
    assert carry_out(staff, app, case_id, version=loaded).status_code == 409


def test_no_recipients_means_no_tasks_and_the_letter_says_so(app, client, people, register, smtp_server,
                                                              run_jobs):
    case_id, staff = _case(app, client, people, email="geen@example.nl")
    add_item(staff, case_id, register["financieel"], field="Factuuradres", old_value="Dorpsstraat 1",
             new_value="Stationsstraat 1")
    carry_out(staff, app, case_id)
    assert _tasks(app, case_id) == []
    assert step(staff, app, case_id, "fulfil", reason="Gewijzigd.").status_code == 302
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/completion"))
    assert "aan niemand buiten de school gegeven" in preview and "Brief versturen" in preview


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"evidence": ""}, "evidence", "Noteer welk bewijs u heeft gezien"),
    ({"new_value": ""}, "new_value", "Vul de juiste waarde in."),
    ({"field": ""}, "field", "Noem het gegeven"),
    ({"kind": "opinion", "statement": ""}, "statement", "Een mening of oordeel wordt niet gewijzigd"),
    ({"category_id": "999999"}, "category_id", "Kies een categorie"),
    ({"kind": "wish"}, "kind", ""),
    ({"evidence": "x" * 1001}, "evidence", "Gebruik maximaal 1000 tekens."),
])
def test_bad_items_are_refused_at_the_field(app, client, people, register, values, field, message):
    case_id, staff = _case(app, client, people)
    response = add_item(staff, case_id, register["inschrijving"], **values)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page and f'id="{field}-error"' in page
    with app.app_context():
        assert db.session.query(RectificationItem).count() == 0


def test_an_opinion_is_not_rectified_a_statement_is_added_and_it_is_a_partial_refusal(
        app, client, people, register, smtp_server, run_jobs):
    """R-RI-2: 'delete the mentor's remark that I am disruptive' -> refuse rectification; offer to add the
    student's statement."""
    opinion = dict(kind="opinion", field="Opmerking van de mentor", old_value="Sam is storend in de les.",
                   new_value="", evidence="", statement="Ik ben het hier niet mee eens: ik stelde vragen.")
    granted, staff = _case(app, client, people, email="toegewezen@example.nl")
    assert add_item(staff, granted, register["leerlingdossier"], **opinion).status_code == 302
    refused = carry_out(staff, app, granted)
    assert refused.status_code == 409 and "gedeeltelijke weigering" in text_of(refused)

    # Reviewed as a partial refusal with the 'not factual' ground.
    case_id, staff = _case(app, client, people, decision="partial", grounds=["not_factual"],
                           email="mening@example.nl")
    assert add_item(staff, case_id, register["leerlingdossier"], **opinion).status_code == 302
    blocked = step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                   reason="Mening wordt niet gewijzigd.")
    assert blocked.status_code == 409 and "Voer eerst de rectificatie door" in text_of(blocked)
    assert carry_out(staff, app, case_id).status_code == 302
    assert _tasks(app, case_id) == [], "a statement added to the file is not a correction to pass on"
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Mening wordt niet gewijzigd.").status_code == 302
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    assert send_letter(director, case_id, "partial_refusal").status_code == 302
    with app.app_context():
        letter = db.session.execute(sa.select(Letter).where(Letter.case_id == case_id)).scalar_one()
        from dsr.services import storage

        text = pdf_text(storage.load(letter.storage_key))
    assert "Opmerking van de mentor" in text and "uw eigen verklaring aan het dossier toegevoegd" in text
    assert "geen feitelijk onjuist gegeven" in text and "Autoriteit Persoonsgegevens" in text


def test_items_can_be_removed_until_carried_out(app, client, people, register):
    case_id, staff = _case(app, client, people)
    add_item(staff, case_id, register["inschrijving"])
    with app.app_context():
        item_id = db.session.execute(sa.select(RectificationItem.id)).scalar_one()
    other = signed_in(app, people, "staff_b")
    assert other.post(f"/zaken/{case_id}/rectificatie/{item_id}/verwijderen").status_code == 404
    assert staff.post(f"/zaken/{case_id}/rectificatie/{item_id}/verwijderen").status_code == 302
    add_item(staff, case_id, register["inschrijving"])
    carry_out(staff, app, case_id)
    with app.app_context():
        item_id = db.session.execute(sa.select(RectificationItem.id)).scalar_one()
    response = staff.post(f"/zaken/{case_id}/rectificatie/{item_id}/verwijderen")
    assert response.status_code == 409 and "al doorgevoerd" in text_of(response)


def test_tasks_of_another_case_or_school_are_not_found(app, client, people, register):
    case_id, staff = _case(app, client, people)
    add_item(staff, case_id, register["inschrijving"])
    carry_out(staff, app, case_id)
    task = _tasks(app, case_id)[0]
    other_case, _ = _case(app, client, people, email="ander@example.nl")
    assert resolve(staff, app, other_case, task.id).status_code == 404
    assert resolve(signed_in(app, people, "staff_b"), app, case_id, task.id).status_code == 404


def test_audit_details_name_items_not_values(app, client, people, register):
    case_id, staff = _case(app, client, people)
    add_item(staff, case_id, register["inschrijving"])
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "rectification.item_added")).scalar_one()
    assert set(json.loads(event.details)) == {"item_id", "category", "kind"}
