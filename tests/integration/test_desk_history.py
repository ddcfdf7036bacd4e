"""Issue 15 point 5: a readable history on the staff case page, and rule ids behind "Waarom?".

Every action the code can record has a sentence (collected from the source, so a new ``audit.record`` without
one fails here); the sentences say who did it and the useful detail, in Dutch and English; the reads of a case
are one line with the full list behind it; no rule id (R-CH-2, ...) is text on the case page outside "Waarom?".
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_babel import force_locale

import dsr
from dsr import history_labels
from dsr.models import AuditEvent, User
from dsr.services import history
from dsr.workflows.machine import TRIGGERS
from dsr.workflows.rule_text import RULE_ID
from tests.helpers import signed_in, step, submit, text_of
from tests.integration.helpers import in_english, send_consent_request, set_case_columns, years_ago

PACKAGE_DIR = Path(dsr.__file__).parent


# --------------------------------------------------------------------------- every action has a sentence

def _recorded_actions(root: Path = PACKAGE_DIR) -> set[str]:
    """Every action an ``audit.record(...)`` / ``record(...)`` call under ``root`` (dsr/) can write.

    A constant first argument is taken as it is; ``f"transition.{...}"`` is every workflow step. Any other
    first argument is a form this collector does not know: the test fails, so no action can slip past it.
    """
    actions: set[str] = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            # audit.record(...) (also under another name holding "audit"), or record(...) imported on its own.
            is_audit = (isinstance(func, ast.Attribute) and func.attr == "record"
                        and isinstance(func.value, ast.Name) and "audit" in func.value.id) \
                or (isinstance(func, ast.Name) and func.id == "record")
            if not is_audit:
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                actions.add(first.value)
            elif isinstance(first, ast.IfExp) and all(isinstance(side, ast.Constant) and isinstance(side.value, str)
                                                       for side in (first.body, first.orelse)):
                actions.update((first.body.value, first.orelse.value))  # "a" if flag else "b"
            elif isinstance(first, ast.JoinedStr) and ast.unparse(first).startswith("f'transition."):
                actions.update(f"transition.{trigger}" for trigger in TRIGGERS)
            else:
                pytest.fail(f"{path.relative_to(root)}:{node.lineno}: an audit action this test cannot read: "
                            f"{ast.unparse(first) if first is not None else '(none)'}")
    return actions


def test_every_action_the_code_records_has_a_sentence():
    recorded = _recorded_actions()
    assert len(recorded) > 60, "the collector finds the actions (a broken collector would pass on nothing)"
    missing = sorted(recorded - history_labels.known_actions())
    assert missing == [], f"actions without a sentence in dsr/history_labels.py: {missing}"
    stale = sorted(history_labels.known_actions() - recorded)
    assert stale == [], f"sentences for actions nothing records any more: {stale}"


def test_the_collector_would_see_a_new_action(tmp_path):
    """The check above is only as good as its collector: a new action, in either form, is found (in a copy of
    a service file under tmp_path, so no other test sees it), and an action it cannot read fails."""
    (tmp_path / "probe.py").write_text(
        'from . import audit\nfrom .audit import record\n\ndef f(done):\n    audit.record("probe.new_action")\n'
        '    record("probe.other")\n    audit.record(f"transition.{done.trigger}")\n', encoding="utf-8")
    found = _recorded_actions(tmp_path)
    assert {"probe.new_action", "probe.other", "transition.verify_identity"} <= found
    assert "probe.new_action" not in history_labels.known_actions()
    (tmp_path / "unreadable.py").write_text('from . import audit\n\ndef g(name):\n    audit.record(name)\n',
                                            encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="an audit action this test cannot read"):
        _recorded_actions(tmp_path)


SENTENCES = [
    # (action, actor kind, staff name, details, Dutch, English)
    ("case.submitted", "staff", "C. Bakker", {"right": "access", "channel": "letter", "received_on": "2026-11-27"},
     "Verzoek geregistreerd door C. Bakker, recht: inzage, ontvangen per brief op vr 27-11-2026",
     "Request registered by C. Bakker, right: access, received by letter on Fri 27 Nov 2026"),
    ("case.assigned", "staff", "A. Jansen", {"from_user_id": 3, "to_user_id": None},
     "Toewijzing gewijzigd door A. Jansen, nu aan niemand toegewezen",
     "Assignment changed by A. Jansen, now assigned to nobody"),
    ("transition.verify_identity", "staff", "A. Jansen", {"method": "known_contact"},
     "Identiteit vastgesteld door A. Jansen, via bekend e-mailadres of telefoonnummer",
     "Identity established by A. Jansen, via a known e-mail address or phone number"),
    ("case.submitted", "requester", None, {"right": "access", "requester_role": "parent"},
     "Verzoek ingediend door de aanvrager, recht: inzage",
     "Request submitted by the requester, right: access"),
    ("package.purged", "system", None, {"package_id": 3, "files": 2},
     "Bestanden van het inzagepakket verwijderd door dsr (automatisch)",
     "Files of the access package deleted by dsr (automatic)"),
    ("case.extended", "staff", "B. de Vries", {"old_due_on": "2026-03-02", "new_due_on": "2026-05-04"},
     "Termijn met twee maanden verlengd door B. de Vries, nieuwe uiterste datum ma 04-05-2026",
     "Deadline extended by two months by B. de Vries, new deadline Mon 4 May 2026"),
    ("transition.review", "staff", "A. Jansen", {"decision": "refuse", "grounds": ["art15_4"]},
     "Juridische beoordeling vastgelegd door A. Jansen, beslissing: weigeren",
     "Legal review recorded by A. Jansen, decision: refuse"),
    ("letter.sent", "staff", "A. Jansen", {"letter_id": 7, "kind": "extension"},
     "Brief verstuurd door A. Jansen, Verlenging van de termijn",
     "Letter sent by A. Jansen, Extension of the deadline"),
    ("consent.given", "student", None, {"consent_request_id": 1},
     "Toestemming gegeven door de leerling", "Consent given by the student"),
    ("package.delivered", "staff", "A. Jansen", {"documents": 1, "purge_due_on": "2026-09-01"},
     "Inzagepakket verstuurd door A. Jansen, 1 document", "Access package sent by A. Jansen, 1 document"),
    ("case.viewed", "staff", None, {}, "Bekeken door een medewerker", "Viewed by a staff member"),
]


@pytest.mark.parametrize("action, kind, name, details, dutch, english", SENTENCES, ids=[s[0] for s in SENTENCES])
def test_sentences_say_who_and_the_useful_detail(app, action, kind, name, details, dutch, english):
    with app.test_request_context():
        for language, expected in (("nl", dutch), ("en", english)):
            with force_locale(language):
                actor = history_labels.who(kind, name)
                assert history_labels.sentence(action, actor=actor, details=details) == expected


def test_an_unknown_action_still_shows_with_its_key(app):
    with app.test_request_context():
        assert history_labels.sentence("old.action", actor="A. Jansen") == "old.action door A. Jansen"


def test_sentences_carry_no_personal_data_or_links_from_the_details(app):
    """Details may hold ids and codes; a sentence only names labels, dates and counts, never free text."""
    with app.test_request_context():
        details = {"method": "desk", "kind": "identity", "via": "portal", "reason": "ouder@example.nl",
                   "url": "https://dsr.test/x", "decision": "grant"}
        for action in history_labels.known_actions():
            text = history_labels.sentence(action, actor="A", details=details)
            assert "@" not in text and "http" not in text, action


def test_a_reason_dsr_wrote_keeps_its_rule_id_behind_why(app):
    event = AuditEvent(action="transition.reassess", actor_kind="system", details="{}",
                       reason="De leerling is 16 geworden; het verzoek moet opnieuw worden beoordeeld (R-CH-1).",
                       created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    with app.test_request_context():
        line = history.entry(event)
    assert line.text == "Terug naar beoordeling gezet door dsr (automatisch) (leeftijd van de leerling veranderd)"
    assert line.reason == "De leerling is 16 geworden; het verzoek moet opnieuw worden beoordeeld."
    assert line.rule_ids == ("R-CH-1",)


def test_reads_are_counted_per_staff_member(app):
    def read(actor_id, action="case.viewed"):
        return AuditEvent(action=action, actor_kind="staff", actor_id=actor_id, details=json.dumps({}),
                          reason="", created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                          actor=User(name=f"Medewerker {actor_id}"))

    events = [read(1), read(2), read(1), read(3, "package.document_viewed"),
              AuditEvent(action="portal.read", actor_kind="staff", actor_id=1, details="{}", reason="",
                         created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), actor=User(name="Medewerker 1"))]
    with app.test_request_context():
        result = history.summarise(events)
        assert result.reads is not None and result.reads.readers == 3 and result.reads.times == 4
        assert result.reads.sentence == "Bekeken door 3 medewerkers, 4 keer"
        assert [e.text for e in result.entries] == ["Berichten van de aanvrager gelezen door Medewerker 1"]
        with force_locale("en"):
            assert history.summarise(events[:1]).reads.sentence == "Viewed by 1 staff member, 1 time"


# --------------------------------------------------------------------------- the case page

def _history_section(page: str) -> str:
    start = page.index("data-history>")
    return page[start:page.index("</section>", start)]


def test_case_page_history_reads_as_sentences(app, client, people):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="known_contact", authority="yes").status_code == 302
    colleague = signed_in(app, people, "staff_a2")
    for _ in range(2):
        assert colleague.get(f"/zaken/{case_id}").status_code == 200
    page = text_of(staff.get(f"/zaken/{case_id}"))
    section = _history_section(page)
    assert "Verzoek ingediend door de aanvrager, recht: inzage" in section
    assert "Identiteit vastgesteld door Staff A, via bekend e-mailadres of telefoonnummer" in section
    assert "(Ontvangen → Identiteit gecontroleerd)" in section, "the state change stays"
    assert "transition.verify_identity" not in section and "case.submitted" not in section
    assert "case.viewed" not in section
    # Three reads by two people (the page being rendered was recorded before the history is read): one line.
    reads = re.search(r"<details class=\"history-reads\" data-history-reads>\s*<summary>(.*?)</summary>(.*?)</details>",
                      section, re.S)
    assert reads, "the reads sit in one <details>, opened with a click (no JavaScript needed)"
    assert reads.group(1).startswith("Bekeken door 2 medewerkers, 3 keer")
    assert reads.group(2).count("Bekeken door Staff A2") == 2 and reads.group(2).count("Bekeken door Staff A<") == 1
    events = section[section.index("data-history-events"):]
    assert "Bekeken door" not in events, "no read outside the summary"


def test_case_page_history_in_english(app, client, people):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    staff = signed_in(app, people)
    assert step(staff, app, case_id, "verify_identity", method="desk", authority="yes").status_code == 302
    in_english(staff)
    section = _history_section(text_of(staff.get(f"/zaken/{case_id}")))
    assert "Request submitted by the requester, right: access" in section
    assert "Identity established by Staff A, at the desk" in section
    assert "Viewed by 1 staff member, 1 time" in section
    assert "door" not in section and "Bekeken" not in section


# --------------------------------------------------------------------------- rule ids only behind "Waarom?"

class _VisibleText(HTMLParser):
    """The text of a page outside <details class="why">, with the rule ids found behind "Waarom?" apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.behind_why: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (tag, "why" | "")

    def _mode(self) -> str:
        return next((mode for _, mode in reversed(self.stack) if mode), "")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        mode = ""
        if tag == "details" and "why" in (attrs.get("class") or "").split():
            mode = "why"
        if tag not in ("br", "input", "img", "meta", "link", "hr"):
            self.stack.append((tag, mode))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        mode = self._mode()
        if mode == "why":
            self.behind_why.append(data)
        elif mode == "":
            self.visible.append(data)


