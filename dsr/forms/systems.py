"""Forms with which the privacy officer keeps the school's systems in the register (issue 17 point 1).

The secret fields are write-only: a ``PasswordField`` is never rendered with its value, and an empty one keeps
the saved secret (docs/connectors.md).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from ..models.connectors import CONNECTOR_KINDS
from ..services.system_fields import SECRET_KEYS, SETTINGS_KEYS
from ..workflows.labels import Labels
from .base import Form
from .validators import no_control_characters, single_line, strip_filter

#: A select's "none" (ids start at 1).
NONE = 0

#: Who reads the free text of a system (the fields say so).
SYSTEM_READERS = _l("Medewerkers van dsr en de privacyfunctionaris lezen dit; de aanvrager niet.")

HTTP_AUTH_LABELS = Labels({
    "oauth2": _l("OAuth2 (client credentials: client-id en client secret)"),
    "api_key": _l("API-sleutel in een header"),
    "basic": _l("Gebruikersnaam en wachtwoord (basic)"),
    "none": _l("Geen aanmelding"),
})
FILE_FORMAT_LABELS = Labels({"auto": _l("Automatisch (aan de bestandsnaam)"), "csv": _l("CSV"), "xlsx": _l("XLSX")})


def _id_or_none(value) -> int | None:
    """A posted choice as an id; "none" and anything that is no number become None (the service checks
    that a chosen id exists)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number or None


def _line(label, *, max_length: int = 500, description=None) -> StringField:
    return StringField(label, filters=[strip_filter], description=description,
                       validators=[Optional(), Length(max=max_length, message=_l("Maximaal %(count)s tekens.",
                                                                                  count=max_length)), single_line])


def _text(label, *, max_length: int = 8000, description=None) -> TextAreaField:
    return TextAreaField(label, filters=[strip_filter], description=description,
                         validators=[Optional(), Length(max=max_length, message=_l("Maximaal %(count)s tekens.",
                                                                                    count=max_length)),
                                     no_control_characters])


def _secret(label, description) -> PasswordField:
    # Never rendered with a value (hide_value), and the browser is asked not to fill in a saved password.
    return PasswordField(label, description=description, validators=[Optional(), Length(max=2000)],
                         render_kw={"autocomplete": "new-password"})


def _number(label, low: int, high: int, default: int, description) -> IntegerField:
    return IntegerField(label, default=default, description=description, render_kw={"inputmode": "numeric"},
                        validators=[InputRequired(_l("Vul een getal in.")),
                                    NumberRange(min=low, max=high, message=_l("Vul een getal tussen %(min)s en "
                                                                              "%(max)s in."))])


