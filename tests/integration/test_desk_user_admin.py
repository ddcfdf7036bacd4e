"""Issue 15 point 6: the admin manages staff accounts from the web (create, change, deactivate and
reactivate, reset a lost authenticator, mail a password link), all audited, with no password ever in a
mail or on a page."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, OutboxMessage, School, User
from dsr.services import user_admin
from dsr.services.people import UserError
from tests.helpers import PASSWORD, link_in, login, signed_in, text_of
from tests.integration.helpers import body, field_error, in_english, mails_to

NEW_PASSWORD = "een lang genoeg wachtwoord"


# --- helpers -------------------------------------------------------------------------------------------------

def _user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar()
        if user is not None:
            user.school_codes = sorted(s.code for s in user.schools)
            db.session.expunge(user)
        return user


def _get(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        user.school_codes = sorted(s.code for s in user.schools)
        db.session.expunge(user)
        return user


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)).scalars().all()
        for event in events:
            db.session.expunge(event)
        return events


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _new(admin, **overrides):
    data = {"email": "nieuw@asg.test", "name": "Nina Nieuw", "role": "staff", "schools": ["AAA"], "language": "nl"}
    data.update(overrides)
    return admin.post("/beheer/gebruikers/nieuw", data=data)


def _edit(admin, app, user_id: int, version: int | None = None, **overrides):
    user = _get(app, user_id)
    data = {"name": user.name, "role": user.role, "schools": user.school_codes, "language": user.language,
            "version": str(user.version if version is None else version)}
    data.update(overrides)
    return admin.post(f"/beheer/gebruikers/{user_id}", data=data)


def _act(admin, app, user_id: int, action: str, version: int | None = None):
    version = _get(app, user_id).version if version is None else version
    return admin.post(f"/beheer/gebruikers/{user_id}/{action}", data={"version": str(version)})


def _signed_out(client) -> bool:
    """Whether the client's session no longer signs it in (the queue sends it to the sign-in page)."""
    response = client.get("/zaken/")
    return response.status_code == 302 and "/medewerkers/inloggen" in response.headers["Location"]


def _set_password(client, smtp_server, run_jobs, address: str, subject: str) -> str:
    """Follow the link in the newest mail to ``address`` and choose a password; returns the link's path."""
    run_jobs()
    mail = mails_to(smtp_server, address, subject)[-1]
    path = urlsplit(link_in(body(mail))).path
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302, text_of(response)[:800]
    return path


# --- create ----------------------------------------------------------------------------------------------------

def test_the_admin_creates_an_account_and_the_user_chooses_a_password_and_enrols(app, people, smtp_server, run_jobs):
    admin = signed_in(app, people, "admin")
    form = admin.get("/beheer/gebruikers/nieuw")
    assert form.status_code == 200 and 'type="password"' not in form.get_data(as_text=True)
    response = _new(admin, email="Nina.Nieuw@ASG.test", schools=["AAA", "BBB"], language="en")
    assert response.status_code == 302 and response.headers["Location"].endswith("/beheer/gebruikers")
    assert "krijgt een mail met een link" in text_of(admin.get("/beheer/gebruikers"))

    user = _user(app, "nina.nieuw@asg.test")
    assert (user.name, user.role, user.school_codes, user.language, user.active, user.has_totp) == \
        ("Nina Nieuw", "staff", ["AAA", "BBB"], "en", True, False)
    [created] = _events(app, "user.created")
    details = json.loads(created.details)
    assert created.actor_id == people.admin and details["user_id"] == user.id and details["via"] == "web"
    assert details["role"] == "staff" and details["schools"] == ["AAA", "BBB"]
    assert "nina" not in created.details.lower() and "wachtwoord" not in created.details

    # The mail is in the user's language and carries a link, never a password; stored, the link is sealed.
    with app.app_context():
        [stored] = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "staff_account_created")) \
            .scalars().all()
        assert "/medewerkers/wachtwoord/" not in stored.body_text
    run_jobs()
    [mail] = mails_to(smtp_server, "nina.nieuw@asg.test", "Your account")
    assert "authenticator app" in body(mail) and "one hour" in body(mail)

    # The user chooses a password, signs in and is sent to set up the authenticator.
    newcomer = app.test_client()
    path = _set_password(newcomer, smtp_server, run_jobs, "nina.nieuw@asg.test", "Your account")
    assert newcomer.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400, \
        "the link works once"
    first = newcomer.post("/medewerkers/inloggen", data={"email": "nina.nieuw@asg.test", "password": NEW_PASSWORD})
    assert first.headers["Location"].endswith("/medewerkers/instellen")
    login(app.test_client(), "nina.nieuw@asg.test", NEW_PASSWORD)  # the enrolment, with a code from the app


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "  "}, "name", "Vul de naam in."),
    ({"email": "geen adres"}, "email", "Vul een geldig e-mailadres in"),
    ({"email": "STAFF-A@asg.test"}, "email", "Er is al een account met dit e-mailadres."),
    ({"role": "superuser"}, "role", "Kies een van de rollen hieronder."),
    ({"role": ""}, "role", "Kies een rol."),
    ({"schools": ["ZZZ"]}, "schools", "Kies alleen scholen uit de lijst."),
    ({"schools": []}, "schools", "minstens één school"),
    ({"role": "director", "schools": []}, "schools", "minstens één school"),
    ({"role": "privacy_officer"}, "schools", "kies voor deze rol geen school"),
    ({"role": "admin"}, "schools", "kies voor deze rol geen school"),
    ({"language": "de"}, "language", "Kies Nederlands of English."),
], ids=["no-name", "bad-email", "taken-email", "crafted-role", "no-role", "crafted-school", "staff-no-school",
        "director-no-school", "officer-with-school", "admin-with-school", "crafted-language"])
