"""The public intake form through HTTP: a request without an account, in Dutch.

Everything goes through the Flask test client; mail is delivered by a real RQ worker to the real
SMTP test server. Covers the happy path (reference, receipt date, legal deadline, confirmation page,
receipt mail and its single-use confirmation link), the conditional fields, and bad or hostile input:
field-level Dutch errors, kept values, unknown schools, oversized bodies, a missing CSRF token,
header injection, escaping, and a table of odd inputs that must never cause a 5xx.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from dsr.extensions import db
from dsr.models import Case, School
from dsr.services import links
from dsr.templating import long_date
from dsr.workflows import states as S
from dsr.workflows.deadlines import legal_deadline
from tests.helpers import case_count, intake_data, link_in, login, submit
from tests.integration.helpers import staff_digests

REFERENCE = re.compile(r"AVG-(\d{4})-(\d{5})")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
INJECTION = "Evil\r\nBcc: x@y.z"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --------------------------------------------------------------------------- helpers

@pytest.fixture
def csrf_client(csrf_app):
    """A client of the CSRF-protected app."""
    return csrf_app.test_client()


def _page(response) -> str:
    return response.get_data(as_text=True)


def _case(app, case_id: int) -> Case:
    """The stored case, detached, with its school loaded."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def _receipts(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages
            if address in m["To"] and "Bevestig uw e-mailadres" in m["Subject"]]


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _field_error(page: str, field_id: str) -> str | None:
    """The error shown at the field (``<p class="error" id="<field>-error">``)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


def _summary(page: str) -> dict[str, str]:
    """{field id: "Label: message"} from the error summary at the top of the form."""
    block = re.search(r'<div class="error-summary".*?</div>', page, re.DOTALL)
    if not block:
        return {}
    return {m.group(1): html.unescape(m.group(2).strip())
            for m in re.finditer(r'<li><a href="#([^"]+)">(.*?)</a></li>', block.group(0), re.DOTALL)}


def _assert_field_error(page: str, field_id: str, message: str) -> None:
    """``message`` is shown at the field and, with the field's label, in the summary."""
    assert _field_error(page, field_id) == message, (field_id, _field_error(page, field_id))
    assert _summary(page).get(field_id, "").endswith(": " + message), (field_id, _summary(page))


def _input_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    if not match:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def _checked(page: str, name: str) -> str | None:
    for tag in re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', page):
        if re.search(r"\bchecked\b", tag):
            return html.unescape(re.search(r'\bvalue="([^"]*)"', tag).group(1))
    return None


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*\bname="{name}".*?</select>', page, re.DOTALL)
    option = re.search(r'<option[^>]*\bselected\b[^>]*>', select.group(0)) if select else None
    return html.unescape(re.search(r'value="([^"]*)"', option.group(0)).group(1)) if option else None


def _textarea(page: str, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    return html.unescape(match.group(1)).lstrip("\r\n") if match else None


def _years_ago(years: int, days: int = 0) -> str:
    today = dt.datetime.now(AMSTERDAM).date()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return (day + dt.timedelta(days=days)).isoformat()


def _rejected(client, app, data: dict) -> str:
    """Post ``data``; it must come back as the form with errors and store nothing."""
    before = case_count(app)
    response = client.post("/", data=data)
    assert response.status_code == 200, _page(response)[:1000]
    assert case_count(app) == before
    page = _page(response)
    assert "Er ging iets mis met het formulier" in page
    return page


# --------------------------------------------------------------------------- the form itself

def test_form_is_dutch_has_csrf_and_offers_every_choice(app, csrf_client, people):
    with app.app_context():
        db.session.add(School(code="OLD", name="Gesloten School", active=False))
        db.session.commit()
    response = csrf_client.get("/")
    assert response.status_code == 200
    page = _page(response)
    assert '<html lang="nl">' in page
    assert "Uw gegevens bij de school inzien" in page and "Verder naar controleren" in page
    assert re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="[^"]+">', page)
    for right in ("access", "rectification", "erasure", "restriction", "objection", "portability"):
        assert re.search(rf'<input[^>]*name="right"[^>]*type="radio" value="{right}">', page), right
    for role in ("student", "parent", "guardian", "representative", "carer"):
        assert re.search(rf'<input[^>]*name="requester_role"[^>]*type="radio" value="{role}">', page), role
    assert _selected(page, "school_id") is None
    assert "School A" in page and "School B" in page
    assert "Gesloten School" not in page, "inactive schools are not offered"
    for name in ("student_name", "student_number", "requester_name", "requester_email", "requester_phone"):
        assert _input_value(page, name) == "", name
    assert re.search(r'<input[^>]*name="student_birth_date"[^>]*type="date"', page)
    for name in ("data_concerned", "correct_value", "details"):
        assert _textarea(page, name) == "", name
    assert "Heeft u het ouderlijk gezag over de leerling?" in page


