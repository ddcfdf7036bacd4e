"""API tokens: the service (only the hash stored, the plain token given once, expiry, revocation, scopes and
schools checked) and the admin's pages (the token shown once with no-store, bad input at the field, revoke
with a confirmation, CSRF, and only the admin)."""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, School, User
from dsr.models.integrations import ApiToken
from dsr.services import api_tokens
from dsr.services.api_tokens import ApiTokenError
from tests.api.token_helpers import bearer, make_token
from tests.helpers import signed_in

UTC = dt.UTC


def _admin(people):
    return db.session.get(User, people.admin)


# --------------------------------------------------------------------------- the service

def test_only_the_hash_and_a_prefix_are_stored_and_the_audit_never_holds_the_token(app, people):
    token_id, plain = make_token(app, people, scopes=("figures:read", "cases:read"), schools=("AAA", "BBB"))
    assert plain.startswith("dsr_") and len(plain) > 40
    with app.app_context():
        row = db.session.get(ApiToken, token_id)
        assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
        assert row.prefix == plain[:12] and row.scopes == "cases:read figures:read"
        assert {s.code for s in row.schools} == {"AAA", "BBB"}
        stored = [str(value) for value in db.session.execute(sa.select(ApiToken.__table__)).one()]
        assert plain not in stored
        events = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "api_token.created")).scalars().all()
        assert len(events) == 1 and events[0].actor_id == people.admin
        details = json.loads(events[0].details)
        assert details["token_id"] == token_id and details["scopes"] == ["cases:read", "figures:read"]
        assert plain not in events[0].details and row.token_hash not in events[0].details


def test_the_token_lasts_the_days_chosen(app, people):
    before = dt.datetime.now(UTC)
    token_id, _plain = make_token(app, people, days=7)
    with app.app_context():
        expires = db.session.get(ApiToken, token_id).expires_at
    assert before + dt.timedelta(days=7) <= expires <= dt.datetime.now(UTC) + dt.timedelta(days=7)


def test_authenticate_refuses_unknown_revoked_and_expired_tokens(app, people):
    token_id, plain = make_token(app, people)
    with app.test_request_context():
        assert api_tokens.authenticate(plain).id == token_id
        for wrong in (None, "", plain + "x", plain[:-1], "dsr_" + "A" * 43, plain.replace("dsr_", "xyz_"),
                      "dsr_" + "x" * 300):
            assert api_tokens.authenticate(wrong) is None, wrong
        row = db.session.get(ApiToken, token_id)
        row.expires_at = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
        db.session.commit()
        assert api_tokens.authenticate(plain) is None
        row.expires_at = dt.datetime.now(UTC) + dt.timedelta(days=1)
        db.session.commit()
        assert api_tokens.authenticate(plain) is not None
        api_tokens.revoke(_admin(people), token_id)
        assert api_tokens.authenticate(plain) is None
        api_tokens.revoke(_admin(people), token_id)  # again: nothing changes, nothing audited twice
        revoked = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "api_token.revoked")).scalars()
        assert [json.loads(e.details)["token_id"] for e in revoked] == [token_id]


@pytest.mark.parametrize("values, code, field", [
    ({"name": "  "}, "name", "name"),
    ({"name": "x" * 201}, "name", "name"),
    ({"scopes": ()}, "scope_needed", "scopes"),
    ({"scopes": ("cases:read", "cases:write")}, "scope_unknown", "scopes"),
    ({"days": 0}, "days", "days"),
    ({"days": 366}, "days", "days"),  # API_TOKEN_MAX_DAYS is 365
    ({"school_codes": ()}, "school_needed", "schools"),
    ({"school_codes": ("AAA", "ZZZ")}, "school_unknown", "schools"),
    ({"school_codes": ("OLD",)}, "school_inactive", "schools"),
])
def test_the_service_refuses_bad_input(app, people, values, code, field):
    with app.test_request_context():
        db.session.add(School(code="OLD", name="Oude school", active=False))
        db.session.commit()
        arguments = {"name": "Rapportage", "scopes": ("cases:read",), "school_codes": ("AAA",), "days": 30, **values}
        with pytest.raises(ApiTokenError) as refused:
            api_tokens.create(_admin(people), **arguments)
        assert (refused.value.code, refused.value.field) == (code, field)
        assert db.session.execute(sa.select(sa.func.count(ApiToken.id))).scalar_one() == 0


