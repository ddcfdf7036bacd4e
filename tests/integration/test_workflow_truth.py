"""Issue 11 points 6-9 through HTTP: what staff type reaches the requester only where the form says so,
four-eyes with a single-director school, decided is not sent, and the clock pause (R-DL-6, R-ID-6)."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case, Letter
from dsr.services import portal, storage
from dsr.workflows.deadlines import working_days_between
from tests.helpers import case_version, local_today, plain_pdf, signed_in, step, submit, text_of
from tests.integration.helpers import pdf_text

PDF = plain_pdf()  # readable by a PDF parser (services/pdf_safety.py)
NOTE = "INTERN-7Q: de vader belde boos, dossier eerst nalopen"
EXPLANATION = ("Sam is 17. Zonder toestemming van Sam krijgt u alleen de leerresultaten; de rest van het "
               "dossier geven wij niet.")


def _requester_on_portal(app, case_id: int):
    """A browser of the requester, signed in to 'Mijn verzoek' through a fresh link from a mail."""
    with app.app_context():
        link = portal.notice_link(db.session.get(Case, case_id))
        db.session.commit()
    requester = app.test_client()
    assert requester.get(urlsplit(link).path).status_code == 302
    return requester


def _case(app, case_id) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def _mails_to(smtp_server, address):
    return [(m["Subject"], m.get_body(preferencelist=("plain",)).get_content())
            for m in smtp_server.messages if address in m["To"]]


def _digest(page: str) -> str:
    return re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', page).group(1)


def _learning_results_released(app, staff, case_id, register):
    response = staff.post(f"/zaken/{case_id}/pakket/document", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(PDF), "export.pdf"), "category_id": str(register["cijfers"]),
                                "title": "Rapport leerjaar 5"})
    assert response.status_code == 302
    with app.app_context():
        from dsr.models import AccessPackage, PackageDocument

        [doc_id] = db.session.execute(sa.select(PackageDocument.id).join(AccessPackage)
                                      .where(AccessPackage.case_id == case_id)).scalars().all()
    staff.post(f"/zaken/{case_id}/pakket/document/{doc_id}/controle",
               data={f"d{doc_id}-third_party": "y", f"d{doc_id}-work_notes": "y"})
    assert staff.post(f"/zaken/{case_id}/pakket/vrijgeven",
                      data={"confirmed": "y", "version": case_version(app, case_id)}).status_code == 302


def test_parent_of_a_17_year_old_reads_the_explanation_never_the_internal_note(
        app, client, people, register, smtp_server, run_jobs):
    """Points 7 and 9: the whole file asked, learning results only given; the note to the director stays
    internal; approval is not sending; the letter goes once."""
    birth = dt.date(local_today().year - 17, 1, 1)
    case_id = submit(client, people.school_a, student_birth_date=birth.isoformat(), requester_email="vader@example.nl")
    staff = signed_in(app, people, "staff_a")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="partial", grounds=["student_16"],
                reason="Alleen leerresultaten (R-CH-3).").status_code == 302
    _learning_results_released(app, staff, case_id, register)

    # The proposal form says who reads which field.
    page = text_of(staff.get(f"/zaken/{case_id}"))
    form = page.split(f'action="/zaken/{case_id}/stap/propose_refusal"')[1].split("</form>")[0]
    assert "Notitie voor wie goedkeurt" in form and "Alleen intern" in form
    assert "Uitleg voor de aanvrager" in form and "De aanvrager leest dit in de brief." in form
    missing = step(staff, app, case_id, "propose_refusal", reason=NOTE)
    assert missing.status_code == 422 and "die uitleg komt in de brief" in text_of(missing)
    assert step(staff, app, case_id, "propose_refusal", reason=NOTE,
                requester_explanation=EXPLANATION).status_code == 302

    # The director previews the letter before approving: the explanation is in it, the note is not.
    director = signed_in(app, people, "director_a")
    case_page = text_of(director.get(f"/zaken/{case_id}"))
    approvers = case_page.split("Goedkeuren kan:")[1].split("</p>")[0]
    assert "Bekijk de brief die de aanvrager krijgt" in case_page
    assert "Director A" in approvers and "Director A2" in approvers and "Staff A" not in approvers
    preview = text_of(director.get(f"/zaken/{case_id}/brieven/partial_refusal"))
    letter = preview.split('class="card letter"')[1].split("</article>")[0]
    assert EXPLANATION in letter and NOTE not in letter and "Brief versturen" not in preview
    # The letter names the basis (from 16 the student decides) and how the student can consent (R-CH-3).
    assert "16 jaar" in letter and "toestemming" in letter and "persoonlijke link" in letter
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302

    # Decided, not sent: still in the queue, flagged, counting against the deadline.
    case = _case(app, case_id)
    assert case.state == "partially_fulfilled" and case.letter_pending
    queue = text_of(staff.get("/zaken/"))
    assert case.reference in queue and "brief nog versturen" in queue
    assert case.reference in text_of(staff.get("/zaken/?brief=1"))
    run_jobs()
    [(subject, body)] = [m for m in _mails_to(smtp_server, people.email["staff_a"]) if "goedgekeurd" in m[0]]
    assert "heeft de beslissing ontvangen" not in body and "nog niet verstuurd" in body

    # The letter is sent once; a second send needs the explicit "corrected letter" choice.
    page = director.get(f"/zaken/{case_id}/brieven/partial_refusal").get_data(as_text=True)
    assert director.post(f"/zaken/{case_id}/brieven/partial_refusal",
                         data={"confirmed": "y", "digest": _digest(page)}).status_code == 302
    case = _case(app, case_id)
    assert not case.letter_pending
    assert case.reference not in text_of(staff.get("/zaken/"))
    page = director.get(f"/zaken/{case_id}/brieven/partial_refusal").get_data(as_text=True)
    assert "al verstuurd op" in html.unescape(page)
    again = director.post(f"/zaken/{case_id}/brieven/partial_refusal", data={"confirmed": "y", "digest": _digest(page)})
    assert again.status_code == 409 and "al verstuurd" in text_of(again)
    corrected = director.post(f"/zaken/{case_id}/brieven/partial_refusal",
                              data={"confirmed": "y", "digest": _digest(page), "corrected": "y"})
    assert corrected.status_code == 302
    with app.app_context():
        letters = db.session.execute(sa.select(Letter).where(
            Letter.case_id == case_id, Letter.kind == "partial_refusal").order_by(Letter.id)).scalars().all()
        assert len(letters) == 2
        pdf = pdf_text(storage.load(letters[0].storage_key))
        sent = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "letter.sent").order_by(AuditEvent.id)).scalars().all()
        assert [e.details_dict.get("corrected") for e in sent] == [None, True]
    assert " ".join(EXPLANATION.split()) in pdf and "INTERN-7Q" not in pdf

    # No mail to the requester carries either text.
    run_jobs()
    for subject, body in _mails_to(smtp_server, "vader@example.nl"):
        assert "INTERN-7Q" not in subject + body and "Zonder toestemming van Sam" not in body


def test_single_director_school_sends_the_refusal_to_the_privacy_officer(app, client, people, smtp_server, run_jobs):
    """Point 8: in school B the only director took the review decision; the refusal reaches the privacy
    officer, who approves it; it is never stuck waiting for that director."""
    case_id = submit(client, people.school_b, requester_email="ouder.b@example.nl")
    staff = signed_in(app, people, "staff_b")
    director = signed_in(app, people, "director_b")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(director, app, case_id, "review", decision="refuse", grounds=["art12_5"],
                reason="Vijfde keer hetzelfde.").status_code == 302
    assert step(staff, app, case_id, "propose_refusal", reason="Zie dossier.",
                requester_explanation="U vroeg in acht weken vijf keer hetzelfde.").status_code == 302
    case = _case(app, case_id)
    assert case.approval_route == "privacy_officer"
    requester = _requester_on_portal(app, case_id)
    status = text_of(requester.get("/mijn-verzoek/overzicht"))
    assert "niet zelf bij de beslissing betrokken" in status and "De directeur van de school controleert" not in status

    # The director who reviewed is not offered the step and is refused when posting it.
    page = text_of(director.get(f"/zaken/{case_id}"))
    assert "stap/approve_refusal\"" not in page, re.findall(r".{200}stap/approve_refusal.{50}", page)
    assert "Privacy (Privacy officer)" in page.split("Goedkeuren kan:")[1]
    refused = step(director, app, case_id, "approve_refusal", reason="Akkoord.")
    assert refused.status_code == 409 and "Vier-ogenprincipe" in text_of(refused)
    assert case.reference not in text_of(director.get("/zaken/goedkeuren"))

    run_jobs()
    assert [s for s, _ in _mails_to(smtp_server, people.email["privacy"]) if "Goedkeuring gevraagd" in s]
    assert not [s for s, _ in _mails_to(smtp_server, people.email["director_b"]) if "Goedkeuring gevraagd" in s]
    privacy = signed_in(app, people, "privacy")
    listing = text_of(privacy.get("/zaken/goedkeuren"))
    assert case.reference in listing and "<td>Privacy</td>" in listing
    assert step(privacy, app, case_id, "approve_refusal", reason="Akkoord, goed onderbouwd.").status_code == 302
    case = _case(app, case_id)
    assert case.state == "refused" and case.director_id == people.privacy and case.letter_pending
    # The letter names who really approved: not "the director".
    letter = text_of(privacy.get(f"/zaken/{case_id}/brieven/refusal")).split('class="card letter"')[1]
    assert "na goedkeuring door de privacyadviseur van" in letter and "goedkeuring door de directeur" not in letter
    assert "LT1_MISSING" not in letter


def test_the_privacy_officer_appoints_a_director_of_another_school(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_b, requester_email="ouder.b2@example.nl")
    director_b = signed_in(app, people, "director_b")
    assert step(director_b, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(director_b, app, case_id, "review", decision="refuse", grounds=["art12_5"],
                reason="Buitensporig.").status_code == 302
    assert step(director_b, app, case_id, "propose_refusal", reason="Intern.",
                requester_explanation="Uitleg.").status_code == 302
    privacy = signed_in(app, people, "privacy")
    page = text_of(privacy.get(f"/zaken/{case_id}"))
    assert "Een directeur van een andere school aanwijzen" in page and "Director A" in page
    wrong = privacy.post(f"/zaken/{case_id}/goedkeurder",
                         data={"version": case_version(app, case_id), "approver_id": people.director_b})
    assert wrong.status_code == 409
    assert privacy.post(f"/zaken/{case_id}/goedkeurder", data={"version": case_version(app, case_id),
                                                               "approver_id": people.director_a}).status_code == 302
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "case.approver_appointed")).scalars().all()
        assert event.details_dict["approver_id"] == people.director_a
    run_jobs()
    assert [s for s, _ in _mails_to(smtp_server, people.email["director_a"]) if "Goedkeuring gevraagd" in s]
    director_a = signed_in(app, people, "director_a")
    assert _case(app, case_id).reference in text_of(director_a.get("/zaken/goedkeuren"))
    assert step(director_a, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    assert _case(app, case_id).state == "refused"
    letter = text_of(director_a.get(f"/zaken/{case_id}/brieven/refusal")).split('class="card letter"')[1]
    assert "na goedkeuring door een directeur van een andere school" in letter and "Director A" in letter


@pytest.mark.parametrize("large, paused", [
    pytest.param(False, False, id="R-DL-6: clarification without a large amount of data: the clock runs"),
    pytest.param(True, True, id="R-DL-6: clarification with a recorded large amount of data: the clock pauses"),
])
def test_a_clarification_pauses_only_with_a_large_amount_of_data(app, client, people, smtp_server, run_jobs,
                                                                 large, paused):
    case_id = submit(client, people.school_a, requester_email="vraag@example.nl")
    staff = signed_in(app, people, "staff_a")
    data = {"kind": "clarification", "reason": "Welke gegevens bedoelt u precies?"}
    if large:
        data["large_amount_of_data"] = "y"
    assert step(staff, app, case_id, "request_information", **data).status_code == 302
    case = _case(app, case_id)
    assert case.info_large_data is large
    with app.app_context():
        [event] = db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "transition.request_information")).scalars().all()
        assert event.details_dict["large_amount_of_data"] is large

    # The letter and the mail say which case applies, with an answer-by date; the mail has no staff text.
    letter = text_of(staff.get(f"/zaken/{case_id}/brieven/information_request"))
    assert ("overweging 63 AVG" in letter) is large
    assert ("Deze vraag houdt de termijn niet tegen" in letter) is not large
    assert "Wanneer wij uw antwoord nodig hebben" in letter and "LT3_MISSING" not in letter
    run_jobs()
    [(_, body)] = [m for m in _mails_to(smtp_server, "vraag@example.nl") if "meer informatie" in m[0]]
    assert "Welke gegevens bedoelt u precies?" not in body and "nieuw verzoek" in body
    assert ("staat de termijn voor ons antwoord stil" in body) is paused

    # The answer comes 9 days after a question asked on the first working day: credited only when paused.
    with app.app_context():
        row = db.session.get(Case, case_id)
        row.received_on = local_today() - dt.timedelta(days=10)
        row.info_requested_on = local_today() - dt.timedelta(days=9)
        while working_days_between(row.received_on, row.info_requested_on) > 3:
            row.info_requested_on -= dt.timedelta(days=1)
        asked = row.info_requested_on
        db.session.commit()
    assert step(staff, app, case_id, "information_received",
                received_on=local_today().isoformat()).status_code == 302
    assert _case(app, case_id).suspended_days == ((local_today() - asked).days if paused else 0)


def test_requester_mails_never_carry_what_staff_typed(app, client, people, smtp_server, run_jobs):
    """Point 7: information request, extension, reassessment-free steps, closing and withdrawal: each staff
    text field holds a marker; no mail to the requester contains it (they carry the reference and a link)."""
    marker = "STAFFTEXT-91"
    first = submit(client, people.school_a, requester_email="een@example.nl")
    second = submit(client, people.school_a, requester_email="twee@example.nl")
    staff = signed_in(app, people, "staff_a")
    assert step(staff, app, first, "request_information", kind="identity", reason=f"{marker} waarom").status_code == 302
    assert staff.post(f"/zaken/{first}/verlengen", data={
        "version": case_version(app, first), "reasons": ["volume"],
        "reason": f"{marker} verlenging"}).status_code == 302
    assert step(staff, app, first, "close_unverified", reason=f"{marker} gesloten").status_code == 302
    assert step(staff, app, second, "withdraw", reason=f"{marker} ingetrokken").status_code == 302
    run_jobs()
    kinds = set()
    for address in ("een@example.nl", "twee@example.nl"):
        for subject, body in _mails_to(smtp_server, address):
            kinds.add(subject.split(" ")[0])
            assert marker not in subject + body, subject
    assert len(kinds) >= 4  # receipt, information request, extension, closing/withdrawal


def test_a_decision_letter_not_sent_still_counts_against_the_deadline(app, client, people, smtp_server, run_jobs):
    """Point 9: approved but unsent is overdue like an open case (sweep, dashboard); sending ends it."""
    from dsr.models import DeadlineNotice
    from dsr.services.deadlines import sweep_deadlines

    case_id = submit(client, people.school_a, requester_email="laat@example.nl")
    staff = signed_in(app, people, "staff_a")
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="refuse", grounds=["art12_5"],
                reason="Vijfde keer.").status_code == 302
    assert step(staff, app, case_id, "propose_refusal", reason="Intern.",
                requester_explanation="Uitleg.").status_code == 302
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    today = local_today()
    with app.app_context():
        row = db.session.get(Case, case_id)
        assert row.state == "refused" and row.letter_pending
        row.due_on = today - dt.timedelta(days=3)
        db.session.commit()
        assert sweep_deadlines(today) == 1
        assert "overdue" in db.session.execute(sa.select(DeadlineNotice.milestone).where(
            DeadlineNotice.case_id == case_id)).scalars().all()
    run_jobs()
    [(_, body)] = [m for m in _mails_to(smtp_server, people.email["director_a"]) if "Termijn verstreken" in m[0]]
    assert "nog niet verstuurd" in body
    privacy = signed_in(app, people, "privacy")
    dashboard = text_of(privacy.get("/dashboard/"))
    assert re.search(r"Nu te laat \(termijn verstreken, nog geen antwoord verstuurd\)</t[hd]>\s*"
                     r"<td[^>]*>(?:<a [^>]*>)?1<",
                     dashboard), "counted as overdue"
    # The requester's portal says a decision was taken and the letter follows, not "you have been told".
    requester = _requester_on_portal(app, case_id)
    status = text_of(requester.get("/mijn-verzoek/overzicht"))
    assert "U krijgt binnenkort een brief" in status and "waarom en wat u daartegen kunt doen" not in status
    page = director.get(f"/zaken/{case_id}/brieven/refusal").get_data(as_text=True)
    assert director.post(f"/zaken/{case_id}/brieven/refusal",
                         data={"confirmed": "y", "digest": _digest(page)}).status_code == 302
    with app.app_context():
        assert not db.session.get(Case, case_id).letter_pending
    assert "waarom en wat u daartegen kunt doen" in text_of(requester.get("/mijn-verzoek/overzicht"))
    assert _case(app, case_id).reference not in text_of(staff.get("/zaken/?te_laat=1"))


def test_staff_and_portal_say_whether_the_clock_stands_still(app, client, people):
    """R-DL-6 on the staff case page and the requester's portal; point 9 on the portal after a decision."""
    case_id = submit(client, people.school_a, requester_email="klok@example.nl")
    staff = signed_in(app, people, "staff_a")
    assert step(staff, app, case_id, "request_information", kind="identity", reason="Wie bent u?").status_code == 302
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert 'data-clock="paused"' in page and "twijfel over de identiteit" in page
    requester = _requester_on_portal(app, case_id)
    status = text_of(requester.get("/mijn-verzoek/overzicht"))
    assert "Wilt u uiterlijk op" in status and "Daarom staat de termijn voor ons antwoord stil" in status
