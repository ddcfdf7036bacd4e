"""Forms with which the privacy officer keeps the processing register, in the reader's language (Dutch by default)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ..models.register import LEGAL_BASIS_LABELS, RECIPIENT_KINDS, RETENTION_KIND_LABELS
from ..workflows.retention import KINDS_WITH_PERIOD
from .base import Form
from .staff import MultiCheckboxField
from .validators import RequiredWhen, no_control_characters, single_line, strip_filter

_CODE = [DataRequired(_l("Vul een code in.")), Length(min=2, max=40, message=_l("Gebruik 2 tot 40 tekens.")),
         Regexp(r"^[a-z0-9_]+$", message=_l("Alleen kleine letters, cijfers en _ (bijvoorbeeld: financieel)."))]


def _text(label, *, required=None, max_length: int = 4000) -> TextAreaField:
    """A free-text field; ``label`` and ``required`` are lazily translated texts."""
    validators = [DataRequired(required)] if required else [Optional()]
    too_long = _l("Maximaal %(count)s tekens.", count=max_length)
    return TextAreaField(label, filters=[strip_filter],
                         validators=[*validators, Length(max=max_length, message=too_long), no_control_characters])


class CategoryForm(Form):
    """A data category. ``code`` is only editable when the category is new."""

    code = StringField(_l("Code (vast, voor koppelingen)"), filters=[strip_filter], validators=_CODE)
    name = StringField(_l("Naam van de categorie"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), single_line])
    description = _text(_l("Welke gegevens (in gewone taal)"), required=_l("Beschrijf welke gegevens het zijn."))
    purpose = _text(_l("Waarvoor gebruikt de school ze (doel)"), required=_l("Beschrijf het doel."))
    legal_basis = RadioField(_l("Grondslag"), choices=LEGAL_BASIS_LABELS.choices(),
                             validators=[InputRequired(_l("Kies een grondslag."))])
    legal_basis_note = _text(_l("Welke wet of welk beleid (optioneel)"), max_length=500)
    retention_kind = RadioField(_l("Soort bewaartermijn"), choices=RETENTION_KIND_LABELS.choices(),
                                validators=[InputRequired(_l("Kies een soort bewaartermijn."))])
    retention_months = IntegerField(
        _l("Bewaartermijn in maanden (24 = 2 jaar)"),
        validators=[RequiredWhen(lambda form: form.retention_kind.data in KINDS_WITH_PERIOD,
                                 _l("Vul de bewaartermijn in maanden in (bijvoorbeeld 24 voor 2 jaar).")),
                    NumberRange(min=0, max=1200, message=_l("Vul een aantal maanden tussen 0 en 1200 in."))],
        render_kw={"inputmode": "numeric"})
    retention_note = _text(_l("Bron van de termijn (wet, richtlijn of beleid)"), max_length=500)
    retention_statutory = BooleanField(
        _l("Wettelijke bewaarplicht: een wet verplicht de school de gegevens zo lang te bewaren (noem wet en artikel "
           "bij de bron). Niet aangevinkt: beleid van de school, dat een verzoek om verwijdering niet kan weigeren."))
    consent_covers = _text(_l("Bij toestemming: waar geldt de toestemming voor (ouders en leerlingen lezen dit)"),
                           max_length=1000)
    is_learning_result = BooleanField(
        _l("Dit zijn leerresultaten (ouders van leerlingen van 16 en 17 mogen ze inzien)"))
    source = _text(_l("Waar komen de gegevens vandaan (herkomst)"), required=_l("Vul de herkomst in."),
                   max_length=1000)
    recipient_ids = MultiCheckboxField(_l("Ontvangers"), coerce=int, validate_choice=True)
    position = IntegerField(_l("Volgorde op de pagina"), default=100,
                            validators=[Optional(), NumberRange(min=0, max=10000,
                                                                message=_l("Vul 0 tot 10000 in."))])
    active = BooleanField(_l("Actief (staat in het register)"), default=True)

    def data_for_service(self) -> dict:
        """The fields as the register service takes them."""
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["position"] = data.get("position") if data.get("position") is not None else 100
        for key in ("legal_basis_note", "retention_note", "consent_covers"):
            data[key] = data.get(key) or ""
        return data


class RecipientForm(Form):
    """A recipient, named (Art. 15(1)(c), C-154/21)."""

    code = StringField(_l("Code (vast, voor koppelingen)"), filters=[strip_filter], validators=_CODE)
    name = StringField(_l("Naam"), filters=[strip_filter],
                       validators=[DataRequired(_l("Vul een naam in.")), Length(max=200), single_line])
    kind = RadioField(_l("Soort ontvanger"), choices=RECIPIENT_KINDS.choices(),
                      validators=[InputRequired(_l("Kies een soort ontvanger."))])
    processor = BooleanField(_l("Verwerker (werkt in opdracht van ASG, art. 28 AVG)"))
    named = BooleanField(_l("Dit is één organisatie met haar eigen naam (geen groep zoals 'leveranciers'); brieven "
                            "mogen alleen ontvangers met naam noemen (art. 15 lid 1 sub c AVG)"), default=True)
    description = _text(_l("Wat krijgen zij en waarom (in gewone taal)"), required=_l("Beschrijf wat zij krijgen."))
    notification_route = _text(_l("Hoe geeft de school een correctie of verwijdering door (art. 19 AVG)"),
                               max_length=1000)
    active = BooleanField(_l("Actief"), default=True)

    def data_for_service(self) -> dict:
        """The fields as the register service takes them."""
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["notification_route"] = data.get("notification_route") or ""
        return data


class PeriodForm(Form):
    """A category's retention period for one school type (docs/legal.md §6); empty months: the category's own period."""

    months = IntegerField(_l("Bewaartermijn in maanden (leeg: de termijn van de categorie)"),
                          validators=[Optional(),
                                      NumberRange(min=0, max=1200,
                                                  message=_l("Vul een aantal maanden tussen 0 en 1200 in."))],
                          render_kw={"inputmode": "numeric"})
    statutory = BooleanField(_l("Wettelijke bewaarplicht (noem wet en artikel bij de bron)"))
    source = _text(_l("Bron van de termijn (wet en artikel, of beleid)"), max_length=500)
