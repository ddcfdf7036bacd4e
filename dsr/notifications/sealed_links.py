"""No working link rests readable in the outbox (issue 13 point 2; docs/security.md, "Secrets at rest").

A mail's links (confirmation, portal, package, letter, consent, password reset) each carry a signed
token: whoever reads one can use it. The outbox row therefore stores the mail with every link replaced by
a numbered mark (``⟦link 1⟧``), and the links themselves in one value encrypted under the file keys
(:func:`dsr.crypto.file_keys`), which live in the environment and not in the database. The send job
puts the links back just before sending (:func:`unseal`), so a pending or failed row can still be sent
by the re-drive with working links. Once sent, the row keeps the mail with each link replaced by a
neutral text (:func:`scrub`), without the sealed links, and with the SHA-256 of the plain-text part as
it went out (:func:`digest`), so staff can still read what was sent and match it to a copy.

Every http(s) URL in the mail is sealed, also the ones without a token (a staff case page): a mark per
URL is simpler to reason about than a list of which endpoints are safe.
"""
from __future__ import annotations

import hashlib
import json
import re

from markupsafe import escape

from ..crypto import file_keys
from .render import URL_PATTERN

#: A sealed link's place in a pending mail; the number counts from 1 in the order of the links.
MARK = "⟦link {n}⟧"
_MARK = re.compile(r"⟦link (\d+)⟧")
#: What a sent mail shows where its link was (staff read it; never sent to anyone).
SENT_LINK_TEXT = "[link verwijderd na verzending]"


def seal(text: str, html: str) -> tuple[str, str, str | None]:
    """``(text, html, sealed)``: the mail with each URL replaced by its mark, and the URLs encrypted
    under the file keys (None when the mail has no link). Raises ``KeysMissing`` without file keys:
    a mail with a link is not stored readable instead."""
    urls: list[str] = []
    for found in URL_PATTERN.findall(text):
        if found not in urls:
            urls.append(found)
    if not urls:
        return text, html, None
    number = {url: n for n, url in enumerate(urls, start=1)}
    # The HTML part holds the same URLs, escaped (render.py builds it from the text).
    number.update({str(escape(url)): n for url, n in list(number.items())})

    def mark(match: re.Match[str]) -> str:
        n = number.get(match.group(0))
        return MARK.format(n=n) if n is not None else SENT_LINK_TEXT  # never leave an unknown URL

    sealed = file_keys().encrypt(json.dumps(urls).encode()).decode()
    return URL_PATTERN.sub(mark, text), URL_PATTERN.sub(mark, html), sealed


def _urls(sealed: str) -> list[str]:
    return list(json.loads(file_keys().decrypt(sealed.encode())))


def unseal(text: str, html: str, sealed: str | None) -> tuple[str, str]:
    """The mail as it is to be sent: each mark replaced by its working link again."""
    if not sealed:
        return text, html
    urls = _urls(sealed)

    def url_at(match: re.Match[str], escaped: bool) -> str:
        url = urls[int(match.group(1)) - 1]
        return str(escape(url)) if escaped else url

    return _MARK.sub(lambda m: url_at(m, False), text), _MARK.sub(lambda m: url_at(m, True), html)


def scrub(text: str, html: str) -> tuple[str, str]:
    """The mail as it stays in the outbox once sent: no mark and no URL, a neutral text in their place.

    Also scrubs plain URLs, so a row queued before links were sealed loses them once it is sent."""
    text = URL_PATTERN.sub(SENT_LINK_TEXT, _MARK.sub(SENT_LINK_TEXT, text))
    # The whole anchor goes, also its label: a button with no link behind it would only mislead.
    anchor = re.compile(r'<a href="(?:⟦link \d+⟧|https?://[^\s<>"]+)"[^>]*>[^<]*</a>')
    html = anchor.sub(SENT_LINK_TEXT, html)
    html = URL_PATTERN.sub(SENT_LINK_TEXT, _MARK.sub(SENT_LINK_TEXT, html))
    return text, html


def digest(text: str) -> str:
    """SHA-256 (hex) of a mail's plain-text part as sent (UTF-8, lines ending in "\\n" as rendered;
    on the wire SMTP ends them in "\\r\\n")."""
    return hashlib.sha256(text.encode()).hexdigest()
