"""Dutch and English in the casework of the case page: the labels other modules define (rectification kinds,
Art. 19 exceptions, restriction grounds, decision outcomes, letter kinds, the letter check's elements), the
messages the fulfilment services refuse a step with, and the history, whose reasons stay as the audit trail
holds them (Dutch) and are marked ``lang="nl"`` on an English page. Letters keep the requester's language.
"""
from __future__ import annotations

import datetime as dt
import html
import io

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, RecipientTask
from dsr.workflows.deadlines import legal_deadline
from tests.helpers import case_version, local_today, login, plain_pdf, step, submit
from tests.integration.helpers import dutch_words, field_error, reader_text

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
LANGUAGES = ("nl", "en")






def _staff(app, people, lang: str, who: str = "staff_a"):
    client = app.test_client()
    login(client, people.email[who])
    with client.session_transaction() as session:
        session["lang"] = lang
    return client


def _reviewed(app, client, people, lang: str, right: str, *, decision="grant", grounds=(), age=17, **extra):
    today = local_today()
    data = dict(right=right, student_birth_date=dt.date(today.year - age, 2, 1).isoformat(), **extra)
    if right != "access":
        data = {"requester_role": "student", "parental_authority": "", "requester_name": "Sam Jansen",
                "data_concerned": "Alles", **data}
    case_id = submit(client, people.school_a, **data)
    staff = _staff(app, people, lang)
    method = {"method": "portal", "authority": "yes"} if right == "access" else {"method": "portal"}
    assert step(staff, app, case_id, "verify_identity", **method).status_code == 302
    assert step(staff, app, case_id, "review", decision=decision, grounds=list(grounds),
                reason="Beoordeeld door de administratie.").status_code == 302
    return case_id, staff


def _page(response) -> str:
    return response.get_data(as_text=True)


def _check(page: str, lang: str, present: dict, absent_in_english: tuple[str, ...] = ()) -> None:
    """``present[lang]`` must be on the page; an English page has no Dutch outside lang="nl" parts (and none
    of ``absent_in_english`` at all), a Dutch page stays Dutch."""
    text = " ".join(html.unescape(reader_text(page)).split())
    for phrase in present[lang]:
        assert phrase in text, phrase
    if lang == "en":
        assert '<html lang="en">' in page
        assert dutch_words(page) == [], dutch_words(page)
        for phrase in absent_in_english:
            assert phrase not in text, phrase
    else:
        assert '<html lang="nl">' in page and dutch_words(page)
        for phrase in present["en"]:
            assert phrase not in text, phrase


def _history_reason_is_dutch(page: str, lang: str) -> None:
    marked = '<div class="pre" lang="nl">Beoordeeld door de administratie.</div>'
    assert (marked in page) == (lang == "en"), "the trail's reason is Dutch: marked so on an English page"
    assert "Beoordeeld door de administratie." in page, "and shown as the trail holds it"


# --------------------------------------------------------------------------- rectification, Art. 19

@pytest.mark.parametrize("lang", LANGUAGES)
def test_rectification_with_art_19_tasks_and_an_exception(app, client, people, register, lang):
    case_id, staff = _reviewed(app, client, people, lang, "rectification", data_concerned="Geboortedatum",
                               correct_value="14-03-2009")
    bad = staff.post(f"/zaken/{case_id}/rectificatie", data={
        "category_id": str(register["inschrijving"]), "kind": "factual", "field": "Geboortedatum",
        "old_value": "14-03-2008", "new_value": "14-03-2009", "evidence": "", "statement": ""})
    assert bad.status_code == 422
    assert field_error(_page(bad), "evidence") == {
        "nl": "Noteer welk bewijs u heeft gezien (bijvoorbeeld: uittreksel BRP).",
        "en": "Note the evidence you have seen (for example: an extract from the population register)."}[lang]
    page = _page(staff.get(f"/zaken/{case_id}"))
    _check(page, lang, {"nl": ["Feitelijk gegeven: wordt gecorrigeerd"], "en": [
        "Factual item: will be corrected", "Opinion or professional judgement: not changed"]},
        ("Feitelijk gegeven", "Mening of professioneel oordeel"))
    assert staff.post(f"/zaken/{case_id}/rectificatie", data={
        "category_id": str(register["inschrijving"]), "kind": "factual", "field": "Geboortedatum",
        "old_value": "14-03-2008", "new_value": "14-03-2009", "evidence": "BRP", "statement": ""}).status_code == 302
    assert staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)}).status_code == 302
    with app.app_context():
        task_ids = list(db.session.execute(sa.select(RecipientTask.id).where(RecipientTask.case_id == case_id)
                                           .order_by(RecipientTask.id)).scalars())
    assert len(task_ids) >= 2
    first = task_ids[0]
    missing_note = staff.post(f"/zaken/{case_id}/art19/{first}", data={
        f"t{first}-version": case_version(app, case_id), f"t{first}-outcome": "exception",
        f"t{first}-exception_kind": "impossible", f"t{first}-note": ""})
    assert missing_note.status_code == 422
    assert {"nl": "Leg uit waarom berichten onmogelijk is", "en": "Explain why notifying is impossible"}[lang] \
        in html.unescape(_page(missing_note))
    assert staff.post(f"/zaken/{case_id}/art19/{first}", data={
        f"t{first}-version": case_version(app, case_id), f"t{first}-outcome": "exception",
        f"t{first}-exception_kind": "impossible", f"t{first}-note": "2019"}).status_code == 302
    blocked = step(staff, app, case_id, "fulfil", reason="Klaar.")
    assert blocked.status_code == 409
    page = _page(staff.get(f"/zaken/{case_id}"))
    _check(page, lang, {"nl": ["Uitzondering (Onmogelijk): 2019", "Onevenredige inspanning"],
                        "en": ["Exception (Impossible): 2019", "Disproportionate effort"]},
           ("Onmogelijk", "Onevenredige inspanning"))
    _history_reason_is_dutch(page, lang)


