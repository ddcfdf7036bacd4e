"""The admin's forms for API tokens (issue 18 point 4): a new token, and revoking one.

The permissions, the schools and the number of days are checked again by the service
(:func:`dsr.services.api_tokens.create`), whatever a crafted post sends; its refusals come back here as a
code, shown at the field in the admin's language (:func:`show_token_error`).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..api.scopes import SCOPE_LABELS
from ..services.api_tokens import ApiTokenError
from .base import Form
from .staff import MultiCheckboxField
from .validators import single_line, strip_filter

#: What the admin reads when the service refuses, by :class:`ApiTokenError` code.
TOKEN_ERRORS = {
    "name": _l("Vul een naam in (maximaal 200 tekens)."),
    "scope_needed": _l("Kies minstens één toestemming."),
    "scope_unknown": _l("Kies alleen toestemmingen uit de lijst."),
    "school_needed": _l("Kies minstens één school, of alle scholen."),
    "school_unknown": _l("Kies alleen scholen uit de lijst."),
    "school_inactive": _l("Een school die niet meer actief is, kan geen token krijgen."),
}

REACH_CHOICES = [SelectChoice("all", _l("Alle scholen die er nu zijn")),
                 SelectChoice("some", _l("Alleen de scholen hieronder"))]


class NewTokenForm(Form):
    """Name, permissions, schools and validity of a new token."""

    name = StringField(_l("Naam"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul een naam in.")), Length(max=200, message=_l("Maximaal %(count)s tekens.", count=200)),
        single_line],
        description=_l("Waarvoor het token is, bijvoorbeeld \"Rapportage bestuur\". Alleen beheerders lezen deze "
                       "naam, in de lijst van tokens en in het auditlog; zet er geen geheimen of namen van "
                       "leerlingen in."))
    scopes = MultiCheckboxField(_l("Toestemmingen"), choices=SCOPE_LABELS.choices(), validate_choice=False,
                                description=_l("Wat de koppeling met dit token mag opvragen. Namen, adressen en "
                                               "vrije tekst geeft de API nooit."))
    reach = RadioField(_l("Scholen"), choices=REACH_CHOICES, validate_choice=False,
                       validators=[InputRequired(_l("Kies alle scholen of een deel."))],
                       description=_l("Een school die later wordt toegevoegd, valt niet onder een bestaand token."))
    schools = MultiCheckboxField(_l("Welke scholen"), validate_choice=False,
                                 description=_l("Alleen als u hierboven \"Alleen de scholen hieronder\" kiest."))
    days = IntegerField(_l("Geldig (dagen)"), validators=[InputRequired(_l("Vul een aantal dagen in."))],
                        render_kw={"inputmode": "numeric"},
                        description=_l("Daarna werkt het token niet meer; maak dan een nieuw."))

    def __init__(self, *args, school_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schools.choices = school_choices or []


class RevokeTokenForm(Form):
    """Revoking a token: the admin confirms it (the integration stops at once)."""

    confirm = BooleanField(_l("Ja, trek dit token in. De koppeling die het gebruikt, werkt daarna niet meer."),
                           validators=[DataRequired(_l("Vink aan dat u het token wilt intrekken."))])


def show_token_error(form: NewTokenForm, error: ApiTokenError, max_days: int) -> None:
    """Put the service's refusal at its field of ``form``, in the admin's language."""
    if error.code == "days":
        message = _("Kies een geldigheid van 1 tot en met %(max)s dagen.", max=max_days)
    else:
        message = str(TOKEN_ERRORS.get(error.code, error))
    field = getattr(form, error.field, None) or form.name
    field.errors = [message]
