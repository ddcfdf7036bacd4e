"""Snapshot tests of every mail in ``templates/mail/``, rendered with a fixed, in-memory context.

Each variant below is rendered with :func:`dsr.notifications.render.render_mail` from transient
objects (a ``Case`` received on Friday 30 January 2026, due Monday 2 March 2026, reference
AVG-2026-00042, at a fixed ``School``); nothing is read from or written to the database. The subject
and plain text are compared with ``tests/snapshots/mail/<variant>.txt``, so a change in wording
shows up as a readable diff in review.

Updating the snapshots after an intended wording change::

    DSR_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_mail_snapshots.py -p no:cacheprovider
    git diff tests/snapshots/        # read every changed mail before committing it

In update mode the files are (re)written and stale ones removed instead of compared; run once more
without the variable to check that the snapshots match.

Every variant is also rendered in English, as ``<variant>_en`` (``templates/mail/en/<kind>.txt``, for a
requester who used the English form): every Dutch mail kind must have an English text, the English
snapshots are reviewed like the Dutch ones, and both languages must carry the same links and the
same facts. Besides the snapshots, each mail kind is
checked for what it must contain (reference, deadline, link, the complaint and court routes with the
Autoriteit Persoonsgegevens' postal address in decisions that refuse, ...), and the HTML part is
checked to say exactly what the text part says, escaped, paragraph by paragraph.
"""
from __future__ import annotations

import datetime as dt
import html
import os
import re
from pathlib import Path

import pytest

from dsr import TEMPLATE_DIR
from dsr.models import Case, ManualTask, School, System, User
from dsr.notifications.render import RenderedMail, render_mail
from dsr.templating import long_date
from dsr.workflows import states as S
from dsr.workflows.deadlines import ClockPause, legal_deadline
from dsr.workflows.vocabulary import GRANT, PARTIAL, REFUSAL_GROUNDS, REFUSE

SNAPSHOT_DIR = Path(__file__).parent / "snapshots" / "mail"
MAIL_DIR = TEMPLATE_DIR / "mail"
UPDATE = os.environ.get("DSR_UPDATE_SNAPSHOTS") == "1"

RECEIVED, DUE = dt.date(2026, 1, 30), dt.date(2026, 3, 2)
REFERENCE = "AVG-2026-00042"
CONFIRM_URL = "http://dsr.test/bevestigen/eyJuIjoiZml4ZWQtbm9uY2UifQ.aXyZAA.c2lnbmF0dXJl"
CASE_URL = "http://dsr.test/zaken/42"
CASE_URL_2 = "http://dsr.test/zaken/43"
QUEUE_URL = "http://dsr.test/zaken/"
LETTER_URL = "http://dsr.test/brief/eyJsIjo3LCJuIjoiZml4ZWQifQ.aXyZAA.c2lnbmF0dXJl"
PACKAGE_URL = "http://dsr.test/pakket/eyJwIjozLCJuIjoiZml4ZWQifQ.aXyZAA.c2lnbmF0dXJl"
#: What ``services.letters.send`` gives the mail that announces a letter.
LINK_CONTEXT = {"letter_url": LETTER_URL, "link_days": 30, "link_until": dt.date(2026, 4, 1)}
PORTAL_URL = "http://dsr.test/mijn-verzoek/link/eyJuIjoiZml4ZWQtbm9uY2UifQ.aXyZAA.c2lnbmF0dXJl"
PORTAL_START_URL = "http://dsr.test/mijn-verzoek"
CONSENT_URL = "http://dsr.test/toestemming/eyJjIjo3LCJuIjoiZml4ZWQifQ.aXyZAA.c2lnbmF0dXJl"
#: Fixed so that DSR_* variables in a developer's shell cannot change the snapshots.
FIXED_CONFIG = {"ORGANISATION_NAME": "Almeerse Scholen Groep", "PRIVACY_OFFICER_EMAIL": "ibp@asg.nl",
                "CONFIRM_LINK_MAX_AGE_DAYS": 14, "PORTAL_NOTICE_LINK_DAYS": None,
                "PUBLIC_BASE_URL": "http://dsr.test", "STAFF_DIGEST_MINUTES": 15}
AP_ADDRESS = "Postbus 93374, 2509 AJ Den Haag"


# --------------------------------------------------------------------------- the fixed context

def make_case(**overrides) -> Case:
    """A transient case (never added to a session)."""
    school = School(id=3, code="RGB", name="OBS De Regenboog", active=True)
    values = {
        "id": 42, "reference": REFERENCE, "school": school, "school_id": school.id, "right": "access",
        "state": S.SUBMITTED, "version": 1, "language": "nl", "channel": "web",
        "student_name": "Sam Jansen", "student_birth_date": dt.date(2013, 5, 17), "student_number": None,
        "requester_role": "parent", "requester_name": "Alex Jansen", "requester_email": "alex.jansen@example.nl",
        "requester_phone": None, "parental_authority": True,
        "details": "", "data_concerned": "", "correct_value": "",
        "received_on": RECEIVED, "due_on": DUE, "extended": False, "suspended_days": 0,
    }
    values.update(overrides)
    return Case(**values)


STAFF_MEMBER = User(id=5, name="Fatima Bakker", email="f.bakker@asg.test", role="staff")
DIRECTOR = User(id=6, name="Ingrid Visser", email="i.visser@asg.test", role="director")
PROPOSER = User(id=7, name="Pieter de Boer", email="p.deboer@asg.test", role="staff")


TASK_URL = "http://dsr.test/taak/eyJ0Ijo3LCJuIjoiZml4ZWQifQ.aXyZAA.c2lnbmF0dXJl"
OWNER_SYSTEM = System(id=5, code="leerwijs", name="LeerWijs lesmateriaal", kind="manual",
                      owner_email="support@leerwijs.example")


