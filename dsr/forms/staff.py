"""Forms for the workflow steps: one per trigger, each carrying the case version it was loaded at."""
from __future__ import annotations

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

from ..workflows import states as S
from ..workflows.extension import EXTENSION_REASONS
from .base import Form
from .validators import no_control_characters, strip_filter


class LoginForm(Form):
    """Staff sign-in."""

    email = EmailField("E-mailadres", filters=[strip_filter], validators=[DataRequired("Vul uw e-mailadres in.")])
    password = PasswordField("Wachtwoord", validators=[DataRequired("Vul uw wachtwoord in.")])


class CodeForm(Form):
    """Second step: a code from the authenticator app, or a recovery code."""

    code = StringField("Code uit uw authenticator-app (of een herstelcode)", filters=[strip_filter],
                       validators=[DataRequired("Vul de code in."), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ForgotPasswordForm(Form):
    email = EmailField("E-mailadres", filters=[strip_filter], validators=[DataRequired("Vul uw e-mailadres in.")])


class ResetPasswordForm(Form):
    password = PasswordField("Nieuw wachtwoord (minstens 12 tekens)",
                             validators=[DataRequired("Kies een wachtwoord."),
                                         Length(min=12, max=128, message="Gebruik 12 tot 128 tekens.")],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Herhaal het nieuwe wachtwoord",
                            validators=[EqualTo("password", message="De wachtwoorden zijn niet gelijk.")],
                            render_kw={"autocomplete": "new-password"})


class StepForm(Form):
    """Base of every step form: the version guards against concurrent edits."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    reason = TextAreaField("Toelichting", filters=[strip_filter],
                           validators=[Optional(), Length(max=5000), no_control_characters])

    def step_data(self) -> dict:
        """What the workflow records for this step (field values minus version and CSRF)."""
        return {name: field.data for name, field in self._fields.items() if name not in ("version", "csrf_token")}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VerifyIdentityForm(StepForm):
    method = RadioField("Hoe is de identiteit vastgesteld?", choices=dict(S.VERIFICATION_METHODS),
                        validators=[InputRequired("Kies een methode.")])
    authority = RadioField("Gezag of machtiging (gecontroleerd in de administratie)",
                           choices={"yes": "Heeft gezag / machtiging", "no": "Geen gezag"},
                           validators=[Optional()])


class RequestInformationForm(StepForm):
    kind = RadioField("Wat vraagt u op?", choices=dict(S.INFORMATION_KINDS),
                      validators=[InputRequired("Kies wat u opvraagt.")])


class InformationReceivedForm(StepForm):
    received_on = DateField("Ontvangen op", validators=[Optional()])


class ReviewForm(StepForm):
    student_consent = BooleanField("Schriftelijke toestemming van de leerling ontvangen (leerling 16+, R-CH-3/4)")
    decision = RadioField("Beslissing", choices=dict(S.DECISION_LABELS),
                          validators=[InputRequired("Kies een beslissing.")])
    grounds = MultiCheckboxField("Wettelijke grond(en) bij (gedeeltelijke) weigering",
                                 choices=dict(S.REFUSAL_GROUNDS), validate_choice=True)


class ReasonForm(StepForm):
    """Steps that need only a reason: fulfil, propose, approve, reject, withdraw, close, reopen."""


STEP_FORMS: dict[str, type[StepForm]] = {
    "verify_identity": VerifyIdentityForm,
    "request_information": RequestInformationForm,
    "information_received": InformationReceivedForm,
    "review": ReviewForm,
    "fulfil": ReasonForm,
    "propose_refusal": ReasonForm,
    "approve_refusal": ReasonForm,
    "reject_refusal": ReasonForm,
    "withdraw": ReasonForm,
    "close_unverified": ReasonForm,
    "reopen": ReasonForm,
    "reassess": ReasonForm,
}


class ExtensionForm(StepForm):
    """R-DL-5: extend by two months, with reasons the requester will read."""

    reasons = MultiCheckboxField("Waarom is verlenging nodig?", choices=dict(EXTENSION_REASONS))

__all__ = ["LoginForm", "STEP_FORMS", "StepForm"]
