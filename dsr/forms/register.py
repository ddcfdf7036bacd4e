"""Forms with which the privacy officer keeps the processing register (messages in Dutch)."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ..models.register import RECIPIENT_KINDS
from ..workflows.retention import KINDS_WITH_PERIOD, LEGAL_BASES, RETENTION_KINDS
from .base import Form
from .staff import MultiCheckboxField
from .validators import RequiredWhen, no_control_characters, single_line, strip_filter

_CODE = [DataRequired("Vul een code in."), Length(min=2, max=40, message="Gebruik 2 tot 40 tekens."),
         Regexp(r"^[a-z0-9_]+$", message="Alleen kleine letters, cijfers en _ (bijvoorbeeld: financieel).")]


def _text(label: str, *, required: str | None = None, max_length: int = 4000) -> TextAreaField:
    validators = [DataRequired(required)] if required else [Optional()]
    return TextAreaField(label, filters=[strip_filter],
                         validators=[*validators, Length(max=max_length, message=f"Maximaal {max_length} tekens."),
                                     no_control_characters])


class CategoryForm(Form):
    """A data category. ``code`` is only editable when the category is new."""

    code = StringField("Code (vast, voor koppelingen)", filters=[strip_filter], validators=_CODE)
    name = StringField("Naam van de categorie", filters=[strip_filter],
                       validators=[DataRequired("Vul een naam in."), Length(max=200), single_line])
    description = _text("Welke gegevens (in gewone taal)", required="Beschrijf welke gegevens het zijn.")
    purpose = _text("Waarvoor gebruikt de school ze (doel)", required="Beschrijf het doel.")
    legal_basis = RadioField("Grondslag", choices=dict(LEGAL_BASES),
                             validators=[InputRequired("Kies een grondslag.")])
    legal_basis_note = _text("Welke wet of welk beleid (optioneel)", max_length=500)
    retention_kind = RadioField("Soort bewaartermijn", choices=dict(RETENTION_KINDS),
                                validators=[InputRequired("Kies een soort bewaartermijn.")])
    retention_months = IntegerField(
        "Bewaartermijn in maanden (24 = 2 jaar)",
        validators=[RequiredWhen(lambda form: form.retention_kind.data in KINDS_WITH_PERIOD,
                                 "Vul de bewaartermijn in maanden in (bijvoorbeeld 24 voor 2 jaar)."),
                    NumberRange(min=0, max=1200, message="Vul een aantal maanden tussen 0 en 1200 in.")],
        render_kw={"inputmode": "numeric"})
    retention_note = _text("Bron van de termijn (wet, richtlijn of beleid)", max_length=500)
    is_learning_result = BooleanField("Dit zijn leerresultaten (ouders van leerlingen van 16 en 17 mogen ze inzien)")
    source = _text("Waar komen de gegevens vandaan (herkomst)", required="Vul de herkomst in.", max_length=1000)
    recipient_ids = MultiCheckboxField("Ontvangers", coerce=int, validate_choice=True)
    position = IntegerField("Volgorde op de pagina", default=100,
                            validators=[Optional(), NumberRange(min=0, max=10000, message="Vul 0 tot 10000 in.")])
    active = BooleanField("Actief (staat in het register)", default=True)

    def data_for_service(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["position"] = data.get("position") if data.get("position") is not None else 100
        for key in ("legal_basis_note", "retention_note"):
            data[key] = data.get(key) or ""
        return data


class RecipientForm(Form):
    """A recipient, named (Art. 15(1)(c), C-154/21)."""

    code = StringField("Code (vast, voor koppelingen)", filters=[strip_filter], validators=_CODE)
    name = StringField("Naam", filters=[strip_filter],
                       validators=[DataRequired("Vul een naam in."), Length(max=200), single_line])
    kind = RadioField("Soort ontvanger", choices=dict(RECIPIENT_KINDS),
                      validators=[InputRequired("Kies een soort ontvanger.")])
    processor = BooleanField("Verwerker (werkt in opdracht van ASG, art. 28 AVG)")
    description = _text("Wat krijgen zij en waarom (in gewone taal)", required="Beschrijf wat zij krijgen.")
    notification_route = _text("Hoe geeft de school een correctie of verwijdering door (art. 19 AVG)",
                               max_length=1000)
    active = BooleanField("Actief", default=True)

    def data_for_service(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["notification_route"] = data.get("notification_route") or ""
        return data