def owner_task(kind: str) -> ManualTask:
    """A transient manual task of ``OWNER_SYSTEM`` (services.manual_tasks), due in DUE's week."""
    return ManualTask(id=7, case_id=42, system=OWNER_SYSTEM, kind=kind, due_on=dt.date(2026, 2, 13),
                      link_nonce="fixed", reminded="")


def grounds(*keys: str) -> list[str]:
    """The grounds as ``services.cases`` passes them: their labels."""
    return [REFUSAL_GROUNDS[k] for k in keys]


def to_requester(**case) -> dict:
    """The context ``services.cases`` gives every mail to the requester after a workflow step."""
    keys = case.pop("grounds", ())
    return {"case": make_case(**case), "grounds": grounds(*keys), "suspension_counts": False,
            "portal_url": PORTAL_URL}


ANSWER_BY = dt.date(2026, 2, 16)
#: R-DL-6: why the clock pauses per kind (clarification: only with a large amount of data).
PAUSED_BY = {"identity": "identity", "authority": "authority", "clarification": "large_amount_of_data"}


def _info(kind: str, reason: str, counts: bool):
    context = to_requester(state=S.AWAITING_REQUESTER, resume_state=S.SUBMITTED, info_kind=kind, info_reason=reason,
                           info_requested_on=dt.date(2026, 2, 2))
    pause = ClockPause(True, PAUSED_BY[kind]) if counts else ClockPause(False, "clarification_not_large")
    return "information_requested", {**context, "suspension_counts": counts, "clock_pause": pause,
                                     "answer_by": ANSWER_BY}


INFO_REASONS = {
    "identity": "Wij kunnen uw e-mailadres niet terugvinden in onze leerlingadministratie.",
    "authority": "In onze administratie staat u niet als ouder met gezag van Sam.",
    "clarification": "U schrijft dat u \"alles\" wilt inzien. Gaat het om het hele leerlingdossier of alleen om "
                     "de cijfers van dit schooljaar?",
}

