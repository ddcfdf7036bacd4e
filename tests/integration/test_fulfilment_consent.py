"""Consent through HTTP (R-CH-8, R-RI-5, R-RI-7, R-LT-4): withdrawing consent, and an objection to consent-based
data (photos), both end in stopping and erasure per category, with Art. 19 tasks to the category's recipients and
a completion letter that says what stopped, what was erased and who was told. Never "legal obligation"."""
from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ErasureItem, RecipientTask, RegisterCategory, RegisterRecipient
from tests.helpers import case_version, local_today, signed_in, step, submit, text_of
from tests.integration.helpers import letter_in_mail

PHOTOGRAPHER = "Fotostudio Voorbeeld (demo)"


def _photographer(app) -> None:
    """The photos go to a named photographer (a processor), so the withdrawal has someone to tell (Art. 19)."""
    with app.app_context():
        photos = db.session.execute(sa.select(RegisterCategory).where(
            RegisterCategory.code == "beeldmateriaal")).scalar_one()
        photos.recipients.append(RegisterRecipient(
            code="fotograaf", name=PHOTOGRAPHER, kind="supplier", processor=True, named=True, active=True,
            description="Maakt de schoolfoto's.", notification_route="Per e-mail aan de fotostudio."))
        db.session.commit()


def _case(app, client, people, right, email):
    """A parent with gezag of a 12-year-old (R-CH-8: under 16 the gezag-holder's consent) asks."""
    today = local_today()
    case_id = submit(client, people.school_a, right=right, requester_email=email,
                     student_birth_date=dt.date(today.year - 12, 3, 1).isoformat(),
                     data_concerned="De foto's van mijn kind op de website.")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="known_contact", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="grant", grounds=[], reason="Beoordeeld.").status_code == 302
    return case_id, staff


def decide(client, app, case_id, outcome, categories, explanation="Uitleg voor de aanvrager."):
    return client.post(f"/zaken/{case_id}/beslissing", data={
        "version": case_version(app, case_id), "outcome": outcome, "ground": "",
        "category_ids": [str(c) for c in categories], "explanation": explanation})


def _finish(app, staff, case_id) -> list[str]:
    """Carry out, tell every recipient, fulfil; returns the codes of the recipients that got a task."""
    assert staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)}).status_code == 302
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)).scalars().all()
        codes = sorted(t.recipient.code for t in tasks)
        assert {t.reason for t in tasks} <= {"erasure"}
        ids = [t.id for t in tasks]
    if ids:  # R-RI-7: no closing while a recipient has not been told
        assert step(staff, app, case_id, "fulfil", reason="Gestopt en verwijderd.").status_code == 409
    for task_id in ids:
        assert staff.post(f"/zaken/{case_id}/art19/{task_id}", data={
            f"t{task_id}-version": case_version(app, case_id), f"t{task_id}-outcome": "done",
            f"t{task_id}-note": "Per e-mail gemeld."}).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Gestopt en verwijderd.").status_code == 302
    return codes


def _letter_text(staff, client, case_id, smtp_server, run_jobs, email) -> str:
    page = staff.get(f"/zaken/{case_id}/brieven/completion").get_data(as_text=True)
    assert "Deze brief kan nog niet worden verstuurd" not in html.unescape(page)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert staff.post(f"/zaken/{case_id}/brieven/completion",
                      data={"confirmed": "y", "digest": digest}).status_code == 302
    return letter_in_mail(client, smtp_server, run_jobs, email, "is uitgevoerd")


