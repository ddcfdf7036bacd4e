"""Forms of the fulfilment section on the case page (staff) — every one carries CSRF via the base form.
Labels, choices and messages are ``lazy_gettext`` strings: they read in the language of each request."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, MultipleFileField
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
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation

from ..models.fulfilment import RECTIFICATION_KINDS, TASK_EXCEPTIONS
from ..workflows.labels import Labels
from ..workflows.rights import RESTRICTION_GROUNDS
from .base import Form
from .staff import MultiCheckboxField
from .validators import no_control_characters, single_line, strip_filter


def _text(label, max_length: int = 2000, *, textarea: bool = True, audience=None, required=None):
    field = TextAreaField if textarea else StringField
    # ``required``: the message when left empty; the field is then marked as required on the page (the
    # service checks the same again). DataRequired: a text of only spaces counts as empty.
    # WTForms fills in %(max)d when it raises the message.
    validators = [DataRequired(required) if required else Optional(),
                  Length(max=max_length, message=_l("Gebruik maximaal %(max)d tekens.")), no_control_characters]
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


def _database_id(raw: str) -> int | None:
    """A posted id as a number a database key can hold (anything else: None, never a 500 on PostgreSQL)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 else None


class BulkUploadForm(Form):
    """Several documents in one post (issue 15 point 4). Each file gets its own category and description
    through the parallel lists ``file_category`` and ``file_title`` (one row per chosen file, built by
    static/package.js); a row left empty, or a browser without scripts, takes the category and description
    given for all files. Every file is checked on its own (services.packages.add_documents)."""

    files = MultipleFileField(_l("Bestanden (PDF, CSV, PNG of JPEG; u kunt er meerdere tegelijk kiezen)"),
                              validators=[FileRequired(_l("Kies een of meer bestanden."))])
    category_id = SelectField(_l("Categorie uit het verwerkingsregister (voor elk bestand zonder eigen keuze)"),
                              coerce=lambda value: _database_id(str(value)) if value is not None else None,
                              validate_choice=False, choices=[], default=None)
    title = _text(_l("Omschrijving voor de aanvrager (voor elk bestand zonder eigen omschrijving)"), 200,
                  textarea=False, audience=_l("De aanvrager leest dit in de brief en bij het pakket."))

    def validate_category_id(self, field) -> None:
        """Every file needs a category: its own, or the one for all files."""
        if field.data is None and any(category is None for category, _title in self.rows(request.form)):
            raise StopValidation(str(_l("Kies een categorie (voor alle bestanden, of bij elk bestand).")))

    def rows(self, request_form) -> list[tuple[int | None, str]]:
        """Per chosen file, in order: its own category (None: the one for all files) and description."""
        categories, titles = request_form.getlist("file_category"), request_form.getlist("file_title")
        rows = []
        for index, _storage in enumerate(self.files.data or []):
            raw = categories[index].strip() if index < len(categories) else ""
            category = _database_id(raw)
            title = titles[index].strip() if index < len(titles) else ""
            rows.append((category, title))
        return rows


class ChecksForm(Form):
    third_party = BooleanField(_l("Gegevens van medeleerlingen en andere ouders zijn weggelakt (R-EX-2)"))
    work_notes = BooleanField(_l("Gecontroleerd op werkaantekeningen: alleen puur persoonlijke geheugensteuntjes "
                                 "buiten de schoolsystemen blijven weg (R-EX-3)"))


class AllChecksForm(Form):
    """The checks of every document in one post; "check all" (``all_*``) confirms each document's check at once.
    The per-document boxes are read from the post (``d<id>-third_party``, ``d<id>-work_notes``), as the
    one-document form names them, so each document is still confirmed and audited on its own."""

    all_third_party = BooleanField(_l("Alle documenten: gegevens van medeleerlingen en andere ouders zijn "
                                      "weggelakt (R-EX-2)"))
    all_work_notes = BooleanField(_l("Alle documenten: gecontroleerd op werkaantekeningen (R-EX-3)"))

    def checks_for(self, request_form) -> dict[int, tuple[bool, bool]]:
        """Per document shown on the form (``document_id``, hidden): (third party checked, work notes
        checked), "check all" included. A document added meanwhile elsewhere was not seen: not in here."""
        document_ids = [found for found in map(_database_id, request_form.getlist("document_id")) if found]
        return {document_id: (
            bool(self.all_third_party.data) or request_form.get(f"d{document_id}-third_party") == "y",
            bool(self.all_work_notes.data) or request_form.get(f"d{document_id}-work_notes") == "y")
            for document_id in document_ids}


#: The confirmation before something leaves for the requester (issue 15 point 4): checked by the server.
SEND_PACKAGE = _l("Ik heb het pakket gecontroleerd en wil het versturen")
CONFIRM_MESSAGE = _l("Bevestig eerst dat u het wilt versturen: vink het vakje aan.")


class ReleaseForm(VersionForm):
    """Release the package: only with the box ticked that says it was checked and may go out."""

    confirmed = BooleanField(SEND_PACKAGE, validators=[DataRequired(CONFIRM_MESSAGE)])


class RectificationForm(Form):
    category_id = SelectField(_l("Categorie uit het verwerkingsregister"), coerce=int,
                              validators=[InputRequired(_l("Kies een categorie."))], validate_choice=False)
    kind = RadioField(_l("Soort gegeven"), choices=dict(RECTIFICATION_KINDS),
                      validators=[InputRequired(_l("Kies een soort."))])
    field = _text(_l("Welk gegeven (bijvoorbeeld: geboortedatum)"), 200, textarea=False,
                  audience=_l("De aanvrager leest dit in de brief."),
                  required=_l("Noem het gegeven (bijvoorbeeld: geboortedatum)."))
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
                     textarea=False,
                     required=_l("Noem het stuk dat wordt verwijderd (bijvoorbeeld: gespreksverslag van 3 maart)."))
    ground = RadioField(_l("Grond"), choices=Labels({
        "17_1_a": _l("Niet meer nodig (art. 17 lid 1 sub a AVG)"),
        "17_1_d": _l("Onrechtmatig verwerkt (art. 17 lid 1 sub d AVG)")}).choices(),
        validators=[InputRequired(_l("Kies een grond."))])
    reason = _text(_l("Uitleg voor de aanvrager (komt in de brief)"), 1000)


class WithdrawalItemForm(Form):
    """R-CH-8: what stopped and what was erased for one consent-based category; both are read by the requester."""

    stopped = _text(_l("Wat is gestopt (de aanvrager leest dit in de brief)"), 1000,
                    required=_l("Beschrijf welk gebruik is gestopt."))
    erased = _text(_l("Wat is verwijderd (de aanvrager leest dit in de brief)"), 1000,
                   required=_l("Beschrijf wat is verwijderd."))


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
    confirmed = BooleanField(_l("Ik heb de brief gelezen en wil hem nu versturen"),
                             validators=[DataRequired(CONFIRM_MESSAGE)])
    corrected = BooleanField(_l("Ik verstuur bewust een gecorrigeerde brief; de aanvrager heeft de eerdere brief al"))