def test_bad_input_is_marked_at_its_field_and_nothing_is_saved(app, people, smtp_server, run_jobs, overrides, field,
                                                               message):
    admin = signed_in(app, people, "admin")
    users = _count(app, User)
    response = _new(admin, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in (field_error(page, field) or ""), page[:3000]
    if field != "email":
        assert 'value="nieuw@asg.test"' in page, "what was typed stays"
    assert _count(app, User) == users and _events(app, "user.created") == []
    run_jobs()
    assert mails_to(smtp_server, "nieuw@asg.test") == []


def test_an_inactive_school_cannot_be_given_to_a_new_account(app, people):
    with app.app_context():
        db.session.execute(sa.update(School).where(School.code == "BBB").values(active=False))
        db.session.commit()
    admin = signed_in(app, people, "admin")
    assert "School B" not in admin.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    response = _new(admin, schools=["BBB"])
    assert response.status_code == 422
    assert "niet meer actief" in field_error(response.get_data(as_text=True), "schools")


def test_the_error_messages_are_english_for_an_english_admin(app, people):
    admin = signed_in(app, people, "admin")
    in_english(admin)
    page = _new(admin, email=people.email["staff_b"]).get_data(as_text=True)
    assert field_error(page, "email") == "There is already an account with this email address."
    page = _new(admin, schools=[]).get_data(as_text=True)
    assert "at least one school" in field_error(page, "schools")


# --- who may do this ---------------------------------------------------------------------------------------------

def test_the_privacy_officer_reads_the_list_but_changes_nothing(app, people):
    officer = signed_in(app, people, "privacy")
    page = officer.get("/beheer/gebruikers")
    assert page.status_code == 200 and "Nieuwe gebruiker" not in text_of(page)
    assert f"/beheer/gebruikers/{people.staff_a}" not in page.get_data(as_text=True)
    users = _count(app, User)
    # A crafted post for an admin account, and for giving herself the admin role: refused before anything runs.
    assert _new(officer, email="stiekem@asg.test", role="admin", schools=[]).status_code == 403
    assert officer.get("/beheer/gebruikers/nieuw").status_code == 403
    assert _edit(officer, app, people.privacy, role="admin").status_code == 403
    assert officer.get(f"/beheer/gebruikers/{people.staff_a}").status_code == 403
    for action in ("uitzetten", "aanzetten", "authenticator", "wachtwoordlink"):
        assert _act(officer, app, people.admin, action).status_code == 403
    assert _count(app, User) == users and _get(app, people.privacy).role == "privacy_officer"
    assert _get(app, people.admin).active and _get(app, people.admin).has_totp
    assert not [e for e in _events(app, "user.changed")]


@pytest.mark.parametrize("who", ["staff_a", "director_a"])
def test_casework_roles_get_403_everywhere_in_user_admin(app, people, who):
    client = signed_in(app, people, who)
    assert client.get("/beheer/gebruikers").status_code == 403
    assert _new(client, email="x@asg.test").status_code == 403
    assert _edit(client, app, people.staff_a if who != "staff_a" else people.staff_b, role="admin").status_code == 403
    assert _act(client, app, people.admin, "uitzetten").status_code == 403
    assert _get(app, people.admin).active and _user(app, "x@asg.test") is None


def test_the_service_refuses_anyone_but_an_admin(app, people):
    with app.app_context():
        officer = db.session.get(User, people.privacy)
        with pytest.raises(PermissionError):
            user_admin.create_account(officer, email="x@asg.test", name="X", role="admin", school_codes=[],
                                      language="nl")
        with pytest.raises(PermissionError):
            user_admin.update_account(officer, people.privacy, 1, name="X", role="admin", school_codes=[],
                                      language="nl")
        with pytest.raises(PermissionError):
            user_admin.reset_authenticator(officer, people.admin, 1)
    assert _user(app, "x@asg.test") is None and _get(app, people.privacy).role == "privacy_officer"


# --- change ------------------------------------------------------------------------------------------------------

def test_the_admin_changes_name_role_schools_and_language(app, people):
    admin = signed_in(app, people, "admin")
    page = admin.get(f"/beheer/gebruikers/{people.staff_a}")
    assert page.status_code == 200 and re.search(r'<input checked[^>]*value="AAA"', page.get_data(as_text=True))
    colleague = signed_in(app, people, "staff_a")
    response = _edit(admin, app, people.staff_a, name="Sanne Staf", role="director", schools=["AAA", "BBB"],
                     language="en")
    assert response.status_code == 302
    user = _get(app, people.staff_a)
    assert (user.name, user.role, user.school_codes, user.language, user.version) == \
        ("Sanne Staf", "director", ["AAA", "BBB"], "en", 2)
    [event] = _events(app, "user.changed")
    details = json.loads(event.details)
    assert event.actor_id == people.admin and details["user_id"] == people.staff_a
    assert details["before"]["role"] == "staff" and details["after"]["role"] == "director"
    assert details["after"]["schools"] == ["AAA", "BBB"] and details["name_changed"] is True
    assert "Sanne" not in event.details
    assert _signed_out(colleague), "a new role signs the user out everywhere"


def test_a_name_or_language_change_keeps_the_user_signed_in(app, people):
    admin = signed_in(app, people, "admin")
    colleague = signed_in(app, people, "staff_a")
    assert _edit(admin, app, people.staff_a, name="Staf Anders", language="en").status_code == 302
    assert colleague.get("/zaken/").status_code == 200
    # Fewer schools do sign them out: an open page may show a case of the school they lost.
    assert _edit(admin, app, people.staff_a, schools=["BBB"]).status_code == 302
    assert _signed_out(colleague)


def test_two_admins_editing_the_same_account_never_overwrite_each_other(app, people):
    with app.app_context():
        db.session.add(User(email="admin2@asg.test", name="Tweede Beheerder", role="admin", password_hash="x"))
        db.session.commit()
    first = signed_in(app, people, "admin")
    second = app.test_client()
    login(second, people.email["admin"], fresh=False)  # a second tab: the same form, loaded at version 1
    assert _edit(first, app, people.staff_a, version=1, name="Eerste Wijziging").status_code == 302
    late = _edit(second, app, people.staff_a, version=1, name="Tweede Wijziging", language="en")
    assert late.status_code == 409
    assert "Iemand anders heeft dit account intussen gewijzigd" in text_of(late)
    assert 'value="Eerste Wijziging"' in late.get_data(as_text=True), "the page shows the account as it is now"
    user = _get(app, people.staff_a)
    assert (user.name, user.language, user.version) == ("Eerste Wijziging", "nl", 2)
    assert len(_events(app, "user.changed")) == 1
    # The buttons carry the version too: a deactivation from the stale page is refused as well.
    assert _act(second, app, people.staff_a, "uitzetten", version=1).status_code == 409
    assert _get(app, people.staff_a).active


def test_the_version_is_claimed_in_the_update_itself(app, people):
    """Two saves at the same moment: both read version 1; the UPDATE of the second finds no row at version 1
    any more (the first moved it on), so it is refused instead of writing over the first."""
    with app.app_context():
        admin = db.session.get(User, people.admin)
        # Loaded at version 1, as the second request read it (held in a variable: the session keeps it only
        # weakly, and a reload would see the new version at once).
        stale = db.session.get(User, people.staff_a)
        with db.engine.begin() as other:  # the first request commits its change meanwhile
            other.execute(sa.update(User).where(User.id == people.staff_a).values(version=2, name="Eerste"))
        assert stale.version == 1, "the second request still holds the account as it was"
        with pytest.raises(user_admin.AccountConflict):
            user_admin.update_account(admin, people.staff_a, 1, name="Tweede", role="staff", school_codes=["AAA"],
                                      language="nl")
        db.session.remove()
    assert _get(app, people.staff_a).name == "Eerste"


def test_sign_ins_do_not_move_the_version(app, people):
    signed_in(app, people, "staff_a")
    assert _get(app, people.staff_a).version == 1, "an admin's open form stays valid while the user works"


# --- deactivate, reactivate ------------------------------------------------------------------------------------------

def test_deactivation_signs_out_everywhere_and_stops_sign_in_until_reactivated(app, people, smtp_server, run_jobs):
    admin = signed_in(app, people, "admin")
    colleague = signed_in(app, people, "staff_a")
    response = _act(admin, app, people.staff_a, "uitzetten")
    assert response.status_code == 302
    assert "staat uit" in text_of(admin.get(response.headers["Location"]))
    assert not _get(app, people.staff_a).active and _signed_out(colleague)
    refused = app.test_client().post("/medewerkers/inloggen", data={"email": people.email["staff_a"],
                                                                     "password": PASSWORD})
    assert refused.status_code == 200 and "Inloggen is niet gelukt" in text_of(refused)
    # No password link for an inactive account, from the admin's page or from "forgotten password".
    assert _act(admin, app, people.staff_a, "wachtwoordlink").status_code == 422
    app.test_client().post("/medewerkers/wachtwoord-vergeten", data={"email": people.email["staff_a"]})
    run_jobs()
    assert mails_to(smtp_server, people.email["staff_a"]) == []

    assert _act(admin, app, people.staff_a, "aanzetten").status_code == 302
    assert _get(app, people.staff_a).active
    assert _signed_out(colleague), "the sessions from before stay ended after reactivation"
    again = app.test_client().post("/medewerkers/inloggen", data={"email": people.email["staff_a"],
                                                                  "password": PASSWORD})
    assert again.headers["Location"].endswith("/medewerkers/tweede-stap"), "the password works again"
    assert [json.loads(e.details)["user_id"] for e in _events(app, "user.deactivated")] == [people.staff_a]
    assert [e.actor_id for e in _events(app, "user.reactivated")] == [people.admin]


def test_an_admin_cannot_switch_themselves_off_or_give_up_the_admin_role(app, people):
    admin = signed_in(app, people, "admin")
    off = _act(admin, app, people.admin, "uitzetten")
    assert off.status_code == 422 and "U kunt uw eigen account niet uitzetten" in text_of(off)
    demoted = _edit(admin, app, people.admin, role="privacy_officer")
    assert demoted.status_code == 422
    assert "Vraag dat aan een andere beheerder" in field_error(demoted.get_data(as_text=True), "role")
    user = _get(app, people.admin)
    assert user.active and user.role == "admin" and user.version == 1
    assert _edit(admin, app, people.admin, name="Beheerder Zelf").status_code == 302, "the rest they may change"


def test_two_admins_switching_each_other_off_leave_one_active_admin(app, people):
    """Both requests passed the role check; the one that commits second finds no other active admin."""
    with app.app_context():
        other = User(email="admin2@asg.test", name="Tweede Beheerder", role="admin", password_hash="x")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    admin = signed_in(app, people, "admin")
    assert _act(admin, app, other_id, "uitzetten").status_code == 302  # the first request
    with app.app_context():
        late_actor = db.session.get(User, other_id)  # signed in before it was switched off
        with pytest.raises(UserError) as refused:
            user_admin.set_active(late_actor, people.admin, 1, False)
        assert refused.value.code == "last_admin"
        db.session.remove()
    assert _get(app, people.admin).active


# --- a lost authenticator, a new password link ----------------------------------------------------------------------

def test_resetting_the_authenticator_signs_out_and_sends_the_user_to_enrolment(app, people):
    admin = signed_in(app, people, "admin")
    colleague = signed_in(app, people, "staff_a")
    with app.app_context():
        db.session.get(User, people.staff_a).recovery_code_hashes = "a" * 64 + "," + "b" * 64
        db.session.commit()
    assert _act(admin, app, people.staff_a, "authenticator").status_code == 302
    user = _get(app, people.staff_a)
    assert user.totp_secret_enc is None and user.recovery_code_hashes == "" and not user.has_totp
    assert _signed_out(colleague)
    [event] = _events(app, "user.authenticator_reset")
    assert json.loads(event.details) == {"user_id": people.staff_a, "recovery_codes_dropped": 2}
    # The password still works, and opens only the enrolment, never the case pages.
    browser = app.test_client()
    step_one = browser.post("/medewerkers/inloggen", data={"email": people.email["staff_a"], "password": PASSWORD})
    assert step_one.headers["Location"].endswith("/medewerkers/instellen")
    assert browser.get("/medewerkers/tweede-stap").status_code == 302
    assert _signed_out(browser)
    page = browser.get("/medewerkers/instellen").get_data(as_text=True)
    assert re.search(r'<code class="reference">([A-Z2-7]+)</code>', page), "a new secret to scan"
    login(app.test_client(), people.email["staff_a"], fresh=True)  # enrols the new authenticator
    assert _get(app, people.staff_a).has_totp


def test_the_admin_mails_a_new_password_link(app, people, smtp_server, run_jobs):
    admin = signed_in(app, people, "admin")
    before = _get(app, people.staff_b).password_hash
    assert _act(admin, app, people.staff_b, "wachtwoordlink").status_code == 302
    assert _get(app, people.staff_b).password_hash == before, "the password stays until the user chooses one"
    [event] = _events(app, "user.password_link_sent")
    assert event.actor_id == people.admin and json.loads(event.details) == {"user_id": people.staff_b}
    _set_password(app.test_client(), smtp_server, run_jobs, people.email["staff_b"], "Uw account")
    login(app.test_client(), people.email["staff_b"], NEW_PASSWORD, fresh=True)


def test_the_user_page_shows_no_secret(app, people):
    admin = signed_in(app, people, "admin")
    page = admin.get(f"/beheer/gebruikers/{people.staff_a}").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, people.staff_a)
        for secret in (user.totp_secret_enc, user.password_hash, user.session_token):
            assert secret not in page


def test_unknown_accounts_are_not_found(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get("/beheer/gebruikers/999999").status_code == 404
    assert admin.post("/beheer/gebruikers/999999/uitzetten", data={"version": "1"}).status_code == 404
    assert admin.post(f"/beheer/gebruikers/{people.staff_a}/verwijderen", data={"version": "1"}).status_code == 404


# --- the command line shares the service ---------------------------------------------------------------------------

def test_the_command_line_creates_accounts_through_the_same_service_and_audits_them(app, people):
    result = app.test_cli_runner().invoke(args=["dsr", "create-user", "cli@asg.test", "--role", "staff", "--school",
                                                "AAA"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    [event] = _events(app, "user.created")
    details = json.loads(event.details)
    assert event.actor_kind == "system" and details["via"] == "command line" and details["schools"] == ["AAA"]
    refused = app.test_cli_runner().invoke(args=["dsr", "create-user", "po@asg.test", "--role", "privacy_officer",
                                                 "--school", "AAA"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert refused.exit_code != 0 and "have no schools" in refused.output