#: variant name -> (mail kind, context). Each name is a snapshot file.
VARIANTS: dict[str, tuple[str, dict]] = {
    "receipt": ("receipt", {"case": make_case(), "confirm_url": CONFIRM_URL}),
    "acknowledgement": ("acknowledgement", {"case": make_case()}),
    **{f"information_requested_{kind}_{'suspended' if counts else 'running'}": _info(kind, reason, counts)
       for kind, reason in INFO_REASONS.items() for counts in (True, False)},
    # Decision letters and packages go out as a letter/PDF behind a link (services.letters, services.packages):
    # the mail itself names the reference only.
    "decision_fulfilled": ("decision_fulfilled", {**LINK_CONTEXT, "case": make_case(
        right="rectification", state=S.FULFILLED, decision=GRANT), "letter_title": "Uw verzoek is uitgevoerd"}),
    "decision_refused": ("decision_refused", {**LINK_CONTEXT, "case": make_case(
        state=S.REFUSED, decision=REFUSE, decision_grounds="art12_5,art15_4"),
        "letter_title": "Beslissing op uw verzoek: wij voeren het niet uit"}),
    "decision_partial": ("decision_partial", {**LINK_CONTEXT, "case": make_case(
        state=S.PARTIALLY_FULFILLED, decision=PARTIAL, decision_grounds="art15_4"),
        "letter_title": "Beslissing op uw verzoek: wij voeren het gedeeltelijk uit"}),
    "letter_ready": ("letter_ready", {**LINK_CONTEXT, "case": make_case(), "letter_title": "Ontvangstbevestiging van "
                                                                                          "uw verzoek"}),
    "package_ready": ("package_ready", {"case": make_case(state=S.FULFILLED), "package_url": PACKAGE_URL,
                                        "link_days": 7, "link_until": dt.date(2026, 3, 9)}),
    "extension": ("extension", {
        "case": make_case(state=S.IDENTITY_CHECKED, extended=True, extended_on=dt.date(2026, 2, 20),
                          due_on=legal_deadline(RECEIVED, extended=True),
                          extension_reason="Het leerlingdossier is groot en staat deels op papier in het archief. "
                                           "Wij hebben tijd nodig om alles te verzamelen."),
        "old_due_on": DUE, "portal_url": PORTAL_URL}),
    "reassessed": ("reassessed", to_requester(state=S.LEGAL_BASIS_REVIEWED)),
    # R-DL-6: the answer came in and the pause moved the deadline (services.portal_progress.deadline_moved).
    "deadline_moved": ("deadline_moved", {"case": make_case(state=S.IDENTITY_CHECKED, suspended_days=10,
                                                            due_on=legal_deadline(RECEIVED, suspended_days=10)),
                                          "portal_url": PORTAL_URL}),
    "withdrawn": ("withdrawn", to_requester(state=S.WITHDRAWN)),
    "closed_unverified": ("closed_unverified", to_requester(state=S.CLOSED_UNVERIFIED)),
    "staff_new_case": ("staff_new_case", {
        "case": make_case(right="rectification"), "user": STAFF_MEMBER, "case_url": CASE_URL}),
    # Issue 16 point 4: the digest of new requests, one mail per window per staff member.
    "staff_digest": ("staff_digest", {"user": STAFF_MEMBER, "more": 0, "queue_url": QUEUE_URL, "entries": [
        {"case": make_case(right="rectification"), "url": CASE_URL},
        {"case": make_case(id=43, reference="AVG-2026-00043", due_on=dt.date(2026, 3, 3)), "url": CASE_URL_2}]}),
    "staff_digest_one": ("staff_digest", {"user": STAFF_MEMBER, "more": 0, "queue_url": QUEUE_URL,
                                          "entries": [{"case": make_case(), "url": CASE_URL}]}),
    "staff_digest_more": ("staff_digest", {"user": STAFF_MEMBER, "more": 3, "queue_url": QUEUE_URL,
                                           "entries": [{"case": make_case(), "url": CASE_URL}]}),
    "staff_approval_requested": ("staff_approval_requested", {
        "case": make_case(state=S.AWAITING_DIRECTOR, decision=REFUSE, decision_grounds="art12_5"),
        "user": DIRECTOR, "proposer": PROPOSER, "case_url": CASE_URL}),
    "staff_approval_requested_partial": ("staff_approval_requested", {
        "case": make_case(state=S.AWAITING_DIRECTOR, decision=PARTIAL, decision_grounds="art15_4"),
        "user": DIRECTOR, "proposer": PROPOSER, "case_url": CASE_URL}),
    "staff_approval_decided_approved": ("staff_approval_decided", {
        "case": make_case(state=S.REFUSED, letter_pending=True), "user": PROPOSER, "director": DIRECTOR,
        "approved": True, "letter_pending": True, "reason": "Akkoord, goed onderbouwd.", "case_url": CASE_URL}),
    "staff_approval_decided_rejected": ("staff_approval_decided", {
        "case": make_case(state=S.LEGAL_BASIS_REVIEWED), "user": PROPOSER, "director": DIRECTOR,
        "approved": False, "case_url": CASE_URL,
        "reason": "De namen van medeleerlingen kunnen worden weggelakt; dan kan het verzoek gedeeltelijk "
                  "worden toegewezen."}),
    "staff_deadline_reminder": ("staff_deadline", {
        "case": make_case(state=S.IDENTITY_CHECKED), "user": STAFF_MEMBER,
        "milestone": "reminder_10", "days_left": 10, "case_url": CASE_URL}),
    "staff_deadline_reminder_one_day": ("staff_deadline", {
        "case": make_case(state=S.LEGAL_BASIS_REVIEWED), "user": STAFF_MEMBER,
        "milestone": "reminder_5", "days_left": 1, "case_url": CASE_URL}),
    "staff_deadline_overdue": ("staff_deadline", {
        "case": make_case(state=S.AWAITING_REQUESTER), "user": DIRECTOR,
        "milestone": "overdue", "days_left": 0, "case_url": CASE_URL}),
    # Issue 15: a colleague handed the case to this staff member (services.assignment).
    "staff_assigned": ("staff_assigned", {
        "case": make_case(state=S.IDENTITY_CHECKED), "user": STAFF_MEMBER, "assigned_by": PROPOSER.name,
        "case_url": CASE_URL}),
    "staff_password_reset": ("staff_password_reset", {
        "user": STAFF_MEMBER, "reset_url": "http://dsr.test/medewerkers/wachtwoord/TOKEN"}),
    # The mail to an account the admin made on the web, or to whom the admin sent a new link (services.user_admin).
    "staff_account_created": ("staff_account_created", {
        "user": STAFF_MEMBER, "reset_url": "http://dsr.test/medewerkers/wachtwoord/TOKEN"}),
    # The daily audit checkpoint to the privacy officers (services.audit_checkpoints): numbers and hashes only.
    "staff_audit_checkpoint": ("staff_audit_checkpoint", {"user": STAFF_MEMBER, "checkpoint": {
        "v": 1, "event_id": 4711, "count": 4702, "head": "3f" * 32, "at": "2026-02-02T06:00:00+00:00",
        "key": "1a2b3c4d", "sig": "9e" * 32}}),
    # The requester portal and the student's consent (services.portal, services.consent).
    "portal_link": ("portal_link", {"case": make_case(state=S.IDENTITY_CHECKED), "portal_url": PORTAL_URL,
                                    "minutes": 60}),
    "portal_message": ("portal_message", {"case": make_case(state=S.AWAITING_REQUESTER), "portal_url": PORTAL_URL}),
    **{f"staff_message_{event}": ("staff_message", {
        "case": make_case(state=S.WITHDRAWN if event == "withdrawn" else S.AWAITING_REQUESTER),
        "user": STAFF_MEMBER, "case_url": CASE_URL, "event": event}) for event in ("message", "upload", "withdrawn")},
    "consent_request": ("consent_request", {
        "case": make_case(state=S.IDENTITY_CHECKED, student_birth_date=dt.date(2007, 5, 17)),
        "consent_url": CONSENT_URL, "days": 90}),
    **{f"staff_consent_{event}": ("staff_consent", {
        "case": make_case(state=S.IDENTITY_CHECKED, student_birth_date=dt.date(2007, 5, 17)),
        "user": STAFF_MEMBER, "case_url": CASE_URL, "event": event}) for event in ("given", "declined", "withdrawn")},
    # Manual tasks for the owner of a system or a processor (services.manual_tasks, issue 17): the reference, the
    # system, what is asked, the date and the link; never who the student is.
    **{name: ("owner_task", {"case": make_case(state=S.LEGAL_BASIS_REVIEWED), "system": OWNER_SYSTEM,
                             "task": owner_task(kind), "owner_name": owner, "processor": processor,
                             "task_url": TASK_URL, "renewed": renewed})
       for name, kind, owner, processor, renewed in (
           ("owner_task_deliver", "deliver", "Team Support LeerWijs", True, False),
           ("owner_task_erasure", "confirm_erasure", "", False, False),
           ("owner_task_renewed", "confirm_erasure", "Team Support LeerWijs", True, True))},
    **{f"owner_task_reminder_{name}": ("owner_task_reminder", {
        "case": make_case(state=S.LEGAL_BASIS_REVIEWED), "system": OWNER_SYSTEM, "task": owner_task("deliver"),
        "owner_name": "Team Support LeerWijs", "processor": True, "task_url": TASK_URL, "overdue": overdue,
        "days_left": days}) for name, overdue, days in (("due", False, 3), ("due_1", False, 1), ("overdue", True, 0))},
    **{f"staff_owner_answered_{kind}": ("staff_owner_answered", {
        "case": make_case(state=S.LEGAL_BASIS_REVIEWED), "user": STAFF_MEMBER, "case_url": CASE_URL,
        "system": OWNER_SYSTEM, "task": owner_task(kind)}) for kind in ("deliver", "confirm_erasure")},
}

