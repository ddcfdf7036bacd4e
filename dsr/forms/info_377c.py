"""The check of the child's interest before care information goes to a parent without gezag (BW 1:377c)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .base import Form
from .validators import no_control_characters, strip_filter


class ChildInterestForm(Form):
    """Who reads what: the reason stays internal, the care information goes into the letter."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    reason = TextAreaField(
        _l("Waarom gaat het geven van zorginformatie niet tegen het belang van het kind in? (Alleen intern: de "
           "aanvrager leest dit nooit)"), filters=[strip_filter],
        validators=[DataRequired(_l("Leg vast waarom het geven van deze informatie niet tegen het belang van het "
                                    "kind ingaat.")), Length(max=4000), no_control_characters])
    care_info = TextAreaField(
        _l("Informatie over zorg en begeleiding (de aanvrager leest dit in de brief)"), filters=[strip_filter],
        validators=[Optional(), Length(max=4000), no_control_characters])
