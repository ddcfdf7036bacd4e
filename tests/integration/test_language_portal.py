"""Dutch and English on the requester's pages (Mijn verzoek, the student's consent page, the access
package and its link problems) and on the portal and fulfilment sections of the case page.

A page "in English" is checked as in ``test_language.py``: no Dutch marker words in what a reader meets.
A link from a mail opens the pages in the language of the case unless the visitor chose one.
"""
from __future__ import annotations

import io
from urllib.parse import urlsplit

from tests.helpers import link_in, step, submit
from tests.integration.helpers import (
    PDF,
    STUDENT,
    assert_dutch,
    assert_english,
    body,
    delivered_package,
    documents_of,
    dutch_words,
    field_error,
    in_english,
    mails_to,
    open_portal,
    reviewed_case,
    send_consent_request,
    upload,
    years_ago,
)


def _path(mail) -> str:
    return urlsplit(link_in(body(mail))).path


# --------------------------------------------------------------------------- Mijn verzoek

def test_portal_pages_in_english_and_dutch(app, case_id, staff, smtp_server, run_jobs):
    requester = app.test_client()
    link = open_portal(requester, app, case_id, smtp_server, run_jobs)
    assert step(staff, app, case_id, "request_information", kind="authority",
                reason="Please send proof.").status_code == 302
    page = assert_dutch(requester.get("/mijn-verzoek/overzicht"), "status page")
    assert "Wij wachten op u" in page and "Nog geen berichten." in page
    assert_dutch(requester.get("/mijn-verzoek/bestand"), "upload page")
    assert_dutch(requester.get("/mijn-verzoek/intrekken"), "withdraw page")

    in_english(requester)
    assert requester.post("/mijn-verzoek/bericht", data={"body": "Here it is."}).status_code == 302
    staff.post(f"/zaken/{case_id}/berichten", data={"body": "Thank you."})
    page = assert_english(requester.get("/mijn-verzoek/overzicht"), "status page")
    assert "Waiting for you" in page and "What we need from you" in page
    assert "proof that you have parental authority" in page and "Please send proof." in page
    assert "Your message has been sent." in page, "the flash too"
    assert "<strong>You</strong>" in page and "<strong>The school</strong>" in page
    assert "Received on" in page and "No letters yet." in page
    page = assert_english(requester.get("/mijn-verzoek/bestand"), "upload page")
    assert "Do not send a copy of your ID." in page and "File (PDF, PNG or JPEG)" in page
    page = assert_english(requester.get("/mijn-verzoek/intrekken"), "withdraw page")
    assert "Yes, I withdraw my request." in page
    assert_english(requester.get(link), "invalid link page")  # single use: now spent

    visitor = app.test_client()
    in_english(visitor)
    page = assert_english(visitor.get("/mijn-verzoek"), "request link page")
    assert "Send me a link" in page and "Your reference" in page
    assert_english(visitor.get("/mijn-verzoek/link-verstuurd"), "link sent page")
    assert_dutch(app.test_client().get("/mijn-verzoek/link-verstuurd"), "link sent page")