#: Mails that announce a letter or a package: the reference and a link, no personal data (issue 4).
LINK_KINDS = {"decision_fulfilled", "decision_refused", "decision_partial", "letter_ready", "package_ready"}
REQUESTER_KINDS = {"receipt", "acknowledgement", "information_requested", "decision_fulfilled", "decision_refused",
                   "decision_partial", "withdrawn", "closed_unverified", "extension", "reassessed",
                   "letter_ready", "package_ready",
                   "portal_link", "portal_message", "deadline_moved"}
#: Mails to an address nobody has confirmed yet: the reference and the confirmation link, nothing typed in
#: (issue 13: anyone can type any address into the public form).
UNCONFIRMED_KINDS = {"receipt"}
#: Mails to the student (the data subject) at the address staff entered for a consent request.
STUDENT_KINDS = {"consent_request"}
#: Mails to the owner of a system or a processor about a manual task (issue 17).
OWNER_KINDS = {"owner_task", "owner_task_reminder"}
#: Requester mails that only say there is news and link into the portal (issue 5: no case content).
LINK_ONLY_KINDS = {"portal_message", "reassessed", "withdrawn", "closed_unverified", "deadline_moved"}
#: Requester mails that carry the reference and the portal link and nothing else: not even the name, the
#: school or the new date (issue 14 point 6: the page says what changed and why).
REFERENCE_AND_LINK_KINDS = {"deadline_moved"}


#: The suffix of a variant rendered in English.
EN = "_en"
#: Every variant in Dutch and in English.
ALL_VARIANTS = sorted(VARIANTS) + sorted(name + EN for name in VARIANTS)
EN_MAIL_DIR = MAIL_DIR / "en"


def variant(name: str) -> tuple[str, dict, str]:
    """(kind, context, language) of a variant name; ``<name>_en`` is ``<name>`` in English."""
    if name.endswith(EN) and name not in VARIANTS:
        kind, context = VARIANTS[name[:-len(EN)]]
        return kind, context, "en"
    kind, context = VARIANTS[name]
    return kind, context, "nl"


@pytest.fixture
def render(app, monkeypatch):
    """Render a variant inside an app context with the fixed configuration."""
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)

    def _render(name: str) -> RenderedMail:
        kind, context, language = variant(name)
        with app.app_context():
            return render_mail(kind, language=language, **context)

    return _render


def snapshot_text(mail: RenderedMail) -> str:
    return f"Subject: {mail.subject}\n\n{mail.text}"


def html_paragraphs(body: str) -> list[str]:
    """The text of each ``<p>`` of the HTML part: a link's button as its href, other tags dropped,
    ``<br>`` as line break, unescaped."""
    paragraphs = re.findall(r"<p>(.*?)</p>", body, re.DOTALL)
    as_href = [re.sub(r'<a href="([^"]+)"[^>]*>[^<]*</a>', r"\1", p) for p in paragraphs]
    return [html.unescape(re.sub(r"<[^>]+>", "", p.replace("<br>\n", "\n"))) for p in as_href]


def text_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------- snapshots

def test_the_fixed_dates_are_legally_consistent():
    assert legal_deadline(RECEIVED) == DUE  # 30 Jan + 1 month = Sat 28 Feb -> Mon 2 Mar
    assert long_date(RECEIVED) == "vrijdag 30 januari 2026" and long_date(DUE) == "maandag 2 maart 2026"


def test_every_mail_kind_has_a_variant():
    kinds = {p.stem for p in MAIL_DIR.glob("*.txt") if not p.name.startswith("_")}
    assert kinds == {kind for kind, _ in VARIANTS.values()}
    assert kinds == REQUESTER_KINDS | STUDENT_KINDS | OWNER_KINDS | {k for k in kinds if k.startswith("staff_")}


@pytest.mark.parametrize("name", ALL_VARIANTS)
def test_mail_matches_snapshot(render, name):
    mail = render(name)
    path = SNAPSHOT_DIR / f"{name}.txt"
    if UPDATE:
        SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot_text(mail), encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no snapshot {path}; run with DSR_UPDATE_SNAPSHOTS=1 to create it"
    assert snapshot_text(mail) == path.read_text(encoding="utf-8"), \
        f"{name} differs from its snapshot; if intended, run with DSR_UPDATE_SNAPSHOTS=1 and review the diff"


def test_no_stale_snapshots():
    files = {p.stem for p in SNAPSHOT_DIR.glob("*.txt")} if SNAPSHOT_DIR.exists() else set()
    stale = files - set(ALL_VARIANTS)
    if UPDATE:
        for name in stale:
            (SNAPSHOT_DIR / f"{name}.txt").unlink()
        return
    assert not stale, f"snapshots without a variant: {sorted(stale)}"


# --------------------------------------------------------------------------- form of every mail

