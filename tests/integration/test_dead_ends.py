"""Issue 14 point 3: no dead ends for the requester.

A reused confirmation link says the address is confirmed and leads to "Mijn verzoek"; an expired or used
portal, package or letter link offers a new link right on the page (the "Mijn verzoek" form: the same answer
whether or not the address matches, the same rate limit); the requester's error pages name the next step.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dsr.extensions import db
from dsr.models import AccessPackage, Case, PortalLink
from dsr.models._types import utcnow
from tests.helpers import link_in, signed_in, submit, text_of
from tests.integration.helpers import (
    body,
    delivered_package,
    letters_of,
    mails_to,
    path_of,
    reference_of,
    request_link,
    send_letter,
)

PORTAL_MAIL = "Uw link naar Mijn verzoek"


def _confirm_link(smtp_server, run_jobs, address: str) -> str:
    run_jobs()
    [receipt] = mails_to(smtp_server, address, "Bevestig uw e-mailadres")
    return urlsplit(link_in(body(receipt))).path


def _old_token(app, salt: str, payload: dict, days: int) -> str:
    """A genuine token signed ``days`` ago (expired for its purpose)."""

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - days * 86400

    with app.app_context():
        return URLSafeTimedSerializer(app.secret_key, salt=salt, signer=Earlier).dumps(payload)


def _new_link_form(page: str) -> str:
    """The form on the page that asks for a new "Mijn verzoek" link (fails if there is none)."""
    match = re.search(r'<form method="post" action="/mijn-verzoek"[^>]*>.*?</form>', page, re.S)
    assert match, "the page offers no form for a new link"
    form = match.group(0)
    # (The CSRF field is there when CSRF is on: the browser test posts this form with it.)
    assert 'name="reference"' in form and 'name="email"' in form
    return form


def _ask_from_page(client, app, case_id: int, email: str):
    """Fill in the page's new-link form as a requester would (it posts to "Mijn verzoek")."""
    return client.post("/mijn-verzoek", data={"reference": reference_of(app, case_id), "email": email})


def _portal_link_works(app, client, smtp_server, run_jobs, email: str, before: int) -> None:
    run_jobs()
    mails = mails_to(smtp_server, email, PORTAL_MAIL)
    assert len(mails) == before + 1, "a new link went to the address on file"
    entered = client.get(path_of(link_in(body(mails[-1]))))
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/mijn-verzoek/overzicht")
    assert client.get("/mijn-verzoek/overzicht").status_code == 200


# --- the confirmation link ------------------------------------------------------------------------------------

def test_a_reused_confirm_link_says_the_address_is_confirmed_and_leads_to_mijn_verzoek(app, client, people,
                                                                                       smtp_server, run_jobs):
    submit(client, people.school_a, requester_email="twee.keer@example.nl")
    path = _confirm_link(smtp_server, run_jobs, "twee.keer@example.nl")
    assert app.test_client().get(path).status_code == 200

    other_browser = app.test_client()  # e.g. the mail opened again on the phone
    again = other_browser.get(path)
    page = text_of(again)
    assert again.status_code == 200
    assert "Uw e-mailadres is al bevestigd" in page and "ongeldig" not in page
    assert 'class="button" href="/mijn-verzoek"' in page, "a button to Mijn verzoek"
    assert again.headers["Referrer-Policy"] == "no-referrer"
    # It opens no portal session: a forwarded mail must not show the request.
    assert other_browser.get("/mijn-verzoek/overzicht").status_code == 302


def test_a_portal_link_confirms_first_then_the_receipt_link_says_already_confirmed(app, client, people,
                                                                                     smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="portaal.eerst@example.nl")
    path = _confirm_link(smtp_server, run_jobs, "portaal.eerst@example.nl")
    browser = app.test_client()
    assert request_link(browser, app, case_id, "portaal.eerst@example.nl").status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, "portaal.eerst@example.nl", PORTAL_MAIL)
    assert browser.get(path_of(link_in(body(mail)))).status_code == 302
    response = app.test_client().get(path)
    assert response.status_code == 200 and "Uw e-mailadres is al bevestigd" in text_of(response)


