"""The admin's forms for webhook subscriptions (issue 18 point 6).

The service checks the address, the events and the school again (:mod:`dsr.services.webhooks`), whatever
a crafted post sends; its refusals come back here as a code, shown at the field in the admin's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, URLField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..services.webhooks import WebhookError
from ..workflows.webhook_events import CLOSED, DECIDED, RECEIVED
from .base import Form
from .staff import MultiCheckboxField
from .validators import no_web_address, single_line, strip_filter

EVENT_CHOICES = [
    SelectChoice(RECEIVED, _l("Verzoek ontvangen (case.received)")),
    SelectChoice(DECIDED, _l("Besluit genomen: toegekend, deels of geweigerd (case.decided)")),
    SelectChoice(CLOSED, _l("Verzoek afgesloten (case.closed)")),
]

#: What the admin reads when the service refuses, by :class:`WebhookError` code.
WEBHOOK_ERRORS = {
    "name": _l("Vul een naam in (maximaal 200 tekens)."),
    "url_invalid": _l("Vul een volledig webadres in, bijvoorbeeld https://koppeling.school.nl/dsr (zonder "
                      "gebruikersnaam of wachtwoord erin)."),
    "url_https_required": _l("Het adres moet met https:// beginnen: de berichten mogen onderweg door niemand "
                             "gelezen worden."),
    "events": _l("Kies minstens één gebeurtenis uit de lijst."),
    "school_unknown": _l("Kies een actieve school uit de lijst, of alle scholen."),
}
#: The school choice that means every school (no school code is this long and lower case).
ALL_SCHOOLS = "alle"


class WebhookForm(Form):
    """Name, address, events and school of a subscription."""

    name = StringField(_l("Naam"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul een naam in.")), Length(max=200, message=_l("Maximaal %(count)s tekens.", count=200)),
        single_line, no_web_address],
        description=_l("Alleen beheerders lezen deze naam, in deze lijst en in het auditlog; bijvoorbeeld "
                       "\"Rapportage bestuur\"."))
    url = URLField(_l("Adres (URL) van de ontvanger"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul het adres in.")), Length(max=500, message=_l("Maximaal %(count)s tekens.", count=500)),
        single_line],
        description=_l("dsr stuurt elke gebeurtenis met een POST naar dit https-adres. Alleen beheerders zien het; "
                       "zet er geen wachtwoord in: de ondertekening bewijst dat het bericht van dsr komt."))
    events = MultiCheckboxField(_l("Gebeurtenissen"), choices=EVENT_CHOICES, validate_choice=False,
                                description=_l("De berichten bevatten alleen nummers en statussen van verzoeken, "
                                               "nooit namen, adressen of andere persoonsgegevens."))
    school = RadioField(_l("School"), validate_choice=False, validators=[InputRequired(_l("Kies een school."))])

    def __init__(self, *args, school_choices: list[tuple[str, str]], **kwargs):
        """``school_choices``: (code, name) of the active schools; :data:`ALL_SCHOOLS` stands for every school."""
        super().__init__(*args, **kwargs)
        self.school.choices = [SelectChoice(ALL_SCHOOLS, _l("Alle scholen"))] + [
            SelectChoice(code, name) for code, name in school_choices]


class EditWebhookForm(WebhookForm):
    """An existing subscription: on or off too, with the version it was loaded at."""

    active = BooleanField(_l("Aan: dsr stuurt berichten naar dit adres"))
    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class WebhookActionForm(Form):
    """A button (remove) with the version of the subscription as the admin saw it."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


def chosen_school(form: WebhookForm) -> str | None:
    """The school code the form chose, or None for every school."""
    return None if form.school.data == ALL_SCHOOLS else form.school.data


def show_webhook_error(form: Form, error: WebhookError) -> str | None:
    """Put the service's refusal at its field of ``form``; returns the message when it has no field here."""
    message = str(WEBHOOK_ERRORS.get(error.code, _l("Dit kan niet.")))
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None