@pytest.mark.parametrize("name", ALL_VARIANTS)
def test_subject_text_and_html_agree(render, name):
    mail = render(name)
    assert mail.subject and "\n" not in mail.subject and "\r" not in mail.subject
    if "case" in variant(name)[1]:
        assert REFERENCE in mail.subject
    assert mail.text.endswith("\n") and not mail.text.startswith("\n")
    assert "\n\n\n" not in mail.text, "no double blank lines"
    assert not re.search(r"[ \t]+\n", mail.text), "no trailing spaces"
    assert "{{" not in mail.text and "{%" not in mail.text and "None" not in mail.text
    assert html_paragraphs(mail.html) == text_paragraphs(mail.text)
    assert f'<html lang="{variant(name)[2]}">' in mail.html
    assert f"<title>{html.escape(mail.subject, quote=False)}</title>" in mail.html
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', mail.html)]
    assert hrefs == re.findall(r"https?://\S+", mail.text), "every link is a button in the HTML part"


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items()
                                         if kind in REQUESTER_KINDS - LINK_KINDS - UNCONFIRMED_KINDS
                                         - REFERENCE_AND_LINK_KINDS))
def test_requester_mails_are_personal_signed_and_free_of_internal_codes(render, name):
    mail = render(name)
    assert mail.text.startswith("Beste Alex Jansen,\n")
    assert "Met vriendelijke groet" in mail.text and "OBS De Regenboog" in mail.text
    assert "ibp@asg.nl" in mail.text and f"Noem altijd uw kenmerk {REFERENCE}" in mail.text
    assert not re.search(r"\bR-[A-Z]{2}-\d", mail.text), "internal rule numbers mean nothing to a parent"


@pytest.mark.parametrize("name", sorted(n for n, (kind, ctx) in VARIANTS.items()
                                         if kind not in REQUESTER_KINDS and "case_url" in ctx))
def test_staff_mails_link_to_the_case_and_carry_no_personal_data(render, name):
    _, context = VARIANTS[name]
    mail = render(name)
    assert mail.text.startswith(f"Beste {context['user'].name},\n")
    assert CASE_URL in mail.text
    for personal in ("Sam Jansen", "Alex Jansen", "alex.jansen@example.nl", "2013"):
        assert personal not in mail.text and personal not in mail.subject


@pytest.mark.parametrize("name", ["staff_digest", "staff_digest_one", "staff_digest_more"])
def test_staff_digest_lists_each_case_with_its_link_and_no_personal_data(render, name):
    """Issue 16 point 4: what staff_new_case shows of a case (reference, school, right, deadline, link), per
    case, and nothing more: no name, no address, no birth date."""
    _, context = VARIANTS[name]
    for mail in (render(name), render(name + EN)):
        for entry in context["entries"]:
            assert entry["case"].reference in mail.text and entry["url"] in mail.text
            assert long_date(entry["case"].due_on, mail.language) in mail.text
        assert "OBS De Regenboog" in mail.text
        for personal in TYPED_IN:
            assert personal not in mail.text and personal not in mail.subject
        assert (QUEUE_URL in mail.text.splitlines()) == bool(context["more"])
    assert render("staff_digest").subject == "2 nieuwe AVG-verzoeken"
    assert render("staff_digest_one").subject == f"Nieuw AVG-verzoek {REFERENCE}"
    assert render("staff_digest_more" + EN).subject == "4 new GDPR requests"


# --------------------------------------------------------------------------- what each kind must say

#: What the requester typed into the form, as make_case holds it.
TYPED_IN = ("Alex Jansen", "Sam Jansen", "alex.jansen@example.nl", "2013")


@pytest.mark.parametrize("name", ["receipt", "receipt" + EN])
def test_receipt_holds_the_reference_and_the_confirmation_link_only(render, name):
    """Issue 13: the receipt goes to whatever address was typed in, so nothing typed in is in it."""
    mail = render(name)
    assert REFERENCE in mail.subject and REFERENCE in mail.text
    assert link_in_text(mail.text) == CONFIRM_URL, "the confirmation link comes first (it also opens the portal)"
    for typed in TYPED_IN:
        assert typed not in mail.subject and typed not in mail.text and typed not in mail.html
    assert "Inzage" not in mail.text and "Access" not in mail.text, "not even the kind of request"
    assert "vrijdag 30 januari 2026" not in mail.text and "Friday 30 January 2026" not in mail.text
    assert "14 " in mail.text, "the reader knows how long the link works"
    assert PORTAL_START_URL in mail.text, "and where to ask for a new one"


def test_acknowledgement_contents(render):
    """Sent once the address is confirmed: the name, the dates and the deadline."""
    mail = render("acknowledgement")
    assert mail.subject == f"Ontvangstbevestiging van uw verzoek {REFERENCE}"
    text = mail.text
    assert REFERENCE in text and "vrijdag 30 januari 2026" in text and "maandag 2 maart 2026" in text
    assert "OBS De Regenboog" in text and CONFIRM_URL not in text
    assert "Sam Jansen" not in text and "Inzage" not in text, "no case content in mails (issue 5)"
    assert PORTAL_START_URL in text and "Mijn verzoek" in text