def test_portal_messages_at_the_field_follow_the_language(app, case_id, smtp_server, run_jobs):
    visitor = app.test_client()
    bad = {"reference": "", "email": "not-an-address"}
    page = visitor.post("/mijn-verzoek", data=bad).get_data(as_text=True)
    assert field_error(page, "reference") == "Vul uw kenmerk in, bijvoorbeeld AVG-2026-00042."
    assert field_error(page, "email") == "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."
    in_english(visitor)
    response = visitor.post("/mijn-verzoek", data=bad)
    assert response.status_code == 422
    page = assert_english(response, "request link page with errors")
    assert field_error(page, "reference") == "Enter your reference, for example AVG-2026-00042."
    assert field_error(page, "email") == "Enter a valid email address, for example name@example.com."

    requester = app.test_client()
    open_portal(requester, app, case_id, smtp_server, run_jobs)
    upload_bad = {"file": (io.BytesIO(b"MZ not a pdf"), "form.exe"), "note": ""}
    page = requester.post("/mijn-verzoek/bestand", data=upload_bad,
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "Dit soort bestand kunnen wij niet aannemen" in field_error(page, "file")
    in_english(requester)
    upload_bad["file"] = (io.BytesIO(b"MZ not a pdf"), "form.exe")
    response = requester.post("/mijn-verzoek/bestand", data=upload_bad, content_type="multipart/form-data")
    assert response.status_code == 422
    page = assert_english(response, "upload page with errors")
    assert field_error(page, "file") == "We cannot accept this type of file. Please send a PDF, PNG or JPEG."
    page = assert_english(requester.post("/mijn-verzoek/intrekken", data={}), "withdraw page with errors")
    assert field_error(page, "confirm") == "Tick the box to confirm that you want to withdraw your request."


def test_a_link_from_an_english_mail_opens_the_portal_in_english(app, people, smtp_server, run_jobs):
    parent = app.test_client()
    in_english(parent)
    case_id = submit(parent, people.school_a, requester_email="parent.en@example.nl")
    run_jobs()
    mails = mails_to(smtp_server, "parent.en@example.nl", "Confirm your email address")
    fresh = app.test_client()  # another device, no language chosen
    assert fresh.get(_path(mails[0])).status_code == 200
    page = assert_english(fresh.get("/mijn-verzoek/overzicht"), "status page")
    assert "Received" in page
    with app.app_context():
        from dsr.extensions import db
        from dsr.models import Case

        reference = db.session.get(Case, case_id).reference
    chose_dutch = app.test_client()
    chose_dutch.post("/taal", data={"lang": "nl", "next": "/"})  # the visitor's own choice wins
    assert chose_dutch.post("/mijn-verzoek", data={"reference": reference,
                                                   "email": "parent.en@example.nl"}).status_code == 302
    run_jobs()
    link_mail = [m for m in mails_to(smtp_server, "parent.en@example.nl") if "My request" in m["Subject"]][-1]
    assert chose_dutch.get(_path(link_mail)).status_code == 302
    assert_dutch(chose_dutch.get("/mijn-verzoek/overzicht"), "status page")


# --------------------------------------------------------------------------- the student's consent

def test_consent_mail_and_pages_in_the_language_of_the_request(app, people, staff, smtp_server, run_jobs):
    in_english(staff)  # whatever language staff work in, the student gets the language of the request
    parent = app.test_client()
    in_english(parent)
    case_id = submit(parent, people.school_a, requester_email="parent.en@example.nl",
                     student_birth_date=years_ago(19))
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert send_consent_request(staff, case_id).status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, STUDENT)
    assert mail["Subject"].startswith("Your consent is requested") and "Dear student" in body(mail)
    student = app.test_client()
    assert student.get(_path(mail)).status_code == 302
    page = assert_english(student.get("/toestemming"), "consent page")
    assert "May your parent see your data?" in page and "What are learning results?" in page
    response = student.post("/toestemming", data={})
    assert response.status_code == 422
    page = assert_english(response, "consent page with errors")
    assert field_error(page, "answer") == "Choose an answer."
    assert student.post("/toestemming", data={"answer": "full"}).status_code == 302
    page = assert_english(student.get("/toestemming"), "consent page after answering")
    assert "Thank you. Your answer has been recorded." in page and "everything that was asked for" in page
    page = assert_english(student.post("/toestemming/intrekken", data={}), "consent page with errors")
    assert field_error(page, "confirm") == "Tick the box to confirm that you want to withdraw your consent."
    closed = student.post("/toestemming/afmelden")
    assert closed.status_code == 302
    assert_english(student.get(closed.headers["Location"]), "signed out page")
    assert_english(student.get("/toestemming"), "consent page without a session")

    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    section = page[page.index('id="toestemming"'):]
    section = section[:section.index("</section>")]  # the history quotes the audit trail, which is Dutch
    assert dutch_words(section) == [] and '<html lang="en">' in page
    assert "The student's consent</h2>" in section and "R-CH-3, R-CH-4" in section and "Consent given" in section


def test_consent_page_stays_dutch_for_a_dutch_request(app, people, staff, smtp_server, run_jobs):
    case_id = submit(app.test_client(), people.school_a, requester_email="ouder@example.nl",
                     student_birth_date=years_ago(19))
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
    assert send_consent_request(staff, case_id).status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, STUDENT)
    assert mail["Subject"].startswith("Uw toestemming gevraagd")
    student = app.test_client()
    student.get(_path(mail))
    page = assert_dutch(student.get("/toestemming"), "consent page")
    assert field_error(student.post("/toestemming", data={}).get_data(as_text=True), "answer") == "Kies een antwoord."
    assert "Mag je ouder jouw gegevens zien?" in page


# --------------------------------------------------------------------------- the package and the case page

def test_package_and_link_problem_pages_in_english_and_dutch(app, client, people, categories, smtp_server,
                                                             run_jobs):
    _case_id, path, _doc = delivered_package(app, client, people, categories, smtp_server, run_jobs)
    page = assert_dutch(app.test_client().get(path), "package page")
    assert "De gegevens van uw inzageverzoek" in page
    reader = app.test_client()
    in_english(reader)
    page = assert_english(reader.get(path), "package page")
    assert "The data from your access request" in page and "Letter with your data (PDF)" in page
    broken = path[:-3] + ("a" if path[-3] != "a" else "b") + path[-2:]
    response = reader.get(broken)
    assert response.status_code == 404
    assert "This link does not work" in assert_english(response, "link problem page")
    assert "Deze link werkt niet" in assert_dutch(app.test_client().get(broken), "link problem page")


def test_case_page_fulfilment_section_and_letter_preview_in_english(app, client, people, categories, smtp_server,
                                                                     run_jobs):
    case_id, staff = reviewed_case(app, client, people)
    assert upload(staff, case_id, categories["cijfers"], data=PDF, name="report.pdf", title="Report").status_code == 302
    page = assert_dutch(staff.get(f"/zaken/{case_id}"), "case page")
    assert "Inzagepakket" in page and "Berichten met de aanvrager" in page
    in_english(staff)
    response = upload(staff, case_id, categories["cijfers"], data=b"", name="", title="x")
    assert response.status_code == 422
    page = assert_english(response, "case page with an upload error")
    assert field_error(page, "file") == "Choose a file."
    page = assert_english(staff.get(f"/zaken/{case_id}"), "case page")
    assert "Access package" in page and "Messages with the requester" in page and "Files from the requester" in page
    assert "Save checks" in page and "Remove from the package" in page
    [document] = documents_of(app, case_id)
    response = staff.post(f"/zaken/{case_id}/pakket/document/{document.id}/controle",
                          data={f"d{document.id}-third_party": "y", f"d{document.id}-work_notes": "y"})
    assert response.status_code == 302
    assert "The checks have been recorded." in staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    page = assert_english(staff.get(f"/zaken/{case_id}/brieven/access_cover"), "letter preview")
    assert "This is a preview." in page and "Preview of the letter" in page
