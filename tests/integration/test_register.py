"""The processing register through HTTP and the CLI: seed, public page, CSV, privacy-officer editing, audit."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, RegisterCategory, RegisterRecipient
from dsr.register_defaults import CATEGORIES, RECIPIENTS
from dsr.services.register import seed_register
from tests.helpers import login, signed_in


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_register()
        db.session.commit()


def _register_events(app) -> list[dict]:
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "register.changed")
                                    .order_by(AuditEvent.id)).scalars().all()
        return [{"actor_id": e.actor_id, "actor_kind": e.actor_kind, **e.details_dict} for e in events]


def _category(app, code) -> RegisterCategory:
    with app.app_context():
        category = db.session.execute(sa.select(RegisterCategory).where(RegisterCategory.code == code)).scalar_one()
        _ = category.recipients
        db.session.expunge(category)
        return category


def _form_of(category: RegisterCategory, **changes) -> dict:
    data = {
        "name": category.name, "description": category.description, "purpose": category.purpose,
        "legal_basis": category.legal_basis, "legal_basis_note": category.legal_basis_note,
        "retention_kind": category.retention_kind,
        "retention_months": "" if category.retention_months is None else str(category.retention_months),
        "retention_note": category.retention_note, "source": category.source, "position": str(category.position),
        "recipient_ids": [str(r.id) for r in category.recipients], "active": "y",
    }
    if category.is_learning_result:
        data["is_learning_result"] = "y"
    if category.retention_statutory:
        data["retention_statutory"] = "y"
    data["consent_covers"] = category.consent_covers
    data.update(changes)
    return data


# --- seeding -----------------------------------------------------------------------------------------


def test_seed_register_command_is_idempotent_and_audited(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dsr", "seed-register"])
    assert result.exit_code == 0, result.output
    assert f"{len(CATEGORIES)} categories and {len(RECIPIENTS)} recipients added" in result.output
    again = runner.invoke(args=["dsr", "seed-register"])
    assert "0 categories and 0 recipients added" in again.output
    events = _register_events(app)
    assert len(events) == 1 and events[0]["object"] == "seed" and events[0]["actor_kind"] == "system"


def test_seed_follows_the_statement_and_the_retention_table(app, seeded):
    """ASG statement: 2 years after leaving for most data, 7 years for financial records, shared with DUO and
    learning-material suppliers; docs/legal.md §6 for the rest; R-CH-7 for what counts as a learning result."""
    with app.app_context():
        by_code = {c.code: c for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
        assert by_code["leerlingdossier"].retention_kind == "after_leaving"
        assert by_code["leerlingdossier"].retention_months == 24
        assert (by_code["financieel"].retention_kind, by_code["financieel"].retention_months) == ("fixed", 84)
        assert by_code["verzuim"].retention_months == 60
        assert by_code["diploma"].retention_kind == "until_selectielijst"
        assert by_code["beeldmateriaal"].legal_basis == "6_1_a"
        learning = {code for code, c in by_code.items() if c.is_learning_result}
        assert learning == {"cijfers", "schoolexamen", "centraal_examen", "diploma"}
        assert {r.code for r in by_code["inschrijving"].recipients} >= {"duo_bron", "leermiddelen"}
        # R-RI-3: statutory duties are marked and name their article; everything else is policy.
        assert {code for code, c in by_code.items() if c.retention_statutory} == {
            "financieel", "diploma", "centraal_examen"}
        assert "AWR art. 52 lid 4" in by_code["financieel"].retention_note
        # R-CH-8: every consent-based category says what the consent covers (the statement: sharing with other
        # organisations only with the parents' consent).
        consent = {code: c for code, c in by_code.items() if c.legal_basis == "6_1_a"}
        assert set(consent) == {"beeldmateriaal", "delen_met_toestemming"}
        assert all(c.consent_covers for c in consent.values())
        # Periods per school type (docs/legal.md §6): verzuim is a statutory 5 years in po only.
        assert [(p.school_type, p.months, p.statutory) for p in by_code["verzuim"].periods] == [("po", 60, True)]
        # The supplier placeholder stands for a group: letters may not name it (Art. 15(1)(c)).
        placeholder = db.session.execute(sa.select(RegisterRecipient).where(
            RegisterRecipient.code == "leermiddelen")).scalar_one()
        assert placeholder.named is False
        assert {r.code for r in by_code["zorg"].recipients} == {"swv", "oso"}
        assert {c.legal_basis for c in by_code.values()} == {"6_1_a", "6_1_c", "6_1_e"}


def test_a_changed_entry_survives_a_new_seed(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "cijfers")
    assert officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                        data=_form_of(category, name="Cijfers en rapporten")).status_code == 302
    with app.app_context():
        assert seed_register() == (0, 0)
    assert _category(app, "cijfers").name == "Cijfers en rapporten"


# --- public page and CSV ---------------------------------------------------------------------------


def test_public_page_reads_in_plain_dutch_without_signing_in(client, seeded):
    response = client.get("/verwerkingsregister/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Welke gegevens van leerlingen gebruikt" in page
    assert "Wij bewaren deze gegevens tot 2 jaar nadat de leerling van school is gegaan." in page
    assert "Wij bewaren deze gegevens 7 jaar, gerekend vanaf het vertrek van de leerling. <strong>Wettelijke " \
           "bewaarplicht.</strong>" in page
    assert "Wij bewaren deze gegevens tot 2 jaar nadat de leerling van school is gegaan. <strong>Beleid van de " \
           "school.</strong>" in page
    assert "Waar de toestemming voor geldt" in page and "op de website, in de schoolgids" in page
    assert "DUO (Dienst Uitvoering Onderwijs), via BRON" in page and "Basisregister Onderwijs" in page
    assert "De wet verplicht de school om deze gegevens te verwerken" in page
    assert "Die toestemming kunt u altijd weer intrekken" in page
    assert "Autoriteit Persoonsgegevens" in page and "Postbus 93374, 2509 AJ Den Haag" in page
    assert "leerresultaat" in page and "Register bewerken" not in page
    # Jargon is explained where it appears.
    assert "Algemene verordening gegevensbescherming (AVG)" in page
    assert "Overstapservice Onderwijs" in page and "samen extra ondersteuning regelen" in page


def test_inactive_categories_are_not_public(app, people, client, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "beeldmateriaal")
    data = _form_of(category)
    del data["active"]
    assert officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}", data=data).status_code == 302
    assert "Foto's en video's" not in client.get("/verwerkingsregister/").get_data(as_text=True)
    assert "Foto" not in client.get("/verwerkingsregister/register.csv").get_data(as_text=True)


def test_csv_export(client, seeded):
    response = client.get("/verwerkingsregister/register.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:3] == ["code", "categorie", "welke gegevens"]
    assert len(rows) == 1 + len(CATEGORIES)
    financial = next(r for r in rows if r[0] == "financieel")
    assert "7 jaar" in financial[6] and financial[8] == "nee"
    assert rows[0][11:] == ["wettelijke bewaarplicht", "toestemming geldt voor", "termijn per soort school"]
    assert financial[11] == "ja" and next(r for r in rows if r[0] == "leerlingdossier")[11] == "nee"
    assert "op de website" in next(r for r in rows if r[0] == "beeldmateriaal")[12]
    assert next(r for r in rows if r[0] == "verzuim")[13].startswith(
        "po: 60 (ja; 5 jaar na uitschrijving: Bekostigingsbesluit WPO")
    grades = next(r for r in rows if r[0] == "cijfers")
    assert grades[8] == "ja"


def test_csv_neutralises_spreadsheet_formulas(app, people, client, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "cijfers")
    officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                 data=_form_of(category, source="=HYPERLINK(\"http://evil.test\")"))
    rows = list(csv.reader(io.StringIO(client.get("/verwerkingsregister/register.csv").get_data(as_text=True)[1:]),
                           delimiter=";"))
    grades = next(r for r in rows if r[0] == "cijfers")
    assert grades[9].startswith("'=")


# --- editing -----------------------------------------------------------------------------------------


def test_privacy_officer_changes_a_category_and_the_change_is_audited(app, people, client, seeded):
    officer = signed_in(app, people, "privacy")
    assert "Register bewerken" in officer.get("/verwerkingsregister/").get_data(as_text=True)
    assert officer.get("/verwerkingsregister/beheer").status_code == 200
    category = _category(app, "verzuim")
    oso = next(r for r in _category(app, "inschrijving").recipients if r.code == "oso")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}", data=_form_of(
        category, retention_months="72", is_learning_result="y",
        recipient_ids=[str(r.id) for r in category.recipients] + [str(oso.id)]))
    assert response.status_code == 302
    changed = _category(app, "verzuim")
    assert changed.retention_months == 72 and changed.is_learning_result
    assert "oso" in {r.code for r in changed.recipients}
    [event] = [e for e in _register_events(app) if e["object"] == "category"]
    assert event["actor_id"] == people.privacy and event["code"] == "verzuim" and event["action"] == "updated"
    assert event["changes"]["retention_months"] == [60, 72]
    assert event["changes"]["is_learning_result"] == [False, True]
    assert "oso" in event["changes"]["recipients"][1] and "oso" not in event["changes"]["recipients"][0]
    assert "tot 6 jaar nadat de leerling van school is gegaan" in client.get("/verwerkingsregister/").get_data(
        as_text=True)


def test_saving_without_changes_writes_no_audit_event(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "zorg")
    assert officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                        data=_form_of(category)).status_code == 302
    assert [e for e in _register_events(app) if e["object"] == "category"] == []


def test_new_category_and_recipient(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    response = officer.post("/verwerkingsregister/beheer/ontvanger/nieuw", data={
        "code": "malmberg_demo", "name": "Uitgeverij (voorbeeld)", "kind": "supplier", "processor": "y",
        "description": "Lesmethode Nederlands: naam, klas en voortgang.",
        "notification_route": "Via het beheerportaal.",
        "named": "y", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        recipient = db.session.execute(sa.select(RegisterRecipient).where(
            RegisterRecipient.code == "malmberg_demo")).scalar_one()
        recipient_id = recipient.id
    response = officer.post("/verwerkingsregister/beheer/categorie/nieuw", data={
        "code": "oefenprogramma", "name": "Oefenprogramma Nederlands", "description": "Antwoorden en scores.",
        "purpose": "Oefenen.", "legal_basis": "6_1_e", "retention_kind": "after_leaving", "retention_months": "12",
        "source": "De leerling.", "recipient_ids": [str(recipient_id)], "active": "y", "position": "200"})
    assert response.status_code == 302, response.get_data(as_text=True)
    created = _category(app, "oefenprogramma")
    assert [r.code for r in created.recipients] == ["malmberg_demo"] and created.retention_months == 12
    actions = [(e["object"], e.get("action")) for e in _register_events(app)]
    assert actions[-2:] == [("recipient", "created"), ("category", "created")]


def test_the_code_of_an_existing_category_cannot_change(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "zorg")
    officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}", data=_form_of(category, code="iets_anders",
                                                                                   name="Zorg"))
    assert _category(app, "zorg").name == "Zorg"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"retention_months": ""}, "retention_months", "Vul de bewaartermijn in maanden in"),
    ({"retention_months": "-3"}, "retention_months", "Vul een aantal maanden tussen 0 en 1200 in."),
    ({"legal_basis": "6_1_f"}, "legal_basis", ""),
    ({"name": ""}, "name", "Vul een naam in."),
    ({"source": "x" * 1001}, "source", "Maximaal 1000 tekens."),
])
def test_bad_category_input_is_shown_at_the_field(app, people, seeded, changes, field, message):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "leerlingdossier")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}", data=_form_of(category, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert _category(app, "leerlingdossier").retention_months == 24


def test_a_rule_without_a_period_needs_no_months(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "leerlingdossier")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                            data=_form_of(category, retention_kind="until_selectielijst", retention_months=""))
    assert response.status_code == 302
    changed = _category(app, "leerlingdossier")
    assert changed.retention_kind == "until_selectielijst" and changed.retention_months is None


@pytest.mark.parametrize(("code", "message"), [
    ("cijfers", "Deze code is al in gebruik"),
    ("Met Spaties", "Alleen kleine letters, cijfers en _"),
])
def test_new_category_code_is_checked(app, people, seeded, code, message):
    officer = signed_in(app, people, "privacy")
    response = officer.post("/verwerkingsregister/beheer/categorie/nieuw", data={
        "code": code, "name": "X", "description": "X", "purpose": "X", "legal_basis": "6_1_e",
        "retention_kind": "consent", "source": "X", "active": "y"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["staff_a", "director_a", "admin"])
def test_only_the_privacy_officer_edits(app, people, seeded, who):
    user = signed_in(app, people, who)
    category = _category(app, "zorg")
    assert user.get("/verwerkingsregister/beheer").status_code == 403
    assert user.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                     data=_form_of(category, name="Gewijzigd")).status_code == 403
    assert user.get("/verwerkingsregister/").status_code == 200, "staff read the register"
    assert _category(app, "zorg").name == "Zorg en ondersteuning"


def test_anonymous_editing_goes_to_sign_in(client, seeded):
    response = client.get("/verwerkingsregister/beheer")
    assert response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]


def test_unknown_entries_give_404(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    assert officer.get("/verwerkingsregister/beheer/categorie/999999").status_code == 404
    assert officer.get("/verwerkingsregister/beheer/ontvanger/999999").status_code == 404


def test_edit_form_needs_csrf(app, csrf_app, people, seeded):
    """CSRF protection on the edit form: without the token nothing is saved; with it the save works."""
    plain = app.test_client()
    login(plain, people.email["privacy"])
    client = csrf_app.test_client()
    client.set_cookie("session", plain.get_cookie("session").value)  # same secret key: same session
    category = _category(app, "zorg")
    url = f"/verwerkingsregister/beheer/categorie/{category.id}"
    response = client.post(url, data=_form_of(category, name="Zonder token"))
    assert response.status_code == 400 and "beveiligingscode ontbreekt" in response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(url, data=_form_of(category, name="Met token", csrf_token=token)).status_code == 302
    assert _category(app, "zorg").name == "Met token"


def test_audit_details_are_json_without_personal_data(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "zorg")
    officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}", data=_form_of(category, purpose="Nieuw doel."))
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "register.changed")
                                   .order_by(AuditEvent.id.desc())).scalars().first()
        assert event.case_id is None
        assert json.loads(event.details)["changes"]["purpose"][1] == "Nieuw doel."


def test_nul_bytes_are_refused_at_the_field(app, people, seeded):
    officer = signed_in(app, people, "privacy")
    category = _category(app, "zorg")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                            data=_form_of(category, purpose="Doel\x00met nul"))
    assert response.status_code == 422 and "Dit veld bevat ongeldige tekens." in response.get_data(as_text=True)


# --- issue 11: named recipients, statutory periods, consent --------------------------------------------


def test_the_privacy_officer_is_warned_about_unnamed_recipients_and_can_name_them(app, people, seeded):
    """Art. 15(1)(c) (C-154/21): the register page warns while a placeholder stands for a group of suppliers."""
    officer = signed_in(app, people, "privacy")
    page = officer.get("/verwerkingsregister/beheer").get_data(as_text=True)
    assert "Ontvangers zonder naam:" in page and "Leveranciers van digitaal leermateriaal (lijst per school)" in page
    with app.app_context():
        placeholder = db.session.execute(sa.select(RegisterRecipient).where(
            RegisterRecipient.code == "leermiddelen")).scalar_one()
        form = {"name": "Uitgeverij Voorbeeld B.V.", "kind": "supplier", "processor": "y", "named": "y",
                "description": placeholder.description, "notification_route": placeholder.notification_route,
                "active": "y", "code": "leermiddelen"}
        recipient_id = placeholder.id
    assert officer.post(f"/verwerkingsregister/beheer/ontvanger/{recipient_id}", data=form).status_code == 302
    assert "Ontvangers zonder naam:" not in officer.get("/verwerkingsregister/beheer").get_data(as_text=True)


def test_a_statutory_period_must_name_its_law(app, people, seeded):
    """R-RI-3: only a statutory duty with its article may ground a refusal; without a source it is policy."""
    officer = signed_in(app, people, "privacy")
    category = _category(app, "leerlingdossier")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                            data=_form_of(category, retention_statutory="y", retention_note=""))
    assert response.status_code == 422
    assert 'id="retention_note-error"' in response.get_data(as_text=True)
    assert _category(app, "leerlingdossier").retention_statutory is False


def test_a_consent_category_says_what_the_consent_covers(app, people, seeded):
    """R-CH-8: withdrawing consent stops exactly what it covered, so a consent-based category must say it."""
    officer = signed_in(app, people, "privacy")
    category = _category(app, "beeldmateriaal")
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                            data=_form_of(category, consent_covers=""))
    assert response.status_code == 422 and 'id="consent_covers-error"' in response.get_data(as_text=True)
    response = officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}",
                            data=_form_of(category, consent_covers="Foto's in de schoolgids."))
    assert response.status_code == 302
    assert _category(app, "beeldmateriaal").consent_covers == "Foto's in de schoolgids."


def test_the_privacy_officer_sets_a_period_per_school_type_with_its_source(app, people, seeded):
    """docs/legal.md §6: periods differ per school type; a statutory one names its law (R-RI-3); every change
    audited."""
    officer = signed_in(app, people, "privacy")
    category = _category(app, "zorg")
    page = officer.get(f"/verwerkingsregister/beheer/categorie/{category.id}").get_data(as_text=True)
    assert "Andere termijn per soort school" in page and "Middelbaar beroepsonderwijs" in page
    url = f"/verwerkingsregister/beheer/categorie/{category.id}/termijn/mbo"
    refused = officer.post(url, data={"pmbo-months": "36", "pmbo-statutory": "y", "pmbo-source": ""})
    assert refused.status_code == 422 and 'id="pmbo-source-error"' in refused.get_data(as_text=True)
    assert officer.post(url, data={"pmbo-months": "36", "pmbo-source": "Beleid van ASG"}).status_code == 302
    with app.app_context():
        zorg = db.session.get(RegisterCategory, category.id)
        assert [(p.school_type, p.months, p.statutory, p.source) for p in zorg.periods] == [
            ("mbo", 36, False, "Beleid van ASG")]
        assert zorg.rule("mbo").months == 36 and zorg.rule("vo").months == 24
    assert officer.post(url, data={"pmbo-months": ""}).status_code == 302
    assert _category(app, "zorg").periods == []
    assert [e["object"] for e in _register_events(app)][-2:] == ["period", "period"]
    assert officer.post(f"/verwerkingsregister/beheer/categorie/{category.id}/termijn/hbo",
                        data={"phbo-months": "1"}).status_code == 404
