"""Erasure through HTTP (R-RI-3, §6, R-RI-7, R-LT-1/4): per category from the leaving date and the school's type,
erase, keep on a statutory duty (with its article), or let staff decide on Art. 17(1) where only a policy period
runs; single items can go while the student is enrolled; anything kept is a partial refusal for the director;
erased categories get Art. 19 tasks; the letter names what was kept until when, on which ground."""
from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ErasureItem, RecipientTask
from dsr.workflows.letters import long_date
from tests.helpers import case_version, local_today, signed_in, step, submit, text_of
from tests.integration.helpers import letter_in_mail


def years_before(day: dt.date, years: int) -> dt.date:
    year = day.year - years
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def years_after(day: dt.date, years: int) -> dt.date:
    return years_before(day, -years)


def _case(app, client, people, *, decision="partial", grounds=("art17_3_b",), email="oud-leerling@example.nl"):
    """A former pupil (21) asks to erase their data."""
    today = local_today()
    case_id = submit(client, people.school_a, right="erasure", requester_role="student", parental_authority="",
                     requester_name="Sam Jansen", requester_email=email,
                     student_birth_date=dt.date(today.year - 21, 1, 15).isoformat(), data_concerned="Alles")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="known_contact").status_code == 302
    assert step(staff, app, case_id, "review", decision=decision, grounds=list(grounds),
                reason="Beoordeeld.").status_code == 302
    return case_id, staff


def leaving(client, app, case_id, left_on=None, enrolled=False):
    data = {"version": case_version(app, case_id), "left_on": left_on.isoformat() if left_on else ""}
    if enrolled:
        data["enrolled"] = "y"
    return client.post(f"/zaken/{case_id}/verwijdering", data=data)


def carry_out(client, app, case_id):
    return client.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)})


def _all_items(app, case_id) -> list[ErasureItem]:
    with app.app_context():
        items = db.session.execute(sa.select(ErasureItem).where(ErasureItem.case_id == case_id)
                                   .order_by(ErasureItem.id)).scalars().all()
        for item in items:
            _ = item.category
            db.session.expunge(item)
        return items


def _items(app, case_id) -> dict[str, ErasureItem]:
    """The category items (not single documents) by register code."""
    return {item.category.code: item for item in _all_items(app, case_id) if not item.document}


def _tasks(app, case_id) -> list[RecipientTask]:
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)).scalars().all()
        for t in tasks:
            _ = t.recipient
            db.session.expunge(t)
        return tasks


def decide(client, app, case_id, item_id, choice):
    """Staff's Art. 17(1) decision for one policy-period category (R-RI-3 step 1)."""
    return client.post(f"/zaken/{case_id}/verwijdering/{item_id}/beslissen",
                       data={f"e{item_id}-version": case_version(app, case_id), f"e{item_id}-choice": choice})


def send_letter(client, case_id, kind):
    page = client.get(f"/zaken/{case_id}/brieven/{kind}").get_data(as_text=True)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)
    return client.post(f"/zaken/{case_id}/brieven/{kind}", data={"confirmed": "y", "digest": digest})


