"""The admin's forms for staff accounts (issue 15 point 6): the account itself, and the buttons that
deactivate, reactivate, reset the authenticator or mail a new password link.

The role and the schools are checked again by the service (:func:`dsr.services.people.schools_for_role`),
whatever a crafted post sends; its refusals come back here as a code, shown at the field in the admin's
language (:func:`show_account_error`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, RadioField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..services.people import UserError
from ..workflows.roles import ROLE_LABELS
from .base import Form
from .staff import MultiCheckboxField
from .validators import no_web_address, single_line, strip_filter

#: Each language is named in itself, as in the language switch.
LANGUAGE_CHOICES = [SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]

#: What the admin reads when the service refuses, by :class:`UserError` code.
ACCOUNT_ERRORS = {
    "name": _l("Vul de naam in (maximaal 200 tekens)."),
    "email_invalid": _l("Vul een geldig e-mailadres in, bijvoorbeeld naam@school.nl."),
    "email_taken": _l("Er is al een account met dit e-mailadres."),
    "role_unknown": _l("Kies een van de rollen hieronder."),
    "school_unknown": _l("Kies alleen scholen uit de lijst."),
    "school_inactive": _l("Een school die niet meer actief is, kan niemand er nog bij krijgen."),
    "school_needed": _l("Leerlingadministratie en directeuren werken voor minstens één school: kies er een."),
    "school_not_for_role": _l("Een privacy officer ziet alle scholen en een beheerder ziet geen verzoeken: "
                              "kies voor deze rol geen school."),
    "language_unknown": _l("Kies Nederlands of English."),
    "own_admin_rights": _l("U kunt uw eigen account niet uitzetten en uzelf geen andere rol geven. Vraag dat "
                           "aan een andere beheerder."),
    "last_admin": _l("Er moet minstens één actieve beheerder overblijven."),
    "inactive": _l("Dit account staat uit. Zet het eerst weer aan."),
    "no_password": _l("Dit account logt in met het schoolaccount en heeft geen wachtwoord in dsr."),
}


class AccountForm(Form):
    """Name, role, schools and language of an account (the e-mail address is fixed once it exists)."""

    name = StringField(_l("Naam"), filters=[strip_filter], validators=[
        DataRequired(_l("Vul de naam in.")), Length(max=200, message=_l("Maximaal %(count)s tekens.", count=200)),
        single_line, no_web_address],
        description=_l("Collega's lezen deze naam in dsr (bij notities, toewijzingen en de geschiedenis van een "
                       "verzoek); de gebruiker leest hem in de mails die dsr hem stuurt."))
    # validate_choice off: the service checks the role and the schools for every caller, and its refusal
    # is shown at the field in the admin's language (not WTForms' generic "Not a valid choice").
    role = RadioField(_l("Rol"), choices=ROLE_LABELS.choices(), validate_choice=False,
                      validators=[InputRequired(_l("Kies een rol."))])
    schools = MultiCheckboxField(_l("Scholen"), validate_choice=False, description=_l(
        "Alleen voor leerlingadministratie en directeuren: zij zien de verzoeken van deze scholen. Een privacy "
        "officer ziet alle scholen; een beheerder ziet geen verzoeken."))
    language = RadioField(_l("Taal van de pagina's en de mails"), choices=LANGUAGE_CHOICES, validate_choice=False,
                          validators=[InputRequired(_l("Kies een taal."))])

    def __init__(self, *args, school_choices: list[tuple[str, str]], **kwargs):
        """``school_choices``: (code, name) of the schools the account can be given."""
        super().__init__(*args, **kwargs)
        self.schools.choices = [SelectChoice(code, name) for code, name in school_choices]


class NewAccountForm(AccountForm):
    """A new account: its e-mail address too (the sign-in name; the password link goes there)."""

    email = EmailField(_l("E-mailadres"), filters=[strip_filter], validators=[
        # The address itself is checked by the service, as for the command line (people.normalised_email).
        InputRequired(_l("Vul het e-mailadres in.")), Length(max=254, message=_l("Maximaal %(count)s tekens.",
                                                                               count=254)), single_line],
        description=_l("De gebruiker logt hiermee in. dsr stuurt hierheen een link om een wachtwoord te kiezen; "
                       "niemand anders ziet of kiest dat wachtwoord."))


class EditAccountForm(AccountForm):
    """An existing account, with the version it was loaded at (two admins never overwrite each other)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class AccountActionForm(Form):
    """One button on the account page (deactivate, reactivate, reset the authenticator, mail a password
    link), with the version of the account as the admin saw it."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


def show_account_error(form: Form, error: UserError) -> str | None:
    """Put the service's refusal at its field of ``form``; returns the message when it belongs to no
    field of this form (the page shows it above the form)."""
    message = str(ACCOUNT_ERRORS.get(error.code, _l("Dit kan niet.")))
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None
