"""Mails fit a phone (issue 14 point 2).

A parent reads the mail on a phone. A long link used to make the HTML part about 1,230 px wide at 390 px,
so the text had to be scrolled sideways. Here the HTML part of every mail kind (every variant of
``tests/test_mail_snapshots.py``, in Dutch and in English) is loaded in Chromium at 390×844, as a phone's
browser and as a mail app's pane: the page may not scroll sideways, every button lies within the width,
and axe-core finds no WCAG 2.1 A/AA violation. A screenshot of each goes to test-artifacts/screenshots/
(``<lang>-phone-mail-<variant>.png``).
"""
from __future__ import annotations

import pytest

from dsr.notifications.render import render_mail
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import LANGUAGES, PHONE, browser_tests_skipped_reason
from tests.test_mail_snapshots import FIXED_CONFIG, VARIANTS

_skip_reason = browser_tests_skipped_reason()
pytestmark = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")

#: The widest element that sticks out to the right, if any: (its tag and text, its right edge).
WIDEST = """() => {
  let worst = null;
  for (const element of document.body.querySelectorAll('*')) {
    const right = element.getBoundingClientRect().right;
    if (!worst || right > worst[1]) worst = [element.tagName + ' ' + element.textContent.slice(0, 60), right];
  }
  return worst;
}"""


@pytest.mark.parametrize("mobile", [True, False], ids=["phone-browser", "mail-app-pane"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_fits_a_phone_without_scrolling_sideways(app, monkeypatch, new_page, axe, axe_script, language,
                                                            mobile):
    """``phone-browser``: Chromium as a phone (the mail's viewport tag counts); ``mail-app-pane``: a pane
    390 px wide that ignores it, as a mail app shows the HTML part; in both the text must wrap."""
    for key, value in FIXED_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(PHONE, mobile=mobile)
    too_wide = []
    for name, (kind, context) in sorted(VARIANTS.items()):
        with app.app_context():
            mail = render_mail(kind, language=language, **context)
        page.set_content(mail.html)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_script)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            where = "phone" if mobile else "pane"
            too_wide.append(f"{name} ({language}, {where}): {width} px wide; widest: {page.evaluate(WIDEST)}")
        rights = page.locator("a").evaluate_all("links => links.map(a => a.getBoundingClientRect().right)")
        if any(right > PHONE["width"] for right in rights):
            too_wide.append(f"{name} ({language}): a link runs off the screen, to {max(rights):.0f} px")
        if mobile:
            page.screenshot(path=str(SCREENSHOTS / f"{language}-phone-mail-{name}.png"), full_page=True)
        axe.check(page, f"mail {name} ({language})")
    assert not too_wide, "mails wider than a phone (390 px):\n" + "\n".join(too_wide)
    axe.assert_clean()
