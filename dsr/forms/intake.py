"""The public request form (no account), in the visitor's language (Dutch by default)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from ..services.clock import local_today
from ..services.schools import active_school_choices
from ..workflows import policy
from ..workflows.labels import Labels
from ..workflows.vocabulary import REQUESTER_LABELS, RIGHT_LABELS, SUBJECT_LABELS
from .base import Form
from .validators import RequiredWhen, no_control_characters, no_web_address, single_line, strip_filter

#: A (former) pupil is at least this old and, for plausibility, at most this old at receipt.
MIN_AGE, MAX_AGE = 2, 40
#: School ids are 32-bit integers in every supported database; larger numbers cannot be a school.
_MAX_ID = 2**31 - 1

RIGHT_HELP = Labels({
    "access": _l("U ontvangt een kopie van de gegevens die de school over de leerling heeft."),
    "rectification": _l("Een feitelijk onjuist gegeven laten verbeteren, zoals adres, naam of geboortedatum."),
    "erasure": _l("Gegevens laten verwijderen die de school niet meer nodig heeft of mag bewaren."),
    "restriction": _l("De school gebruikt de gegevens tijdelijk niet, bijvoorbeeld terwijl een fout wordt onderzocht."),
    "objection": _l("Bezwaar maken tegen een verwerking die de school doet voor haar publieke taak."),
    "portability": _l("Gegevens die u zelf heeft aangeleverd in een bruikbaar bestand ontvangen."),
    "consent_withdrawal": _l("Eerder gegeven toestemming intrekken, bijvoorbeeld voor foto's op de website. De "
                             "school stopt dan met dat gebruik en verwijdert de gegevens. U hoeft geen reden te "
                             "geven."),
})


def _max(length: int) -> Length:
    # WTForms fills in %(max)d when it raises the message.
    return Length(max=length, message=_l("Gebruik maximaal %(max)d tekens."))


def _school_id(value):
    """Coerce the posted school id; anything that is not a whole number becomes None (no school)."""
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class DutchDateField(DateField):
    """A date field that takes ISO (what a date picker sends) and Dutch ``dd-mm-jjjj``, with a message
    in the visitor's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Vul een bestaande datum in, bijvoorbeeld 14-03-2012.")) from exc


def _is_parent(form) -> bool:
    """Gezag is asked of parents, voogden and carers about the student's data (not about their own)."""
    return form.requester_role.data in policy.GEZAG_ROLES and form.subject.data != "requester"


def _names_data(form) -> bool:
    return form.right.data in ("rectification", "erasure", "consent_withdrawal")


def _corrects_data(form) -> bool:
    return form.right.data == "rectification"