def test_r_ri_5_objection_to_photos_ends_in_erasure_with_its_completion_letter(
        app, client, people, register, smtp_server, run_jobs):
    _photographer(app)
    email = "ouder.fotos@example.nl"
    case_id, staff = _case(app, client, people, "objection", email)
    photos = register["beeldmateriaal"]
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Toestemming: behandelen als intrekking" in page

    # Never "legal obligation", never a balancing test: consent-based data is withdrawn (R-RI-5, R-CH-8).
    for wrong in ("legal_obligation", "compelling_grounds", "stopped"):
        refused = decide(staff, app, case_id, wrong, [photos])
        assert refused.status_code == 422 and "geldt als intrekking van de toestemming" in text_of(refused), wrong
    mixed = decide(staff, app, case_id, "consent_withdrawn", [photos, register["cijfers"]])
    assert mixed.status_code == 422 and "Kies alleen zulke categorieën" in text_of(mixed)
    assert decide(staff, app, case_id, "consent_withdrawn", [photos],
                  explanation="Wij gebruiken geen foto's van uw kind meer.").status_code == 302

    # Per category: what stops and what is erased, in words the requester reads.
    with app.app_context():
        [item] = db.session.execute(sa.select(ErasureItem).where(ErasureItem.case_id == case_id)).scalars().all()
        assert (item.erase_ground, item.carried_out_at) == ("17_1_b", None)
        assert "op de website, in de schoolgids" in item.stopped
        item_id = item.id
    blocked = step(staff, app, case_id, "fulfil", reason="x")
    assert blocked.status_code == 409 and "Stop eerst het gebruik en verwijder de gegevens" in text_of(blocked)
    assert staff.post(f"/zaken/{case_id}/intrekking/{item_id}", data={
        f"w{item_id}-stopped": "", f"w{item_id}-erased": "x"}).status_code == 422
    assert staff.post(f"/zaken/{case_id}/intrekking/{item_id}", data={
        f"w{item_id}-stopped": "Foto's van uw kind op de website en in de nieuwsbrief",
        f"w{item_id}-erased": "Alle foto's en video's van uw kind uit het beeldarchief"}).status_code == 302

    assert _finish(app, staff, case_id) == ["fotograaf"]
    with app.app_context():
        assert db.session.get(Case, case_id).state == "fulfilled"
        actions = {e.action for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id)).scalars()}
        assert {"decision.recorded", "withdrawal.item_edited", "decision.carried_out"} <= actions

    text = _letter_text(staff, client, case_id, smtp_server, run_jobs, email)
    assert ("Wij hebben uw verzoek om bezwaar te maken tegen het gebruik van gegevens (artikel 21 AVG) "
            "uitgevoerd.") in text
    assert ("Foto's en video's: de toestemming is ingetrokken. Gestopt: Foto's van uw kind op de website en in de "
            "nieuwsbrief. Verwijderd: Alle foto's en video's van uw kind uit het beeldarchief (toestemming "
            "ingetrokken, artikel 7 lid 3 en artikel 17 lid 1 onder b AVG).") in text
    assert "hebben wij uw bezwaar behandeld als het intrekken van die toestemming" in text
    assert "Wie wij hebben ingelicht" in text and PHOTOGRAPHER in text
    assert "wettelijke plicht" not in text.lower() and "wet verplicht" not in text


def test_r_ch_8_withdrawing_consent_through_the_public_form(app, client, people, register, smtp_server, run_jobs):
    page = text_of(client.get("/"))
    assert "Toestemming intrekken" in page and "U hoeft geen reden te geven." in page
    email = "ouder.intrekken@example.nl"
    case_id, staff = _case(app, client, people, "consent_withdrawal", email)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.right == "consent_withdrawal" and case.right_label == "Toestemming intrekken"
    refused = decide(staff, app, case_id, "not_consent_based", [register["beeldmateriaal"]])
    assert refused.status_code == 422 and "Kies 'Intrekking verwerken'" in text_of(refused)
    assert decide(staff, app, case_id, "withdrawn", [register["beeldmateriaal"], register["delen_met_toestemming"]],
                  explanation="Uw toestemming geldt niet meer.").status_code == 302
    assert _finish(app, staff, case_id) == []  # the seed names no recipients for these categories
    text = _letter_text(staff, client, case_id, smtp_server, run_jobs, email)
    assert "Wij hebben uw verzoek om uw toestemming in te trekken uitgevoerd." in text
    assert "Foto's en video's: de toestemming is ingetrokken. Gestopt: Foto's en video's waarop de leerling" in text
    assert "Gegevens delen met andere organisaties (met toestemming): de toestemming is ingetrokken." in text
    assert "dus er was niemand anders om in te lichten" in text
