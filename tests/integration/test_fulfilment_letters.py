"""Letters through HTTP (R-LT-1..4, R-RI-4/5/6): preview before sending, a letter with a missing element cannot
be sent (the code is named), the PDF is stored encrypted with the case, the mail carries a link only, the link
is signed and expires; restriction, objection and portability get their decision and letter."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dsr.extensions import db
from dsr.models import AuditEvent, Case, RecipientTask
from dsr.services.storage import _path as storage_path
from dsr.workflows.deadlines import legal_deadline
from tests.helpers import case_version, link_in, local_today, signed_in, step, submit, text_of
from tests.integration.helpers import confirm_address, digest_of, letters_of, pdf_text, send_letter


def _mail_text(smtp_server, address, subject_part) -> str:
    [mail] = [m for m in smtp_server.messages if m["To"] == address and subject_part in m["Subject"]]
    return mail.get_body(preferencelist=("plain",)).get_content()


def _mail_link(smtp_server, address, subject_part) -> str:
    return urlsplit(link_in(_mail_text(smtp_server, address, subject_part))).path


CONFIRM_FIRST = "De link werkt pas als u uw e-mailadres heeft bevestigd"


def test_receipt_letter_preview_send_pdf_and_link(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="brief@example.nl")
    confirm_address(client, smtp_server, run_jobs, "brief@example.nl")
    staff = signed_in(app, people)
    page = text_of(staff.get(f"/zaken/{case_id}"))
    assert "Ontvangstbevestiging" in page.split("Brieven")[-1]
    preview = staff.get(f"/zaken/{case_id}/brieven/receipt")
    assert preview.status_code == 200
    shown = text_of(preview)
    assert "Brief versturen" in shown and "Wij antwoorden uiterlijk op" in shown and "Sam Jansen" in shown
    assert letters_of(app, case_id) == [], "a preview stores nothing"
    assert send_letter(staff, case_id, "receipt").status_code == 302
    [letter] = letters_of(app, case_id)
    assert letter.kind == "receipt" and letter.sent_at is not None
    with app.app_context():
        stored = storage_path(letter.storage_key).read_bytes()
    assert not stored.startswith(b"%PDF"), "stored encrypted"
    run_jobs()
    path = _mail_link(smtp_server, "brief@example.nl", "Brief over uw verzoek")
    assert CONFIRM_FIRST not in _mail_text(smtp_server, "brief@example.nl", "Brief over uw verzoek")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    assert "Ontvangstbevestiging van uw verzoek" in text and "Sam Jansen" in text
    with app.app_context():
        assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "letter.downloaded")).scalar()
    # Staff open the stored PDF from the case page.
    assert staff.get(f"/zaken/{case_id}/brieven/pdf/{letter.id}").data.startswith(b"%PDF")
    assert signed_in(app, people, "staff_b").get(f"/zaken/{case_id}/brieven/pdf/{letter.id}").status_code == 404


def test_a_letter_with_a_missing_element_cannot_be_sent_and_the_element_is_named(app, client, people):
    """R-LT-2: an extension notice after the first month is too late (LT2_TOO_LATE)."""
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    received = local_today() - dt.timedelta(days=45)
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(
            received_on=received, extended=True, extended_on=received + dt.timedelta(days=20),
            extension_reason="Dossier in drie systemen.", due_on=legal_deadline(received, extended=True)))
        db.session.commit()
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/extension"))
    assert "Deze brief kan nog niet worden verstuurd" in preview and "LT2_TOO_LATE" in preview
    assert "Brief versturen" not in preview
    response = staff.post(f"/zaken/{case_id}/brieven/extension", data={"confirmed": "y", "digest": "0" * 64})
    assert response.status_code == 409 and "LT2_TOO_LATE" in text_of(response)
    assert letters_of(app, case_id) == []


def test_a_letter_changed_since_the_preview_is_not_sent(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    page = staff.get(f"/zaken/{case_id}/brieven/receipt").get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(requester_name="Alex de Vries"))
        db.session.commit()
    response = staff.post(f"/zaken/{case_id}/brieven/receipt", data={"confirmed": "y", "digest": digest_of(page)})
    assert response.status_code == 409 and "veranderd sinds u hem bekeek" in text_of(response)
    assert "Alex de Vries" in text_of(response), "the new version is shown"
    assert letters_of(app, case_id) == []


def test_letters_only_where_the_state_allows_them(app, client, people):
    case_id = submit(client, people.school_a)
    staff = signed_in(app, people)
    response = staff.post(f"/zaken/{case_id}/brieven/refusal", data={"confirmed": "y", "digest": "0" * 64})
    assert response.status_code == 409 and letters_of(app, case_id) == []
    assert "past niet bij de huidige status" in text_of(staff.get(f"/zaken/{case_id}/brieven/refusal"))
    assert staff.get(f"/zaken/{case_id}/brieven/memo").status_code == 404
    assert signed_in(app, people, "staff_b").get(f"/zaken/{case_id}/brieven/receipt").status_code == 404


def test_information_request_letter_r_lt_3(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="info@example.nl")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Uw e-mailadres staat niet in onze administratie.").status_code == 302
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/information_request"))
    assert "U hoeft geen kopie van uw identiteitsbewijs te sturen" in preview
    assert "staat de termijn voor ons antwoord stil" in preview
    assert send_letter(staff, case_id, "information_request").status_code == 302


def test_tampered_and_expired_letter_links(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="verlopen@example.nl")
    staff = signed_in(app, people)
    send_letter(staff, case_id, "receipt")
    run_jobs()
    path = _mail_link(smtp_server, "verlopen@example.nl", "Brief over uw verzoek")
    # A character inside the signature: the last base64 character carries bits that are never checked,
    # so changing only the end did not always break the signature.
    at = len(path) - 10
    tampered = path[:at] + ("A" if path[at] != "A" else "B") + path[at + 1:]
    response = client.get(tampered)
    assert response.status_code == 404 and "Deze link werkt niet" in text_of(response)
    assert not response.data.startswith(b"%PDF")
    [letter] = letters_of(app, case_id)

    class ThirtyOneDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 31 * 86400

    with app.app_context():
        old = URLSafeTimedSerializer(app.secret_key, salt="dsr-letter", signer=ThirtyOneDaysAgo).dumps(
            {"l": letter.id, "n": letter.link_nonce})
    response = client.get(f"/brief/{old}")
    assert response.status_code == 410 and "Deze link is verlopen" in text_of(response)
    with app.app_context():
        wrong_nonce = URLSafeTimedSerializer(app.secret_key, salt="dsr-letter").dumps({"l": letter.id, "n": "raden"})
    assert client.get(f"/brief/{wrong_nonce}").status_code == 404


# --- restriction, objection, portability (R-RI-4/5/6) ------------------------------------------------------


def _right_case(app, client, people, right, *, decision="grant", grounds=(), email="recht@example.nl"):
    today = local_today()
    case_id = submit(client, people.school_a, right=right, requester_role="student", parental_authority="",
                     requester_name="Sam Jansen", requester_email=email, data_concerned="Gegevens",
                     student_birth_date=dt.date(today.year - 17, 2, 1).isoformat())
    staff = signed_in(app, people)
    step(staff, app, case_id, "verify_identity", method="portal")
    assert step(staff, app, case_id, "review", decision=decision, grounds=list(grounds),
                reason="Beoordeeld.").status_code == 302
    return case_id, staff


def decide(client, app, case_id, outcome, categories, explanation="Uitleg voor de aanvrager.", ground=""):
    return client.post(f"/zaken/{case_id}/beslissing", data={
        "version": case_version(app, case_id), "outcome": outcome, "ground": ground,
        "category_ids": [str(c) for c in categories], "explanation": explanation})


def test_restriction_is_carried_out_with_art_19_tasks_and_a_completion_letter(app, client, people, register):
    case_id, staff = _right_case(app, client, people, "restriction")
    missing = decide(staff, app, case_id, "restricted", [register["verzuim"]])
    assert missing.status_code == 422 and "Kies op welke grond van art. 18 lid 1" in text_of(missing)
    assert decide(staff, app, case_id, "restricted", [register["verzuim"]], ground="18_1_a",
                  explanation="De verzuimgegevens van maart worden alleen bewaard zolang wij ze controleren."
                  ).status_code == 302
    blocked = step(staff, app, case_id, "fulfil", reason="Beperkt.")
    assert blocked.status_code == 409 and "Voer eerst de beperking door" in text_of(blocked)
    assert staff.post(f"/zaken/{case_id}/doorvoeren", data={"version": case_version(app, case_id)}).status_code == 302
    with app.app_context():
        tasks = db.session.execute(sa.select(RecipientTask).where(RecipientTask.case_id == case_id)).scalars().all()
        assert sorted(t.recipient.code for t in tasks) == ["duo_bron", "leerplicht"]
        assert {t.reason for t in tasks} == {"restriction"}
        task_ids = [t.id for t in tasks]
    assert step(staff, app, case_id, "fulfil", reason="Beperkt.").status_code == 409
    for task_id in task_ids:
        staff.post(f"/zaken/{case_id}/art19/{task_id}", data={
            f"t{task_id}-version": case_version(app, case_id), f"t{task_id}-outcome": "done",
            f"t{task_id}-note": "Gemeld."})
    assert step(staff, app, case_id, "fulfil", reason="Beperkt.").status_code == 302
    preview = text_of(staff.get(f"/zaken/{case_id}/brieven/completion"))
    assert "alleen bewaard zolang wij ze controleren" in preview and "artikel 18 lid 3 AVG" in preview
    assert "Leerplicht en RMC, gemeente Almere" in preview
    assert send_letter(staff, case_id, "completion").status_code == 302


def test_objection_against_a_legal_obligation_is_refused_and_the_letter_says_so(app, client, people, register):
    case_id, staff = _right_case(app, client, people, "objection", decision="refuse", grounds=["not_applicable"])
    wrong = decide(staff, app, case_id, "stopped", [register["verzuim"]])
    assert wrong.status_code == 422 and "R-RI-5" in text_of(wrong)
    assert decide(staff, app, case_id, "legal_obligation", [register["verzuim"]],
                  explanation="De Leerplichtwet verplicht de school om verzuim bij te houden.").status_code == 302
    assert step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
                reason="Wettelijke plicht.").status_code == 302
    director = signed_in(app, people, "director_a")
    assert step(director, app, case_id, "approve_refusal", reason="Akkoord.").status_code == 302
    preview = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    assert "daartegen is geen bezwaar mogelijk" in preview and "De Leerplichtwet verplicht" in preview
    assert "Deze brief kan nog niet worden verstuurd" not in preview
    assert send_letter(director, case_id, "refusal").status_code == 302


def test_portability_answers_with_the_reason_and_offers_access(app, client, people, register):
    case_id, staff = _right_case(app, client, people, "portability", decision="refuse", grounds=["not_applicable"])
    assert decide(staff, app, case_id, "provided", [register["cijfers"]]).status_code == 422
    assert decide(staff, app, case_id, "not_applicable", [register["cijfers"]],
                  explanation="Cijfers verwerkt de school voor haar taak als onderwijsinstelling.").status_code == 302
    step(staff, app, case_id, "propose_refusal", requester_explanation="Uitleg voor de aanvrager.",
         reason="Publieke taak.")
    director = signed_in(app, people, "director_a")
    step(director, app, case_id, "approve_refusal", reason="Akkoord.")
    preview = text_of(director.get(f"/zaken/{case_id}/brieven/refusal"))
    assert "Art. 20 lid 3 AVG" in preview and "U kunt de gegevens wel inzien" in preview
    assert send_letter(director, case_id, "refusal").status_code == 302


def test_letter_and_package_links_send_no_referrer(app, client, people, smtp_server, run_jobs):
    """Issue 13 point 10: the token is in the URL of these pages, so no Referer header may carry it on,
    whether the link works or not."""
    case_id = submit(client, people.school_a, requester_email="referrer@example.nl")
    staff = signed_in(app, people)
    send_letter(staff, case_id, "receipt")
    run_jobs()
    path = _mail_link(smtp_server, "referrer@example.nl", "Brief over uw verzoek")
    for url in (path, "/brief/niet-geldig", "/pakket/niet-geldig", "/pakket/niet-geldig/brief"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "no-referrer", (url, response.status_code)


def test_a_letter_link_needs_a_confirmed_address(app, client, people, smtp_server, run_jobs):
    """Issue 13 point 4: as for package links, a letter is served only once the requester has confirmed the
    address it went to; before that the link explains how to confirm, and nothing is downloaded."""
    case_id = submit(client, people.school_a, requester_email="nog.niet@example.nl")
    staff = signed_in(app, people)
    send_letter(staff, case_id, "receipt")
    run_jobs()
    path = _mail_link(smtp_server, "nog.niet@example.nl", "Brief over uw verzoek")
    assert CONFIRM_FIRST in _mail_text(smtp_server, "nog.niet@example.nl", "Brief over uw verzoek")
    early = client.get(path)
    assert early.status_code == 403 and "Bevestig eerst uw e-mailadres" in text_of(early)
    assert not early.data.startswith(b"%PDF")
    with app.app_context():
        assert not db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "letter.downloaded")).first()
    confirm_address(client, smtp_server, run_jobs, "nog.niet@example.nl")
    later = client.get(path)
    assert later.status_code == 200 and later.data.startswith(b"%PDF")