def test_an_expired_or_broken_confirm_link_offers_a_new_link(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="te.laat@example.nl")
    _confirm_link(smtp_server, run_jobs, "te.laat@example.nl")
    with app.app_context():
        nonce = db.session.get(Case, case_id).confirm_nonce
    old = _old_token(app, "dsr-confirm-email", {"n": nonce}, days=15)  # CONFIRM_LINK_MAX_AGE_DAYS = 14
    browser = app.test_client()
    for bad in (f"/bevestigen/{old}", "/bevestigen/kapot"):
        response = browser.get(bad)
        page = text_of(response)
        assert response.status_code == 400 and "Deze link werkt niet" in page
        _new_link_form(response.get_data(as_text=True))
        assert "Uw e-mailadres is al bevestigd" not in page
    # The form's answer: a portal link, which confirms the address as well.
    assert _ask_from_page(browser, app, case_id, "te.laat@example.nl").status_code == 302
    _portal_link_works(app, browser, smtp_server, run_jobs, "te.laat@example.nl", before=0)
    with app.app_context():
        assert db.session.get(Case, case_id).email_confirmed_at is not None


# --- the portal link ------------------------------------------------------------------------------------------

def test_a_used_or_expired_portal_link_offers_the_form_on_the_page(app, client, case_id, smtp_server, run_jobs):
    assert request_link(app.test_client(), app, case_id, "ouder@example.nl").status_code == 302
    run_jobs()
    path = path_of(link_in(body(mails_to(smtp_server, "ouder@example.nl", PORTAL_MAIL)[-1])))
    assert app.test_client().get(path).status_code == 302
    used = app.test_client().get(path)
    assert used.status_code == 400 and "al gebruikt" in text_of(used)
    _new_link_form(used.get_data(as_text=True))
    with app.app_context():
        db.session.execute(sa.update(PortalLink).values(used_at=None, expires_at=utcnow()))
        db.session.commit()
    browser = app.test_client()
    expired = browser.get(path)
    assert expired.status_code == 400 and "verlopen" in text_of(expired)
    _new_link_form(expired.get_data(as_text=True))
    assert _ask_from_page(browser, app, case_id, "ouder@example.nl").status_code == 302
    _portal_link_works(app, browser, smtp_server, run_jobs, "ouder@example.nl", before=1)


# --- package and letter links ---------------------------------------------------------------------------------

def test_an_expired_package_link_leads_to_a_new_link_that_works(app, client, people, categories, smtp_server,
                                                                run_jobs):
    email = "pakket.verlopen@example.nl"
    case_id, path, doc = delivered_package(app, client, people, categories, smtp_server, run_jobs, email=email)
    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        old = _old_token(app, "dsr-package", {"p": package.id, "n": package.link_nonce}, days=8)
    browser = app.test_client()
    for url in (f"/pakket/{old}", f"/pakket/{old}/bestand/{doc.id}", f"/pakket/{old}/brief"):
        response = browser.get(url)
        assert response.status_code == 410 and "Deze link is verlopen" in text_of(response)
        _new_link_form(response.get_data(as_text=True))
    before = len(mails_to(smtp_server, email, PORTAL_MAIL))
    assert _ask_from_page(browser, app, case_id, email).status_code == 302
    _portal_link_works(app, browser, smtp_server, run_jobs, email, before=before)


def _reference_field(page: str) -> str | None:
    """The value filled in the new-link form's reference field (None: empty)."""
    match = re.search(r'<input[^>]*name="reference"[^>]*>', _new_link_form(page))
    assert match
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value and value.group(1) else None


def test_an_expired_package_or_letter_link_fills_in_its_reference(app, client, people, categories, smtp_server,
                                                                  run_jobs):
    """The parent only types the address: the genuine expired link names its request (never the address)."""
    email = "invullen@example.nl"
    case_id, _path, _doc = delivered_package(app, client, people, categories, smtp_server, run_jobs, email=email)
    reference = reference_of(app, case_id)
    with app.app_context():
        package = db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar_one()
        package_id, package_nonce = package.id, package.link_nonce
    letter = letters_of(app, case_id)[-1]  # the cover letter, sent with the package
    for url in (f"/pakket/{_old_token(app, 'dsr-package', {'p': package_id, 'n': package_nonce}, days=8)}",
                f"/brief/{_old_token(app, 'dsr-letter', {'l': letter.id, 'n': letter.link_nonce}, days=31)}"):
        response = app.test_client().get(url)
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert _reference_field(page) == reference
        assert email not in page, "the address on file is never shown"
    # A link replaced by a newer one, or signed too long ago, names nothing.
    for url in (f"/pakket/{_old_token(app, 'dsr-package', {'p': package_id, 'n': 'vervangen'}, days=8)}",
                f"/pakket/{_old_token(app, 'dsr-package', {'p': package_id, 'n': package_nonce}, days=400)}"):
        response = app.test_client().get(url)
        assert response.status_code == 410 and _reference_field(response.get_data(as_text=True)) is None


