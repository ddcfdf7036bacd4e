"""Staff register a request that came by letter, e-mail, phone or at the counter (issue 15 point 1).

The same questions as the public form (:class:`dsr.forms.intake.IntakeForm`), asked of staff about the
requester, plus how and when the request arrived. Every free-text field says who reads it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import EmailField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from ..models import User
from ..services.clock import local_today
from ..templating import LANGUAGE_NAMES
from ..workflows.channels import CHANNEL_LABELS, DESK_CHANNELS, SPOKEN_CHANNELS, received_on_problem
from .intake import DutchDateField, IntakeForm
from .validators import RequiredWhen, no_control_characters, no_web_address, single_line, strip_filter

#: What the requester typed or said: read by whoever handles the request (as on the public form).
HANDLERS_READ = _l("De medewerkers die het verzoek behandelen, de directeur en de privacy officer lezen dit; het komt "
                   "in het dossier van het verzoek. Neem over wat de aanvrager schreef of zei.")
#: Why the request is entered with an earlier date.
LOGBOOK_ONLY = _l("Alleen voor medewerkers en de privacy officer; staat in het logboek van het verzoek. De aanvrager "
                  "leest dit niet.")


#: The fields about how the request came in, which the public form does not have.
DESK_FIELDS = ("channel", "received_on", "late_reason", "taken_by", "document", "language")


def _max(length: int) -> Length:
    return Length(max=length, message=_l("Gebruik maximaal %(max)d tekens."))


def _spoken(form) -> bool:
    return form.channel.data in SPOKEN_CHANNELS


class ChannelIntakeForm(IntakeForm):
    """A request received outside the web form, entered by staff for one of their schools."""

    channel = RadioField(_l("Hoe kwam het verzoek binnen?"),
                         choices=[c for c in CHANNEL_LABELS.choices() if c.value in DESK_CHANNELS],
                         invalid_choice_message=_l("Kies brief, e-mail, telefoon of balie."),
                         validators=[InputRequired(_l("Kies hoe het verzoek binnenkwam."))])
    received_on = DutchDateField(
        _l("Datum van ontvangst"), format=["%Y-%m-%d", "%d-%m-%Y"],
        description=_l("De dag waarop het verzoek bij de school binnenkwam (de poststempel telt niet; wel de dag "
                       "van bezorging, van de e-mail, van het gesprek). De wettelijke termijn loopt vanaf die dag, "
                       "ook als u het later registreert."),
        validators=[InputRequired(_l("Vul de datum van ontvangst in (dag, maand, jaar)."))])
    late_reason = TextAreaField(_l("Waarom wordt het verzoek pas nu geregistreerd?"), description=LOGBOOK_ONLY,
                                filters=[strip_filter],
                                validators=[Optional(), _max(1000), no_control_characters])
    taken_by = StringField(_l("Aangenomen door"), filters=[strip_filter],
                           description=_l("Wie het verzoek ontving: het telefoongesprek voerde, de aanvrager aan de "
                                          "balie sprak of de brief of e-mail opende. Alleen voor medewerkers; staat "
                                          "bij het verzoek."),
                           validators=[RequiredWhen(_spoken, _l("Vul in wie het verzoek heeft aangenomen.")),
                                       _max(200), single_line, no_web_address])
    document = FileField(_l("Scan van de brief of de oorspronkelijke e-mail"),
                         description=_l("PDF, PNG of JPEG, of de e-mail zoals het mailprogramma hem bewaart (.eml). "
                                        "Verplicht bij een brief of e-mail; bij telefoon of balie alleen als er iets "
                                        "op papier is. Het bestand wordt versleuteld bewaard; alleen medewerkers van "
                                        "de school, de directeur en de privacy officer kunnen het openen, en dat "
                                        "staat in het logboek."))
    language = SelectField(_l("Taal van de e-mails aan de aanvrager"),
                           choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()], default="nl",
                           validators=[InputRequired(_l("Kies een taal."))])

    # The requester's own fields, asked of staff about the requester.
    requester_name = StringField(_l("Naam van de aanvrager"), filters=[strip_filter],
                                 validators=[DataRequired(_l("Vul de naam van de aanvrager in.")), _max(200),
                                             single_line, no_web_address])
    requester_email = EmailField(
        _l("E-mailadres van de aanvrager"), filters=[strip_filter],
        description=_l("Hier gaan de ontvangstbevestiging, de link naar Mijn verzoek en het antwoord naartoe; de "
                       "aanvrager bevestigt het adres eerst. Heeft de aanvrager geen e-mailadres? Registreer het "
                       "verzoek dan niet hier, maar geef het vandaag nog door aan de privacy officer: de school "
                       "behandelt het dan op papier en antwoordt per brief, binnen dezelfde termijn."),
        validators=[DataRequired(_l("Vul het e-mailadres van de aanvrager in.")), single_line, _max(254),
                    Email(_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."),
                          allow_smtputf8=False)])
    requester_phone = TelField(_l("Telefoonnummer van de aanvrager (niet verplicht)"), filters=[strip_filter],
                               validators=[Optional(), single_line,
                                           Regexp(r"^\+?[0-9 ()-]{8,20}$",
                                                  message=_l("Vul een geldig telefoonnummer in."))])
    details = TextAreaField(_l("Toelichting van de aanvrager"), description=HANDLERS_READ, filters=[strip_filter],
                            validators=[Optional(), _max(5000), no_control_characters])

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Least privilege: only the schools this user works for (the privacy officer: all active schools).
        allowed = [c for c in self.school_id.choices[1:]
                   if user.sees_all_schools or c.value in user.school_ids]
        self.school_id.choices = [SelectChoice(0, _("Kies een school"))] + allowed
        self.data_concerned.description = HANDLERS_READ
        self.correct_value.description = HANDLERS_READ
        if self.taken_by.data is None:
            self.taken_by.data = user.name

    def validate_school_id(self, field) -> None:
        super().validate_school_id(field)
        if field.data not in {c.value for c in self.school_id.choices[1:]}:
            raise ValidationError(_("U kunt alleen verzoeken registreren voor uw eigen school."))

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the date rules (docs/legal.md §1a): future refused, too old refused, a past date
        needs a reason; the message goes to the field it is about."""
        valid = super().validate(extra_validators)
        if self.received_on.data is not None and not self.received_on.errors:
            problem = received_on_problem(self.received_on.data, local_today(), self.late_reason.data or "")
            if problem:
                getattr(self, problem[0]).errors.append(problem[1])
                valid = False
        if self.channel.data in DESK_CHANNELS and not _spoken(self) and not self.attached():
            self.document.errors.append(_("Voeg de scan van de brief of de e-mail toe."))
            valid = False
        return valid

    def to_request(self) -> dict:
        """The request itself, in the shape ``services.cases.open_new_case`` takes (as the public form gives it);
        how it came in goes separately (``services.channel_intake.Registration``)."""
        data = super().to_request()
        for name in DESK_FIELDS:
            data.pop(name, None)
        return data

    def attached(self) -> bool:
        """Whether a file was chosen (a browser sends an empty part for an empty file input)."""
        file = self.document.data
        return bool(file is not None and getattr(file, "filename", ""))


__all__ = ["ChannelIntakeForm"]
