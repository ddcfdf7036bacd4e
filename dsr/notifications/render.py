"""Render a mail from ``templates/mail/<kind>.txt`` (blocks ``subject`` and ``body``).

Each language has its own files: ``templates/mail/<kind>.txt`` is Dutch (the default), and
``templates/mail/<language>/<kind>.txt`` another language, e.g. ``mail/en/receipt.txt``. A mail is
rendered inside ``force_locale(language)``, so dates and labels in it follow the recipient's language,
not the language of whoever triggered it. A kind without a file in the asked language is sent in
Dutch (logged); tests/test_mail_snapshots.py fails when any Dutch kind lacks its English file.

The HTML part is built from the same text, escaped paragraph by paragraph, so the two parts can
never say different things. A link stands on its own line in the text part, with nothing glued after it
(tests/test_mail_links.py), so no mail client can take a full stop into it. In the HTML part such a line
becomes a button: an anchor whose href is exactly that URL and whose label says where it leads, so a long
token never makes the mail wider than a phone (tests/browser/test_mail_phone.py). Only the app's own
links (under ``PUBLIC_BASE_URL``) become buttons: an address someone typed into a form stays plain text,
never a link in a mail sent from the school, and a URL inside a sentence is never made clickable.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

log = logging.getLogger(__name__)

#: A link in a mail's text; the HTML part makes each clickable, the outbox seals each (sealed_links.py).
URL_PATTERN = re.compile(r"https?://[^\s<>\"]+")
#: The source language: its mails are ``templates/mail/<kind>.txt``.
DEFAULT_LANGUAGE = "nl"

#: The label of a link's button in the HTML part, by the endpoint the link opens.
BUTTON_LABELS = {
    "public.confirm_email": _l("Bevestig uw e-mailadres"),
    "portal.enter": _l("Open Mijn verzoek"),
    "portal.request_link": _l("Vraag een link aan"),
    "delivery.letter": _l("Open de brief"),
    "delivery.package": _l("Open de gegevens"),
    "consent.enter": _l("Lees de vraag en antwoord"),
    "auth.reset_password": _l("Kies een nieuw wachtwoord"),
    "staff.case": _l("Bekijk het verzoek"),
    "owner_tasks.task": _l("Open de taak"),
}
#: The label of a button whose link opens no endpoint in BUTTON_LABELS.
DEFAULT_BUTTON_LABEL = _l("Open de link")
#: Inline (mail clients drop <style>): large enough to tap, at most as wide as the mail.
BUTTON_STYLE = ("display: inline-block; max-width: 100%; box-sizing: border-box; margin: 8px 0; "
                "padding: 12px 20px; background: #1a5fb4; color: #ffffff; border-radius: 6px; "
                "font-weight: bold; text-decoration: none; overflow-wrap: anywhere;")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    language: str = DEFAULT_LANGUAGE


def template_name(kind: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The template of mail ``kind`` in ``language``."""
    return f"mail/{kind}.txt" if language == DEFAULT_LANGUAGE else f"mail/{language}/{kind}.txt"


def _template(kind: str, language: str):
    """(template, language used): the mail in ``language``, or in Dutch when that has no such file."""
    env = current_app.jinja_env
    if language != DEFAULT_LANGUAGE and language in current_app.config["LANGUAGES"]:
        try:
            return env.get_template(template_name(kind, language)), language
        except TemplateNotFound:
            log.warning("mail %r has no %r text; sending it in Dutch", kind, language)
    return env.get_template(template_name(kind)), DEFAULT_LANGUAGE


def _render_block(template, block: str, context: dict) -> str:
    ctx = template.new_context(context)
    return "".join(template.blocks[block](ctx))


def _is_ours(url: str, base: str) -> bool:
    """Whether ``url`` is one of the app's own links: the public base itself or a path under it."""
    return bool(base) and (url == base or url.startswith(base + "/"))


def button_label(url: str, base: str) -> str:
    """What the button of ``url`` (one of the app's own links) says: where it leads."""
    path = urlsplit(url[len(base):] or "/").path or "/"
    try:
        endpoint, _ = current_app.url_map.bind("mail.invalid").match(path)
    except (HTTPException, RequestRedirect):
        return str(DEFAULT_BUTTON_LABEL)
    return str(BUTTON_LABELS.get(str(endpoint), DEFAULT_BUTTON_LABEL))


def _line_html(line: str, base: str) -> str:
    """One escaped line: a button when the line is one of the app's own links and nothing else."""
    url = line.strip()
    if URL_PATTERN.fullmatch(url) and _is_ours(url, base):
        return f'<a href="{escape(url)}" style="{BUTTON_STYLE}">{escape(button_label(url, base))}</a>'
    return str(escape(line))


def _paragraph_html(paragraph: str, base: str) -> Markup:
    # Each line is escaped in _line_html (the URL in an href too), so this is safe markup.
    return Markup("<br>\n".join(_line_html(line, base) for line in paragraph.split("\n")))  # nosec B704


def render_mail(kind: str, *, language: str = DEFAULT_LANGUAGE, **context) -> RenderedMail:
    """Render mail ``kind`` in ``language``; subject is one line, body is plain text."""
    context.setdefault("org", current_app.config["ORGANISATION_NAME"])
    context.setdefault("privacy_officer_email", current_app.config["PRIVACY_OFFICER_EMAIL"])
    template, language = _template(kind, language)
    with force_locale(language):
        full_context = dict(context)
        current_app.update_template_context(full_context)
        subject = " ".join(_render_block(template, "subject", full_context).split())
        text = _render_block(template, "body", full_context).strip() + "\n"
        base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        paragraphs = [_paragraph_html(p.strip(), base) for p in re.split(r"\n\s*\n", text) if p.strip()]
        html = render_template("mail/layout.html", subject=subject, paragraphs=paragraphs, language=language)
    return RenderedMail(subject=subject, text=text, html=html, language=language)
