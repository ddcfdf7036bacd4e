"""Issue 13 point 9: links in mails never come from the request's Host header, and an optional list of
trusted hosts turns any other Host into a 400. Forged hosts go through the real forms, the real RQ worker
and the real SMTP sink; the start-up refusal without DSR_PUBLIC_BASE_URL is in tests/test_config.py and
tests/test_wsgi_entry.py."""
from __future__ import annotations

import pytest

from dsr.services.links import LOCAL_BASE_URL
from tests.helpers import link_in, submit
from tests.integration.helpers import body, mails_to, request_link

FORGED = {"Host": "evil.example"}


def _links_in(mail) -> str:
    """Both parts of a mail, so a link in either would be seen."""
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    return body(mail) + html_part


@pytest.mark.parametrize("base", ["http://dsr.test", None], ids=["configured", "unset (tests and demo)"])
def test_a_forged_host_never_reaches_a_password_reset_link(app, people, smtp_server, run_jobs, monkeypatch, base):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base)
    client = app.test_client()
    assert client.post("/medewerkers/wachtwoord-vergeten", data={"email": people.email["staff_a"]},
                       headers=FORGED).status_code == 302
    run_jobs()
    [mail] = smtp_server.messages
    assert "evil.example" not in _links_in(mail)
    assert link_in(body(mail)).startswith((base or LOCAL_BASE_URL) + "/")


def test_a_forged_host_never_reaches_a_portal_link(app, client, people, smtp_server, run_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    smtp_server.clear()
    forged = app.test_client()
    forged.environ_base["HTTP_HOST"] = "evil.example"
    assert request_link(forged, app, case_id, "ouder@example.nl").status_code == 302
    run_jobs()
    [mail] = mails_to(smtp_server, "ouder@example.nl", "Mijn verzoek")
    assert "evil.example" not in _links_in(mail)
    assert link_in(body(mail)).startswith(LOCAL_BASE_URL + "/")


def test_the_receipt_of_a_form_posted_with_a_forged_host_links_to_the_configured_base(app, people, smtp_server,
                                                                                      run_jobs):
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "evil.example"
    submit(client, people.school_a, requester_email="ouder@example.nl")
    run_jobs()
    for mail in smtp_server.messages:  # the receipt and the staff notices
        assert "evil.example" not in _links_in(mail)
        assert link_in(body(mail)).startswith("http://dsr.test/")


def test_trusted_hosts_refuse_any_other_host(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["dsr.test"])
    client = app.test_client()
    refused = client.get("/", headers=FORGED)  # not a 500: the error page cannot build its links here
    assert refused.status_code == 400 and "hoort niet bij deze dienst" in refused.get_data(as_text=True)
    assert client.post("/medewerkers/wachtwoord-vergeten", data={"email": people.email["staff_a"]},
                       headers=FORGED).status_code == 400
    assert client.get("/", headers={"Host": "dsr.test"}).status_code == 200
