"""The privacy officer's form for a school's appeal route and contact details."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..workflows.vocabulary import APPEAL_ROUTE_LABELS
from .base import Form
from .validators import no_control_characters, single_line, strip_filter


class SchoolSettingsForm(Form):
    """Appeal route (R-LT-1), phone and visiting address of one school."""

    appeal_route = RadioField(_l("Rechtsgang tegen een weigering"), choices=APPEAL_ROUTE_LABELS.choices(),
                              validators=[InputRequired(_l("Kies de rechtsgang van deze school."))])
    phone = StringField(_l("Telefoonnummer van de school"), filters=[strip_filter], validators=[
        Optional(), Length(max=40, message=_l("Maximaal %(count)s tekens.", count=40)),
        Regexp(r"^[0-9+()\- ]{6,40}$", message=_l("Gebruik alleen cijfers, spaties, +, - en haakjes "
                                                   "(bijvoorbeeld 036 123 45 67).")), single_line])
    visiting_address = StringField(_l("Bezoekadres van de school"), filters=[strip_filter], validators=[
        Optional(), Length(max=300, message=_l("Maximaal %(count)s tekens.", count=300)), single_line,
        no_control_characters])
    confirm = BooleanField(_l("Ik bevestig dat deze rechtsgang juist is voor het bestuur van deze school."),
                           validators=[DataRequired(_l("Bevestig de rechtsgang."))])
