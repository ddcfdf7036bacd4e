"""Forms of the staff desk on the case page (issue 15 point 3): who handles the case, and internal notes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length

from ..models.notes import NOTE_MAX_LENGTH
from .base import Form
from .validators import no_control_characters, strip_filter

#: The value of "nobody" in the assignee list (user ids start at 1).
NOBODY = 0
#: What a posted value that is no number becomes: no user has it, so the view says "choose from the list".
NOT_A_CHOICE = -1


def _user_id(value) -> int:
    """A posted assignee as a number; anything else is :data:`NOT_A_CHOICE` (checked against the list by the
    view, with a message at the field, instead of WTForms' English "could not coerce")."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return NOT_A_CHOICE

#: Who reads a note (the field says so, issue 11 point 7).
NOTE_READERS = _l("Alleen zichtbaar voor medewerkers van deze school, de directeur en de privacyfunctionaris. Niet "
                  "in brieven, mails of het portaal.")


class AssignForm(Form):
    """Hand the case to a colleague, or to nobody; the choices are set per case (services.assignment)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    assignee_id = SelectField(_l("Toegewezen aan"), coerce=_user_id, choices=[], validate_choice=False,
                              validators=[InputRequired(_l("Kies een medewerker, of niemand."))])

    def offer(self, people, nobody_label: str) -> AssignForm:
        """Offer "nobody" and ``people`` (users), by name."""
        self.assignee_id.choices = [(NOBODY, nobody_label), *((user.id, user.name) for user in people)]
        return self

    @property
    def chosen_id(self) -> int | None:
        """The chosen user's id, or None for nobody."""
        return None if self.assignee_id.data in (None, NOBODY) else self.assignee_id.data


class AssignSelfForm(Form):
    """"Aan mij toewijzen": one click, with the version the page was loaded at."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class NoteForm(Form):
    """An internal note: append-only, for the people who may see the case only."""

    body = TextAreaField(_l("Nieuwe notitie"), description=NOTE_READERS, filters=[strip_filter],
                         validators=[DataRequired(_l("Schrijf eerst de notitie.")),
                                     Length(max=NOTE_MAX_LENGTH, message=_l("Gebruik maximaal %(max)d tekens.")),
                                     no_control_characters])
