"""Issue 11 (b) through HTTP: the BW 1:377c letter for a 12-year-old (R-CH-5), a parent of a 17-year-old and of
an 18-year-old refused on the basis that applies with the student's consent route (R-CH-3, R-CH-4), and the one
appeal route per school that the privacy officer confirms (R-LT-1), with the school's contact details."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, Letter, School
from dsr.workflows.vocabulary import REFUSAL_GROUNDS
from tests.helpers import case_version, local_today, login, step, submit, text_of
from tests.integration.helpers import check, documents_of, package_of, pdf_text, release, send_letter, upload


def _client(app, people, who):
    client = app.test_client()
    login(client, people.email[who])
    return client


def _born(age: int) -> str:
    return dt.date(local_today().year - age, 1, 1).isoformat()


def _audit(app, action):
    with app.app_context():
        return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


# ---- R-CH-5: BW 1:377c is not Art. 15 -----------------------------------------------------------------------

def test_r_ch_5_a_father_without_gezag_of_a_12_year_old_gets_the_377c_letter(app, client, people, categories):
    case_id = submit(client, people.school_a, student_birth_date=_born(12), parental_authority="no",
                     requester_email="vader@example.nl", requester_name="Kees Jansen")
    staff = _client(app, people, "staff_a")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="no").status_code == 302
    # The 1:377c information is granted as such (its own letter), not as an Art. 15 request.
    assert step(staff, app, case_id, "review", decision="grant", reason="Informatie art. 1:377c BW.").status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.assessment_outcome, case.assessment_scope) == ("info_only", "learning_results")
    assert upload(staff, case_id, categories["zorg"], title="OPP").status_code == 422, "no care file, no copy"
    assert upload(staff, case_id, categories["cijfers"], title="Rapport leerjaar 1").status_code == 302
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)

    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    assert "Informatie aan een ouder zonder gezag" in preview
    assert "artikel 1:377c Burgerlijk Wetboek" in preview and "geen kopie van het leerlingdossier" in preview
    assert "geldt tot 18 jaar" in preview and "Rapport leerjaar 1" in preview
    assert "16 jaar of ouder" not in preview, "the old Art. 15 letter said this even for a 12-year-old"
    assert "verwerkt gegevens over" not in preview and "Klopt er iets niet" not in preview
    assert "Zulke informatie geeft de school alleen nadat zij heeft nagegaan" in preview
    assert "Deze brief kan nog niet worden verstuurd" not in preview

    # Care information only after a recorded check of the child's interest; the reason stays internal.
    internal = "Moeder en mentor zien geen bezwaar; geen signalen van onveiligheid."
    care = "Sam krijgt twee keer per week extra begeleiding bij rekenen."
    assert staff.post(f"/zaken/{case_id}/belang-van-het-kind", data={
        "version": case_version(app, case_id), "reason": "", "care_info": care}).status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).child_interest_checked_at is None, "no check without a reason"
    assert staff.post(f"/zaken/{case_id}/belang-van-het-kind", data={
        "version": case_version(app, case_id), "reason": internal, "care_info": care}).status_code == 302
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.child_interest_checked_by_id == people.staff_a and case.child_interest_checked_at
    [event] = _audit(app, "case.child_interest_checked")
    assert event.case_id == case_id and event.actor_id == people.staff_a
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    assert care in preview and internal not in preview

    assert release(staff, app, case_id).status_code == 302
    assert step(staff, app, case_id, "fulfil", reason="Informatie gegeven.").status_code == 302
    package = package_of(app, case_id)
    with app.app_context():
        letter = db.session.get(Letter, package.cover_letter_id)
        assert letter.kind == "info_377c"
        from dsr.services import storage

        text = pdf_text(storage.load(letter.storage_key))
    assert "1:377c" in text and care in text and internal not in text and "16 jaar of ouder" not in text


# ---- R-CH-3 / R-CH-4: the basis of the refusal and the student's consent --------------------------------------

def test_r_ch_3_parent_of_a_17_year_old_refused_beyond_learning_results_names_the_basis_and_consent(
        app, client, people, categories):
    case_id = submit(client, people.school_a, student_birth_date=_born(17), requester_email="ouder17@example.nl")
    staff = _client(app, people, "staff_a")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    # The vague ground of before is no longer offered for a new decision.
    assert step(staff, app, case_id, "review", decision="partial", grounds=["no_authority"],
                reason="x").status_code != 302
    assert step(staff, app, case_id, "review", decision="partial", grounds=["student_16"],
                reason="Alleen leerresultaten.").status_code == 302
    assert upload(staff, case_id, categories["cijfers"], title="Rapport leerjaar 5").status_code == 302
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    cover = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    # R-RI-1: the learning-results letter lists only the rights this parent has.
    assert "heeft de leerling zelf" in cover and "Over uw eigen gegevens" in cover
    assert "Klopt er iets niet? Dan kunt u vragen om de gegevens te verbeteren" not in cover
    assert release(staff, app, case_id).status_code == 302
    assert step(staff, app, case_id, "propose_refusal", reason="Rest weigeren.",
                requester_explanation="Uitleg voor de aanvrager.").status_code == 302
    director = _client(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302

    letter = text_of(director.get(f"/zaken/{case_id}/brieven/partial_refusal"))
    assert "Wettelijke grond: " + REFUSAL_GROUNDS["student_16"] in letter
    assert "privacyverklaring van ASG" in letter and "Autoriteit Persoonsgegevens over de privacyrechten" in letter
    assert "gezien de leeftijd van de leerling of het ouderlijk gezag" not in letter
    assert "Als Sam Jansen toestemming geeft" in letter and "persoonlijke link" in letter
    assert "Deze brief kan nog niet worden verstuurd" not in letter
    assert send_letter(director, case_id, "partial_refusal").status_code == 302


def test_r_ch_4_parent_of_an_18_year_old_refused_with_the_consent_route(app, client, people):
    case_id = submit(client, people.school_a, student_birth_date=_born(18), requester_email="ouder18@example.nl")
    staff = _client(app, people, "staff_a")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="refuse", grounds=["student_18"],
                reason="Meerderjarig.").status_code == 302
    assert step(staff, app, case_id, "propose_refusal", reason="Geen toestemming.",
                requester_explanation="Uitleg voor de aanvrager.").status_code == 302
    director = _client(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    letter = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    assert REFUSAL_GROUNDS["student_18"] in letter and "art. 1:233 BW" in letter
    assert "18 jaar of ouder en beslist zelf" in letter and "voor alles of alleen voor de leerresultaten" in letter
    assert "Deze brief kan nog niet worden verstuurd" not in letter


# ---- R-LT-1: one appeal route per school, confirmed by the privacy officer ------------------------------------

def _refused_case(app, client, people, email):
    case_id = submit(client, people.school_a, student_birth_date=_born(18), requester_email=email)
    staff = _client(app, people, "staff_a")
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    step(staff, app, case_id, "review", decision="refuse", grounds=["student_18"], reason="Meerderjarig.")
    step(staff, app, case_id, "propose_refusal", reason="Geen toestemming.",
         requester_explanation="Uitleg voor de aanvrager.")
    director = _client(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    return case_id, director


def test_r_lt_1_a_school_set_to_rechtbank_gets_the_court_route_only(app, client, people):
    case_id, director = _refused_case(app, client, people, "route@example.nl")
    # Before the privacy officer confirms, staff are warned; the letter uses the default (bezwaar) only.
    letter = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    assert "is nog niet bevestigd door de privacy officer" in letter
    assert "bezwaarschrift tegen dit besluit" in letter and "Algemene wet bestuursrecht" in letter
    assert "In uw bezwaarschrift zet u:" in letter and "uw handtekening" in letter
    assert "verzoekschrift" not in letter and "kiezen" not in letter

    assert _client(app, people, "staff_a").get("/scholen/").status_code == 403
    officer = _client(app, people, "privacy")
    assert "Nog niet bevestigd" in text_of(officer.get("/scholen/"))
    # Each form carries the version of the school it was loaded at (a concurrent change is refused).
    wrong = officer.post(f"/scholen/{people.school_a}", data={"version": "1",
        "appeal_route": "rechtbank", "phone": "bel ons", "visiting_address": "", "confirm": "y"})
    assert wrong.status_code == 422 and "Gebruik alleen cijfers" in text_of(wrong)
    assert officer.post(f"/scholen/{people.school_a}", data={"version": "1",
        "appeal_route": "rechtbank", "phone": "036 999 99 99", "visiting_address": "Kerkstraat 9, 1311 AA Almere"},
    ).status_code == 422, "the route must be confirmed explicitly"
    assert officer.post(f"/scholen/{people.school_a}", data={"version": "1",
        "appeal_route": "rechtbank", "phone": "036 999 99 99", "visiting_address": "Kerkstraat 9, 1311 AA Almere",
        "confirm": "y"}).status_code == 302
    with app.app_context():
        school = db.session.get(School, people.school_a)
        assert school.appeal_route == "rechtbank" and school.appeal_route_confirmed_by_id == people.privacy
    [event] = _audit(app, "school.settings")
    assert '"appeal_route": "rechtbank"' in event.details

    letter = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    assert "is nog niet bevestigd" not in letter
    assert "verzoekschrift in bij de rechtbank" in letter and "artikel 35 Uitvoeringswet AVG" in letter
    assert "bezwaarschrift" not in letter and "Algemene wet bestuursrecht" not in letter
    assert "bel de school: 036 999 99 99" in letter and "Kerkstraat 9, 1311 AA Almere" in letter
    assert send_letter(director, case_id, "refusal").status_code == 302


def test_point_11_a_letter_that_says_bel_without_a_phone_number_cannot_be_sent(app, client, people):
    """The information request says "bel"; without the school's phone number it is a validator problem."""
    with app.app_context():
        db.session.get(School, people.school_a).phone = ""
        db.session.commit()
    case_id = submit(client, people.school_a, requester_email="bel@example.nl")
    staff = _client(app, people, "staff_a")
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Uw e-mailadres staat niet in onze administratie.").status_code == 302
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/information_request"))
    assert "Deze brief kan nog niet worden verstuurd" in preview and "het telefoonnummer van de school" in preview
    assert "bel de school:" not in preview, "never a blank number"