def _rule_ids(page: str) -> tuple[list[str], str]:
    """The rule ids shown as text anywhere on the page outside "Waarom?", and the text behind "Waarom?"."""
    parser = _VisibleText()
    parser.feed(page)
    visible = " ".join(parser.visible)
    return [m.group(0) for m in RULE_ID.finditer(visible)], " ".join(parser.behind_why)


def test_no_rule_id_as_text_on_the_case_page(app, client, people):
    # A parent of a 17-year-old: the assessment cites R-CH-3 and R-CH-7; the extension notice R-DL-5; the
    # consent section R-CH-3/4 and the uploads R-ID-2; then a question that pauses the clock (R-DL-6).
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(17))
    staff = signed_in(app, people)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    shown, why = _rule_ids(page)
    assert shown == [], f"rule ids shown as text: {shown}"
    for rule in ("R-DL-5", "R-CH-3", "R-CH-7", "R-ID-2", "R-CH-4"):
        assert rule in why, f"{rule} behind Waarom?"
    assert "Verlengen met twee maanden kan tot en met" in page and "Toestemming van de leerling</h2>" in page
    assert step(staff, app, case_id, "request_information", kind="identity",
                reason="Stuur een kopie van uw ouderschapsverklaring.").status_code == 302
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    shown, why = _rule_ids(page)
    assert shown == [] and "R-DL-6" in why
    assert re.search(r'data-clock="paused"><p>De termijn staat stil tot het antwoord binnen is: twijfel', page)