# --------------------------------------------------------------------------- erasure

@pytest.mark.parametrize("lang", LANGUAGES)
def test_erasure_proposal_and_its_errors(app, client, people, register, lang):
    case_id, staff = _reviewed(app, client, people, lang, "erasure", decision="partial", grounds=["art17_3_b"],
                               age=21)
    future = staff.post(f"/zaken/{case_id}/verwijdering", data={
        "version": case_version(app, case_id), "left_on": (local_today() + dt.timedelta(days=3)).isoformat()})
    assert future.status_code == 422
    assert field_error(_page(future), "left_on") == {"nl": "De uitschrijfdatum ligt in de toekomst.",
                                                     "en": "The date of leaving is in the future."}[lang]
    left_on = local_today().replace(year=local_today().year - 3, day=1)
    assert staff.post(f"/zaken/{case_id}/verwijdering", data={
        "version": case_version(app, case_id), "left_on": left_on.isoformat()}).status_code == 302
    blocked = step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                   reason="Deels bewaren.")
    assert blocked.status_code == 409
    # R-RI-3: a policy period still running is decided by staff on Art. 17(1) first.
    _check(_page(blocked), lang, {"nl": ["Beslis eerst voor elke categorie met een beleidstermijn"],
                                  "en": ["First decide for each category with a policy period"]},
           ("Beslis eerst",))
    page = _page(staff.get(f"/zaken/{case_id}"))
    _check(page, lang, {"nl": ["Bewaren tot", "Nog beslissen", "Beslissen op art. 17 lid 1"],
                        "en": ["Keep until", "To be decided", "Decide on Art. 17(1)"]})
    if lang == "en":
        assert '<span lang="nl">Bewaren tot ' in page, "dsr's stored Dutch explanation is marked as Dutch"


# --------------------------------------------------------------------------- restriction

@pytest.mark.parametrize("lang", LANGUAGES)
def test_restriction_decision_outcome_and_ground(app, client, people, register, lang):
    case_id, staff = _reviewed(app, client, people, lang, "restriction")
    page = _page(staff.get(f"/zaken/{case_id}"))
    _check(page, lang, {"nl": ["Beperken: de gegevens worden alleen nog bewaard",
                               "De juistheid van de gegevens wordt betwist"],
                        "en": ["Restrict: the data is only stored from now on",
                               "The accuracy of the data is contested"]}, ("Beperken:", "Niet beperken"))

    def decide(ground: str):
        return staff.post(f"/zaken/{case_id}/beslissing", data={
            "version": case_version(app, case_id), "outcome": "restricted", "ground": ground,
            "category_ids": [str(register["verzuim"])], "explanation": "Tot 1 mei."})

    missing = decide("")
    assert missing.status_code == 422
    assert field_error(_page(missing), "ground") == {
        "nl": "Kies op welke grond van art. 18 lid 1 de verwerking wordt beperkt.",
        "en": "Choose on which ground of Art. 18(1) the processing is restricted."}[lang]
    assert decide("18_1_a").status_code == 302
    page = _page(staff.get(f"/zaken/{case_id}"))
    decided = {"nl": "<strong>Beperken: de gegevens worden alleen nog bewaard</strong> · De juistheid",
               "en": "<strong>Restrict: the data is only stored from now on</strong> · The accuracy"}
    assert decided[lang] in page and "18_1_a</p>" not in page, "the ground by its label, not its key"
    _check(page, lang, {"nl": ["Beslissing vastleggen"],
                        "en": ["Record the decision"]}, ("Beperken:",))


