"""Render a mail from ``templates/mail/<kind>.txt`` (blocks ``subject`` and ``body``).

The HTML part is built from the same text, escaped paragraph by paragraph, so the two parts can
never say different things; links become clickable.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _render_block(template, block: str, context: dict) -> str:
    ctx = template.new_context(context)
    return "".join(template.blocks[block](ctx))


def _paragraph_html(paragraph: str) -> Markup:
    escaped = str(escape(paragraph))
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    # The paragraph was escaped above and the URL pattern excludes < > and ", so this is safe markup.
    return Markup(linked.replace("\n", "<br>\n"))  # nosec B704


def render_mail(kind: str, *, language: str = "nl", **context) -> RenderedMail:
    """Render mail ``kind`` in ``language``; subject is one line, body is plain text."""
    context.setdefault("org", current_app.config["ORGANISATION_NAME"])
    context.setdefault("privacy_officer_email", current_app.config["PRIVACY_OFFICER_EMAIL"])
    with force_locale(language):
        env = current_app.jinja_env
        template = env.get_template(f"mail/{kind}.txt")
        full_context = dict(context)
        current_app.update_template_context(full_context)
        subject = " ".join(_render_block(template, "subject", full_context).split())
        text = _render_block(template, "body", full_context).strip() + "\n"
        paragraphs = [_paragraph_html(p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        html = render_template("mail/layout.html", subject=subject, paragraphs=paragraphs, language=language)
    return RenderedMail(subject=subject, text=text, html=html)
