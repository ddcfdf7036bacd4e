"""Forms of the requester portal, the student's consent page and the staff side of both, in the
reader's language (Dutch by default): every label, choice and message is a ``lazy_gettext`` string."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..workflows.labels import Labels
from .validators import no_control_characters, single_line, strip_filter


def _max(length: int) -> Length:
    # WTForms fills in %(max)d when it raises the message.
    return Length(max=length, message=_l("Gebruik maximaal %(max)d tekens."))


def _email(label: str) -> EmailField:
    return EmailField(label, filters=[strip_filter], validators=[
        DataRequired(_l("Vul een e-mailadres in.")), single_line, _max(254),
        Email(_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."), allow_smtputf8=False)])


class LinkRequestForm(FlaskForm):
    """"Mijn verzoek": reference and address; a link goes to the address if they belong together."""

    reference = StringField(_l("Uw kenmerk"), filters=[strip_filter],
                            validators=[DataRequired(_l("Vul uw kenmerk in, bijvoorbeeld AVG-2026-00042.")),
                                        single_line, _max(20)],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    email = _email(_l("Het e-mailadres waarmee u het verzoek deed"))


class MessageForm(FlaskForm):
    """A message in the thread (requester or staff)."""

    body = TextAreaField(_l("Uw bericht"), filters=[strip_filter],
                         validators=[DataRequired(_l("Schrijf een bericht.")), _max(5000), no_control_characters])


class UploadForm(FlaskForm):
    """A file the school asked for; checked by content and size in ``services.portal_messages``."""

    file = FileField(_l("Bestand (PDF, PNG of JPEG)"))
    note = StringField(_l("Wat is dit? (niet verplicht)"), filters=[strip_filter],
                       validators=[Optional(), single_line, _max(300)])


class WithdrawForm(FlaskForm):
    """The confirmation step before a requester withdraws the request."""

    confirm = BooleanField(_l("Ja, ik trek mijn verzoek in. Ik weet dat de school het dan niet verder behandelt."),
                           validators=[InputRequired(_l("Vink aan dat u uw verzoek wilt intrekken."))])
    reason = TextAreaField(_l("Waarom trekt u uw verzoek in? (niet verplicht)"), filters=[strip_filter],
                           validators=[Optional(), _max(1000), no_control_characters])


class ConsentRequestForm(FlaskForm):
    """Staff: send the student a consent request at the student's own address."""

    student_email = _email(_l("E-mailadres van de leerling zelf (bijvoorbeeld het schoolaccount)"))


CONSENT_CHOICES = Labels({
    "full": _l("Ja, alles: mijn ouder mag alles zien waar om gevraagd is"),
    "learning_results": _l("Ja, maar alleen mijn leerresultaten"),
    "declined": _l("Nee, ik geef geen toestemming"),
})


class ConsentAnswerForm(FlaskForm):
    """The student's answer (or a changed answer): consent with a scope, or no consent."""

    answer = RadioField(_l("Jouw antwoord"), choices=CONSENT_CHOICES.choices(),
                        validators=[InputRequired(_l("Kies een antwoord."))])

    def restrict(self, scopes: tuple[str, ...]) -> ConsentAnswerForm:
        """Offer only the scopes that mean something for this student, plus "no"."""
        self.answer.choices = [choice for choice in CONSENT_CHOICES.choices()
                               if choice.value in scopes or choice.value == "declined"]
        return self


class ConsentWithdrawForm(FlaskForm):
    """The student withdraws a consent given earlier."""

    confirm = BooleanField(_l("Ja, ik trek mijn toestemming in."),
                           validators=[InputRequired(_l("Vink aan dat je je toestemming wilt intrekken."))])
