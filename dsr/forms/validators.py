"""Validators shared by the forms (messages in the current language, Dutch by default, shown at the field)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from wtforms.validators import StopValidation, ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Everything that may end a line somewhere: CR, LF, TAB (header folding), and the Unicode
#: line breaks that ``str.splitlines`` and some mail software honour (NEL, LS, PS).
_LINE_BREAKS = re.compile(r"[\r\n\t\x85\u2028\u2029]")


def single_line(form, field) -> None:
    """No line breaks or control characters: these values go into mail headers and subjects."""
    value = field.data or ""
    if _LINE_BREAKS.search(value) or _CONTROL.search(value):
        raise ValidationError(_("Gebruik één regel zonder speciale tekens."))


#: What mail programs turn into a link: a scheme, "www.", an address, or a domain name such as evil.example.
_WEB_ADDRESS = re.compile(r"://|\bwww\.|@|\b[\w-]+(?:\.[a-z]{2,})+\b", re.IGNORECASE | re.ASCII)
#: Dutch titles written together ("dr.ir. Jansen", "mr.drs. De Vries") look like a domain but are not one.
_TITLES = frozenset({"bc", "dhr", "dr", "drs", "ds", "ing", "ir", "jhr", "jkvr", "ll", "lm", "mr", "mw", "prof"})


def no_web_address(form, field) -> None:
    """No web or e-mail address in a name: names are repeated in mails from the school, and mail
    programs make links of such text, which would then look like the school's own (issue 13)."""
    for match in _WEB_ADDRESS.finditer(field.data or ""):
        if not set(match.group(0).lower().split(".")) <= _TITLES:
            raise ValidationError(_("Een naam kan geen webadres of e-mailadres bevatten."))


def no_control_characters(form, field) -> None:
    """Free text may contain line breaks, but no other control characters."""
    if _CONTROL.search(field.data or ""):
        raise ValidationError(_("De tekst bevat ongeldige tekens."))


def strip_filter(value):
    """Trim whitespace around text input (a name of only spaces counts as empty)."""
    return value.strip() if isinstance(value, str) else value


class RequiredWhen:
    """Required when ``condition(form)`` holds, otherwise optional (use instead of ``Optional``).

    ``Optional`` stops the whole chain for an empty field, including inline ``validate_<name>``
    methods, so a conditional check placed there never runs for exactly the empty case it is
    meant to catch. This validator decides itself and must come first in the list.
    """

    def __init__(self, condition, message):
        """``message``: a ``lazy_gettext`` string, so it reads in the language of each request."""
        self.condition = condition
        self.message = message
        self.field_flags = {"optional": True}

    def __call__(self, form, field) -> None:
        raw = field.raw_data
        if raw and not (isinstance(raw[0], str) and not raw[0].strip()):
            return
        field.errors[:] = []  # e.g. a radio group's "Not a valid choice" for no choice at all
        if self.condition(form):
            raise StopValidation(str(self.message))
        raise StopValidation()