# --------------------------------------------------------------------------- letters

@pytest.mark.parametrize("lang", LANGUAGES)
def test_letter_preview_names_the_missing_element_in_the_staff_language(app, client, people, lang):
    """The extension notice is too late after the first month (LT2_TOO_LATE); the letter stays Dutch."""
    case_id = submit(client, people.school_a)
    staff = _staff(app, people, lang)
    received = local_today() - dt.timedelta(days=45)
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(
            received_on=received, extended=True, extended_on=received + dt.timedelta(days=20),
            extension_reason="Dossier in drie systemen.", due_on=legal_deadline(received, extended=True)))
        db.session.commit()
    page = _page(staff.get(f"/zaken/{case_id}/brieven/extension"))
    _check(page, lang, {"nl": ["Verlenging van de termijn (R-LT-2)", "LT2_TOO_LATE: verzending binnen de eerste "
                               "maand (daarna mag niet meer worden verlengd)"],
                        "en": ["Extension of the deadline (R-LT-2)", "LT2_TOO_LATE: sending within the first "
                               "month (after that, no extension is allowed)"]}, ("verzending binnen",))
    letter = page.split('<article class="card letter"', 1)[1].split("</article>", 1)[0]
    assert ('lang="nl">' in letter.split("\n", 1)[0]) == (lang == "en") and "Autoriteit Persoonsgegevens" in letter, \
        "the letter itself is in the requester's language (Dutch), marked so on an English page"
    refused = staff.post(f"/zaken/{case_id}/brieven/extension", data={"confirmed": "y", "digest": "0" * 64})
    assert refused.status_code == 409
    assert {"nl": "Deze brief mist verplichte onderdelen en kan niet worden verstuurd: LT2_TOO_LATE: verzending",
            "en": "This letter lacks mandatory elements and cannot be sent: LT2_TOO_LATE: sending within"}[lang] \
        in html.unescape(_page(refused))
    case_page = _page(staff.get(f"/zaken/{case_id}"))
    # On the case page the rule ids sit behind "Waarom?" (issue 15 point 5), not in the letter kinds.
    kinds = {"nl": ["Ontvangstbevestiging", "Verlenging van de termijn"],
             "en": ["Acknowledgement of receipt", "Extension of the deadline"]}
    _check(case_page, lang, kinds, ("Ontvangstbevestiging",))


# --------------------------------------------------------------------------- the access package

@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_refused_upload_is_explained_in_the_staff_language(app, client, people, register, lang):
    case_id, staff = _reviewed(app, client, people, lang, "access", age=12)

    def upload(data: bytes, name: str):
        return staff.post(f"/zaken/{case_id}/pakket/document", content_type="multipart/form-data", data={
            "file": (io.BytesIO(data), name), "category_id": str(register["cijfers"]), "title": "Rapport"})

    wrong = upload(PNG, "rapport.pdf")
    assert wrong.status_code == 422
    assert field_error(_page(wrong), "file") == {
        "nl": "De inhoud van het bestand is geen PDF, hoewel de naam op .pdf eindigt. Exporteer het document "
              "opnieuw.",
        "en": "The content of the file is not a PDF, although its name ends in .pdf. Export the document again."}[lang]
    csv = upload(PDF, "lijst.csv")
    assert {"nl": "geen CSV-bestand", "en": "not a CSV file"}[lang] in field_error(_page(csv), "file")
    assert upload(PDF, "rapport.pdf").status_code == 302
    unchecked = staff.post(f"/zaken/{case_id}/pakket/vrijgeven",
                           data={"confirmed": "y", "version": case_version(app, case_id)})
    assert unchecked.status_code == 409
    _check(_page(unchecked), lang, {
        "nl": ["Document 1 ('Rapport'): bevestig dat gegevens van medeleerlingen"],
        "en": ["Document 1 ('Rapport'): confirm that the data of classmates and other parents has been redacted"]},
        ("bevestig",))