def test_no_rule_id_in_the_deadline_explanation_of_an_extended_case(app, client, people):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl")
    set_case_columns(app, case_id, extended=True, extended_on=dt.date.today(), extension_reason="Veel documenten.",
                     suspended_days=3)
    staff = signed_in(app, people)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    shown, why = _rule_ids(page)
    assert shown == [] and "R-DL-5" in why and "R-DL-6" in why
    in_english(staff)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    shown, why = _rule_ids(page)
    assert shown == [] and "R-DL-5" in why
    assert "Why?" in page


def test_consent_section_heading_without_rule_id_after_a_request(app, client, people, run_jobs):
    case_id = submit(client, people.school_a, requester_email="ouder@example.nl", student_birth_date=years_ago(17))
    staff = signed_in(app, people)
    assert send_consent_request(staff, case_id).status_code in (302, 303)
    page = staff.get(f"/zaken/{case_id}").get_data(as_text=True)
    assert _rule_ids(page)[0] == []
    section = _history_section(text_of(staff.get(f"/zaken/{case_id}")))
    assert "Toestemming van de leerling gevraagd door Staff A" in section


def test_no_rule_id_as_text_in_the_register_editor(app, people):
    officer = signed_in(app, people, "privacy")
    page = officer.get("/verwerkingsregister/beheer/categorie/nieuw").get_data(as_text=True)
    shown, why = _rule_ids(page)
    assert shown == [] and "R-CH-8" in why and "R-CH-7" in why
    assert "Alleen bij grondslag toestemming. Wie de toestemming intrekt" in page
