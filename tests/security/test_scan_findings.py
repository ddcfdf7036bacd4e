"""What the outside scan found on the signed-in pages, shown without the scanner (docs/security.md, SCAN-4).

Wapiti reported "Lack of anti CSRF token" on the retention-period forms of the processing register. Those
forms are prefixed per school type, so their token field is ``ppo-csrf_token`` (``pvo-``, ``pmbo-``), a name
Wapiti does not recognise. The token is checked all the same: Flask-WTF's app-wide CSRF protection takes a
field whose name ends in ``csrf_token``.
"""
from __future__ import annotations

import pytest

PERIOD = "/verwerkingsregister/beheer/categorie/1/termijn/{school_type}"


@pytest.mark.parametrize("school_type", ["po", "vo", "mbo"])
def test_a_period_form_without_or_with_a_forged_token_is_refused(csrf_app, app, people, school_type):
    client = csrf_app.test_client()
    path = PERIOD.format(school_type=school_type)
    prefix = f"p{school_type}-"
    for data in ({prefix + "months": "12"}, {prefix + "months": "12", prefix + "csrf_token": "vervalst"},
                 {prefix + "months": "12", "csrf_token": "vervalst"}):
        response = client.post(path, data=data)
        assert response.status_code == 400, data
        assert "beveiligingscode" in response.get_data(as_text=True)


def test_the_prefixed_token_field_is_the_one_flask_wtf_checks(csrf_app, app, people):
    """A real token under the prefixed name passes the CSRF check (and the view then asks for sign-in)."""
    client = csrf_app.test_client()
    page = client.get("/medewerkers/inloggen").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(PERIOD.format(school_type="po"), data={"ppo-csrf_token": token, "ppo-months": "12"})
    assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]