def test_point_11_a_student_of_12_reads_the_je_letter(app, client, people):
    case_id = submit(client, people.school_a, student_birth_date=_born(12), requester_role="student",
                     parental_authority="", requester_name="Sam Jansen", requester_email="sam@example.nl")
    staff = _client(app, people, "staff_a")
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/receipt"))
    assert "We hebben je verzoek gekregen" in preview and "spreekt de leerling aan met 'je'" in preview
    assert "Heeft u vragen" not in preview and "Heb je een vraag over deze brief?" in preview
    assert send_letter(staff, case_id, "receipt").status_code == 302
    with app.app_context():
        [letter] = db.session.execute(sa.select(Letter).where(Letter.case_id == case_id)).scalars().all()
        assert (letter.language, letter.title) == ("nl", "We hebben je verzoek gekregen")


def test_r_ri_1_the_cover_letter_refuses_an_unnamed_recipient(app, client, people, categories):
    """Art. 15(1)(c): a register entry that stands for a group ("leveranciers") is no recipient's name."""
    from dsr.models import RegisterCategory

    case_id = submit(client, people.school_a, student_birth_date=_born(12), requester_email="naam@example.nl")
    staff = _client(app, people, "staff_a")
    step(staff, app, case_id, "verify_identity", method="portal", authority="yes")
    assert step(staff, app, case_id, "review", decision="grant", reason="Volledig.").status_code == 302
    assert upload(staff, case_id, categories["cijfers"], title="Rapport").status_code == 302
    [doc] = documents_of(app, case_id)
    check(staff, case_id, doc.id)
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    assert "Deze brief kan nog niet worden verstuurd" not in preview
    with app.app_context():
        for recipient in db.session.get(RegisterCategory, categories["cijfers"]).recipients:
            recipient.named = False
        db.session.commit()
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/access_cover"))
    assert "Deze brief kan nog niet worden verstuurd" in preview and "RI1_UNNAMED_RECIPIENT" in preview
    assert release(staff, app, case_id).status_code == 409, "the package cannot go without its cover letter"


def test_r_lt_1_the_case_page_warns_until_the_route_is_confirmed(app, client, people):
    case_id, director = _refused_case(app, client, people, "waarschuwing@example.nl")
    assert "nog niet bevestigd door de privacy officer" in text_of(director.get(f"/zaken/{case_id}"))
    officer = _client(app, people, "privacy")
    assert officer.post(f"/scholen/{people.school_a}", data={"version": "1",
        "appeal_route": "bezwaar", "phone": "", "visiting_address": "", "confirm": "y"}).status_code == 302
    page = text_of(director.get(f"/zaken/{case_id}"))
    assert "nog niet bevestigd door de privacy officer" not in page
    letter = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    # Without phone and address the sentences are left out, never printed blank.
    assert "bel de school" not in letter and "langskomen" not in letter and "bezwaarschrift" in letter
