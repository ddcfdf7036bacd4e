"""Every link in every mail works (issue 14 point 1).

A parent on a phone taps whatever the mail client made clickable. In the text part that is everything
from ``http`` up to the next space, so a full stop glued to a link ("… op http://…/mijn-verzoek.") opened
a page that does not exist. Here every mail kind of ``tests/test_mail_snapshots.py`` is rendered in Dutch
and in English with real links, made by the app for a real case (a receipt's confirmation link of a case
not yet confirmed, a fresh portal link, the letter and package links of a fulfilled access request, a
student's consent link, a staff member's password reset); then every URL of the text part and every href
of the HTML part is opened, as the requester or as signed-in staff, and must give a page: 200, or a
redirect to a page that gives 200. Never a 404, a 400 for a broken token, or a 500.

The text part keeps each link on a line of its own with nothing after it; the HTML part has exactly the
same links, as buttons.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import Case, ConnectorRun, RegisterCategory, System, SystemCategory
from dsr.notifications.render import render_mail
from dsr.services import letters, manual_tasks, packages, portal, signin
from dsr.services.links import external_url
from dsr.services.register import seed_register
from dsr.services.transaction import transaction
from tests.helpers import signed_in, step, submit
from tests.integration.helpers import (
    STUDENT,
    body,
    delivered_package,
    letters_of,
    mails_to,
    package_of,
    send_consent_request,
    years_ago,
)
from tests.test_mail_snapshots import DIRECTOR, FIXED_CONFIG, STAFF_MEMBER, VARIANTS, make_case

BASE = FIXED_CONFIG["PUBLIC_BASE_URL"]
#: What a mail client makes clickable in a plain-text mail: from http up to the next space.
CLICKABLE = re.compile(r"https?://\S+")
#: The context keys through which a service hands a mail its links.
URL_KEYS = ("confirm_url", "portal_url", "letter_url", "package_url", "consent_url", "case_url", "reset_url",
            "task_url")
#: Links that work once: each mail gets a fresh one.
ONE_TIME = ("confirm_url", "portal_url", "consent_url")


def text_links(text: str) -> list[str]:
    """Every clickable URL in a text part; each must stand on a line of its own, with nothing glued to it."""
    for line in text.splitlines():
        if CLICKABLE.search(line):
            assert CLICKABLE.fullmatch(line), f"a link shares its line, so a mail client may take more: {line!r}"
    return CLICKABLE.findall(text)


def html_links(part: str) -> list[str]:
    """Every href in an HTML part, unescaped; no URL may stand in it as linkable prose."""
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', part)]
    prose = re.sub(r"<a [^>]*>[^<]*</a>", "", part)
    assert not CLICKABLE.search(html.unescape(prose)), "a link outside a button or anchor"
    return hrefs


@pytest.fixture
def categories(app):
    """The seeded register (category code -> id), for the access package's document."""
    with app.app_context():
        seed_register()
        db.session.commit()
        return {c.code: c.id for c in db.session.execute(sa.select(RegisterCategory)).scalars()}


class RealLinks:
    """Links made by the app for real cases, handed out as a service would hand them to a mail."""

    def __init__(self, app, client, people, categories, smtp_server, run_jobs):
        self.app, self.people, self.smtp, self.run_jobs = app, people, smtp_server, run_jobs
        self.case_id, _, _ = delivered_package(app, client, people, categories, smtp_server, run_jobs,
                                               email="links@example.nl")
        self.staff = signed_in(app, people)
        self.adult_case = submit(client, people.school_a, requester_email="volwassen@example.nl",
                                 student_birth_date=years_ago(19))
        assert step(self.staff, app, self.adult_case, "verify_identity", method="portal",
                    authority="yes").status_code == 302
        [letter, *_] = letters_of(app, self.case_id)
        package = package_of(app, self.case_id)
        with app.app_context():
            self.fixed = {
                "letter_url": letters.letter_url(letter),
                "package_url": packages.package_url(package),
                "case_url": external_url("staff.case", case_id=self.case_id),
            }
        self.receipts = 0

    def url(self, key: str) -> str:
        if key in self.fixed:
            return self.fixed[key]
        return getattr(self, key)()

    def confirm_url(self) -> str:
        """The confirmation link of a new request, from its receipt (the address is not yet confirmed)."""
        self.receipts += 1
        address = f"bevestig{self.receipts}@example.nl"
        submit(self.app.test_client(), self.people.school_a, requester_email=address)
        self.run_jobs()
        [receipt] = mails_to(self.smtp, address)
        return re.search(r"https?://\S+/bevestigen/\S+", body(receipt)).group(0)

    def portal_url(self) -> str:
        """A fresh single-use link into Mijn verzoek, as a news mail carries it."""
        with self.app.app_context():
            url = portal.notice_link(db.session.get(Case, self.case_id))
            db.session.commit()
        return url

    def consent_url(self) -> str:
        """A new consent request's link, from the mail to the student."""
        assert send_consent_request(self.staff, self.adult_case).status_code == 302
        self.run_jobs()
        return re.search(r"https?://\S+/toestemming/\S+", body(mails_to(self.smtp, STUDENT)[-1])).group(0)

    def task_url(self) -> str:
        """The link of a manual task for a system's owner (issue 17), on the open adult case."""
        with self.app.app_context():
            with transaction():
                category = db.session.execute(sa.select(RegisterCategory).where(
                    RegisterCategory.code == "cijfers")).scalar_one()
                system = db.session.execute(sa.select(System).where(System.code == "links")).scalar()
                if system is None:
                    system = System(code="links", name="Links", kind="manual", owner_email="owner@example.nl",
                                    mappings=[SystemCategory(category=category)])
                    db.session.add(system)
                    db.session.flush()
                run = db.session.execute(sa.select(ConnectorRun).where(ConnectorRun.system_id == system.id)).scalar()
                if run is None:
                    run = ConnectorRun(case_id=self.adult_case, system_id=system.id, purpose="collect")
                    db.session.add(run)
                    db.session.flush()
                url = manual_tasks.task_url(manual_tasks.open_task(run, "deliver"))
        return url

    def reset_url(self) -> str:
        """A staff member's password-reset link, from the mail."""
        address = self.people.email["staff_a2"]
        with self.app.app_context():
            signin.request_password_reset(address, lambda token: external_url("auth.reset_password", token=token))
        self.run_jobs()
        return re.search(r"https?://\S+/wachtwoord/\S+", body(mails_to(self.smtp, address)[-1])).group(0)