def test_vo_pupil_who_left_three_years_ago_policy_data_is_erased_financial_records_kept_on_awr_52(
        app, client, people, register, smtp_server, run_jobs):
    """R-RI-3 (issue 11 journey): a vo school (the default type). Expired policy periods are erased; the running
    policy periods (inschrijving, verzuim: 5 years, no statute traced for vo) are decided by staff on Art. 17(1);
    financial records stay on their statutory duty and the letter cites AWR art. 52 lid 4."""
    case_id, staff = _case(app, client, people)
    left_on = years_before(local_today(), 3)
    assert leaving(staff, app, case_id, left_on).status_code == 302
    items = _items(app, case_id)
    assert items["leerlingdossier"].outcome == "erase" and items["zorg"].outcome == "erase"
    assert items["leerlingdossier"].erase_ground == "17_1_a"
    assert (items["verzuim"].outcome, items["verzuim"].keep_until) == ("decide", years_after(left_on, 5))
    assert items["inschrijving"].outcome == "decide"
    assert (items["financieel"].outcome, items["financieel"].keep_until) == ("keep", years_after(left_on, 7))
    assert items["financieel"].ground == "art17_3_b" and "AWR art. 52 lid 4" in items["financieel"].statute
    assert (items["diploma"].outcome, items["diploma"].keep_until, items["diploma"].ground) == (
        "keep", None, "art17_3_b")
    assert items["beeldmateriaal"].erase_ground == "17_1_b"
    assert "avg_verzoeken" not in items
    with app.app_context():
        assert db.session.get(Case, case_id).student_left_on == left_on
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert f"Bewaren tot {long_date(years_after(left_on, 7))}" in page and "Nog beslissen" in page
    assert "Beleidstermijn van ASG" in page

    # Nothing is carried out while a policy-period category is undecided.
    blocked = carry_out(staff, app, case_id)
    assert blocked.status_code == 409 and "Beslis eerst voor elke categorie" in text_of(blocked)
    # A statutory duty cannot be decided away; a policy period is decided on Art. 17(1).
    assert decide(staff, app, case_id, items["financieel"].id, "17_1_a").status_code in (404, 409, 422)
    bad = decide(staff, app, case_id, items["verzuim"].id, "17_1_b")
    assert bad.status_code == 422 and "alleen voor gegevens op grond van toestemming" in text_of(bad)
    assert decide(staff, app, case_id, items["verzuim"].id, "17_1_a").status_code == 302
    assert decide(staff, app, case_id, items["inschrijving"].id, "none").status_code == 302
    items = _items(app, case_id)
    assert (items["verzuim"].outcome, items["verzuim"].erase_ground) == ("erase", "17_1_a")
    assert (items["inschrijving"].outcome, items["inschrijving"].ground) == ("keep", "no_17_1_ground")
    assert items["inschrijving"].keep_until == years_after(left_on, 5)

    # Proposing the partial refusal needs the erasure carried out first.
    blocked = step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                   reason="Financiële gegevens blijven.")
    assert blocked.status_code == 409 and "Voer eerst de verwijdering door" in text_of(blocked)
    assert carry_out(staff, app, case_id).status_code == 302
    erased = {code for code, item in _items(app, case_id).items() if item.carried_out_at}
    assert erased == {code for code, item in items.items() if item.outcome == "erase"}
    tasks = _tasks(app, case_id)
    # Recipients of the erased categories only (R-RI-7), one task each, suppliers by name.
    assert sorted(t.recipient.code for t in tasks) == ["duo_bron", "leerplicht", "leverancier_leerlijn",
                                                       "leverancier_oefenplein", "oso", "swv"]
    assert all(t.reason == "erasure" for t in tasks)
    assert "financieel" not in " ".join(t.category_codes for t in tasks)

    # Anything kept goes to the director; approval waits for the Art. 19 tasks.
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Financiële gegevens blijven 7 jaar.").status_code == 302
    director = signed_in(app, people, "director_a")
    blocked = step(director, app, case_id, "approve_refusal", reason="Akkoord.")
    assert blocked.status_code == 409 and "Nog open art. 19-taken: 6" in text_of(blocked)
    for task in tasks:
        version = case_version(app, case_id)
        assert staff.post(f"/zaken/{case_id}/art19/{task.id}", data={
            f"t{task.id}-version": version, f"t{task.id}-outcome": "done",
            f"t{task.id}-note": "Per e-mail gemeld."}).status_code == 302
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).state == "partially_fulfilled"

    # The letter: what was erased on which ground, who was told, what is kept with its ground and end date.
    preview = text_of(director.get(f"/zaken/{case_id}/brieven/partial_refusal"))
    assert "Deze brief kan nog niet worden verstuurd" not in preview
    assert send_letter(director, case_id, "partial_refusal").status_code == 302
    text = letter_in_mail(client, smtp_server, run_jobs, "oud-leerling@example.nl", "Beslissing")
    assert "Leerlingdossier (algemeen): verwijderd (niet meer nodig, artikel 17 lid 1 onder a AVG)." in text
    assert "Aanwezigheid en verzuim: verwijderd (niet meer nodig" in text
    assert "Financiële gegevens De school moet deze gegevens nog bewaren (AWR art. 52 lid 4" in text
    assert f"tot {long_date(years_after(left_on, 7))}" in text
    assert ("Wettelijke grond: Art. 17 lid 3 sub b AVG: een wettelijke plicht verplicht de school deze gegevens te "
            "bewaren (AWR art. 52 lid 4; BW 2:10 lid 3).") in text and "Archiefwet 1995 art. 3 en 5" in text
    # The policy-period category staff kept: the truthful ground, never "the law obliges".
    kept_policy = text.split("Inschrijving en persoonsgegevens", 1)[1].split("Diploma en cijferlijst", 1)[0]
    assert "Geen wet verplicht de school deze gegevens te bewaren" in kept_policy
    assert "geen van de gronden voor verwijdering is van toepassing" in kept_policy
    assert "moet deze gegevens nog bewaren" not in kept_policy
    assert "Samenwerkingsverband passend onderwijs Almere" in text and "Leerlijn Uitgevers B.V. (demo)" in text
    assert "Leveranciers van digitaal leermateriaal" not in text
    assert "na goedkeuring door de directeur" in text and "Postbus 93374, 2509 AJ Den Haag" in text
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                                 AuditEvent.action == "erasure.proposed")).scalars()
        assert "financieel" in event.details_dict["keep"] and "zorg" in event.details_dict["erase"]
        assert set(event.details_dict["decide"]) == {"inschrijving", "verzuim"}
        assert event.details_dict["school_type"] == "vo"