def test_the_same_answer_whether_or_not_the_address_matches(app, client, people, categories, smtp_server,
                                                            run_jobs):
    email = "pakket.zelfde@example.nl"
    case_id, _path, _doc = delivered_package(app, client, people, categories, smtp_server, run_jobs, email=email)
    browser = app.test_client()
    wrong = _ask_from_page(browser, app, case_id, "iemand.anders@example.nl")
    right = _ask_from_page(browser, app, case_id, email)
    assert wrong.status_code == right.status_code == 302
    assert wrong.headers["Location"] == right.headers["Location"]
    run_jobs()
    assert mails_to(smtp_server, "iemand.anders@example.nl") == []
    assert len(mails_to(smtp_server, email, PORTAL_MAIL)) == 1


def test_a_broken_or_unconfirmed_package_link_also_offers_the_form(app, client, people, categories, smtp_server,
                                                                   run_jobs):
    _case_id, path, _doc = delivered_package(app, client, people, categories, smtp_server, run_jobs,
                                             email="nog.niet@example.nl", confirm=False)
    unconfirmed = app.test_client().get(path)
    assert unconfirmed.status_code == 403 and "Bevestig eerst uw e-mailadres" in text_of(unconfirmed)
    _new_link_form(unconfirmed.get_data(as_text=True))
    broken = app.test_client().get("/pakket/niet-eens-een-token")
    assert broken.status_code == 404 and "Deze link werkt niet" in text_of(broken)
    _new_link_form(broken.get_data(as_text=True))


def test_an_expired_letter_link_offers_a_new_link(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="brief.verlopen@example.nl")
    send_letter(signed_in(app, people), case_id, "receipt")
    run_jobs()
    [letter] = letters_of(app, case_id)
    old = _old_token(app, "dsr-letter", {"l": letter.id, "n": letter.link_nonce}, days=31)
    response = app.test_client().get(f"/brief/{old}")
    assert response.status_code == 410 and "Deze link is verlopen" in text_of(response)
    _new_link_form(response.get_data(as_text=True))


# --- error pages ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/mijn-verzoek/bestanden/999999", "/pakket/x/bestand/1/niet", "/bestaat-niet"])
def test_a_requesters_404_names_the_next_step(app, client, case_id, smtp_server, run_jobs, url):
    browser = app.test_client()
    if url.startswith("/mijn-verzoek/"):
        assert request_link(browser, app, case_id, "ouder@example.nl").status_code == 302
        run_jobs()
        browser.get(path_of(link_in(body(mails_to(smtp_server, "ouder@example.nl", PORTAL_MAIL)[-1]))))
    response = browser.get(url)
    page = text_of(response)
    assert response.status_code == 404 and "Niet gevonden" in page
    assert "Vraag dan een nieuwe link aan via Mijn verzoek" in page
    assert 'class="button" href="/mijn-verzoek"' in page


def test_a_requesters_400_names_the_next_step(csrf_app):
    response = csrf_app.test_client().post("/mijn-verzoek", data={"reference": "AVG-2026-00001", "email": "a@b.nl"})
    page = text_of(response)
    assert response.status_code == 400 and "beveiligingscode" in page
    assert "Vraag dan een nieuwe link aan via Mijn verzoek" in page


def test_a_requesters_429_says_when_to_try_again(app, case_id):
    browser = app.test_client()
    for _ in range(5):
        assert request_link(browser, app, case_id, "niet.het.adres@example.nl").status_code == 302
    response = request_link(browser, app, case_id, "niet.het.adres@example.nl")
    assert response.status_code == 429
    assert "Probeer het over een paar minuten opnieuw." in text_of(response)


def test_a_requesters_500_names_the_next_step(app):
    # A bug in a portal page, dispatched as Flask does (as in test_transaction_boundary).
    with app.test_request_context("/mijn-verzoek/overzicht"):
        try:
            raise KeyError("bug")
        except KeyError as raised:
            response = app.make_response(app.handle_user_exception(raised))
    page = text_of(response)
    assert response.status_code == 500 and "Er ging iets mis" in page
    assert "Probeer het over een paar minuten opnieuw" in page and 'href="/mijn-verzoek"' in page


def test_staff_error_pages_do_not_send_staff_to_mijn_verzoek(app, people):
    staff = signed_in(app, people)
    response = staff.get("/zaken/999999")
    assert response.status_code == 404
    assert "Mijn verzoek" not in text_of(response)


def test_the_student_consent_error_page_does_not_point_to_mijn_verzoek(csrf_app):
    response = csrf_app.test_client().post("/toestemming", data={"answer": "yes"})
    assert response.status_code == 400
    page = text_of(response)
    assert "leerlingadministratie" in page and "Mijn verzoek" not in page
