"""The school forms: the privacy officer's (confirm the appeal route, set the contact details) and the
admin's (add a school; change its name, type, appeal route and contact details; deactivate it). Both
share the appeal route and contact fields, and carry the school's version (no silent overwrite)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..services.schools import SchoolError
from ..workflows.vocabulary import APPEAL_ROUTE_LABELS, SCHOOL_TYPE_LABELS
from .base import Form
from .validators import no_control_characters, no_web_address, single_line, strip_filter

#: What the admin reads when the service refuses, by :class:`SchoolError` code.
SCHOOL_ERRORS = {
    "code_format": _l("Gebruik 2 tot 20 letters, cijfers of streepjes, bijvoorbeeld ODK."),
    "code_taken": _l("Er is al een school met deze code."),
    "name": _l("Vul de naam in (maximaal 200 tekens)."),
    "school_type": _l("Kies een van de soorten onderwijs."),
    "appeal_route": _l("Kies de rechtsgang van deze school."),
}


class SchoolContactForm(Form):
    """The appeal route (R-LT-1), phone and visiting address of one school, with the school's version."""

    appeal_route = RadioField(_l("Rechtsgang tegen een weigering"), choices=APPEAL_ROUTE_LABELS.choices(),
                              validators=[InputRequired(_l("Kies de rechtsgang van deze school."))])
    phone = StringField(_l("Telefoonnummer van de school"), filters=[strip_filter], validators=[
        Optional(), Length(max=40, message=_l("Maximaal %(count)s tekens.", count=40)),
        Regexp(r"^[0-9+()\- ]{6,40}$", message=_l("Gebruik alleen cijfers, spaties, +, - en haakjes "
                                                   "(bijvoorbeeld 036 123 45 67).")), single_line])
    visiting_address = StringField(_l("Bezoekadres van de school"), filters=[strip_filter], validators=[
        Optional(), Length(max=300, message=_l("Maximaal %(count)s tekens.", count=300)), single_line,
        no_control_characters])
    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class SchoolSettingsForm(SchoolContactForm):
    """The privacy officer confirms the appeal route and sets the contact details."""

    confirm = BooleanField(_l("Ik bevestig dat deze rechtsgang juist is voor het bestuur van deze school."),
                           validators=[DataRequired(_l("Bevestig de rechtsgang."))])


class SchoolForm(SchoolContactForm):
    """The admin changes a school's name, type, appeal route and contact details (the code stays)."""

    name = StringField(_l("Naam van de school"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul de naam in.")), Length(max=200, message=_l("Maximaal %(count)s tekens.", count=200)),
        single_line, no_web_address],
        description=_l("Aanvragers lezen deze naam op het formulier, in brieven en in mails; medewerkers in de "
                       "lijsten."))
    school_type = RadioField(_l("Soort onderwijs"), choices=SCHOOL_TYPE_LABELS.choices(),
                             validators=[InputRequired(_l("Kies een van de soorten onderwijs."))],
                             description=_l("Bewaartermijnen kunnen per soort onderwijs verschillen."))


class NewSchoolForm(SchoolForm):
    """A new school: its code too (fixed once the school exists)."""

    code = StringField(_l("Code"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul een code in.")),
        Regexp(r"^[A-Za-z0-9-]{2,20}$", message=SCHOOL_ERRORS["code_format"])],
        description=_l("Een korte, vaste code, bijvoorbeeld ODK: de opdrachtregel en de lijsten kennen de school "
                       "hieraan. Hij verandert later niet meer."))
    # A new school has no version yet.
    version = None


class SchoolActionForm(Form):
    """The admin's button to deactivate or reactivate a school, with its version as the admin saw it."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


def show_school_error(form: Form, error: SchoolError) -> str | None:
    """Put the service's refusal at its field of ``form``; returns the message when it belongs to no field
    of this form (the page shows it above the form)."""
    message = str(SCHOOL_ERRORS.get(error.code, _l("Dit kan niet.")))
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None