@pytest.mark.parametrize("kind", sorted(INFO_REASONS))
def test_information_requested_contents(render, kind):
    suspended, running = render(f"information_requested_{kind}_suspended"), \
        render(f"information_requested_{kind}_running")
    for mail in (suspended, running):
        # Issue 11 point 7: the mail carries the reference and a link, never what staff typed.
        assert REFERENCE in mail.subject and INFO_REASONS[kind] not in mail.text
        # R-ID-6: the answer-by date and what happens without an answer.
        assert long_date(ANSWER_BY) in mail.text and "nieuw verzoek" in mail.text
    assert "staat de termijn" in suspended.text and "stil" in suspended.text
    assert "maandag 2 maart 2026" not in suspended.text
    assert "loopt gewoon door" in running.text and "maandag 2 maart 2026" in running.text
    if kind == "identity":
        assert "geen kopie van uw identiteitsbewijs" in suspended.text


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items() if kind in LINK_KINDS))
def test_letter_and_package_mails_carry_the_reference_and_a_link_only(render, name):
    """Issue 4: the decision, the grounds and every personal detail are in the letter behind the link
    (tests/test_letter_snapshots.py checks the letters); the mail names the reference only."""
    _, context = VARIANTS[name]
    mail = render(name)
    assert REFERENCE in mail.subject and REFERENCE in mail.text
    assert mail.text.startswith("Goedendag,\n") and "Met vriendelijke groet" in mail.text
    assert (context.get("letter_url") or context.get("package_url")) in mail.text
    for personal in ("Sam Jansen", "Alex Jansen", "alex.jansen@example.nl", "2013", "OBS De Regenboog"):
        assert personal not in mail.text and personal not in mail.subject, personal
    assert "geen persoonlijke gegevens" in mail.text
    assert f"{context['link_days']} dagen" in mail.text and long_date(context["link_until"]) in mail.text
    assert not re.search(r"\bR-[A-Z]{2}-\d", mail.text)


def test_decision_mails_say_what_kind_of_decision(render):
    assert "gedeeltelijk" in render("decision_partial").text
    assert "uitgevoerd" in render("decision_fulfilled").subject
    assert "Beslissing" in render("decision_refused").subject
    assert "ontvangstbevestiging van uw verzoek" in render("letter_ready").text
    package = render("package_ready").text
    assert "bevestigd" in package and "Zes maanden" in package


STAFF_TEXT = "STAFF-FREE-TEXT-7f3a"


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items() if kind in REQUESTER_KINDS))
def test_requester_mails_never_carry_staff_free_text(app, monkeypatch, name):
    """Issue 11 point 7: whatever staff typed (the information request's why, the note to the approver, the
    explanation for the requester, the extension's reasons, the approver's reason) is never in a mail to
    the requester: those mails carry the reference and a link."""
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    kind, context = VARIANTS[name]
    case = context["case"]
    fields = ("info_reason", "proposal_reason", "requester_explanation", "fulfilment_note", "extension_reason",
              "review_note", "director_reason")
    saved = {f: getattr(case, f) for f in fields}
    try:
        for f in fields:
            setattr(case, f, f"{STAFF_TEXT} {f}")
        with app.app_context():
            for language in ("nl", "en"):
                mail = render_mail(kind, **{**context, "reason": f"{STAFF_TEXT} reason", "language": language})
                assert STAFF_TEXT not in mail.subject + mail.text + mail.html, (name, language)
    finally:
        for f, value in saved.items():
            setattr(case, f, value)


def test_extension_gives_old_and_new_date_and_points_to_the_reason(render):
    _, context = VARIANTS["extension"]
    text = render("extension").text
    assert long_date(context["case"].due_on) in text and long_date(DUE) in text
    # Issue 11 point 7: staff's explanation is in the portal and the letter, not in the mail.
    assert context["case"].extension_reason not in text and "Mijn verzoek" in text and "twee maanden" in text
    assert "Autoriteit Persoonsgegevens" in text


def test_reassessed_keeps_the_deadline(render):
    text = render("reassessed").text
    assert "opnieuw" in text and "maandag 2 maart 2026" in text


def test_withdrawn_and_closed_say_a_new_request_is_possible(render):
    assert "ingetrokken" in render("withdrawn").text and "nieuw verzoek" in render("withdrawn").text
    closed = render("closed_unverified").text
    assert "niet ontvangen" in closed and "opnieuw een verzoek" in closed


def test_staff_mails_contents(render):
    new_case = render("staff_new_case").text
    assert "maandag 2 maart 2026" in new_case and "Soort verzoek: Rectificatie (wijzigen)" in new_case
    requested = render("staff_approval_requested")
    assert "Pieter de Boer" in requested.text and "gedeeltelijk" not in requested.text + requested.subject
    partial = render("staff_approval_requested_partial")
    assert "gedeeltelijk te weigeren" in partial.text and "gedeeltelijke weigering" in partial.subject
    approved = render("staff_approval_decided_approved")
    assert approved.subject.endswith("goedgekeurd")
    # Issue 11 point 9: approved is not sent; the mail says the letter still has to go.
    assert "heeft de beslissing ontvangen" not in approved.text and "nog niet verstuurd" in approved.text
    assert render("staff_approval_decided_rejected").subject.endswith("afgewezen")
    assert "weggelakt" in render("staff_approval_decided_rejected").text
    assert "nog 10 werkdagen" in render("staff_deadline_reminder").text
    assert "nog 1 werkdag over" in render("staff_deadline_reminder_one_day").text
    overdue = render("staff_deadline_overdue")
    assert overdue.subject.startswith("Termijn verstreken") and "verstreken op maandag 2 maart 2026" in overdue.text


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items() if kind.startswith("owner_task")))
def test_owner_task_mails_name_the_task_date_and_link_but_not_the_student(render, name):
    """Issue 17: the owner's mail says what is asked, by when, and links to the page that shows who the student
    is; the mail itself names no student (name, number, birth date)."""
    _, context = VARIANTS[name]
    mail = render(name)
    assert TASK_URL in mail.text and REFERENCE in mail.subject and "LeerWijs lesmateriaal" in mail.subject
    assert "vrijdag 13 februari 2026" in mail.text
    for personal in ("Sam Jansen", "Alex Jansen", "alex.jansen@example.nl", "2013"):
        assert personal not in mail.text and personal not in mail.subject
    assert ("artikel 28, lid 3, onder e, AVG" in mail.text) == context["processor"]
    if kind_of(name) == "owner_task":
        assert context["task"].kind_label.lower() in mail.text.lower()
        assert ("eerdere link" in mail.text) == bool(context.get("renewed"))