class SystemForm(Form):
    """A system: who owns it, how dsr reaches it, and its secrets (write-only)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    code = StringField(_l("Code (vast)"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul een code in.")),
                                   Length(min=2, max=40, message=_l("Gebruik 2 tot 40 tekens.")),
                                   Regexp(r"^[a-z0-9_]+$", message=_l("Alleen kleine letters, cijfers en _ "
                                                                      "(bijvoorbeeld: leerlingadministratie)."))])
    name = StringField(_l("Naam van het systeem"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), single_line])
    description = _text(_l("Wat staat erin (in gewone taal)"), max_length=2000, description=SYSTEM_READERS)
    kind = RadioField(_l("Hoe werkt dsr met dit systeem"), choices=CONNECTOR_KINDS.choices(),
                      validators=[InputRequired(_l("Kies hoe dsr met dit systeem werkt."))])
    owner_user_id = SelectField(_l("Eigenaar binnen ASG"), coerce=_id_or_none, choices=[], validate_choice=False)
    owner_name = _line(_l("Naam van de eigenaar buiten ASG (verwerker of contactpersoon)"), max_length=200)
    owner_email = EmailField(_l("E-mailadres van de eigenaar"), filters=[strip_filter],
                             validators=[Optional(), Length(max=254), single_line,
                                         Email(_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."),
                                               allow_smtputf8=False)])
    recipient_id = SelectField(_l("Ontvanger in het register (verwerker)"), coerce=_id_or_none, choices=[],
                               validate_choice=False)
    school_id = SelectField(_l("School"), coerce=_id_or_none, choices=[], validate_choice=False)
    max_response_bytes = _number(_l("Grootste antwoord in bytes"), 1_000, 1_000_000_000, 10_000_000,
                                 _l("Een groter antwoord is een fout op dit systeem, nooit een half pakket. "
                                    "10000000 = 10 MB."))
    timeout_seconds = _number(_l("Wachttijd in seconden"), 1, 300, 20,
                              _l("Zo lang wacht dsr op een antwoord; daarna probeert het later opnieuw."))
    task_days = _number(_l("Dagen voor een handmatige taak"), 1, 90, 10,
                        _l("Zoveel dagen krijgt de eigenaar om een taak af te ronden (alleen bij een handmatige "
                           "taak)."))
    roster_source = BooleanField(_l("Dit systeem levert de leerlingen en hun contactpersonen (leerlingenlijst)"))
    active = BooleanField(_l("Actief (dsr gebruikt dit systeem)"), default=True)

    # --- settings per kind (not secret) ---------------------------------------------------------------
    roster_students = _text(_l("Query voor de leerlingenlijst (leerlingen)"))
    roster_contacts = _text(_l("Query voor de leerlingenlijst (contactpersonen)"))
    base_url = _line(_l("Webadres van de koppeling (basis-URL)"))
    auth = RadioField(_l("Aanmelden bij de koppeling"), choices=HTTP_AUTH_LABELS.choices(), default="none",
                      validators=[Optional()])
    token_url = _line(_l("Webadres voor het token (OAuth2)"))
    client_id = _line(_l("Client-id (OAuth2)"), max_length=200)
    scope = _line(_l("Scope (OAuth2, optioneel)"), max_length=500)
    api_key_header = _line(_l("Naam van de header met de API-sleutel"), max_length=100)
    username = _line(_l("Gebruikersnaam (basic)"), max_length=200)
    page_size = IntegerField(_l("Rijen per pagina (optioneel)"), render_kw={"inputmode": "numeric"},
                             validators=[Optional(), NumberRange(min=1, max=10_000,
                                                                 message=_l("Vul een aantal tussen 1 en 10000 in."))])
    roster_path = _line(_l("Pad voor de leerlingenlijst (optioneel)"))
    folder = _line(_l("Map met exports (binnen de exportmap van dsr)"))
    format = RadioField(_l("Soort bestand"), choices=FILE_FORMAT_LABELS.choices(), default="auto",
                        validators=[Optional()])
    key_column = _line(_l("Kolom met het leerlingnummer"), max_length=100)
    roster_file = _line(_l("Bestand met de leerlingenlijst (optioneel)"))

    # --- secrets (write-only) -----------------------------------------------------------------------------
    read_url = _secret(_l("Databaseadres om te lezen (met wachtwoord)"),
                       _l("Een account dat alleen mag lezen; gebruikt om gegevens te verzamelen en voor de "
                          "proefrun."))
    write_url = _secret(_l("Databaseadres om te wijzigen (met wachtwoord)"),
                        _l("Alleen gebruikt om een besloten correctie, verwijdering of beperking uit te voeren."))
    client_secret = _secret(_l("Client secret (OAuth2)"), None)
    api_key = _secret(_l("API-sleutel"), None)
    password = _secret(_l("Wachtwoord (basic)"), None)
    clear_secrets = BooleanField(_l("Wis de opgeslagen geheimen (bijvoorbeeld als een wachtwoord is uitgelekt)"))

    def data_for_service(self) -> tuple[dict, dict]:
        """The columns and settings, and the typed secrets, as the systems service takes them."""
        secret_names = {key for keys in SECRET_KEYS.values() for key in keys}
        setting_names = {key for keys in SETTINGS_KEYS.values() for key in keys}
        plain = {"code", "name", "description", "kind", "owner_user_id", "owner_name", "owner_email", "recipient_id",
                 "school_id", "max_response_bytes", "timeout_seconds", "task_days", "roster_source", "active"}
        data = {name: field.data for name, field in self._fields.items() if name in plain | setting_names}
        secrets = {name: self._fields[name].data or "" for name in secret_names}
        return data, secrets


class MappingForm(Form):
    """A register category held in a system: how dsr reads it there, and how it carries out rights."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    category_id = SelectField(_l("Categorie uit het verwerkingsregister"), coerce=_id_or_none, choices=[],
                              validate_choice=False)
    collect = _text(_l("Lezen: query, pad of bestand"))
    fields = _text(_l("Velden die dsr meeneemt (leeg: alle)"), max_length=4000)
    key_field = _line(_l("Veld met het leerlingnummer in elke rij"), max_length=100)
    other_people_fields = _text(_l("Velden met gegevens van anderen (worden weggelakt)"), max_length=4000)
    rectify = _text(_l("Corrigeren (één regel per veld: veld: opdracht)"))
    erase = _text(_l("Wissen"))
    restrict = _text(_l("Beperken"))

    def data_for_service(self) -> dict:
        """The spec fields as the systems service takes them."""
        return {name: self._fields[name].data or "" for name in ("collect", "fields", "key_field",
                                                                   "other_people_fields", "rectify", "erase",
                                                                   "restrict")}


class RemoveMappingForm(Form):
    """Confirm that a system no longer holds a category."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])


class CheckForm(Form):
    """"Verbinding testen" (CSRF only)."""
