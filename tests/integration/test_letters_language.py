"""Letters in the requester's language through HTTP: a requester who chose English gets English letters
(preview, stored PDF, the mail announcing it), validated in English, whatever language staff work in; a
Dutch requester's letters stay Dutch when staff work in English."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from dsr.extensions import db
from dsr.models import Case
from dsr.templating import long_date
from tests.helpers import link_in, login, step, submit
from tests.integration.helpers import confirm_address, letters_of, pdf_text, send_letter


def _language(client, lang: str) -> None:
    with client.session_transaction() as session:
        session["lang"] = lang


def _staff(app, people, who="staff_a", lang="nl"):
    client = app.test_client()
    login(client, people.email[who])
    _language(client, lang)
    return client


def _mail(smtp_server, address):
    [message] = [m for m in smtp_server.messages if address in m["To"]]
    return message["Subject"], message.get_body(preferencelist=("plain",)).get_content()


def _article(page: str) -> str:
    return re.search(r'<article class="card letter"[^>]*>.*?</article>', page, re.S).group(0)


def test_english_requester_gets_english_letters_from_dutch_staff(app, client, people, smtp_server, run_jobs):
    _language(client, "en")
    case_id = submit(client, people.school_a, requester_email="parent.en@example.nl")
    confirm_address(client, smtp_server, run_jobs, "parent.en@example.nl")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.language == "en"
        due, reference = case.due_on, case.reference
    staff = _staff(app, people)  # works in Dutch
    page = staff.get(f"/zaken/{case_id}/brieven/receipt").get_data(as_text=True)
    letter = html.unescape(_article(page))
    assert "Confirmation of receipt of your request" in letter and "Dear Alex Jansen," in letter
    assert f"We will answer by {long_date(due, 'en')} at the latest." in letter
    assert "Ontvangstbevestiging" not in letter and "Wij antwoorden" not in letter
    assert "Deze brief kan nog niet worden verstuurd" not in html.unescape(page), "valid in English"
    run_jobs()  # the receipt mail of the intake
    smtp_server.clear()
    assert send_letter(staff, case_id, "receipt").status_code == 302
    [stored] = letters_of(app, case_id)
    assert stored.language == "en" and stored.title == "Confirmation of receipt of your request"
    run_jobs()
    subject, body = _mail(smtp_server, "parent.en@example.nl")
    assert reference in subject and "Brief" not in subject and "confirmation of receipt of your request" in body
    response = client.get(urlsplit(link_in(body)).path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{reference}-letter-{stored.id}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Confirmation of receipt of your request" in text and "page 1 of" in text and "pagina" not in text
    assert long_date(due, "en") in text


def test_english_refusal_is_validated_in_english(app, client, people):
    _language(client, "en")
    case_id = submit(client, people.school_a, requester_email="refused.en@example.nl")
    staff = _staff(app, people)
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert step(staff, app, case_id, "review", decision="refuse", grounds=["art12_5"],
                reason="Vijfde keer hetzelfde verzoek.").status_code == 302
    assert step(staff, app, case_id, "propose_refusal", reason="Vijfde keer, zie dossier.",
                requester_explanation="You have made the same request five times in eight weeks.").status_code == 302
    director = _staff(app, people, "director_a", lang="nl")
    preview = director.get(f"/zaken/{case_id}/brieven/refusal").get_data(as_text=True)
    # The approver previews the letter as it will be once approved (issue 11 point 9); it cannot be sent yet.
    assert "Zo ziet de brief eruit als de weigering wordt goedgekeurd" in html.unescape(preview)
    assert "LT1_MISSING_DIRECTOR_APPROVAL" not in html.unescape(preview) and "Brief versturen" not in preview
    assert "You have made the same request five times" in html.unescape(_article(preview))
    assert "Vijfde keer, zie dossier." not in html.unescape(preview)
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    preview = director.get(f"/zaken/{case_id}/brieven/refusal").get_data(as_text=True)
    letter = html.unescape(_article(preview))
    assert "Deze brief kan nog niet worden verstuurd" not in html.unescape(preview)
    assert "Decision on your request: we are not carrying it out" in letter
    assert "Legal ground: Art. 12(5) GDPR: a manifestly unfounded or excessive request." in letter
    assert "after approval by the director of" in letter and "Autoriteit Persoonsgegevens" in letter
    assert "Wettelijke grond" not in letter
    assert send_letter(director, case_id, "refusal").status_code == 302
    assert [letter.language for letter in letters_of(app, case_id)] == ["en"]


def test_dutch_requester_keeps_dutch_letters_when_staff_work_in_english(app, client, people, smtp_server,
                                                                        run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder.brief@example.nl")
    confirm_address(client, smtp_server, run_jobs, "ouder.brief@example.nl")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.language == "nl"
        due = case.due_on
    staff = _staff(app, people, lang="en")
    page = staff.get(f"/zaken/{case_id}/brieven/receipt").get_data(as_text=True)
    letter = html.unescape(_article(page))
    assert "Ontvangstbevestiging van uw verzoek" in letter and "Beste Alex Jansen," in letter
    assert f"Wij antwoorden uiterlijk op {long_date(due, 'nl')}." in letter
    assert long_date(due, "en") not in letter and "Dear" not in letter
    run_jobs()  # the receipt mail of the intake
    smtp_server.clear()
    assert send_letter(staff, case_id, "receipt").status_code == 302
    [stored] = letters_of(app, case_id)
    assert stored.language == "nl" and stored.title == "Ontvangstbevestiging van uw verzoek"
    run_jobs()
    subject, body = _mail(smtp_server, "ouder.brief@example.nl")
    assert subject.startswith("Brief over uw verzoek")
    response = client.get(urlsplit(link_in(body)).path)
    text = pdf_text(response.data)
    assert "Ontvangstbevestiging van uw verzoek" in text and "pagina 1 van" in text and "page 1 of" not in text
    assert f"-brief-{stored.id}.pdf" in response.headers["Content-Disposition"]