def test_all_schools_are_the_active_schools_of_now(app, people):
    with app.app_context():
        db.session.add(School(code="OLD", name="Oude school", active=False))
        db.session.commit()
    token_id, _plain = make_token(app, people, schools=(), all_schools=True)
    with app.app_context():
        assert {s.code for s in db.session.get(ApiToken, token_id).schools} == {"AAA", "BBB"}


@pytest.mark.parametrize("who", ["privacy", "staff_a", "director_a"])
def test_only_the_admin_makes_and_revokes_tokens_in_the_service(app, people, who):
    token_id, _plain = make_token(app, people)
    with app.test_request_context():
        user = db.session.get(User, getattr(people, who))
        with pytest.raises(PermissionError):
            api_tokens.create(user, name="x", scopes=("cases:read",), school_codes=("AAA",), days=1)
        with pytest.raises(PermissionError):
            api_tokens.revoke(user, token_id)


# --------------------------------------------------------------------------- the admin's pages

def _form(**values) -> dict:
    data = {"name": "Rapportage bestuur", "scopes": ["cases:read", "figures:read"], "reach": "some",
            "schools": ["AAA"], "days": "30"}
    data.update(values)
    return data


def _error(page: str, field_id: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def test_the_admin_makes_a_token_which_is_shown_once_and_works(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get("/beheer/api-tokens/nieuw").status_code == 200
    response = admin.post("/beheer/api-tokens/nieuw", data=_form())
    assert response.status_code == 200 and "Location" not in response.headers
    assert "no-store" in response.headers["Cache-Control"]
    page = html.unescape(response.get_data(as_text=True))
    assert "Kopieer hem nu: hij wordt niet nog eens getoond" in page
    plain = re.search(r'value="(dsr_[A-Za-z0-9_-]+)"', page).group(1)
    assert admin.get("/api/v1/cases", headers=bearer(plain)).status_code == 200
    listing = admin.get("/beheer/api-tokens/")
    text = html.unescape(listing.get_data(as_text=True))
    assert listing.status_code == 200 and plain not in text and plain[:12] in text
    assert "Rapportage bestuur" in text and "Cijfers van het dashboard lezen" in text and "School A" in text
    with admin.session_transaction() as session:
        assert plain not in json.dumps(dict(session), default=str)


@pytest.mark.parametrize("values, field_id, message", [
    ({"name": ""}, "name", "Vul een naam in."),
    ({"scopes": []}, "scopes", "Kies minstens één toestemming."),
    ({"scopes": ["cases:write"]}, "scopes", "Kies alleen toestemmingen uit de lijst."),
    ({"days": "abc"}, "days", None),
    ({"days": "400"}, "days", "Kies een geldigheid van 1 tot en met 365 dagen."),
    ({"days": "0"}, "days", "Kies een geldigheid van 1 tot en met 365 dagen."),
    ({"schools": []}, "schools", "Kies minstens één school, of alle scholen."),
    ({"reach": ""}, "reach", "Kies alle scholen of een deel."),
])
def test_bad_input_shows_at_the_field_and_makes_nothing(app, people, values, field_id, message):
    admin = signed_in(app, people, "admin")
    response = admin.post("/beheer/api-tokens/nieuw", data=_form(**values))
    assert response.status_code == 422
    error = _error(response.get_data(as_text=True), field_id)
    assert error is not None and (message is None or error == message)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ApiToken.id))).scalar_one() == 0


