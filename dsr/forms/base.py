"""The base of every dsr form."""
from __future__ import annotations

from flask_wtf import FlaskForm

INVALID_CHARACTERS = "Dit veld bevat ongeldige tekens."


def _has_nul(value) -> bool:
    values = value if isinstance(value, (list, tuple)) else [value]
    return any(isinstance(v, str) and "\x00" in v for v in values)


class Form(FlaskForm):
    """A Flask-WTF form (CSRF) that refuses NUL bytes in any field before anything else runs: no
    validator, query or template ever sees one (PostgreSQL text cannot even store it)."""

    def validate(self, extra_validators=None) -> bool:
        poisoned = [field for field in self if _has_nul(field.data)]
        for field in poisoned:
            field.errors = [INVALID_CHARACTERS]
        if poisoned:
            return False
        return super().validate(extra_validators)
