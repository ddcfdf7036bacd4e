"""The one-click confirmation of what the school's roster says at intake (issue 17 point 5)."""
from __future__ import annotations

from wtforms import IntegerField, widgets
from wtforms.validators import InputRequired

from .base import Form


class RosterConfirmForm(Form):
    """"Bevestigen": the identity step as the roster proposes it, with the version the page was loaded at."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
