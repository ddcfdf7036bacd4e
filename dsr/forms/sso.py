"""The admin's form for one row of the group table (issue 18 point 2): the provider's group value, a label,
the role and the schools. The service (services/sso_groups.py) checks everything again, whatever a crafted
post sends; its refusals come back here as a code, shown at the field in the admin's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..services.sso_groups import GROUP_MAX, LABEL_MAX, GroupError
from ..workflows.roles import ROLE_LABELS
from .base import Form
from .staff import MultiCheckboxField
from .users import ACCOUNT_ERRORS
from .validators import no_control_characters, single_line, strip_filter

#: What the admin reads when the service refuses, by :class:`GroupError` code.
GROUP_ERRORS = {
    "group_empty": _l("Vul de groep in zoals de inlogdienst hem meestuurt."),
    "group_format": _l("Een groep is één waarde zonder spaties, van maximaal 255 tekens."),
    "group_taken": _l("Deze groep staat al in de tabel. Pas die regel aan."),
    "label_long": _l("Maximaal %(count)s tekens.", count=LABEL_MAX),
    # The role and school rules are the account form's: the same words for the same rule.
    **{code: ACCOUNT_ERRORS[code] for code in ("role_unknown", "school_unknown", "school_inactive", "school_needed",
                                                "school_not_for_role")},
}


class GroupForm(Form):
    """One row of the group table."""

    group = StringField(_l("Groep bij de inlogdienst"), filters=[strip_filter], validators=[
        InputRequired(GROUP_ERRORS["group_empty"]),
        Length(max=GROUP_MAX, message=_l("Maximaal %(count)s tekens.", count=GROUP_MAX)), single_line,
        no_control_characters],
        description=_l("Precies zoals de inlogdienst de groep meestuurt: bij Microsoft Entra ID het object-id van "
                       "de groep, bij SURFconext de URN van het lidmaatschap. Alleen beheerders lezen dit."))
    label = StringField(_l("Omschrijving (niet verplicht)"), filters=[strip_filter], validators=[
        Length(max=LABEL_MAX, message=_l("Maximaal %(count)s tekens.", count=LABEL_MAX)), single_line,
        no_control_characters],
        description=_l("Voor uzelf en andere beheerders, bijvoorbeeld de naam van de groep bij de inlogdienst. "
                       "Alleen beheerders lezen dit; schrijf er geen namen van personen in."))
    # validate_choice off: the service checks role and schools, and says so at the field in the admin's language.
    role = RadioField(_l("Rol in dsr"), choices=ROLE_LABELS.choices(), validate_choice=False,
                      validators=[InputRequired(_l("Kies een rol."))])
    schools = MultiCheckboxField(_l("Scholen"), validate_choice=False, coerce=int, description=_l(
        "Alleen voor leerlingadministratie en directeuren: leden van de groep zien de verzoeken van deze scholen. "
        "Een privacy officer ziet alle scholen; een beheerder ziet geen verzoeken."))

    def __init__(self, *args, school_choices: list[tuple[int, str]], **kwargs):
        """``school_choices``: (id, name) of the schools a row can give."""
        super().__init__(*args, **kwargs)
        self.schools.choices = [SelectChoice(school_id, name) for school_id, name in school_choices]


class EditGroupForm(GroupForm):
    """An existing row, with the version it was loaded at (two admins never overwrite each other)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class GroupActionForm(Form):
    """The button that deletes a row, with the row's version as the admin saw it."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


def show_group_error(form: Form, error: GroupError) -> str | None:
    """Put the service's refusal at its field of ``form``; returns the message when it belongs to no field
    of this form (the page shows it above the form)."""
    message = str(GROUP_ERRORS.get(error.code, _l("Dit kan niet.")))
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None