# --------------------------------------------------------------------------- happy path

def test_submit_registers_case_with_reference_receipt_date_and_deadline(app, client, people):
    before = dt.datetime.now(AMSTERDAM).date()
    response = client.post("/", data=intake_data(people.school_a, student_number="LL-12345",
                                                 requester_phone="+31 6 1234 5678",
                                                 details="Graag digitaal."))
    after = dt.datetime.now(AMSTERDAM).date()
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/verzoek/ontvangen" and not location.query and not location.fragment

    with client.session_transaction() as session:
        case_id = session["submitted_case_id"]
    case = _case(app, case_id)
    match = REFERENCE.fullmatch(case.reference)
    assert match, case.reference
    assert case.received_on in (before, after), "receipt date is today in Europe/Amsterdam"
    assert int(match.group(1)) == case.received_on.year
    assert case.due_on == legal_deadline(case.received_on)
    assert case.state == S.SUBMITTED and case.school_id == people.school_a
    assert (case.right, case.student_name, case.student_number) == ("access", "Sam Jansen", "LL-12345")
    assert (case.requester_role, case.parental_authority) == ("parent", True)
    assert (case.requester_name, case.requester_email) == ("Alex Jansen", "alex.jansen@example.nl")
    assert case.requester_phone == "+31 6 1234 5678" and case.details == "Graag digitaal."
    assert case.email_confirmed_at is None

    page = client.get("/verzoek/ontvangen")
    assert page.status_code == 200
    text = _page(page)
    assert "Uw verzoek is ontvangen" in text
    assert case.reference in text and long_date(case.due_on) in text and long_date(case.received_on) in text


def test_reference_has_five_digits_and_is_unique(app, client, people):
    ids = [submit(client, people.school_a, requester_email=f"ouder{i}@example.nl") for i in range(3)]
    references = [_case(app, case_id).reference for case_id in ids]
    assert len(set(references)) == 3
    for case_id, reference in zip(ids, references, strict=True):
        assert REFERENCE.fullmatch(reference) and reference.endswith(f"-{case_id:05d}")


def test_receipt_date_is_the_amsterdam_date_not_utc(app, client, people, monkeypatch):
    """00:30 in Amsterdam on New Year's Day is still 31 December in UTC: the request counts for 1 January."""
    from dsr.services import clock

    utc_moment = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return utc_moment.astimezone(tz) if tz else utc_moment.replace(tzinfo=None)

    monkeypatch.setattr(clock, "dt", SimpleNamespace(datetime=Frozen, date=dt.date, timedelta=dt.timedelta))
    case = _case(app, submit(client, people.school_a))
    assert case.received_on == dt.date(2026, 1, 1)
    assert case.reference.startswith("AVG-2026-")
    assert case.due_on == legal_deadline(dt.date(2026, 1, 1)) == dt.date(2026, 2, 2)  # 1 Feb is a Sunday


def test_confirmation_page_needs_a_submission_and_puts_nothing_in_the_url(app, client, people):
    response = client.get("/verzoek/ontvangen")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"

    data = intake_data(people.school_a, student_name="Noor de Vries", requester_email="noor.ouder@example.nl")
    response = client.post("/", data=data)
    location = response.headers["Location"]
    case = _case(app, _last_case_id(app))
    for secret in (case.reference, str(case.id), "Noor", "Vries", "noor.ouder", "example.nl",
                   data["student_birth_date"]):
        assert secret not in location
    followed = client.get(location)
    assert case.reference in _page(followed)
    assert "Noor de Vries" not in _page(followed), "the page shows no personal data"


def _last_case_id(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.max(Case.id))).scalar_one()


