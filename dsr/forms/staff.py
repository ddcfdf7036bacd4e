"""Forms for the workflow steps: one per trigger, each carrying the case version it was loaded at."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from ..workflows.extension import EXTENSION_REASONS
from ..workflows.labels import Labels
from ..workflows.vocabulary import DECISION_LABELS, INFORMATION_KINDS, REFUSAL_GROUNDS, VERIFICATION_METHODS
from .base import Form
from .validators import no_control_characters, strip_filter


class LoginForm(Form):
    """Staff sign-in."""

    email = EmailField(_l("E-mailadres"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul uw e-mailadres in."))])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in."))])


class CodeForm(Form):
    """Second step: a code from the authenticator app, or a recovery code."""

    code = StringField(_l("Code uit uw authenticator-app (of een herstelcode)"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul de code in.")), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mailadres"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul uw e-mailadres in."))])


class ResetPasswordForm(Form):
    password = PasswordField(_l("Nieuw wachtwoord (minstens 12 tekens)"),
                             validators=[DataRequired(_l("Kies een wachtwoord.")),
                                         Length(min=12, max=128, message=_l("Gebruik 12 tot 128 tekens."))],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Herhaal het nieuwe wachtwoord"),
                            validators=[EqualTo("password", message=_l("De wachtwoorden zijn niet gelijk."))],
                            render_kw={"autocomplete": "new-password"})


#: Who reads what staff type (issue 11 point 7): every free-text field says it.
INTERNAL = _l("Alleen intern: collega's, de directeur en de privacy officer lezen dit in het dossier. Het komt "
              "nooit in een brief, mail of op Mijn verzoek.")
FOR_APPROVER = _l("Alleen intern: wie de weigering goedkeurt (de directeur of de privacy officer) leest dit. Het "
                  "komt nooit in een brief, mail of op Mijn verzoek.")
FOR_PROPOSER = _l("Alleen intern: wie de weigering voorstelde leest dit in een mail; het komt in het dossier.")
IN_LETTER = _l("De aanvrager leest dit in de brief.")
IN_LETTER_AND_PORTAL = _l("De aanvrager leest dit in de brief en op Mijn verzoek.")


REASON_LABEL = _l("Toelichting")


def _reason(label=REASON_LABEL, audience=INTERNAL) -> TextAreaField:
    return TextAreaField(label, description=audience, filters=[strip_filter],
                         validators=[Optional(), Length(max=5000), no_control_characters])


class StepForm(Form):
    """Base of every step form: the version guards against concurrent edits."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    reason = _reason()

    def step_data(self) -> dict:
        """What the workflow records for this step (field values minus version and CSRF)."""
        return {name: field.data for name, field in self._fields.items() if name not in ("version", "csrf_token")}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VerifyIdentityForm(StepForm):
    method = RadioField(_l("Hoe is de identiteit vastgesteld?"), choices=VERIFICATION_METHODS.choices(),
                        validators=[InputRequired(_l("Kies een methode."))])
    authority = RadioField(_l("Gezag of machtiging (gecontroleerd in de administratie)"),
                           choices=Labels({"yes": _l("Heeft gezag / machtiging"), "no": _l("Geen gezag")}).choices(),
                           validators=[Optional()])


class RequestInformationForm(StepForm):
    kind = RadioField(_l("Wat vraagt u op?"), choices=INFORMATION_KINDS.choices(),
                      validators=[InputRequired(_l("Kies wat u opvraagt."))],
                      description=_l("Vraag naar de identiteit alleen bij gerede twijfel (art. 12 lid 6 AVG), niet als "
                                     "routine: zo'n vraag zet de termijn stil."))
    large_amount_of_data = BooleanField(
        _l("De school verwerkt een grote hoeveelheid gegevens over deze leerling (overweging 63 AVG)"),
        description=_l("Alleen bij verduidelijking: dan staat de termijn stil tot de aanvrager antwoordt. Zonder "
                       "vinkje loopt de termijn door (R-DL-6)."))
    reason = _reason(_l("Waarom u deze informatie nodig heeft"), IN_LETTER_AND_PORTAL)


class InformationReceivedForm(StepForm):
    received_on = DateField(_l("Ontvangen op"), validators=[Optional()])


class ReviewForm(StepForm):
    student_consent = BooleanField(_l("Schriftelijke toestemming van de leerling ontvangen (leerling 16+, R-CH-3/4)"))
    decision = RadioField(_l("Beslissing"), choices=DECISION_LABELS.choices(),
                          validators=[InputRequired(_l("Kies een beslissing."))])
    grounds = MultiCheckboxField(_l("Wettelijke grond(en) bij (gedeeltelijke) weigering"),
                                 choices=REFUSAL_GROUNDS.choices(), validate_choice=True)


class ReasonForm(StepForm):
    """Steps that need only an internal reason: withdraw, close, reopen, reassess."""


class FulfilForm(StepForm):
    reason = _reason(_l("Wat is er gedaan?"), IN_LETTER)


class ProposeRefusalForm(StepForm):
    """The note to the approver and the explanation to the requester are two fields (issue 11 point 7)."""

    reason = _reason(_l("Notitie voor wie goedkeurt"), FOR_APPROVER)
    requester_explanation = TextAreaField(
        _l("Uitleg voor de aanvrager"), description=IN_LETTER, filters=[strip_filter],
        validators=[Optional(), Length(max=5000), no_control_characters])


class ApprovalForm(StepForm):
    reason = _reason(_l("Toelichting bij uw besluit"), FOR_PROPOSER)


STEP_FORMS: dict[str, type[StepForm]] = {
    "verify_identity": VerifyIdentityForm,
    "request_information": RequestInformationForm,
    "information_received": InformationReceivedForm,
    "review": ReviewForm,
    "fulfil": FulfilForm,
    "propose_refusal": ProposeRefusalForm,
    "approve_refusal": ApprovalForm,
    "reject_refusal": ApprovalForm,
    "withdraw": ReasonForm,
    "close_unverified": ReasonForm,
    "reopen": ReasonForm,
    "reassess": ReasonForm,
}


class ExtensionForm(StepForm):
    """R-DL-5: extend by two months, with reasons the requester will read."""

    reasons = MultiCheckboxField(_l("Waarom is verlenging nodig?"), choices=EXTENSION_REASONS.choices())
    reason = _reason(_l("Toelichting"), IN_LETTER_AND_PORTAL)


class AppointApproverForm(Form):
    """The privacy officer appoints a director of another school to approve a refusal (four-eyes)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    approver_id = RadioField(_l("Directeur van een andere school"), coerce=int, choices=[], validate_choice=False,
                             validators=[InputRequired(_l("Kies een directeur."))])

__all__ = ["LoginForm", "STEP_FORMS", "StepForm"]
