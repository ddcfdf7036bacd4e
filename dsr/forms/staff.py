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
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from ..workflows.extension import EXTENSION_REASONS
from ..workflows.labels import Labels
from ..workflows.vocabulary import (
    DECISION_LABELS,
    INFORMATION_KINDS,
    PARTIAL,
    REFUSAL_GROUNDS,
    REFUSE,
    VERIFICATION_METHODS,
)
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


def _reason(label=REASON_LABEL, audience=INTERNAL, required=None) -> TextAreaField:
    """A free-text field; ``required``: the message when it is left empty (the field is then marked as
    required on the page, and the message shown at it). The workflow checks the same again (step_checks)."""
    first = DataRequired(required) if required else Optional()  # DataRequired: only spaces count as empty
    return TextAreaField(label, description=audience, filters=[strip_filter],
                         validators=[first, Length(max=5000, message=_l("Gebruik maximaal %(max)d tekens.")),
                                     no_control_characters])


class StepForm(Form):
    """Base of every step form: the version guards against concurrent edits."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    reason = _reason()
    #: The field a refusal by the workflow is about, once the form's own checks passed (None: the whole form).
    refusal_field: str | None = None

    def show_refusal(self, message: str) -> None:
        """Put the workflow's refusal at the field it is about, or above the form's fields, so the form
        opens again at the problem with every choice kept (issue 15 point 4)."""
        target = getattr(self, self.refusal_field, None) if self.refusal_field else None
        if target is not None:
            target.errors = [*(target.errors or []), message]
        else:
            self.form_errors.append(message)

    def step_data(self) -> dict:
        """What the workflow records for this step (field values minus version and CSRF)."""
        return {name: field.data for name, field in self._fields.items() if name not in ("version", "csrf_token")}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VerifyIdentityForm(StepForm):
    refusal_field = "authority"  # the method is the form's own check; gezag or a mandate is the workflow's
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
    reason = _reason(_l("Waarom u deze informatie nodig heeft"), IN_LETTER_AND_PORTAL,
                     required=_l("Leg uit waarom u deze informatie nodig heeft (R-LT-3)."))


class InformationReceivedForm(StepForm):
    refusal_field = "received_on"
    received_on = DateField(_l("Ontvangen op"), validators=[Optional()])


class ReviewForm(StepForm):
    student_consent = BooleanField(_l("Schriftelijke toestemming van de leerling ontvangen (leerling 16+, R-CH-3/4)"))
    decision = RadioField(_l("Beslissing"), choices=DECISION_LABELS.choices(),
                          validators=[InputRequired(_l("Kies een beslissing."))])
    grounds = MultiCheckboxField(_l("Wettelijke grond(en) bij (gedeeltelijke) weigering"),
                                 choices=REFUSAL_GROUNDS.choices(), validate_choice=True)
    reason = _reason(required=_l("Licht de beslissing toe."))
    refusal_field = "decision"  # what the workflow may still refuse: a decision the assessment does not allow

    def validate_grounds(self, field) -> None:
        """A (partial) refusal names its legal ground(s) (R-EX-1)."""
        if self.decision.data in (PARTIAL, REFUSE) and not field.data:
            raise ValidationError(str(_l("Kies bij een (gedeeltelijke) weigering de wettelijke grond(en) (R-EX-1).")))


class ReasonForm(StepForm):
    """Steps that need only an internal reason: withdraw, close, reopen, reassess (each says why it needs one)."""


class WithdrawForm(ReasonForm):
    reason = _reason(required=_l("Geef aan hoe en wanneer het verzoek is ingetrokken."))


class CloseUnverifiedForm(ReasonForm):
    reason = _reason(required=_l("Geef aan waarom het verzoek zonder verificatie wordt gesloten."))


class ReopenForm(ReasonForm):
    reason = _reason(required=_l("Geef de aanleiding voor heropenen (bezwaar, klacht of rechtszaak)."))


class ReassessForm(ReasonForm):
    reason = _reason(required=_l("Leg uit waarom opnieuw beoordeeld moet worden."))


class FulfilForm(StepForm):
    reason = _reason(_l("Wat is er gedaan?"), IN_LETTER,
                     required=_l("Beschrijf wat er is gedaan om het verzoek uit te voeren."))


class ProposeRefusalForm(StepForm):
    """The note to the approver and the explanation to the requester are two fields (issue 11 point 7)."""

    reason = _reason(_l("Notitie voor wie goedkeurt"), FOR_APPROVER,
                     required=_l("Schrijf een notitie voor wie de weigering goedkeurt."))
    requester_explanation = _reason(_l("Uitleg voor de aanvrager"), IN_LETTER,
                                    required=_l("Leg de weigering uit aan de aanvrager: die uitleg komt in de brief."))


class ApprovalForm(StepForm):
    reason = _reason(_l("Toelichting bij uw besluit"), FOR_PROPOSER,
                     required=_l("Geef een toelichting bij de goedkeuring."))


class RejectionForm(StepForm):
    reason = _reason(_l("Toelichting bij uw besluit"), FOR_PROPOSER,
                     required=_l("Geef aan waarom de weigering wordt afgewezen."))


STEP_FORMS: dict[str, type[StepForm]] = {
    "verify_identity": VerifyIdentityForm,
    "request_information": RequestInformationForm,
    "information_received": InformationReceivedForm,
    "review": ReviewForm,
    "fulfil": FulfilForm,
    "propose_refusal": ProposeRefusalForm,
    "approve_refusal": ApprovalForm,
    "reject_refusal": RejectionForm,
    "withdraw": WithdrawForm,
    "close_unverified": CloseUnverifiedForm,
    "reopen": ReopenForm,
    "reassess": ReassessForm,
}


class ExtensionForm(StepForm):
    """R-DL-5: extend by two months, with reasons the requester will read."""

    reasons = MultiCheckboxField(_l("Waarom is verlenging nodig?"), choices=EXTENSION_REASONS.choices())
    reason = _reason(_l("Toelichting"), IN_LETTER_AND_PORTAL, required=_l(
        "Licht concreet toe waarom verlenging nodig is; de aanvrager krijgt deze uitleg."))

    def validate_reasons(self, field) -> None:
        """At least one reason (R-DL-5); the box group is not ``required`` as a whole in HTML."""
        if not field.data:
            raise ValidationError(str(_l("Kies minstens één reden waarom verlenging nodig is.")))


class AppointApproverForm(Form):
    """The privacy officer appoints a director of another school to approve a refusal (four-eyes)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    approver_id = RadioField(_l("Directeur van een andere school"), coerce=int, choices=[], validate_choice=False,
                             validators=[InputRequired(_l("Kies een directeur."))])

__all__ = ["LoginForm", "STEP_FORMS", "StepForm"]