def test_receipt_mail_has_reference_deadline_and_single_use_confirm_link(app, client, people, smtp_server,
                                                                        run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder.receipt@example.nl")
    run_jobs()
    case = _case(app, case_id)
    receipts = _receipts(smtp_server, "ouder.receipt@example.nl")
    assert len(receipts) == 1
    mail = receipts[0]
    assert case.reference in mail["Subject"]
    text = _plain(mail)
    assert case.reference in text
    # Issue 13: until the address is confirmed, nothing but the reference and the link (not even the dates).
    assert long_date(case.due_on) not in text and "Alex Jansen" not in text
    link = link_in(text)
    assert link.startswith("http://dsr.test/bevestigen/")
    assert link in html.unescape(_html(mail)), "the HTML part carries the same link"
    # The link carries only a signed random value: no address, no reference.
    assert "ouder.receipt" not in link and case.reference not in link

    path = urlsplit(link).path
    first = client.get(path)
    assert first.status_code == 200
    assert "Uw e-mailadres is bevestigd" in _page(first) and case.reference in _page(first)
    assert _case(app, case_id).email_confirmed_at is not None
    run_jobs()  # the acknowledgement with the dates follows the confirmation
    [ack] = [m for m in smtp_server.messages if "Ontvangstbevestiging" in m["Subject"]]
    assert long_date(case.due_on) in _plain(ack) and long_date(case.received_on) in _plain(ack)

    second = client.get(path)  # single use: a second visit changes nothing and says so (issue 14)
    assert second.status_code == 200
    assert "Uw e-mailadres is al bevestigd" in _page(second) and "<html lang=\"nl\">" in _page(second)
    run_jobs()
    assert len([m for m in smtp_server.messages if "Ontvangstbevestiging" in m["Subject"]]) == 1


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


def _tamper_signature(token: str) -> str:
    # The first character of the signature: all its bits count (the last one's low bits are padding).
    head, signature = token.rsplit(".", 1)
    return f"{head}.{_flip(signature[0])}{signature[1:]}"


@pytest.mark.parametrize("tamper", [
    pytest.param(_tamper_signature, id="signature-changed"),
    pytest.param(lambda t: t[:-6], id="truncated"),
    pytest.param(lambda t: _flip(t[0]) + t[1:], id="payload-changed"),
    pytest.param(lambda t: "niet-een-token", id="garbage"),
    pytest.param(lambda t: t.split(".")[0], id="payload-only"),
])
def test_tampered_confirm_link_gives_invalid_page(app, client, people, smtp_server, run_jobs, tamper):
    case_id = submit(client, people.school_a, requester_email="tamper@example.nl")
    run_jobs()
    token = urlsplit(link_in(_plain(_receipts(smtp_server, "tamper@example.nl")[0]))).path.rsplit("/", 1)[1]
    response = client.get(f"/bevestigen/{tamper(token)}")
    assert response.status_code == 400
    page = _page(response)
    assert "Deze link werkt niet" in page and "ongeldig" in page and "verlopen" not in page
    assert _case(app, case_id).email_confirmed_at is None
    # The genuine link still works.
    assert client.get(f"/bevestigen/{token}").status_code == 200


def test_token_for_another_purpose_is_invalid(app, client, people):
    case_id = submit(client, people.school_a)
    with app.app_context():
        nonce = db.session.get(Case, case_id).confirm_nonce
        token = links.make_token("password-reset", {"n": nonce})
    response = client.get(f"/bevestigen/{token}")
    assert response.status_code == 400 and "ongeldig" in _page(response)
    assert _case(app, case_id).email_confirmed_at is None


def test_expired_confirm_link_gives_expired_page(app, client, people, monkeypatch):
    """A token signed 15 days ago (the link is valid for 14) is refused as expired."""
    case_id = submit(client, people.school_a)
    max_age_days = app.config["CONFIRM_LINK_MAX_AGE_DAYS"]
    with app.app_context():
        nonce = db.session.get(Case, case_id).confirm_nonce
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp",
                            lambda self: real(self) - (max_age_days + 1) * 86400)
        old_token = links.make_token("confirm-email", {"n": nonce})
        monkeypatch.undo()
        fresh_token = links.make_token("confirm-email", {"n": nonce})
    response = client.get(f"/bevestigen/{old_token}")
    assert response.status_code == 400
    page = _page(response)
    assert "De link is verlopen" in page and "ongeldig" not in page
    assert _case(app, case_id).email_confirmed_at is None
    # Only the expiry was the problem: a fresh link for the same case works.
    assert client.get(f"/bevestigen/{fresh_token}").status_code == 200


# --------------------------------------------------------------------------- rights and roles

