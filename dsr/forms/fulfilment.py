"""Forms of the fulfilment section on the case page (staff) — every one carries CSRF via the base form.
Labels, choices and messages are ``lazy_gettext`` strings: they read in the language of each request."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
from ..workflows.labels import Labels
from ..workflows.rights import RESTRICTION_GROUNDS
from .base import Form
from .staff import MultiCheckboxField
from .validators import no_control_characters, single_line, strip_filter


def _text(label, max_length: int = 2000, *, textarea: bool = True, audience=None):
    field = TextAreaField if textarea else StringField
    # WTForms fills in %(max)d when it raises the message.
    validators = [Optional(), Length(max=max_length, message=_l("Gebruik maximaal %(max)d tekens.")),
                  no_control_characters]
    if not textarea:
        validators.append(single_line)
    # ``audience`` says who reads the text (issue 11 point 7), shown as the field's help.
    return field(label, filters=[strip_filter], validators=validators, description=audience or "")


class VersionForm(Form):
    """Steps that change what closing depends on carry the case version they were loaded at."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class UploadForm(Form):
    file = FileField(_l("Bestand (PDF, CSV, PNG of JPEG)"), validators=[FileRequired(_l("Kies een bestand."))])
    category_id = SelectField(_l("Categorie uit het verwerkingsregister"), coerce=int,
                              validators=[InputRequired(_l("Kies een categorie."))], validate_choice=False)
    title = _text(_l("Omschrijving voor de aanvrager (bijvoorbeeld: Rapport leerjaar 4)"), 200, textarea=False,
                  audience=_l("De aanvrager leest dit in de brief en bij het pakket."))


class ChecksForm(Form):
    third_party = BooleanField(_l("Gegevens van medeleerlingen en andere ouders zijn weggelakt (R-EX-2)"))
    work_notes = BooleanField(_l("Gecontroleerd op werkaantekeningen: alleen puur persoonlijke geheugensteuntjes "
                                 "buiten de schoolsystemen blijven weg (R-EX-3)"))


class RectificationForm(Form):
    category_id = SelectField(_l("Categorie uit het verwerkingsregister"), coerce=int,
                              validators=[InputRequired(_l("Kies een categorie."))], validate_choice=False)
    kind = RadioField(_l("Soort gegeven"), choices=dict(RECTIFICATION_KINDS),
                      validators=[InputRequired(_l("Kies een soort."))])
    field = _text(_l("Welk gegeven (bijvoorbeeld: geboortedatum)"), 200, textarea=False,
                  audience=_l("De aanvrager leest dit in de brief."))
    old_value = _text(_l("Huidige (onjuiste) waarde"), 1000, audience=_l("De aanvrager leest dit in de brief."))
    new_value = _text(_l("Juiste waarde (bij een feitelijk gegeven)"), 1000,
                      audience=_l("De aanvrager leest dit in de brief."))
    evidence = _text(_l("Gezien bewijs (bijvoorbeeld: uittreksel BRP)"), 1000,
                     audience=_l("Alleen intern: collega's, de directeur en de privacy officer lezen dit in het "
                                 "dossier. Het komt nooit in een brief, mail of op Mijn verzoek."))
    statement = _text(_l("Verklaring van de aanvrager die aan het dossier wordt toegevoegd (bij een mening)"), 5000,
                      audience=_l("Komt in het leerlingdossier: wie het dossier inziet, leest dit."))


class LeavingForm(VersionForm):
    left_on = DateField(_l("Uitschrijfdatum volgens BRON"), validators=[Optional()])
    enrolled = BooleanField(_l("De leerling staat nog ingeschreven"))


class ErasureDecisionForm(VersionForm):
    """R-RI-3 step 1 for one policy-period category: an Art. 17(1) ground (erase), or none applies (keep)."""

    choice = RadioField(_l("Geldt er een grond van art. 17 lid 1 AVG?"), choices=[],
                        validators=[InputRequired(_l("Kies een grond, of dat geen grond van toepassing is."))],
                        validate_choice=False)


class SingleItemForm(Form):
    """One outdated or unlawful item erased while the rest stays (R-RI-3 step 3)."""

    category_id = SelectField(_l("Categorie uit het verwerkingsregister"), coerce=int,
                              validators=[InputRequired(_l("Kies een categorie."))], validate_choice=False)
    document = _text(_l("Welk stuk (de aanvrager leest dit in de brief; geen namen van anderen)"), 200,
                     textarea=False)
    ground = RadioField(_l("Grond"), choices=Labels({
        "17_1_a": _l("Niet meer nodig (art. 17 lid 1 sub a AVG)"),
        "17_1_d": _l("Onrechtmatig verwerkt (art. 17 lid 1 sub d AVG)")}).choices(),
        validators=[InputRequired(_l("Kies een grond."))])
    reason = _text(_l("Uitleg voor de aanvrager (komt in de brief)"), 1000)


class WithdrawalItemForm(Form):
    """R-CH-8: what stopped and what was erased for one consent-based category; both are read by the requester."""

    stopped = _text(_l("Wat is gestopt (de aanvrager leest dit in de brief)"), 1000)
    erased = _text(_l("Wat is verwijderd (de aanvrager leest dit in de brief)"), 1000)


class DecisionForm(VersionForm):
    outcome = RadioField(_l("Beslissing"), choices={}, validators=[InputRequired(_l("Kies een beslissing."))],
                         validate_choice=False)
    ground = RadioField(_l("Grond voor beperking (art. 18 lid 1)"), choices=dict(RESTRICTION_GROUNDS),
                        validators=[Optional()], validate_choice=False)
    category_ids = MultiCheckboxField(_l("Om welke gegevens gaat het?"), coerce=int, validate_choice=False)
    explanation = _text(_l("Uitleg voor de aanvrager (komt in de brief)"), 5000,
                        audience=_l("De aanvrager leest dit in de brief."))


class TaskForm(VersionForm):
    outcome = RadioField(_l("Uitkomst"), choices=Labels({"done": _l("Bericht gestuurd"),
                                                              "exception": _l("Uitzondering vastleggen")}).choices(),
                         validators=[InputRequired(_l("Kies een uitkomst."))])
    exception_kind = RadioField(_l("Soort uitzondering"), choices=dict(TASK_EXCEPTIONS), validators=[Optional()],
                                validate_choice=False)
    note = _text(_l("Hoe en wanneer gemeld, of waarom niet"), 2000,
                 audience=_l("Bij een uitzondering leest de aanvrager dit in de brief; anders alleen intern."))


class LetterSendForm(Form):
    digest = HiddenField(validators=[InputRequired()])
    corrected = BooleanField(_l("Ik verstuur bewust een gecorrigeerde brief; de aanvrager heeft de eerdere brief al"))
