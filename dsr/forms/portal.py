"""Forms of the requester portal, the student's consent page and the staff side of both."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from .validators import no_control_characters, single_line, strip_filter


def _max(length: int) -> Length:
    return Length(max=length, message=f"Gebruik maximaal {length} tekens.")


def _email(label: str) -> EmailField:
    return EmailField(label, filters=[strip_filter], validators=[
        DataRequired("Vul een e-mailadres in."), single_line, _max(254),
        Email("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.", allow_smtputf8=False)])


class LinkRequestForm(FlaskForm):
    """"Mijn verzoek": reference and address; a link goes to the address if they belong together."""

    reference = StringField("Uw kenmerk", filters=[strip_filter],
                            validators=[DataRequired("Vul uw kenmerk in, bijvoorbeeld AVG-2026-00042."),
                                        single_line, _max(20)],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    email = _email("Het e-mailadres waarmee u het verzoek deed")


class MessageForm(FlaskForm):
    """A message in the thread (requester or staff)."""

    body = TextAreaField("Uw bericht", filters=[strip_filter],
                         validators=[DataRequired("Schrijf een bericht."), _max(5000), no_control_characters])


class UploadForm(FlaskForm):
    """A file the school asked for; checked by content and size in ``services.portal``."""

    file = FileField("Bestand (PDF, PNG of JPEG)")
    note = StringField("Wat is dit? (niet verplicht)", filters=[strip_filter],
                       validators=[Optional(), single_line, _max(300)])


class WithdrawForm(FlaskForm):
    """The confirmation step before a requester withdraws the request."""

    confirm = BooleanField("Ja, ik trek mijn verzoek in. Ik weet dat de school het dan niet verder behandelt.",
                           validators=[InputRequired("Vink aan dat u uw verzoek wilt intrekken.")])
    reason = TextAreaField("Waarom trekt u uw verzoek in? (niet verplicht)", filters=[strip_filter],
                           validators=[Optional(), _max(1000), no_control_characters])


class ConsentRequestForm(FlaskForm):
    """Staff: send the student a consent request at the student's own address."""

    student_email = _email("E-mailadres van de leerling zelf (bijvoorbeeld het schoolaccount)")


CONSENT_CHOICES = {
    "full": "Ja, ik geef toestemming voor alles waar om gevraagd is",
    "learning_results": "Ja, maar alleen voor mijn leerresultaten (cijfers, rapporten, examenresultaten, "
                        "diploma en adviezen)",
    "declined": "Nee, ik geef geen toestemming",
}


class ConsentAnswerForm(FlaskForm):
    """The student's answer: consent with a scope, or no consent."""

    answer = RadioField("Uw antwoord", choices=CONSENT_CHOICES, validators=[InputRequired("Kies een antwoord.")])

    def restrict(self, scopes: tuple[str, ...]) -> ConsentAnswerForm:
        """Offer only the scopes that mean something for this student, plus "no"."""
        self.answer.choices = [(k, v) for k, v in CONSENT_CHOICES.items() if k in scopes or k == "declined"]
        return self


class ConsentWithdrawForm(FlaskForm):
    confirm = BooleanField("Ja, ik trek mijn toestemming in.",
                           validators=[InputRequired("Vink aan dat u uw toestemming wilt intrekken.")])
