"""Issue 18 point 2: the admin's group table (views/sso_admin.py, services/sso_groups.py): admin only; add,
change and delete rows, audited; bad input is answered at its field; a stale form gets a clear 409; the page
says whether a provider is configured; the table is what sign-in through the provider reads."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, School, SsoGroupMapping
from dsr.services import sso_accounts, sso_groups
from tests.helpers import login, signed_in, text_of
from tests.integration.helpers import field_error, in_english

BASE = "/beheer/schoolaccount-groepen/"
ENTRA_GROUP = "9f3c2a71-5b0e-4d8e-a1c2-3e4f5a6b7c8d"
SURF_GROUP = "urn:collab:group:surfteams.nl:nl:surfnet:diensten:asg-ibp"


def _rows(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(SsoGroupMapping).order_by(SsoGroupMapping.id)).scalars().all()
        return [{"id": r.id, "group": r.group, "label": r.label, "role": r.role, "version": r.version,
                 "schools": sorted(s.id for s in r.schools)} for r in rows]


def _events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).scalars().all()
        return [{"actor_id": r.actor_id, **json.loads(r.details)} for r in rows]


def _add(client, **overrides):
    data = {"group": ENTRA_GROUP, "label": "Leerlingadministratie ODK", "role": "staff", "schools": []}
    data.update(overrides)
    return client.post(BASE + "nieuw", data=data)


@pytest.fixture
def admin(app, people):
    return signed_in(app, people, "admin")


@pytest.mark.parametrize("who", ["staff_a", "director_a", "privacy"])
def test_only_the_admin_sees_or_edits_the_table(app, people, who):
    client = signed_in(app, people, who)
    assert client.get(BASE).status_code == 403
    assert _add(client, schools=[str(people.school_a)]).status_code == 403
    assert _rows(app) == []
    assert app.test_client().get(BASE).status_code == 302  # a visitor is sent to the sign-in page


def test_the_users_page_links_the_table(admin):
    assert f'href="{BASE}"' in admin.get("/beheer/gebruikers").get_data(as_text=True)


def test_the_page_says_whether_a_provider_is_configured(app, admin, monkeypatch):
    assert "Er is nog geen inlogdienst ingesteld" in text_of(admin.get(BASE))
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "https://idp.school.test")
    page = text_of(admin.get(BASE))
    assert "Er is nog geen inlogdienst ingesteld" not in page and "Medewerkers loggen in met hun schoolaccount" in page
    assert "De tabel is leeg" in page


def test_add_change_and_delete_a_row_audited(app, people, admin):
    response = _add(admin, schools=[str(people.school_a)])
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE)
    [row] = _rows(app)
    assert (row["group"], row["label"], row["role"], row["schools"]) == \
        (ENTRA_GROUP, "Leerlingadministratie ODK", "staff", [people.school_a])
    listing = text_of(admin.get(BASE))
    assert ENTRA_GROUP in listing and "Leerlingadministratie ODK" in listing and "School A" in listing

    edit = admin.get(f"{BASE}{row['id']}")
    assert edit.status_code == 200 and f'value="{row["version"]}"' in edit.get_data(as_text=True)
    changed = admin.post(f"{BASE}{row['id']}", data={
        "group": ENTRA_GROUP, "label": "Directie", "role": "director", "version": str(row["version"]),
        "schools": [str(people.school_a), str(people.school_b)]})
    assert changed.status_code == 302
    [after] = _rows(app)
    assert (after["role"], after["schools"], after["version"]) == \
        ("director", sorted([people.school_a, people.school_b]), row["version"] + 1)

    deleted = admin.post(f"{BASE}{row['id']}/verwijderen", data={"version": str(after["version"])})
    assert deleted.status_code == 302 and _rows(app) == []

    assert _events(app, "sso_group.added") == [{"actor_id": people.admin, "mapping_id": row["id"],
                                                 "group": ENTRA_GROUP, "role": "staff",
                                                 "school_ids": [people.school_a]}]
    [change] = _events(app, "sso_group.changed")
    assert change["before"]["role"] == "staff" and change["after"]["role"] == "director"
    assert change["label_changed"] is True and "Directie" not in json.dumps(change), "the label stays out"
    assert _events(app, "sso_group.deleted")[0]["role"] == "director"


def test_a_privacy_officer_row_and_a_surfconext_urn(app, admin):
    assert _add(admin, group=SURF_GROUP, role="privacy_officer", label="").status_code == 302
    assert _rows(app)[0]["group"] == SURF_GROUP and _rows(app)[0]["label"] == ""


@pytest.mark.parametrize(("data", "field", "message"), [
    pytest.param({"group": ""}, "group", "Vul de groep in", id="group-empty"),
    pytest.param({"group": "   "}, "group", "Vul de groep in", id="group-blank"),
    pytest.param({"group": "two words"}, "group", "zonder spaties", id="group-with-a-space"),
    pytest.param({"group": "g" * 256}, "group", "Maximaal 255 tekens", id="group-too-long"),
    pytest.param({"label": "x" * 201}, "label", "Maximaal 200 tekens", id="label-too-long"),
    pytest.param({"label": "a\nb"}, "label", None, id="label-two-lines"),
    pytest.param({"role": ""}, "role", "Kies een rol", id="no-role"),
    pytest.param({"role": "superuser"}, "role", "Kies een van de rollen", id="unknown-role"),
    pytest.param({"role": "staff", "schools": []}, "schools", "minstens één school", id="staff-without-school"),
    pytest.param({"role": "director", "schools": []}, "schools", "minstens één school", id="director-without-school"),
    pytest.param({"role": "admin", "schools": ["SCHOOL_A"]}, "schools", "kies voor deze rol geen school",
                 id="admin-with-school"),
    pytest.param({"role": "staff", "schools": ["999999"]}, "schools", "Kies alleen scholen uit de lijst",
                 id="unknown-school"),
    pytest.param({"role": "staff", "schools": ["not-a-number"]}, "schools", None, id="school-not-a-number"),
])
def test_bad_input_is_answered_at_its_field(app, people, admin, data, field, message):
    data = {k: ([str(people.school_a) if s == "SCHOOL_A" else s for s in v] if k == "schools" else v)
            for k, v in data.items()}
    data.setdefault("schools", [str(people.school_a)])
    response = _add(admin, **data)
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error, f"an error at {field}"
    if message:
        assert message in error
    assert _rows(app) == []


def test_a_group_already_in_the_table_is_refused_at_the_field(app, people, admin):
    assert _add(admin, schools=[str(people.school_a)]).status_code == 302
    again = _add(admin, role="privacy_officer")
    assert again.status_code == 422
    assert "staat al in de tabel" in field_error(again.get_data(as_text=True), "group")
    # Changing another row to the same value is refused too.
    assert _add(admin, group="other", role="privacy_officer").status_code == 302
    other = _rows(app)[1]
    clash = admin.post(f"{BASE}{other['id']}", data={"group": ENTRA_GROUP, "role": "privacy_officer",
                                                      "version": str(other["version"])})
    assert clash.status_code == 422 and "staat al in de tabel" in field_error(clash.get_data(as_text=True), "group")


def test_an_inactive_school_is_refused_for_a_new_row_but_kept_on_an_old_one(app, people, admin):
    assert _add(admin, schools=[str(people.school_b)]).status_code == 302
    with app.app_context():
        db.session.get(School, people.school_b).active = False
        db.session.commit()
    refused = _add(admin, group="another", schools=[str(people.school_b)])
    assert refused.status_code == 422
    assert "niet meer actief" in field_error(refused.get_data(as_text=True), "schools")
    row = _rows(app)[0]
    kept = admin.post(f"{BASE}{row['id']}", data={"group": ENTRA_GROUP, "label": "nieuw", "role": "staff",
                                                   "schools": [str(people.school_b)], "version": str(row["version"])})
    assert kept.status_code == 302 and _rows(app)[0]["schools"] == [people.school_b]


def test_a_stale_form_gets_a_clear_409_and_changes_nothing(app, people, admin):
    assert _add(admin, schools=[str(people.school_a)]).status_code == 302
    row = _rows(app)[0]
    second = app.test_client()
    login(second, people.email["admin"])  # a second tab, loaded at the same version
    first_save = admin.post(f"{BASE}{row['id']}", data={"group": ENTRA_GROUP, "label": "eerste", "role": "staff",
                                                         "schools": [str(people.school_a)],
                                                         "version": str(row["version"])})
    assert first_save.status_code == 302
    late = second.post(f"{BASE}{row['id']}", data={"group": ENTRA_GROUP, "label": "tweede", "role": "director",
                                                    "schools": [str(people.school_b)], "version": str(row["version"])})
    assert late.status_code == 409
    page = text_of(late)
    assert "Iemand anders heeft deze groep intussen gewijzigd" in page and 'value="eerste"' in page
    late_delete = second.post(f"{BASE}{row['id']}/verwijderen", data={"version": str(row["version"])})
    assert late_delete.status_code == 409
    now = _rows(app)[0]
    assert (now["label"], now["role"], now["version"]) == ("eerste", "staff", row["version"] + 1)
    assert len(_events(app, "sso_group.changed")) == 1 and _events(app, "sso_group.deleted") == []


def test_a_missing_row_is_a_404_and_a_post_without_version_a_400(app, admin):
    assert admin.get(f"{BASE}424242").status_code == 404
    assert admin.post(f"{BASE}424242/verwijderen", data={"version": "1"}).status_code == 404
    assert _add(admin, group="g", role="privacy_officer").status_code == 302
    row = _rows(app)[0]
    assert admin.post(f"{BASE}{row['id']}/verwijderen", data={}).status_code == 400


def test_the_service_refuses_anyone_but_the_admin(app, people):
    with app.app_context():
        from dsr.models import User

        with pytest.raises(PermissionError):
            sso_groups.add_mapping(db.session.get(User, people.privacy), group="g", label="", role="privacy_officer",
                                   school_ids=[])


def test_the_table_is_what_sign_in_reads(app, people, admin):
    """A row added on the page gives access at the next sign-in; deleting it takes access away."""
    assert _add(admin, schools=[str(people.school_b)]).status_code == 302
    claims = {"iss": "https://idp.school.test", "sub": "s-1", "email": "nieuw@asg.test", "groups": [ENTRA_GROUP]}
    with app.app_context():
        outcome = sso_accounts.sign_in_with_claims(claims)
    assert outcome.refusal is None
    row = _rows(app)[0]
    assert admin.post(f"{BASE}{row['id']}/verwijderen", data={"version": str(row["version"])}).status_code == 302
    with app.app_context():
        assert sso_accounts.sign_in_with_claims(claims).refusal == "no_group"


def test_the_pages_in_english(app, people, admin):
    in_english(admin)
    assert "School account groups" in text_of(admin.get(BASE))
    response = _add(admin, role="staff", schools=[])
    assert "at least one school" in field_error(response.get_data(as_text=True), "schools")
