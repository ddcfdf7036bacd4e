"""The school's systems in the register (issue 17 point 1), through HTTP and the CLI: the privacy officer adds
and changes systems of each kind, secrets are sealed and never shown again, every change is audited without
a secret, staff only read, a stale form is refused (409), bad input is refused at its field (422), categories
are mapped and unmapped, and rotating the file keys re-seals every system's credentials."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from dsr.connectors.credentials import open_credentials
from dsr.dev.demo import seed_demo_systems
from dsr.extensions import db
from dsr.models import System, User
from tests.connectors.studadmin import MAPPINGS
from tests.helpers import signed_in, text_of
from tests.integration.helpers import assert_english, field_error, in_english
from tests.integration.systems_helpers import (
    CLIENT_SECRET,
    KINDS,
    READ_URL,
    SECRETS,
    WRITE_URL,
    all_audit_text,
    create,
    edit,
    events,
    field_errors,
    form_of,
    stored,
)

# --- create and edit per kind --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_privacy_officer_creates_edits_and_deactivates_a_system_of_each_kind(app, people, kind):
    officer = signed_in(app, people, "privacy")
    response = create(officer, f"sys_{kind}", kind)
    assert response.status_code == 302, field_errors(response)
    system = stored(app, f"sys_{kind}")
    assert (system.kind, system.name, system.owner_email, system.active) == (kind, "Leerlingadministratie",
                                                                               "beheer@leverancier.nl", True)
    settings = json.loads(system.settings_json)
    if kind == "http":
        assert settings == {"base_url": KINDS["http"]["base_url"], "auth": "oauth2", "client_id": "asg-dsr",
                            "token_url": KINDS["http"]["token_url"], "page_size": 100}
    elif kind == "file":
        assert settings == {"format": "csv", "key_column": "leerlingnummer"}
    elif kind == "sql":
        assert settings == {"roster_students": "SELECT * FROM students"}
    else:
        assert settings == {}
    assert system.has_credentials == (kind in ("sql", "http"))
    # Rename, switch off (the checkbox left out of the post), and for one kind a limit; secrets left empty.
    data = {**form_of(f"sys_{kind}", kind), "version": str(system.version), "name": "Leerlingadministratie (Magister)",
            **{k: "" for k in ("read_url", "write_url", "client_secret")}}
    data.pop("active")
    if kind == "http":
        data["timeout_seconds"] = "45"
    assert officer.post(f"/verwerkingsregister/systemen/{system.id}", data=data).status_code == 302
    edited = stored(app, f"sys_{kind}")
    assert edited.name == "Leerlingadministratie (Magister)" and edited.active is False
    assert edited.version == system.version + 1
    assert edited.credentials_sealed == system.credentials_sealed, "empty secret fields keep the saved secrets"
    created, updated = events(app, "system.saved")
    assert created["action"] == "created" and updated["action"] == "updated"
    assert updated["changed"] == (["name", "timeout_seconds", "active"] if kind == "http" else ["name", "active"])
    assert all(e["actor_id"] == people.privacy and e["system"] == f"sys_{kind}" for e in (created, updated))
    assert "credentials" not in updated, "the secrets did not change"
    listing = text_of(officer.get("/verwerkingsregister/systemen/"))
    assert "Leerlingadministratie (Magister)" in listing


# --- secrets --------------------------------------------------------------------------------------------------


def test_secrets_are_sealed_never_shown_again_kept_when_empty_and_cleared_on_request(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "magister", "sql", write_url="").status_code == 302
    system = stored(app, "magister")
    assert READ_URL not in system.credentials_sealed and "Lees-Geheim" not in system.credentials_sealed
    with app.app_context():
        assert open_credentials(system.credentials_sealed) == {"read_url": READ_URL}
    page = officer.get(f"/verwerkingsregister/systemen/{system.id}").get_data(as_text=True)
    assert "opgeslagen (niet zichtbaar)" in page
    assert not any(secret in page for secret in SECRETS), "a saved secret is never shown again"
    assert 'autocomplete="new-password"' in page and 'name="read_url" type="password" value=""' in page

    # Add the write address: merged with the saved read address.
    assert edit(officer, app, "magister", write_url=WRITE_URL).status_code == 302
    system = stored(app, "magister")
    with app.app_context():
        assert open_credentials(system.credentials_sealed) == {"read_url": READ_URL, "write_url": WRITE_URL}
    # A bad form (another field wrong) does not echo the secret typed with it.
    bad = edit(officer, app, "magister", read_url=READ_URL, timeout_seconds="0")
    assert bad.status_code == 422 and not any(secret in bad.get_data(as_text=True) for secret in SECRETS)
    # Clear on request.
    assert edit(officer, app, "magister", clear_secrets="y").status_code == 302
    system = stored(app, "magister")
    assert system.credentials_sealed is None
    assert "opgeslagen (niet zichtbaar)" not in officer.get(f"/verwerkingsregister/systemen/{system.id}").get_data(
        as_text=True)
    saved = events(app, "system.saved")
    assert [e.get("credentials") for e in saved] == ["changed", "changed", "cleared"]
    audit_text = all_audit_text(app)
    assert not any(secret in audit_text for secret in SECRETS), "no audit row holds a secret"


def test_changing_the_kind_keeps_only_that_kinds_settings_and_secrets(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "oud", "sql").status_code == 302
    system = stored(app, "oud")
    data = {**form_of("oud", "manual"), "version": str(system.version), "read_url": "", "write_url": "",
            "roster_students": "SELECT * FROM students"}
    assert officer.post(f"/verwerkingsregister/systemen/{system.id}", data=data).status_code == 302
    changed = stored(app, "oud")
    assert (changed.kind, changed.settings_json, changed.credentials_sealed) == ("manual", "{}", None)
    last = events(app, "system.saved")[-1]
    assert last["changed"] == ["kind", "settings.roster_students"] and last["credentials"] == "cleared"


def test_a_new_system_needs_the_secret_of_its_kind(app, people):
    officer = signed_in(app, people, "privacy")
    page = create(officer, "zonder", "sql", read_url="")
    assert page.status_code == 422 and field_error(text_of(page), "read_url")
    page = create(officer, "zonder_http", "http", client_secret="")
    assert page.status_code == 422 and field_error(text_of(page), "client_secret")


# --- who may do what --------------------------------------------------------------------------------------------


def test_staff_read_the_systems_but_never_edit_them_nor_see_settings(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "oneroster", "http").status_code == 302
    system = stored(app, "oneroster")
    clients = {who: signed_in(app, people, who) for who in ("staff_a", "director_a", "admin")}
    for client in clients.values():
        listing = client.get("/verwerkingsregister/systemen/")
        assert listing.status_code == 200
        page = text_of(listing)
        assert "Leerlingadministratie" in page and "Functioneel beheer" in page
        assert "api.leverancier.test" not in page and CLIENT_SECRET not in page, "no settings, no secrets"
        assert client.get("/verwerkingsregister/systemen/nieuw").status_code == 403
        assert client.get(f"/verwerkingsregister/systemen/{system.id}").status_code == 403
        assert client.post(f"/verwerkingsregister/systemen/{system.id}",
                           data={**form_of("oneroster", "http"), "version": "1", "name": "Gekaapt"}).status_code == 403
        assert client.post(f"/verwerkingsregister/systemen/{system.id}/categorie/nieuw", data={}).status_code == 403
    assert stored(app, "oneroster").name == "Leerlingadministratie"
    # An owner inside ASG is named on the list.
    assert edit(officer, app, "oneroster", owner_user_id=str(people.staff_a2), owner_name="",
                 owner_email="").status_code == 302
    assert "Staff A2" in text_of(clients["staff_a"].get("/verwerkingsregister/systemen/"))
    public = clients["staff_a"].get("/verwerkingsregister/").get_data(as_text=True)
    assert 'href="/verwerkingsregister/systemen/"' in public, "staff find the list from the register page"
    anonymous = app.test_client().get("/verwerkingsregister/systemen/")
    assert anonymous.status_code in (302, 401)


# --- concurrent edits ---------------------------------------------------------------------------------------------


def test_a_stale_form_is_refused_with_409_and_keeps_what_was_typed(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "archief", "manual").status_code == 302
    loaded = stored(app, "archief")
    assert edit(officer, app, "archief", name="Archief (eerste)").status_code == 302
    stale = officer.post(f"/verwerkingsregister/systemen/{loaded.id}",
                         data={**form_of("archief", "manual"), "version": str(loaded.version),
                               "name": "Archief (tweede)"})
    assert stale.status_code == 409
    page = text_of(stale)
    assert "Iemand anders heeft dit systeem intussen opgeslagen" in page
    assert 'value="Archief (tweede)"' in page, "what was typed is still in the form"
    assert stored(app, "archief").name == "Archief (eerste)"
    # Saving the shown form again (its version is now the current one) replaces the other change on purpose.
    current = stored(app, "archief")
    assert f'name="version" type="hidden" value="{current.version}"' in page
    assert officer.post(f"/verwerkingsregister/systemen/{loaded.id}",
                        data={**form_of("archief", "manual"), "version": str(current.version),
                              "name": "Archief (tweede)"}).status_code == 302


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "changes", "field", "words"), [
    ("http", {"base_url": "file:///etc/passwd"}, "base_url", "https://"),
    ("http", {"base_url": "ftp://files.leverancier.test/"}, "base_url", "https://"),
    ("http", {"base_url": "https://gebruiker:wachtwoord@api.test/"}, "base_url", "wachtwoord in het webadres"),
    ("http", {"base_url": ""}, "base_url", "webadres"),
    ("http", {"token_url": "gopher://x"}, "token_url", "https://"),
    ("http", {"auth": "api_key"}, "api_key_header", "header"),
    ("http", {"page_size": "0"}, "page_size", "tussen 1 en 10000"),
    ("file", {"folder": "../geheim"}, "folder", "'..'"),
    ("file", {"folder": "/etc"}, "folder", "zonder /"),
    ("file", {"key_column": ""}, "key_column", "leerlingnummer"),
    ("sql", {"read_url": "geen adres met Geheim-123"}, "read_url", "databaseadres"),
    ("manual", {"owner_email": ""}, "owner_email", "e-mailadres"),
    ("manual", {"owner_email": "geen-adres"}, "owner_email", "geldig e-mailadres"),
    ("file", {"owner_name": "", "owner_email": ""}, "owner_name", "eigenaar"),
    ("file", {"timeout_seconds": "0"}, "timeout_seconds", "tussen 1 en 300"),
    ("file", {"max_response_bytes": "veel"}, "max_response_bytes", "getal"),
    ("manual", {"roster_source": "y"}, "roster_source", "leerlingenlijst"),
    ("manual", {"code": "Archief!"}, "code", "kleine letters"),
    ("manual", {"kind": "ldap"}, "kind", "ongeldige keuze"),
])
def test_bad_input_is_refused_at_its_field_in_dutch(app, people, kind, changes, field, words):
    officer = signed_in(app, people, "privacy")
    response = create(officer, "systeem", kind, **changes)
    assert response.status_code == 422
    page = text_of(response)
    error = field_error(page, field)
    assert error and words.lower() in error.lower(), (field, error, field_errors(response))
    assert "Geheim-123" not in page, "a database address is never echoed"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(System.id))).scalar() == 0


def test_folder_must_lie_inside_the_export_folder(app, people, tmp_path):
    (tmp_path / "archief").mkdir()
    (tmp_path / "uit").symlink_to("/etc")
    officer = signed_in(app, people, "privacy")
    old = app.config.get("CONNECTOR_EXPORT_DIR")
    app.config["CONNECTOR_EXPORT_DIR"] = str(tmp_path)
    try:
        outside = create(officer, "export", "file", folder="uit")
        assert outside.status_code == 422 and "buiten de exportmap" in field_error(text_of(outside), "folder")
        assert create(officer, "export", "file", folder="archief").status_code == 302
    finally:
        app.config["CONNECTOR_EXPORT_DIR"] = old
    assert json.loads(stored(app, "export").settings_json)["folder"] == "archief"


def test_a_code_is_unique(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "archief", "manual").status_code == 302
    again = create(officer, "archief", "manual")
    assert again.status_code == 422 and "al in gebruik" in field_error(text_of(again), "code")


# --- categories -------------------------------------------------------------------------------------------------


def test_mappings_are_saved_listed_on_the_category_and_removed(app, people, register):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "studadmin", "sql").status_code == 302
    system = stored(app, "studadmin")
    grades = register["cijfers"]
    spec = MAPPINGS["cijfers"]
    url = f"/verwerkingsregister/systemen/{system.id}/categorie/nieuw"
    bad = officer.post(url, data={"version": str(system.version), "category_id": str(grades),
                                  "collect": "SELECT * FROM grades", "key_field": "student_number"})
    assert bad.status_code == 422 and ":student_number" in field_error(text_of(bad), "collect")
    no_key = officer.post(url, data={"version": str(system.version), "category_id": str(grades),
                                     "collect": spec["collect"]})
    assert no_key.status_code == 422 and field_error(text_of(no_key), "key_field")
    response = officer.post(url, data={"version": str(system.version), "category_id": str(grades), **spec})
    assert response.status_code == 302, field_errors(response)
    with app.app_context():
        mappings = db.session.get(System, system.id).mappings
        assert [(m.category.code, m.collect, m.key_field, m.other_people_field_list) for m in mappings] == [
            ("cijfers", spec["collect"], "student_number", ["teacher_note"])]
    [saved] = events(app, "system.mapping_saved")
    assert (saved["system"], saved["category"], saved["action"]) == ("studadmin", "cijfers", "created")
    assert set(saved["changed"]) == {"collect", "key_field", "other_people_fields", "erase"}

    category_page = text_of(officer.get(f"/verwerkingsregister/beheer/categorie/{grades}"))
    assert "Systemen met deze gegevens" in category_page and "Leerlingadministratie" in category_page
    other_page = text_of(officer.get(f"/verwerkingsregister/beheer/categorie/{register['zorg']}"))
    assert "Nog geen systeem bewaart deze categorie" in other_page

    # A stale mapping form (the system moved on) is refused; the current one removes the mapping.
    stale = officer.post(f"/verwerkingsregister/systemen/{system.id}/categorie/{grades}/verwijderen",
                         data={"version": str(system.version)})
    assert stale.status_code == 409
    current = stored(app, "studadmin")
    removed = officer.post(f"/verwerkingsregister/systemen/{system.id}/categorie/{grades}/verwijderen",
                           data={"version": str(current.version)})
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.get(System, system.id).mappings == []
    [gone] = events(app, "system.mapping_removed")
    assert (gone["system"], gone["category"], gone["actor_id"]) == ("studadmin", "cijfers", people.privacy)
    assert "Nog geen systeem bewaart" in text_of(officer.get(f"/verwerkingsregister/beheer/categorie/{grades}"))


# --- key rotation -------------------------------------------------------------------------------------------------


def test_rotating_the_file_keys_reseals_every_systems_credentials(app, people, tmp_path):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "studadmin", "sql").status_code == 302
    assert create(officer, "archief", "manual").status_code == 302
    before = stored(app, "studadmin").credentials_sealed
    old_keys, old_storage = app.config["FILE_KEYS"], app.config["FILE_STORAGE"]
    new = Fernet.generate_key().decode()
    app.config["FILE_KEYS"] = [new, *old_keys]
    # A file store of its own: files other tests of the run left under keys of their own are not this test's.
    app.config["FILE_STORAGE"] = str(tmp_path)
    try:
        result = app.test_cli_runner().invoke(args=["dsr", "rotate-file-keys"])
        assert result.exit_code == 0 and "1 system(s) with credentials" in result.output, result.output
        app.config["FILE_KEYS"] = [new]  # the old key is gone
        after = stored(app, "studadmin").credentials_sealed
        assert after != before
        with app.app_context():
            assert open_credentials(after) == {"read_url": READ_URL, "write_url": WRITE_URL}
        assert READ_URL not in result.output
    finally:
        app.config["FILE_KEYS"] = old_keys
        app.config["FILE_STORAGE"] = old_storage


# --- language -------------------------------------------------------------------------------------------------------


def test_the_systems_pages_in_english(app, people, register):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "archief", "manual").status_code == 302
    assert create(officer, "leerplatform", "file").status_code == 302
    system = stored(app, "archief")
    in_english(officer)
    page = assert_english(officer.get(f"/verwerkingsregister/systemen/{stored(app, 'leerplatform').id}"),
                          "file system page")
    assert "Check the connection" in page and "Not checked yet." in page
    page = assert_english(officer.get("/verwerkingsregister/systemen/"), "systems list")
    assert "Systems in the register" in page
    page = assert_english(officer.get(f"/verwerkingsregister/systemen/{system.id}"), "system edit page")
    assert "Secrets" in page
    page = assert_english(officer.get(f"/verwerkingsregister/systemen/{system.id}/categorie/nieuw"), "mapping page")
    assert "Add a category" in page
    bad = officer.post("/verwerkingsregister/systemen/nieuw", data=form_of("archief_twee", "manual", owner_email=""))
    assert bad.status_code == 422
    assert field_error(assert_english(bad, "refused system form"), "owner_email") == (
        "A manual system gets its tasks by email: enter the owner's email address.")


# --- demo data ------------------------------------------------------------------------------------------------------


def test_demo_systems_are_saved_and_audited_as_the_privacy_officer_would(app, people, register):
    with app.app_context():
        seed_demo_systems(db.session.get(User, people.privacy))
        found = {s.code: s for s in db.session.execute(sa.select(System)).scalars()}
        assert {code: (s.kind, s.owner_email, sorted(m.category.code for m in s.mappings))
                for code, s in found.items()} == {
            "archief": ("manual", "archief@demo.asg.nl", ["leerlingdossier", "zorg"]),
            "leerplatform": ("file", "leerplatform@demo.asg.nl", ["cijfers"])}
        assert not any(s.has_credentials for s in found.values())
    assert len(events(app, "system.saved")) == 2 and len(events(app, "system.mapping_saved")) == 3
    page = text_of(signed_in(app, people, "staff_a").get("/verwerkingsregister/systemen/"))
    assert "Archief (demo)" in page and "Archiefbeheer Flevoland B.V. (demo)" in page