def test_po_school_keeps_verzuim_on_its_statutory_period(app, client, people, register):
    """R-RI-3, §6: in primary education verzuim and in/uitschrijving are kept 5 years by statute."""
    with app.app_context():
        from dsr.models import School

        db.session.get(School, people.school_a).school_type = "po"
        db.session.commit()
    case_id, staff = _case(app, client, people)
    leaving(staff, app, case_id, years_before(local_today(), 3))
    items = _items(app, case_id)
    assert (items["verzuim"].outcome, items["verzuim"].ground) == ("keep", "art17_3_b")
    assert "Bekostigingsbesluit WPO" in items["verzuim"].statute
    assert not [code for code, item in items.items() if item.outcome == "decide"]


def test_nothing_kept_is_a_full_grant(app, client, people, register, monkeypatch):
    """With every period over (left 10 years ago) only the diploma stays: still partial. Without a
    diploma category in the register, everything goes and the case can be fulfilled directly."""
    with app.app_context():
        from dsr.models import RegisterCategory

        for code in ("diploma", "financieel"):
            db.session.execute(sa.update(RegisterCategory).where(RegisterCategory.code == code).values(active=False))
        db.session.commit()
    case_id, staff = _case(app, client, people, decision="grant", grounds=())
    assert leaving(staff, app, case_id, years_before(local_today(), 10)).status_code == 302
    assert {i.outcome for i in _items(app, case_id).values()} == {"erase"}
    blocked = step(staff, app, case_id, "fulfil", reason="Alles verwijderd.")
    assert blocked.status_code == 409 and "Voer eerst de verwijdering door" in text_of(blocked)
    carry_out(staff, app, case_id)
    for task in _tasks(app, case_id):
        staff.post(f"/zaken/{case_id}/art19/{task.id}", data={
            f"t{task.id}-version": case_version(app, case_id), f"t{task.id}-outcome": "done", f"t{task.id}-note": "ok"})
    assert step(staff, app, case_id, "fulfil", reason="Alles verwijderd.").status_code == 302


def _decide_pending(staff, app, case_id, choice="17_1_a"):
    for item in _items(app, case_id).values():
        if item.outcome == "decide":
            assert decide(staff, app, case_id, item.id, choice).status_code == 302


def test_a_grant_cannot_keep_anything(app, client, people, register):
    case_id, staff = _case(app, client, people, decision="grant", grounds=())
    leaving(staff, app, case_id, years_before(local_today(), 3))
    _decide_pending(staff, app, case_id)
    refused = carry_out(staff, app, case_id)
    assert refused.status_code == 409 and "gedeeltelijke weigering" in text_of(refused)
    assert step(staff, app, case_id, "fulfil", reason="x").status_code == 409


