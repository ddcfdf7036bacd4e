"""Forms of the fulfilment section on the case page (staff) — every one carries CSRF via the base form."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional

from ..models.fulfilment import RECTIFICATION_KINDS, TASK_EXCEPTIONS
from ..workflows.rights import RESTRICTION_GROUNDS
from .base import Form
from .staff import MultiCheckboxField
from .validators import no_control_characters, single_line, strip_filter


def _text(label: str, max_length: int = 2000, *, textarea: bool = True):
    field = TextAreaField if textarea else StringField
    validators = [Optional(), Length(max=max_length, message=f"Gebruik maximaal {max_length} tekens."),
                  no_control_characters]
    if not textarea:
        validators.append(single_line)
    return field(label, filters=[strip_filter], validators=validators)


class VersionForm(Form):
    """Steps that change what closing depends on carry the case version they were loaded at."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class UploadForm(Form):
    file = FileField("Bestand (PDF, CSV, PNG of JPEG)", validators=[FileRequired("Kies een bestand.")])
    category_id = SelectField("Categorie uit het verwerkingsregister", coerce=int,
                              validators=[InputRequired("Kies een categorie.")], validate_choice=False)
    title = _text("Omschrijving voor de aanvrager (bijvoorbeeld: Rapport leerjaar 4)", 200, textarea=False)


class ChecksForm(Form):
    third_party = BooleanField("Gegevens van medeleerlingen en andere ouders zijn weggelakt (R-EX-2)")
    work_notes = BooleanField("Gecontroleerd op werkaantekeningen: alleen puur persoonlijke geheugensteuntjes "
                              "buiten de schoolsystemen blijven weg (R-EX-3)")


class RectificationForm(Form):
    category_id = SelectField("Categorie uit het verwerkingsregister", coerce=int,
                              validators=[InputRequired("Kies een categorie.")], validate_choice=False)
    kind = RadioField("Soort gegeven", choices=dict(RECTIFICATION_KINDS), validators=[InputRequired("Kies een soort.")])
    field = _text("Welk gegeven (bijvoorbeeld: geboortedatum)", 200, textarea=False)
    old_value = _text("Huidige (onjuiste) waarde", 1000)
    new_value = _text("Juiste waarde (bij een feitelijk gegeven)", 1000)
    evidence = _text("Gezien bewijs (bijvoorbeeld: uittreksel BRP)", 1000)
    statement = _text("Verklaring van de aanvrager die aan het dossier wordt toegevoegd (bij een mening)", 5000)


class LeavingForm(VersionForm):
    left_on = DateField("Uitschrijfdatum volgens BRON", validators=[Optional()])
    enrolled = BooleanField("De leerling staat nog ingeschreven")


class DecisionForm(VersionForm):
    outcome = RadioField("Beslissing", choices={}, validators=[InputRequired("Kies een beslissing.")],
                         validate_choice=False)
    ground = RadioField("Grond voor beperking (art. 18 lid 1)", choices=dict(RESTRICTION_GROUNDS),
                        validators=[Optional()], validate_choice=False)
    category_ids = MultiCheckboxField("Om welke gegevens gaat het?", coerce=int, validate_choice=False)
    explanation = _text("Uitleg voor de aanvrager (komt in de brief)", 5000)


class TaskForm(VersionForm):
    outcome = RadioField("Uitkomst", choices={"done": "Bericht gestuurd", "exception": "Uitzondering vastleggen"},
                         validators=[InputRequired("Kies een uitkomst.")])
    exception_kind = RadioField("Soort uitzondering", choices=dict(TASK_EXCEPTIONS), validators=[Optional()],
                                validate_choice=False)
    note = _text("Hoe en wanneer gemeld, of waarom niet", 2000)


class LetterSendForm(Form):
    digest = HiddenField(validators=[InputRequired()])
