"""The base of every dsr form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

INVALID_CHARACTERS = _l("Dit veld bevat ongeldige tekens.")


def _has_nul(value) -> bool:
    values = value if isinstance(value, (list, tuple)) else [value]
    return any(isinstance(v, str) and "\x00" in v for v in values)


class Form(FlaskForm):
    """A Flask-WTF form (CSRF) that refuses NUL bytes in any field before anything else runs: no
    validator, query or template ever sees one (PostgreSQL text cannot even store it)."""

    def validate(self, extra_validators=None) -> bool:
        poisoned = [field for field in self if _has_nul(field.data)]
        for field in poisoned:
            field.errors = [str(INVALID_CHARACTERS)]
        if poisoned:
            return False
        valid = super().validate(extra_validators)
        for field in self:
            # Messages given as lazy_gettext strings become plain text in the current language, so
            # whatever reads the errors (templates, joins, logs) gets a str.
            if isinstance(field.errors, list) and not any(isinstance(e, (list, dict)) for e in field.errors):
                field.errors = [str(e) for e in field.errors]
        return valid