@pytest.mark.parametrize("right, extra", [
    ("access", {}),
    ("rectification", {"data_concerned": "Adres", "correct_value": "Stationsstraat 1, Almere"}),
    ("erasure", {"data_concerned": "Foto's op de website"}),
    ("restriction", {}),
    ("objection", {"details": "Geen foto's in de nieuwsbrief."}),
    ("portability", {}),
])
def test_every_right_can_be_requested(app, client, people, right, extra):
    case = _case(app, submit(client, people.school_b, right=right, **extra))
    assert case.right == right and case.school_id == people.school_b
    for name, value in extra.items():
        assert getattr(case, name) == value


@pytest.mark.parametrize("role, authority, stored", [
    ("student", "", None),
    ("student", "yes", None),          # only asked of parents and guardians
    ("representative", "", None),
    ("parent", "yes", True),
    ("parent", "no", False),
    ("parent", "unknown", None),
    ("guardian", "yes", True),
])
def test_requester_roles_and_parental_authority(app, client, people, role, authority, stored):
    case = _case(app, submit(client, people.school_a, requester_role=role, parental_authority=authority))
    assert case.requester_role == role and case.parental_authority is stored


@pytest.mark.parametrize("role", ["parent", "guardian"])
@pytest.mark.parametrize("omit", [True, False])
def test_parent_or_guardian_must_answer_parental_authority(app, client, people, role, omit):
    data = intake_data(people.school_a, requester_role=role)
    if omit:
        del data["parental_authority"]           # no radio button chosen: the browser sends nothing
    else:
        data["parental_authority"] = ""
    page = _rejected(client, app, data)
    _assert_field_error(page, "parental_authority", "Geef aan of u het ouderlijk gezag heeft.")


@pytest.mark.parametrize("fields, missing", [
    ({"data_concerned": "", "correct_value": ""}, {"data_concerned", "correct_value"}),
    ({"data_concerned": "Adres", "correct_value": "   "}, {"correct_value"}),
    ({"data_concerned": "", "correct_value": "Stationsstraat 1"}, {"data_concerned"}),
])
def test_rectification_needs_data_and_correct_value(app, client, people, fields, missing):
    page = _rejected(client, app, intake_data(people.school_a, right="rectification", **fields))
    messages = {"data_concerned": "Geef aan om welke gegevens het gaat.",
                "correct_value": "Geef aan wat het juiste gegeven is."}
    for name, message in messages.items():
        if name in missing:
            _assert_field_error(page, name, message)
        else:
            assert _field_error(page, name) is None


def test_rectification_fields_absent_from_the_post_are_missing_too(app, client, people):
    data = intake_data(people.school_a, right="rectification")
    del data["data_concerned"], data["correct_value"]
    page = _rejected(client, app, data)
    _assert_field_error(page, "data_concerned", "Geef aan om welke gegevens het gaat.")
    _assert_field_error(page, "correct_value", "Geef aan wat het juiste gegeven is.")


def test_erasure_needs_data_concerned_but_no_correct_value(app, client, people):
    page = _rejected(client, app, intake_data(people.school_a, right="erasure", data_concerned=" "))
    _assert_field_error(page, "data_concerned", "Geef aan om welke gegevens het gaat.")
    assert _field_error(page, "correct_value") is None
    submit(client, people.school_a, right="erasure", data_concerned="Oude foto's")


@pytest.mark.parametrize("right", ["access", "restriction", "objection", "portability"])
def test_other_rights_need_no_details(app, client, people, right):
    submit(client, people.school_a, right=right, data_concerned="", correct_value="", details="")


# --------------------------------------------------------------------------- bad input

def test_empty_form_gives_dutch_errors_at_each_field_and_in_summary(app, client, people):
    page = _rejected(client, app, {})
    expected = {
        "right": "Kies wat u wilt vragen.",
        "school_id": "Kies de school.",
        "student_name": "Vul de naam van de leerling in.",
        "student_birth_date": "Vul de geboortedatum in (dag, maand, jaar).",
        "requester_role": "Kies wie het verzoek doet.",
        "requester_name": "Vul uw naam in.",
        "requester_email": "Vul uw e-mailadres in.",
    }
    for field_id, message in expected.items():
        _assert_field_error(page, field_id, message)
    summary = _summary(page)
    assert summary["student_name"] == "Naam van de leerling: Vul de naam van de leerling in."
    assert summary["requester_email"] == "Uw e-mailadres: Vul uw e-mailadres in."
    # Optional fields are not flagged.
    for optional in ("student_number", "requester_phone", "details"):
        assert _field_error(page, optional) is None


