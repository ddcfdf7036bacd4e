"""Issue 15 point 8 (part): the demo mailbox (/beheer/mail) shows when each mail was sent in the app's time
zone (Europe/Amsterdam), formatted as the rest of the app formats date-times, not the raw Date header."""
from __future__ import annotations

import datetime as dt
import email.message
import email.utils
from contextlib import contextmanager

from tests.helpers import signed_in
from tests.integration.helpers import in_english


@contextmanager
def _demo_mailbox(app, folder):
    old = {key: app.config.get(key) for key in ("DEMO", "DEMO_MAILBOX")}
    app.config.update(DEMO=True, DEMO_MAILBOX=str(folder))
    try:
        yield
    finally:
        app.config.update(old)


def _eml(folder, name: str, subject: str, sent: dt.datetime | None, date_header: str | None = None) -> None:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "avg@asg.nl", "ouder@example.nl", subject
    if sent is not None:
        msg["Date"] = email.utils.format_datetime(sent)
    elif date_header is not None:
        msg["Date"] = date_header
    msg.set_content("Tekst.")
    (folder / name).write_bytes(msg.as_bytes())


def test_the_demo_mailbox_shows_amsterdam_time(app, people, tmp_path):
    """23:30 UTC on a winter evening is 00:30 the next day in Amsterdam (UTC+1); in summer 01:30 (UTC+2)."""
    _eml(tmp_path, "0001.eml", "Winter", dt.datetime(2026, 1, 14, 23, 30, tzinfo=dt.UTC))
    _eml(tmp_path, "0002.eml", "Zomer", dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC))
    _eml(tmp_path, "0003.eml", "Kapot", None, date_header="geen datum")
    _eml(tmp_path, "0004.eml", "Zonder", None)
    admin = signed_in(app, people, "admin")
    with _demo_mailbox(app, tmp_path):
        page = admin.get("/beheer/mail").get_data(as_text=True)
        in_english(admin)
        english = admin.get("/beheer/mail").get_data(as_text=True)
    assert ">15-01-2026 00:30</time>" in page and ">02-07-2026 01:30</time>" in page
    assert "Wed, 14 Jan 2026 23:30" not in page and "+0000" not in page, "no raw Date header"
    assert 'datetime="2026-01-14T23:30:00+00:00"' in page, "a machine-readable time as well"
    assert ">15 Jan 2026 00:30</time>" in english and ">2 Jul 2026 01:30</time>" in english
    assert "Kapot" in page and "Zonder" in page, "a mail with a missing or broken date is still listed"
