"""Erasure through HTTP (R-RI-3, §6, R-RI-7, R-LT-1/4): per category from the leaving date, erase or keep until
a date with the legal ground; anything kept is a partial refusal for the director; erased categories get
Art. 19 tasks; the letter names what was kept until when."""
from __future__ import annotations

import calendar
import datetime as dt
import html
import io
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, ErasureItem, RecipientTask
from dsr.workflows.letters import long_date
from tests.helpers import case_version, link_in, local_today, login, step, submit


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))




def years_before(day: dt.date, years: int) -> dt.date:
    year = day.year - years
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def years_after(day: dt.date, years: int) -> dt.date:
    return years_before(day, -years)




def _staff(app, people, who="staff_a"):
    client = app.test_client()
    login(client, people.email[who])
    return client


def _case(app, client, people, *, decision="partial", grounds=("art17_3_b",), email="oud-leerling@example.nl"):
    """A former pupil (21) asks to erase their data."""
    today = local_today()
    case_id = submit(client, people.school_a, right="erasure", requester_role="student", parental_authority="",
                     requester_name="Sam Jansen", requester_email=email,
                     student_birth_date=dt.date(today.year - 21, 1, 15).isoformat(), data_concerned="Alles")
    staff = _staff(app, people)
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


def _items(app, case_id) -> dict[str, ErasureItem]:
    with app.app_context():
        items = db.session.execute(sa.select(ErasureItem).where(ErasureItem.case_id == case_id)).scalars().all()
        out = {}
        for item in items:
            out[item.category.code] = item
            db.session.expunge(item)
        return out


def _tasks(app, case_id) -> list[RecipientTask]:
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)).scalars().all()
        for t in tasks:
            _ = t.recipient
            db.session.expunge(t)
        return tasks


def send_letter(client, case_id, kind):
    page = client.get(f"/zaken/{case_id}/brieven/{kind}").get_data(as_text=True)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)
    return client.post(f"/zaken/{case_id}/brieven/{kind}", data={"digest": digest})


def test_pupil_who_left_three_years_ago_keeps_financial_records_until_their_end_date_via_the_director(
        app, client, people, register, smtp_server, run_jobs):
    case_id, staff = _case(app, client, people)
    left_on = years_before(local_today(), 3)
    assert leaving(staff, app, case_id, left_on).status_code == 302
    items = _items(app, case_id)
    # rules.md R-RI-3 example: general and zorg erased; verzuim (to yr 5), financial (to yr 7), diploma kept.
    assert items["leerlingdossier"].outcome == "erase" and items["zorg"].outcome == "erase"
    assert (items["verzuim"].outcome, items["verzuim"].keep_until) == ("keep", years_after(left_on, 5))
    assert (items["financieel"].outcome, items["financieel"].keep_until) == ("keep", years_after(left_on, 7))
    assert (items["diploma"].outcome, items["diploma"].keep_until) == ("keep", None)
    assert items["financieel"].ground == "art17_3_b" and items["beeldmateriaal"].outcome == "erase"
    assert "avg_verzoeken" not in items
    with app.app_context():
        assert db.session.get(Case, case_id).student_left_on == left_on
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert f"Bewaren tot {long_date(years_after(left_on, 7))}" in page

    # Proposing the partial refusal needs the erasure carried out first.
    blocked = step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.", reason="Financiële gegevens blijven.")
    assert blocked.status_code == 409 and "Voer eerst de verwijdering door" in text_of(blocked)
    assert carry_out(staff, app, case_id).status_code == 302
    erased = {code for code, item in _items(app, case_id).items() if item.carried_out_at}
    assert erased == {code for code, item in items.items() if item.outcome == "erase"}
    tasks = _tasks(app, case_id)
    # Recipients of the erased categories only (R-RI-7), one task each.
    assert sorted(t.recipient.code for t in tasks) == ["duo_bron", "leermiddelen", "oso", "swv"]
    assert all(t.reason == "erasure" for t in tasks)
    assert "financieel" not in " ".join(t.category_codes for t in tasks)

    # Anything kept goes to the director; approval waits for the Art. 19 tasks.
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.", reason="Financiële gegevens blijven 7 jaar.").status_code == 302
    director = _staff(app, people, "director_a")
    blocked = step(director, app, case_id, "approve_refusal", reason="Akkoord.")
    assert blocked.status_code == 409 and "Nog open art. 19-taken: 4" in text_of(blocked)
    for task in tasks:
        version = case_version(app, case_id)
        assert staff.post(f"/zaken/{case_id}/art19/{task.id}", data={
            f"t{task.id}-version": version, f"t{task.id}-outcome": "done",
            f"t{task.id}-note": "Per e-mail gemeld."}).status_code == 302
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).state == "partially_fulfilled"

    # The letter: what was erased, who was told, what is kept with its ground and end date (R-LT-1, R-LT-4).
    preview = text_of(director.get(f"/zaken/{case_id}/brieven/partial_refusal"))
    assert "Deze brief kan nog niet worden verstuurd" not in preview
    assert send_letter(director, case_id, "partial_refusal").status_code == 302
    run_jobs()
    [mail] = [m for m in smtp_server.messages if m["To"] == "oud-leerling@example.nl" and "Beslissing" in m["Subject"]]
    response = client.get(urlsplit(link_in(mail.get_body(preferencelist=("plain",)).get_content())).path)
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    assert "Leerlingdossier (algemeen): verwijderd." in text and "Zorg en ondersteuning: verwijderd." in text
    assert "Financiële gegevens De school moet deze gegevens nog bewaren" in text
    assert f"tot {long_date(years_after(left_on, 7))}" in text
    assert "Art. 17 lid 3 sub b AVG" in text and "selectielijst" in text
    assert "Samenwerkingsverband passend onderwijs Almere" in text
    assert "na goedkeuring door de directeur" in text and "Postbus 93374, 2509 AJ Den Haag" in text
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                                 AuditEvent.action == "erasure.proposed")).scalars()
        assert "financieel" in event.details_dict["keep"] and "zorg" in event.details_dict["erase"]


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


def test_a_grant_cannot_keep_anything(app, client, people, register):
    case_id, staff = _case(app, client, people, decision="grant", grounds=())
    leaving(staff, app, case_id, years_before(local_today(), 3))
    refused = carry_out(staff, app, case_id)
    assert refused.status_code == 409 and "gedeeltelijke weigering" in text_of(refused)
    assert step(staff, app, case_id, "fulfil", reason="x").status_code == 409


def test_still_enrolled_keeps_every_period_based_category(app, client, people, register):
    case_id, staff = _case(app, client, people)
    assert leaving(staff, app, case_id, enrolled=True).status_code == 302
    items = _items(app, case_id)
    assert {code for code, i in items.items() if i.outcome == "erase"} == {"beeldmateriaal"}
    assert all(i.keep_until is None for i in items.values())
    assert "nog ingeschreven" in items["cijfers"].explanation


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
    carry_out(staff, app, case_id)
    again = leaving(staff, app, case_id, years_before(local_today(), 1))
    assert again.status_code == 409 and "al doorgevoerd" in text_of(again)