def test_only_spaces_count_as_empty(app, client, people):
    page = _rejected(client, app, intake_data(people.school_a, student_name="   ", requester_name="\t ",
                                              requester_email="  "))
    _assert_field_error(page, "student_name", "Vul de naam van de leerling in.")
    _assert_field_error(page, "requester_name", "Vul uw naam in.")
    _assert_field_error(page, "requester_email", "Vul uw e-mailadres in.")


def test_invalid_values_are_flagged_and_the_rest_of_the_form_is_kept(app, client, people):
    data = intake_data(people.school_b, right="rectification", student_name="Zoë Ŝtraße",
                       student_birth_date="2013-05-17", student_number="12 34!",
                       requester_role="guardian", parental_authority="unknown",
                       requester_name="Jan \"de\" <Voogd>", requester_email="jan@@voorbeeld",
                       requester_phone="bel me", data_concerned="Adres & woonplaats",
                       correct_value="Dorpsstraat 1\nAlmere", details="Regel één\nRegel twee")
    page = _rejected(client, app, data)
    _assert_field_error(page, "requester_email",
                        "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")
    _assert_field_error(page, "requester_phone", "Vul een geldig telefoonnummer in.")
    _assert_field_error(page, "student_number", "Gebruik alleen letters en cijfers.")
    # What was typed comes back.
    assert _checked(page, "right") == "rectification"
    assert _selected(page, "school_id") == str(people.school_b)
    assert _input_value(page, "student_name") == "Zoë Ŝtraße"
    assert _input_value(page, "student_birth_date") == "2013-05-17"
    assert _input_value(page, "student_number") == "12 34!"
    assert _checked(page, "requester_role") == "guardian"
    assert _checked(page, "parental_authority") == "unknown"
    assert _input_value(page, "requester_name") == "Jan \"de\" <Voogd>"
    assert _input_value(page, "requester_email") == "jan@@voorbeeld"
    assert _input_value(page, "requester_phone") == "bel me"
    assert _textarea(page, "data_concerned") == "Adres & woonplaats"
    assert _textarea(page, "correct_value") == "Dorpsstraat 1\nAlmere"
    assert _textarea(page, "details") == "Regel één\nRegel twee"
    assert "<Voogd>" not in page, "typed values are escaped when re-rendered"


def test_an_unparseable_date_is_kept_as_typed_with_a_dutch_message(app, client, people):
    page = _rejected(client, app, intake_data(people.school_a, student_birth_date="31-02-2012"))
    assert _input_value(page, "student_birth_date") == "31-02-2012"
    message = _field_error(page, "student_birth_date")
    assert message and "datum" in message.lower() and "date" not in message.lower(), message
    assert _summary(page)["student_birth_date"].startswith("Geboortedatum van de leerling: ")


def test_dutch_date_notation_is_accepted(app, client, people):
    """The help text says "Bijvoorbeeld 14-03-2012"; where a browser shows a plain text box, that works."""
    case = _case(app, submit(client, people.school_a, student_birth_date="14-03-2012"))
    assert case.student_birth_date == dt.date(2012, 3, 14)


@pytest.mark.parametrize("birth_date, message", [
    (lambda: (dt.datetime.now(AMSTERDAM).date() + dt.timedelta(days=1)).isoformat(),
     "De geboortedatum ligt in de toekomst."),
    (lambda: "2999-01-01", "De geboortedatum ligt in de toekomst."),
    (lambda: _years_ago(1), "Controleer de geboortedatum: die past niet bij een (oud-)leerling."),
    (lambda: _years_ago(41), "Controleer de geboortedatum: die past niet bij een (oud-)leerling."),
    (lambda: "1900-01-01", "Controleer de geboortedatum: die past niet bij een (oud-)leerling."),
    (lambda: "0001-01-01", "Controleer de geboortedatum: die past niet bij een (oud-)leerling."),
])
def test_future_or_implausible_birth_date_is_refused(app, client, people, birth_date, message):
    page = _rejected(client, app, intake_data(people.school_a, student_birth_date=birth_date()))
    _assert_field_error(page, "student_birth_date", message)


@pytest.mark.parametrize("birth_date", [lambda: _years_ago(2), lambda: _years_ago(40, days=1)])
def test_birth_date_at_the_plausible_edges_is_accepted(app, client, people, birth_date):
    submit(client, people.school_a, student_birth_date=birth_date())


@pytest.mark.parametrize("school_id", ["99999", "0", "-1", "abc", "", "1.5", "99999999999999999999999",
                                       "inactive"])