class IntakeForm(Form):
    """A data-subject request: what, which school and student, who asks, and details."""

    right = RadioField(_l("Wat wilt u vragen?"), choices=RIGHT_LABELS.choices(),
                       invalid_choice_message=_l("Kies een van de soorten verzoeken hieronder."),
                       validators=[InputRequired(_l("Kies wat u wilt vragen."))])
    school_id = SelectField(_l("School"), coerce=_school_id, validate_choice=False,
                            validators=[InputRequired(_l("Kies de school."))])
    student_name = StringField(_l("Naam van de leerling"), filters=[strip_filter],
                               validators=[DataRequired(_l("Vul de naam van de leerling in.")),
                                           _max(200), single_line, no_web_address])
    student_birth_date = DutchDateField(_l("Geboortedatum van de leerling"), format=["%Y-%m-%d", "%d-%m-%Y"],
                                        validators=[InputRequired(_l("Vul de geboortedatum in (dag, maand, jaar)."))])
    student_number = StringField(_l("Leerlingnummer (als u het weet)"), filters=[strip_filter],
                                 validators=[Optional(), _max(40), single_line,
                                             Regexp(r"^[A-Za-z0-9-]+$",
                                                    message=_l("Gebruik alleen letters en cijfers."))])
    requester_role = RadioField(_l("Wie doet het verzoek?"), choices=REQUESTER_LABELS.choices(),
                                invalid_choice_message=_l("Kies een van de mogelijkheden."),
                                validators=[InputRequired(_l("Kies wie het verzoek doet."))])
    subject = RadioField(_l("Over wie gaat het verzoek?"), choices=SUBJECT_LABELS.choices(), default="student",
                         invalid_choice_message=_l("Kies de leerling of uzelf."),
                         # Missing means the student: older clients of this form never sent the field.
                         validators=[Optional()])
    parental_authority = RadioField(
        _l("Heeft u het ouderlijk gezag over de leerling?"),
        choices=Labels({"yes": _l("Ja"), "no": _l("Nee"), "unknown": _l("Weet ik niet")}).choices(),
        invalid_choice_message=_l("Kies ja, nee of weet ik niet."),
        validators=[RequiredWhen(_is_parent, _l("Geef aan of u het ouderlijk gezag heeft."))],
    )
    requester_name = StringField(_l("Uw naam"), filters=[strip_filter],
                                 validators=[DataRequired(_l("Vul uw naam in.")), _max(200), single_line,
                                             no_web_address])
    requester_email = EmailField(_l("Uw e-mailadres"), filters=[strip_filter],
                                 validators=[DataRequired(_l("Vul uw e-mailadres in.")), single_line,
                                             _max(254),
                                             # No accents before the @: not every mail server can deliver those.
                                             Email(_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."),
                                                   allow_smtputf8=False)])
    requester_phone = TelField(_l("Telefoonnummer (niet verplicht)"), filters=[strip_filter],
                               validators=[Optional(), single_line,
                                           Regexp(r"^\+?[0-9 ()-]{8,20}$",
                                                  message=_l("Vul een geldig telefoonnummer in."))])
    details = TextAreaField(_l("Toelichting"), filters=[strip_filter],
                            validators=[Optional(), _max(5000), no_control_characters])
    data_concerned = TextAreaField(_l("Om welke gegevens gaat het?"), filters=[strip_filter],
                                   validators=[RequiredWhen(_names_data, _l("Geef aan om welke gegevens het gaat.")),
                                               _max(2000), no_control_characters])
    correct_value = TextAreaField(_l("Wat is het juiste gegeven?"), filters=[strip_filter],
                                  validators=[RequiredWhen(_corrects_data, _l("Geef aan wat het juiste gegeven is.")),
                                              _max(2000), no_control_characters])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The list kept by this process for a short while (issue 16 point 5), on GET and POST alike.
        self._schools = active_school_choices()
        self.school_id.choices = [SelectChoice(0, _("Kies een school"))] + \
            [SelectChoice(school_id, name) for school_id, name in self._schools]

    def validate_school_id(self, field) -> None:
        # A non-number or a number no database column can hold is no school (and must not reach SQL). The
        # list may be a few seconds old: storing the request checks the school again (services.cases).
        if field.data is None or not 0 < field.data <= _MAX_ID or not self._offers(field.data):
            raise ValidationError(_("Kies een school uit de lijst."))

    def _offers(self, school_id: int) -> bool:
        """Whether ``school_id`` is an active school: in the kept list, or else in a fresh one (a school
        another process added within the list's time is accepted at once, and the list is renewed)."""
        if school_id in {known for known, _name in self._schools}:
            return True
        self._schools = active_school_choices(fresh=True)
        return school_id in {known for known, _name in self._schools}

    def validate_student_birth_date(self, field) -> None:
        if field.data is None:  # not a date: the field already says so
            raise StopValidation()
        today = local_today()
        if field.data > today:
            raise ValidationError(_("De geboortedatum ligt in de toekomst."))
        age = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
        if age < MIN_AGE or age > MAX_AGE:
            raise ValidationError(_("Controleer de geboortedatum: die past niet bij een (oud-)leerling."))

    def to_request(self) -> dict:
        """The validated values in the shape ``services.cases.submit_request`` takes."""
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        authority = data.pop("parental_authority")
        data["parental_authority"] = {"yes": True, "no": False}.get(authority)
        # A student's "own data" is the student file; only others can ask about themselves.
        data["subject"] = "requester" if data.get("subject") == "requester" and data["requester_role"] != "student" \
            else "student"
        return data

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) of every answer, as the check step shows them before the request is sent."""
        def choice(field) -> str:
            return next((str(label) for value, label, *_ in field.iter_choices() if value == field.data), "")

        rows = [(self.right.label.text, choice(self.right)), (self.school_id.label.text, choice(self.school_id)),
                (self.student_name.label.text, self.student_name.data),
                (self.student_birth_date.label.text, self.student_birth_date.data.strftime("%d-%m-%Y")),
                (self.student_number.label.text, self.student_number.data or ""),
                (self.requester_role.label.text, choice(self.requester_role))]
        if self.requester_role.data != "student":
            rows.append((self.subject.label.text, choice(self.subject) or SUBJECT_LABELS["student"]))
        if _is_parent(self):
            rows.append((self.parental_authority.label.text, choice(self.parental_authority)))
        rows += [(f.label.text, f.data or "") for f in (self.requester_name, self.requester_email,
                                                        self.requester_phone, self.data_concerned,
                                                        self.correct_value, self.details)]
        return [(str(label), value) for label, value in rows if value]


def preview_inputs(values) -> dict:
    """The arguments of ``intake_preview.what_you_get`` from raw form values (a POST, or the live preview's
    query string): whatever is missing or unreadable becomes None, so the preview asks for it."""
    birth = None
    raw = (values.get("student_birth_date") or "").strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            birth = dt.datetime.strptime(raw, fmt).date()
            break
        except ValueError:
            continue
    role = values.get("requester_role")
    return {"requester": role if role in policy.REQUESTERS else None,
            "parental_authority": values.get("parental_authority") if values.get("parental_authority") in
            ("yes", "no", "unknown") else None,
            "birth_date": birth, "right": values.get("right") if values.get("right") in policy.RIGHTS else None,
            "subject": "requester" if values.get("subject") == "requester" else "student"}
