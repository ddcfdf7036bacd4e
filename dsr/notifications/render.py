"""Render a mail from ``templates/mail/<kind>.txt`` (blocks ``subject`` and ``body``).

Each language has its own files: ``templates/mail/<kind>.txt`` is Dutch (the default), and
``templates/mail/<language>/<kind>.txt`` another language, e.g. ``mail/en/receipt.txt``. A mail is
rendered inside ``force_locale(language)``, so dates and labels in it follow the recipient's language,
not the language of whoever triggered it. A kind without a file in the asked language is sent in
Dutch (logged); tests/test_mail_snapshots.py fails when any Dutch kind lacks its English file.

The HTML part is built from the same text, escaped paragraph by paragraph, so the two parts can
never say different things. Only the app's own links (under ``PUBLIC_BASE_URL``) become clickable: an
address someone typed into a form stays plain text, never a link in a mail sent from the school.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

#: A link in a mail's text; the HTML part makes each clickable, the outbox seals each (sealed_links.py).
URL_PATTERN = re.compile(r"https?://[^\s<>\"]+")
#: The source language: its mails are ``templates/mail/<kind>.txt``.
DEFAULT_LANGUAGE = "nl"


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


def _paragraph_html(paragraph: str, base: str) -> Markup:
    escaped = str(escape(paragraph))
    linked = URL_PATTERN.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>' if _is_ours(m.group(0), base)
                             else m.group(0), escaped)
    # The paragraph was escaped above and the URL pattern excludes < > and ", so this is safe markup.
    return Markup(linked.replace("\n", "<br>\n"))  # nosec B704


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