def test_unknown_or_inactive_school_is_refused(app, client, people, school_id):
    if school_id == "inactive":
        with app.app_context():
            school = School(code="OLD", name="Gesloten School", active=False)
            db.session.add(school)
            db.session.commit()
            school_id = str(school.id)
    data = intake_data(people.school_a)
    data["school_id"] = school_id
    page = _rejected(client, app, data)
    message = "Kies de school." if school_id == "" else "Kies een school uit de lijst."
    _assert_field_error(page, "school_id", message)


@pytest.mark.parametrize("size", [
    pytest.param(lambda config: 2 * 1024 * 1024 + 1, id="over-2MiB"),
    pytest.param(lambda config: config["MAX_CONTENT_LENGTH"] + 1, id="over-MAX_CONTENT_LENGTH"),
])
def test_oversized_body_gets_a_dutch_413_page(app, client, people, size):
    response = client.post("/", data=intake_data(people.school_a, details="x" * size(app.config)))
    assert response.status_code == 413
    page = _page(response)
    assert "Te groot" in page and "Wat u verstuurde is te groot" in page and '<html lang="nl">' in page
    assert case_count(app) == 0


def test_oversized_body_is_refused_before_the_csrf_check_reads_it(app, csrf_client, people):
    """The limit applies before Flask-WTF parses the body for its token (413, not a 400 or a parse)."""
    response = csrf_client.post("/", data=intake_data(people.school_a, details="x" * (2 * 1024 * 1024 + 1)))
    assert response.status_code == 413 and "Te groot" in _page(response)
    assert case_count(app) == 0


def test_a_body_just_under_the_limit_is_read_and_answered_with_field_errors(app, client, people):
    data = intake_data(people.school_a)
    data["details"] = ""
    data["details"] = "x" * (2 * 1024 * 1024 - len(urlencode(data)))  # exactly 2 MiB in all
    assert len(urlencode(data)) == 2 * 1024 * 1024
    page = _rejected(client, app, data)
    _assert_field_error(page, "details", "Gebruik maximaal 5000 tekens.")


def test_missing_or_wrong_csrf_token_gets_a_dutch_400_page(app, csrf_client, people, smtp_server, run_jobs):
    client = csrf_client
    client.get("/")
    for token in (None, "nep-token"):
        data = intake_data(people.school_a)
        if token:
            data["csrf_token"] = token
        response = client.post("/", data=data)
        assert response.status_code == 400
        page = _page(response)
        assert "Ongeldig verzoek" in page and "beveiligingscode ontbreekt" in page and '<html lang="nl">' in page
    assert case_count(app) == 0
    run_jobs()
    assert smtp_server.messages == []

    # With the token from the form the same post is accepted.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _page(client.get("/"))).group(1)
    response = client.post("/", data={**intake_data(people.school_a), "csrf_token": token})
    assert response.status_code == 302
    assert case_count(app) == 1


@pytest.mark.parametrize("field_id, value", [
    ("requester_name", INJECTION),
    ("student_name", INJECTION),
    ("requester_email", INJECTION),
    ("requester_email", "alex@example.nl\r\nBcc: x@y.z"),
    ("requester_email", "alex@example.nl\nBcc: x@y.z"),
    ("requester_name", "Alex\rJansen"),
    ("student_number", "123\r\nBcc: x@y.z"),
    ("requester_phone", "0612345678\r\nBcc: x@y.z"),
    ("requester_name", "Evil\u2028Bcc: x@y.z"),      # Unicode line separator
    ("requester_email", "alex@example.nl\u0085Bcc: x@y.z"),  # NEL
    ("requester_name", "Evil\tBcc: x@y.z"),
])
def test_header_injection_is_rejected_at_the_field(app, client, people, smtp_server, run_jobs, field_id, value):
    page = _rejected(client, app, intake_data(people.school_a, **{field_id: value}))
    assert _field_error(page, field_id), f"error shown at {field_id}"
    assert field_id in _summary(page)
    run_jobs()
    assert smtp_server.messages == [], "no mail sent"