def test_all_schools_through_the_form(app, people):
    admin = signed_in(app, people, "admin")
    response = admin.post("/beheer/api-tokens/nieuw", data=_form(reach="all", schools=[]))
    assert response.status_code == 200
    with app.app_context():
        assert {s.code for s in db.session.execute(sa.select(ApiToken)).scalar_one().schools} == {"AAA", "BBB"}


def test_revoking_asks_to_confirm_then_stops_the_token(app, people):
    token_id, plain = make_token(app, people, name="Oude koppeling")
    admin = signed_in(app, people, "admin")
    confirm = admin.get(f"/beheer/api-tokens/{token_id}/intrekken")
    assert confirm.status_code == 200 and "Oude koppeling" in confirm.get_data(as_text=True)
    unconfirmed = admin.post(f"/beheer/api-tokens/{token_id}/intrekken", data={})
    assert unconfirmed.status_code == 422 and _error(unconfirmed.get_data(as_text=True), "confirm")
    assert admin.get("/api/v1/cases", headers=bearer(plain)).status_code == 200
    done = admin.post(f"/beheer/api-tokens/{token_id}/intrekken", data={"confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/beheer/api-tokens/")
    assert admin.get("/api/v1/cases", headers=bearer(plain)).status_code == 401
    listing = html.unescape(admin.get("/beheer/api-tokens/").get_data(as_text=True))
    assert "ingetrokken op" in listing
    assert admin.get("/beheer/api-tokens/999999/intrekken").status_code == 404


@pytest.mark.parametrize("who", ["privacy", "staff_a", "director_a"])
def test_only_the_admin_sees_the_pages(app, people, who):
    token_id, _plain = make_token(app, people)
    client = signed_in(app, people, who)
    for method, path in (("get", "/beheer/api-tokens/"), ("get", "/beheer/api-tokens/nieuw"),
                         ("post", "/beheer/api-tokens/nieuw"), ("post", f"/beheer/api-tokens/{token_id}/intrekken")):
        response = getattr(client, method)(path, data=_form(confirm="y") if method == "post" else None)
        assert response.status_code == 403, (method, path)
    assert "/beheer/api-tokens" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ApiToken.id))).scalar_one() == 1
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(app, client, people):
    response = client.get("/beheer/api-tokens/")
    assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]


def test_the_admin_finds_the_page_in_the_navigation(app, people):
    admin = signed_in(app, people, "admin")
    assert 'href="/beheer/api-tokens/"' in admin.get("/beheer/gebruikers").get_data(as_text=True)


def test_the_forms_need_their_csrf_token(app, csrf_app, people):
    token_id, plain = make_token(app, people)
    admin = signed_in(app, people, "admin")
    browser = csrf_app.test_client()
    browser.set_cookie("session", admin.get_cookie("session").value)  # the same signed-in admin
    for path, data in (("/beheer/api-tokens/nieuw", _form()), (f"/beheer/api-tokens/{token_id}/intrekken",
                                                                {"confirm": "y"})):
        assert browser.post(path, data=data).status_code == 400, path
        assert browser.post(path, data={**data, "csrf_token": "vervalst"}).status_code == 400, path
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(ApiToken.id))).scalar_one() == 1
        assert db.session.get(ApiToken, token_id).revoked_at is None
    # With the page's own token the revocation goes through (the check above refused for the token only).
    page = browser.get(f"/beheer/api-tokens/{token_id}/intrekken").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    value = csrf.group(1) or csrf.group(2)
    assert browser.post(f"/beheer/api-tokens/{token_id}/intrekken",
                        data={"confirm": "y", "csrf_token": value}).status_code == 302


def test_an_unreadable_api_rate_limit_stops_the_start():
    from dsr import create_app
    from dsr.settings import ConfigError

    with pytest.raises(ConfigError, match="DSR_API_RATE_LIMIT: 'heel veel' is not a rate limit"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "API_RATE_LIMIT": "heel veel"})