def kind_of(name: str) -> str:
    return VARIANTS[name][0]


def test_owner_task_reminders_say_how_long_is_left_or_that_it_passed(render):
    assert "nog 3 werkdagen" in render("owner_task_reminder_due").text
    assert "nog 1 werkdag." in render("owner_task_reminder_due_1").text
    overdue = render("owner_task_reminder_overdue")
    assert overdue.subject.startswith("Termijn verstreken") and "is verstreken" in overdue.text


# --------------------------------------------------------------------------- English

#: Words that give a Dutch sentence away (whole words), for mails that should be English.
DUTCH_WORDS = ("Beste", "uw", "Uw", "verzoek", "wij", "Wij", "het", "een", "niet", "naar", "groet", "dagen",
               "uiterlijk", "kenmerk", "termijn", "Bekijk", "leerling")


def _without_context_texts(text: str, context: dict) -> str:
    """``text`` minus links and what staff or the requester wrote (quoted as written, in any language)."""
    text = re.sub(r"https?://\S+", " ", text)
    case = context.get("case")
    written = [getattr(case, field, None) for field in (
        "info_reason", "proposal_reason", "fulfilment_note", "extension_reason", "data_concerned",
        "correct_value", "details")] + [context.get("reason"), context.get("letter_title"), "OBS De Regenboog",
                                        "Almeerse Scholen Groep"]
    for value in written:
        if value:
            text = text.replace(value, " ").replace(value.lower(), " ")
    return text


def test_every_dutch_mail_kind_has_an_english_text():
    dutch = {p.name for p in MAIL_DIR.glob("*.txt")}
    english = {p.name for p in EN_MAIL_DIR.glob("*.txt")}
    assert sorted(dutch - english) == [], "write templates/mail/en/<kind>.txt for these"
    assert sorted(english - dutch) == [], "English texts without a Dutch one"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_english_mail_is_english(render, name):
    mail = render(name + EN)
    assert mail.language == "en"
    text = _without_context_texts(f"{mail.subject}\n{mail.text}", variant(name)[1])
    dutch = [w for w in DUTCH_WORDS if re.search(rf"(?<!\w){w}(?!\w)", text)]
    assert dutch == [], f"Dutch words in {name}{EN}: {dutch}"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_english_and_dutch_mails_carry_the_same_links_and_facts(render, name):
    """The same links, reference and quoted texts in both languages: a change to one language's text
    that adds or drops a link or a fact fails here until the other language follows."""
    dutch, english = render(name), render(name + EN)
    assert re.findall(r"https?://\S+", english.text) == re.findall(r"https?://\S+", dutch.text)
    assert english.text.count(REFERENCE) == dutch.text.count(REFERENCE)
    assert (REFERENCE in english.subject) == (REFERENCE in dutch.subject)
    context = variant(name)[1]
    case = context.get("case")
    for value in [getattr(case, f, None) for f in ("info_reason", "proposal_reason", "fulfilment_note",
                                                   "extension_reason")] + [context.get("reason")]:
        if value and value in dutch.text:
            assert value in english.text
    for address in ("ibp@asg.nl", "alex.jansen@example.nl"):
        assert (address in english.text) == (address in dutch.text)


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items() if kind in REQUESTER_KINDS))
def test_english_requester_mails_are_personal_and_signed(render, name):
    dutch, english = render(name), render(name + EN)
    if dutch.text.startswith("Beste Alex Jansen,\n"):
        assert english.text.startswith("Dear Alex Jansen,\n")
    if "Met vriendelijke groet" in dutch.text:
        assert "Kind regards" in english.text
    assert not re.search(r"\bR-[A-Z]{2}-\d", english.text), "internal rule numbers mean nothing to a parent"


def test_english_dates_and_labels(render):
    receipt = render("acknowledgement" + EN)
    assert receipt.subject == f"Acknowledgement of your request {REFERENCE}"
    assert "Friday 30 January 2026" in receipt.text and "Monday 2 March 2026" in receipt.text
    staff = render("staff_new_case" + EN).text
    assert "Type of request: Rectification (correction)" in staff and "Monday 2 March 2026" in staff
    assert "Current status: legally reviewed." in render("staff_deadline_reminder_one_day" + EN).text


def test_a_kind_without_a_text_in_the_language_is_sent_in_dutch(app, monkeypatch):
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "LANGUAGES", ["nl", "en", "de"])  # no templates/mail/de/
    with app.app_context():
        mail = render_mail("withdrawn", language="de", case=make_case(state=S.WITHDRAWN))
    assert mail.language == "nl" and mail.text.startswith("Beste ")


# --------------------------------------------------------------------------- escaping

HOSTILE = "<script>alert(1)</script> & \"quotes\" 'single'"


def test_html_part_escapes_everything_user_supplied(app, monkeypatch):
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    case = make_case(requester_name=HOSTILE, state=S.REFUSED, proposal_reason=HOSTILE + "\nregel twee",
                     info_reason=HOSTILE, info_kind="clarification", fulfilment_note=HOSTILE)
    with app.app_context():
        for kind in ("acknowledgement", "information_requested"):  # decision mails show no user text at all
            mail = render_mail(kind, case=case, confirm_url=CONFIRM_URL, grounds=[HOSTILE],
                               suspension_counts=False)
            assert "<script>" not in mail.html, kind
            assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34; &#39;single&#39;" in mail.html, kind
            assert HOSTILE in mail.text, "the plain text part shows what was typed"
            assert html_paragraphs(mail.html) == text_paragraphs(mail.text), kind