def test_user_input_is_escaped_in_pages_and_mails(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, student_name=SCRIPT, requester_name=SCRIPT,
                     right="erasure", data_concerned=SCRIPT, details=SCRIPT,
                     requester_email="script@example.nl")
    assert _case(app, case_id).student_name == SCRIPT, "stored as typed"

    staff = app.test_client()
    login(staff, people.email["staff_a"])
    page = _page(staff.get(f"/zaken/{case_id}"))
    assert SCRIPT not in page
    assert page.count(ESCAPED_SCRIPT) >= 4  # student, requester, data concerned, details

    run_jobs()
    receipt = _receipts(smtp_server, "script@example.nl")[0]
    assert "script" not in _html(receipt).replace("script@example.nl", ""), "nothing typed in before confirmation"
    client.get(urlsplit(link_in(_plain(receipt))).path)
    run_jobs()
    [ack] = [m for m in smtp_server.messages if "Ontvangstbevestiging" in m["Subject"]]
    assert SCRIPT not in _html(ack) and ESCAPED_SCRIPT in _html(ack)
    assert f"Beste {SCRIPT}," in _plain(ack), "plain text is not HTML: shown literally"
    staff_digests(app, run_jobs)  # issue 16: the new request reaches staff in their digest
    staff_mail = next(m for m in smtp_server.messages if people.email["staff_a"] in m["To"])
    assert SCRIPT not in _html(staff_mail) and SCRIPT not in staff_mail["Subject"]

    # The re-rendered form escapes too.
    page = _rejected(client, app, intake_data(people.school_a, student_name=SCRIPT, requester_name=SCRIPT,
                                              details=SCRIPT, requester_email="nope"))
    assert SCRIPT not in page and ESCAPED_SCRIPT in page


def test_friendly_messages_for_impossible_choices_and_long_text(app, client, people):
    page = _rejected(client, app, intake_data(people.school_a, right="unknown", requester_role="admin",
                                              parental_authority="maybe", requester_name="n" * 201))
    _assert_field_error(page, "right", "Kies een van de soorten verzoeken hieronder.")
    assert '<fieldset id="right" aria-describedby="right-error">' in page, "the choices name their error"
    _assert_field_error(page, "requester_role", "Kies een van de mogelijkheden.")
    _assert_field_error(page, "parental_authority", "Kies ja, nee of weet ik niet.")
    _assert_field_error(page, "requester_name", "Gebruik maximaal 200 tekens.")


def test_addresses_the_mail_server_can_deliver(app, client, people, smtp_server, run_jobs):
    """An accented domain is converted (IDN); accents before the @ are refused at the field,
    because the outgoing mail server cannot deliver them and the receipt would never arrive."""
    page = _rejected(client, app, intake_data(people.school_a, requester_email="zoë@example.nl"))
    _assert_field_error(page, "requester_email", "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")
    submit(client, people.school_a, requester_email="zoe@exämple.nl")
    run_jobs()
    assert len(_receipts(smtp_server, "zoe@xn--exmple-cua.nl")) == 1


# --------------------------------------------------------------------------- never a 5xx

_LONG = {"student_name": 200, "requester_name": 200, "details": 5000, "data_concerned": 2000,
         "correct_value": 2000, "student_number": 40}


def _long_email(length: int) -> str:
    """A syntactically valid address of exactly ``length`` characters (local part 64)."""
    local = "a" * 64
    domain_len = length - 65
    labels, left = [], domain_len - 3  # ".nl"
    while left > 0:
        size = min(63, left)
        if left - size == 1:  # never leave a single dot with no label
            size -= 1
        labels.append("b" * size)
        left -= size + 1
    domain = ".".join(labels) + ".nl"
    address = f"{local}@{domain}"
    assert len(address) == length, (len(address), length)
    return address