def test_still_enrolled_keeps_data_it_needs_and_erases_a_single_outdated_item(
        app, client, people, register, smtp_server, run_jobs):
    """R-RI-3 step 3: while enrolled the school keeps what it needs (statutory duties on 17(3)(b), the rest
    because no 17(1) ground applies), but one outdated or unlawful document can go now."""
    case_id, staff = _case(app, client, people)
    assert leaving(staff, app, case_id, enrolled=True).status_code == 302
    items = _items(app, case_id)
    assert {code for code, i in items.items() if i.outcome == "erase"} == {"beeldmateriaal", "delen_met_toestemming"}
    assert all(i.keep_until is None for i in items.values())
    assert items["cijfers"].ground == "no_17_1_ground" and "nog ingeschreven" in items["cijfers"].explanation
    assert items["financieel"].ground == "art17_3_b"
    bad = staff.post(f"/zaken/{case_id}/verwijdering/los-stuk", data={
        "category_id": register["leerlingdossier"], "document": "", "ground": "17_1_a"})
    assert bad.status_code == 422 and 'id="document-error"' in text_of(bad)
    assert staff.post(f"/zaken/{case_id}/verwijdering/los-stuk", data={
        "category_id": register["leerlingdossier"], "document": "Gespreksverslag van 3 maart 2023",
        "ground": "17_1_d", "reason": "Dit verslag had niet in het dossier mogen staan."}).status_code == 302
    # Recomputing the proposal keeps the single item.
    assert leaving(staff, app, case_id, enrolled=True).status_code == 302
    single = [i for i in _all_items(app, case_id) if i.document]
    assert [(i.document, i.erase_ground) for i in single] == [("Gespreksverslag van 3 maart 2023", "17_1_d")]
    assert carry_out(staff, app, case_id).status_code == 302
    for task in _tasks(app, case_id):
        staff.post(f"/zaken/{case_id}/art19/{task.id}", data={
            f"t{task.id}-version": case_version(app, case_id), f"t{task.id}-outcome": "done", f"t{task.id}-note": "ok"})
    assert step(staff, app, case_id, "propose_refusal", reason="Rest blijft.",
                requester_explanation="Uitleg voor de aanvrager.").status_code == 302
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    assert send_letter(director, case_id, "partial_refusal").status_code == 302
    text = letter_in_mail(client, smtp_server, run_jobs, "oud-leerling@example.nl", "Beslissing")
    assert ("Leerlingdossier (algemeen), Gespreksverslag van 3 maart 2023: verwijderd (onrechtmatig gebruikt, "
            "artikel 17 lid 1 onder d AVG). Dit verslag had niet in het dossier mogen staan.") in text
    assert "De leerling staat nog ingeschreven. De school heeft deze gegevens nodig om onderwijs te geven." in text


@pytest.mark.parametrize(("left_on", "enrolled", "message"), [
    (None, False, "Vul de uitschrijfdatum in, of geef aan dat de leerling nog ingeschreven staat."),
    ("past", True, "Vul de uitschrijfdatum in, of geef aan dat de leerling nog ingeschreven staat."),
    ("future", False, "De uitschrijfdatum ligt in de toekomst."),
    ("before_birth", False, "De uitschrijfdatum ligt vóór de geboortedatum."),
])
def test_bad_leaving_dates_are_shown_at_the_field(app, client, people, register, left_on, enrolled, message):
    case_id, staff = _case(app, client, people)
    day = {"past": years_before(local_today(), 1), "future": local_today() + dt.timedelta(days=1),
           "before_birth": dt.date(1990, 1, 1), None: None}[left_on]
    response = leaving(staff, app, case_id, day, enrolled=enrolled)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page and 'id="left_on-error"' in page
    assert _items(app, case_id) == {}


def test_garbage_date_is_a_field_error_not_a_500(app, client, people, register):
    case_id, staff = _case(app, client, people)
    response = staff.post(f"/zaken/{case_id}/verwijdering",
                          data={"version": case_version(app, case_id), "left_on": "31-02-2023"})
    assert response.status_code == 422 and 'id="left_on-error"' in text_of(response)


def test_the_proposal_can_be_recomputed_until_carried_out(app, client, people, register):
    case_id, staff = _case(app, client, people)
    leaving(staff, app, case_id, enrolled=True)
    leaving(staff, app, case_id, years_before(local_today(), 3))
    assert _items(app, case_id)["leerlingdossier"].outcome == "erase"
    _decide_pending(staff, app, case_id)
    assert carry_out(staff, app, case_id).status_code == 302
    again = leaving(staff, app, case_id, years_before(local_today(), 1))
    assert again.status_code == 409 and "al doorgevoerd" in text_of(again)