def opens_a_page(browser, url: str) -> int:
    """The status of the page ``url`` leads to: one redirect is followed (a link that opens a session
    then drops its token from the address bar)."""
    assert url.startswith(BASE + "/"), url
    response = browser.get(url[len(BASE):])
    if response.status_code in (302, 303):
        location = urlsplit(response.headers["Location"])
        assert not location.netloc or BASE.endswith(location.netloc), "a redirect stays on the site"
        response = browser.get(location.path + (f"?{location.query}" if location.query else ""))
    return response.status_code


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_link_in_every_mail_opens_a_page(app, client, people, categories, smtp_server, run_jobs,
                                               monkeypatch, language):
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    links = RealLinks(app, client, people, categories, smtp_server, run_jobs)
    opened: dict[str, int] = {}
    broken = []
    for name, (kind, context) in sorted(VARIANTS.items()):
        real = {key: links.url(key) for key in URL_KEYS if key in context}
        if "entries" in context:  # a digest (issue 16): a link to each case, and one to the queue
            real["entries"] = [{**entry, "url": links.url("case_url")} for entry in context["entries"]]
            with app.app_context():
                real["queue_url"] = external_url("staff.queue")
        with app.app_context():
            mail = render_mail(kind, language=language, **{**context, **real})
        in_text, in_html = text_links(mail.text), html_links(mail.html)
        assert in_html == in_text, f"{name}: the HTML part has exactly the links of the text part"
        handed = {url for url in real.values() if isinstance(url, str)}
        handed |= {entry["url"] for entry in real.get("entries", [])}
        handed -= set() if context.get("more") else {real.get("queue_url")}
        assert set(in_text) >= handed, f"{name}: the links handed to the mail are in it"
        for url in dict.fromkeys(in_text):
            one_time = any(real.get(key) == url for key in ONE_TIME)
            if url in opened and not one_time:
                continue
            staff_page = urlsplit(url).path.startswith("/zaken/")
            opened[url] = opens_a_page(links.staff if staff_page else app.test_client(), url)
            if opened[url] != 200:
                broken.append(f"{name} ({language}): {url} -> {opened[url]}")
    assert not broken, "links in mails that do not open a page:\n" + "\n".join(broken)


def test_a_link_in_a_sentence_is_never_made_clickable(app, monkeypatch):
    """Only a link on its own line becomes a button; in a sentence it stays text (and a template that
    puts one there fails the test above)."""
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        mail = render_mail("staff_approval_decided", case=make_case(), user=STAFF_MEMBER, director=DIRECTOR,
                           approved=False,
                           reason=f"Zie {BASE}/mijn-verzoek.", case_url=f"{BASE}/zaken/42")
    assert re.findall(r'<a href="([^"]+)"', mail.html) == [f"{BASE}/zaken/42"]
    assert f"Zie {BASE}/mijn-verzoek." in html.unescape(mail.html)


@pytest.mark.parametrize(("language", "label"), [("nl", "Bevestig uw e-mailadres"),
                                                ("en", "Confirm your email address")])
def test_a_button_says_where_it_leads_in_the_language_of_the_mail(app, monkeypatch, language, label):
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    confirm_url = f"{BASE}/bevestigen/TOKEN"
    with app.app_context():
        mail = render_mail("receipt", language=language, case=make_case(), confirm_url=confirm_url)
    assert re.search(rf'<a href="{re.escape(confirm_url)}" style="[^"]+">{label}</a>', mail.html)
