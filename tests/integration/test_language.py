"""Dutch and English through HTTP: form messages follow the language (Dutch by default), and the
requester's language is kept on the case and used for every mail sent to them, whatever language staff
work in."""
from __future__ import annotations

from html.parser import HTMLParser


from dsr.extensions import db
from dsr.models import Case

from tests.helpers import login, step, submit

class _ReaderText(HTMLParser):
    """Text and alt/aria-label/title values, leaving out whatever is inside an element marked lang="nl"."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, inside Dutch-marked element)

    def _dutch(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        dutch = self._dutch() or (tag != "html" and attrs.get("lang") == "nl")
        if not dutch:
            self.parts += [value for name, value in attrs.items() if name in ("alt", "aria-label", "title") and value]
        if tag not in self.VOID:
            self.stack.append((tag, dutch))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._dutch():
            self.parts.append(data)


def in_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages if address in m["To"]]


# --------------------------------------------------------------------------- form messages

def test_wtforms_own_messages_follow_the_language(app):
    """Messages WTForms writes itself (no message given) come from its catalogue (WTF_I18N_ENABLED)."""
    from dsr.forms.staff import CodeForm

    def errors(lang: str | None) -> list[str]:
        with app.test_request_context("/", method="POST", data={"code": "1" * 30}):
            from flask import session

            if lang:
                session["lang"] = lang
            form = CodeForm(meta={"csrf": False})
            assert not form.validate()
            return form.code.errors

    assert errors("en") == ["Field cannot be longer than 20 characters."]
    dutch = errors(None)
    assert dutch != errors("en") and "20" in dutch[0]


# --------------------------------------------------------------------------- mails in the requester's language

def test_english_requester_gets_english_mails_whatever_staff_use(app, client, people, smtp_server, run_jobs):
    in_english(client)
    case_id = submit(client, people.school_a, requester_email="parent.en@example.nl")
    run_jobs()
    receipt, = mails_to(smtp_server, "parent.en@example.nl")
    assert receipt["Subject"].startswith("Acknowledgement of your request AVG-")
    assert plain(receipt).startswith("Dear Alex Jansen,") and "Kind regards" in plain(receipt)
    staff_mail, = mails_to(smtp_server, people.email["staff_a"])
    assert staff_mail["Subject"].startswith("Nieuw AVG-verzoek"), "staff mails stay Dutch"

    staff = app.test_client()
    login(staff, people.email["staff_a"])  # a Dutch-speaking member of staff
    smtp_server.clear()
    response = step(staff, app, case_id, "request_information", kind="clarification",
                    reason="Welke gegevens bedoelt u precies?")
    assert response.status_code == 302
    run_jobs()
    asked, = mails_to(smtp_server, "parent.en@example.nl")
    assert asked["Subject"].startswith("We need more information for your request")
    assert "Welke gegevens bedoelt u precies?" in plain(asked), "staff's own words are quoted as written"


def test_dutch_requester_gets_dutch_mails_when_staff_work_in_english(app, client, people, smtp_server, run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder.nl@example.nl")
    run_jobs()
    assert mails_to(smtp_server, "ouder.nl@example.nl")[0]["Subject"].startswith("Ontvangstbevestiging")
    with app.app_context():
        assert db.session.get(Case, case_id).language == "nl"
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    in_english(staff)
    smtp_server.clear()
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Wij kennen uw e-mailadres niet.").status_code == 302
    run_jobs()
    asked, = mails_to(smtp_server, "ouder.nl@example.nl")
    assert asked["Subject"].startswith("Wij hebben meer informatie nodig")
    assert "Beste Alex Jansen" in plain(asked) and "Identity" not in plain(asked)

