"""Forms of collection and carrying out in the school's systems (issue 17 points 3 and 4): each is a button
with the case's version (a stale page gets 409) and the CSRF token."""
from __future__ import annotations

from wtforms import IntegerField, widgets
from wtforms.validators import InputRequired

from .base import Form


class RunActionForm(Form):
    """"Gegevens verzamelen", "Opnieuw proberen", "Proefrun" and "Doorvoeren": the version the page showed."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