def test_a_link_inside_user_text_cannot_break_out_of_the_anchor(app):
    case = make_case(requester_name='x http://evil.test/"onmouseover="alert(1) y')
    with app.app_context():
        mail = render_mail("acknowledgement", case=case)
    assert 'onmouseover="' not in mail.html and '"onmouseover' not in mail.html


@pytest.mark.parametrize("typed", ["http://evil.example/login", "https://dsr.test.evil.example/x",
                                   "http://dsr.test@evil.example/"])
def test_only_the_apps_own_links_become_clickable(app, typed):
    """Issue 13: an address typed into a form is never made a link in a mail sent from the school."""
    case = make_case(requester_name=f"Alex {typed}", info_reason=f"Zie {typed}", info_kind="clarification")
    with app.app_context():
        for kind in ("acknowledgement", "information_requested"):
            mail = render_mail(kind, case=case, suspension_counts=False)
            assert typed in mail.text and typed in html.unescape(mail.html)
            assert f'href="{typed}' not in mail.html and "evil.example\">" not in mail.html, kind
            assert re.findall(r'<a href="([^"]+)"', mail.html), "the app's own links still are"
            assert all(url.startswith("http://dsr.test/") for url in re.findall(r'<a href="([^"]+)"', mail.html))


def test_password_reset_mail_has_the_link_and_says_what_to_do_if_unasked(render):
    mail = render("staff_password_reset")
    assert "http://dsr.test/medewerkers/wachtwoord/TOKEN" in mail.text
    assert "één uur en één keer" in mail.text and "niet zelf gevraagd" in mail.text


# --------------------------------------------------------------------------- portal and consent mails

def link_in_text(text: str) -> str:
    return re.search(r"https?://\S+", text).group(0)


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in VARIANTS.items() if kind in LINK_ONLY_KINDS))
def test_news_mails_carry_the_reference_and_a_link_only(render, name):
    mail = render(name)
    assert REFERENCE in mail.subject and REFERENCE in mail.text
    assert link_in_text(mail.text) == PORTAL_URL and "één keer" in mail.text
    assert PORTAL_START_URL in mail.text, "an expired link is not a dead end"
    for content in ("Sam Jansen", "Inzage", "2013", "alex.jansen@example.nl", "leerling ouder"):
        assert content not in mail.text and content not in mail.subject


@pytest.mark.parametrize("name", ["deadline_moved", "deadline_moved" + EN])
def test_deadline_moved_mail_holds_the_reference_and_the_portal_link_only(render, name):
    """Issue 14 point 6: a suspension moved the deadline; the mail says so and links to the portal,
    where the new date and the reason are. No name, no school, no date, no other link."""
    mail = render(name)
    _, context = VARIANTS["deadline_moved"]
    assert REFERENCE in mail.subject and REFERENCE in mail.text
    assert link_in_text(mail.text) == PORTAL_URL
    assert set(re.findall(r"https?://\S+", mail.text)) == {PORTAL_URL, PORTAL_START_URL}
    for content in (*TYPED_IN, "OBS De Regenboog", long_date(context["case"].due_on, "nl"),
                    long_date(context["case"].due_on, "en"), long_date(DUE, "nl"), long_date(DUE, "en"), "10 "):
        assert content not in mail.text and content not in mail.subject, content


@pytest.mark.parametrize("name", ["information_requested_identity_suspended", "extension"])
def test_mails_with_legal_content_also_link_to_the_portal(render, name):
    text = render(name).text
    assert PORTAL_URL in text and "Mijn verzoek" in text
    assert "Sam Jansen" not in text


def test_information_request_asks_for_answers_through_the_portal_not_by_mail(render):
    text = render("information_requested_authority_running").text
    assert "stuur geen stukken per e-mail" in text and "door op deze e-mail te antwoorden" not in text


def test_portal_link_mail(render):
    mail = render("portal_link")
    assert link_in_text(mail.text) == PORTAL_URL and "60 minuten en één keer" in mail.text
    assert "niet zelf gevraagd" in mail.text and "Sam Jansen" not in mail.text


def test_portal_message_mail_has_no_message_content(render):
    mail = render("portal_message")
    assert "staat de inhoud niet in deze e-mail" in mail.text and PORTAL_URL in mail.text


def test_staff_message_mails_name_the_event(render):
    assert render("staff_message_message").subject == f"Nieuw bericht: {REFERENCE}"
    assert render("staff_message_upload").subject == f"Nieuw bestand: {REFERENCE}"
    assert "ingetrokken" in render("staff_message_withdrawn").text
    assert render("staff_consent_given").subject == f"Toestemming leerling gegeven: {REFERENCE}"
    assert render("staff_consent_withdrawn").subject.startswith("Toestemming leerling ingetrokken")


def test_consent_request_mail_to_the_student(render):
    mail = render("consent_request")
    text = mail.text
    assert text.startswith("Beste leerling,\n") and link_in_text(text) == CONSENT_URL
    assert "90 dagen" in text and "intrekken" in text and "weigeren" in text
    for personal in ("Sam Jansen", "Alex Jansen", "alex.jansen@example.nl", "2007", "Inzage"):
        assert personal not in text and personal not in mail.subject, "a mistyped address leaks nothing"
    assert "Met vriendelijke groet" in text and "OBS De Regenboog" in text
