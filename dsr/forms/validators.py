"""Validators shared by the forms (messages in Dutch, shown at the field)."""
from __future__ import annotations

import re

from wtforms.validators import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def single_line(form, field) -> None:
    """No line breaks or control characters: these values go into mail headers and subjects."""
    value = field.data or ""
    if "\r" in value or "\n" in value or _CONTROL.search(value):
        raise ValidationError("Gebruik één regel zonder speciale tekens.")


def no_control_characters(form, field) -> None:
    """Free text may contain line breaks, but no other control characters."""
    if _CONTROL.search(field.data or ""):
        raise ValidationError("De tekst bevat ongeldige tekens.")


def strip_filter(value):
    """Trim whitespace around text input (a name of only spaces counts as empty)."""
    return value.strip() if isinstance(value, str) else value