#: (id, overrides, expected status): 302 = accepted, 200 = the form again with errors.
HOSTILE = [
    ("all-empty-strings", {k: "" for k in intake_data(1)}, 200),
    ("only-spaces", {"student_name": "   ", "requester_name": "  "}, 200),
    ("unicode-names", {"student_name": "Zoë Ŝtraße", "requester_name": "Ørjan Ñúñez-Çelik"}, 302),
    ("rtl-text", {"student_name": "محمد العلي", "requester_name": "שרה כהן", "details": "مرحبا بالعالم"}, 302),
    ("rtl-override-char", {"student_name": "Sam\u202eJansen"}, 302),
    ("emoji", {"student_name": "Sam 🧑‍🎓 Jansen", "details": "👍" * 100}, 302),
    ("nul-in-name", {"student_name": "Sam\x00Jansen"}, 200),
    ("nul-in-details", {"details": "abc\x00def"}, 200),
    ("nul-in-email", {"requester_email": "alex\x00@example.nl"}, 200),
    ("nul-in-school", {"school_id": "1\x00"}, 200),
    ("nul-in-right", {"right": "access\x00"}, 200),
    ("nul-in-date", {"student_birth_date": "2012-01-01\x00"}, 200),
    ("sql-in-name", {"student_name": "'; DROP TABLE cases;--", "requester_name": "Robert'); --"}, 302),
    ("sql-in-details", {"details": "1' OR '1'='1", "data_concerned": "\" OR 1=1 --"}, 302),
    ("sql-in-school", {"school_id": "1 OR 1=1"}, 200),
    ("school-abc", {"school_id": "abc"}, 200),
    ("school-huge", {"school_id": "9" * 30}, 200),
    ("school-negative", {"school_id": "-5"}, 200),
    ("right-unknown", {"right": "unknown"}, 200),
    ("role-admin", {"requester_role": "admin"}, 200),
    ("authority-maybe", {"parental_authority": "maybe"}, 200),
    ("date-31-02-2012", {"student_birth_date": "31-02-2012"}, 200),
    ("date-2012-02-30", {"student_birth_date": "2012-02-30"}, 200),
    ("date-yesterday", {"student_birth_date": "yesterday"}, 200),
    ("date-huge-year", {"student_birth_date": "99999-01-01"}, 200),
    ("date-negative", {"student_birth_date": "-2012-01-01"}, 200),
    ("name-at-max", {k: "n" * n for k, n in _LONG.items() if k not in ("correct_value",)}, 302),
    ("name-over-max", {"student_name": "n" * 201}, 200),
    ("requester-over-max", {"requester_name": "n" * 201}, 200),
    ("details-over-max", {"details": "d" * 5001}, 200),
    ("data-concerned-over-max", {"right": "erasure", "data_concerned": "d" * 2001}, 200),
    ("correct-value-over-max", {"right": "rectification", "data_concerned": "x", "correct_value": "c" * 2001},
     200),
    ("student-number-over-max", {"student_number": "1" * 41}, 200),
    ("email-at-max", {"requester_email": _long_email(254)}, 302),
    ("email-over-max", {"requester_email": _long_email(255)}, 200),
    ("email-no-at", {"requester_email": "alex.example.nl"}, 200),
    ("email-display-name", {"requester_email": "Alex <alex@example.nl>"}, 200),
    ("email-two-addresses", {"requester_email": "a@example.nl, b@example.nl"}, 200),
    ("email-accented-local-part", {"requester_email": "zoë@example.nl"}, 200),
    ("email-idn-domain", {"requester_email": "alex@bücher.nl"}, 302),
    ("phone-letters", {"requester_phone": "call me maybe"}, 200),
    ("phone-too-long", {"requester_phone": "0" * 21}, 200),
    ("html-everywhere", {k: SCRIPT for k in ("student_name", "requester_name", "details")}, 302),
    ("percent-and-braces", {"student_name": "{{ 7*7 }} %s %(x)s ${x}", "details": "{% raw %}"}, 302),
    ("lone-surrogate-like", {"student_name": "Sam \ufffd Jansen"}, 302),
    ("crlf-in-details", {"details": "regel 1\r\nregel 2\r\n"}, 302),
    ("tab-in-name", {"student_name": "Sam\tJansen"}, 200),
]


@pytest.mark.parametrize("overrides, expected", [pytest.param(o, e, id=i) for i, o, e in HOSTILE])
def test_hostile_or_odd_input_never_gives_a_server_error(app, client, people, overrides, expected):
    data = intake_data(people.school_a)
    data.update({k: (str(people.school_a) if k == "school_id" and v == "1" else v) for k, v in overrides.items()})
    before = case_count(app)
    response = client.post("/", data=data)
    assert response.status_code < 500
    assert response.status_code in (200, 302)
    assert response.status_code == expected, _summary(_page(response)) if response.status_code == 200 else ""
    if response.status_code == 200:
        assert case_count(app) == before, "a rejected post stores nothing"
        assert "Er ging iets mis met het formulier" in _page(response)
    else:
        assert case_count(app) == before + 1
        case = _case(app, _last_case_id(app))
        for name in ("student_name", "requester_name", "details", "data_concerned", "requester_email"):
            if name in overrides:
                assert getattr(case, name) == overrides[name].strip(), name


def test_unexpected_methods_and_params_are_calm(app, client, people):
    assert client.get("/?school_id=abc&right=%00").status_code == 200
    assert client.put("/", data=intake_data(people.school_a)).status_code == 405
    assert client.post("/verzoek/ontvangen").status_code == 405
    assert client.get("/bevestigen/").status_code == 404
    assert client.get("/bevestigen/" + "a" * 5000).status_code == 400
