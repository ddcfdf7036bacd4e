"""Forms of the owner's task page (issue 17): deliver the student's data per category, or confirm that a
right was carried out; and the staff button that sends the owner a new link. Every label is Dutch in the
code with an English translation; every free-text field says who reads it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .base import Form
from .intake import DutchDateField
from .validators import no_control_characters, strip_filter

NOTE_LABEL = _l("Toelichting voor de school (niet verplicht)")
NOTE_HELP = _l("De medewerkers van de school die het verzoek behandelen lezen dit. De aanvrager ziet het niet.")


def _note() -> TextAreaField:
    return TextAreaField(NOTE_LABEL, description=NOTE_HELP, filters=[strip_filter], validators=[
        Optional(), Length(max=2000, message=_l("Gebruik maximaal %(max)d tekens.")), no_control_characters])


class DeliverForm(Form):
    """Per category of the task: a file (``file_<id>``) or "no data" (``none_<id>``); see :func:`deliver_form`."""

    note = _note()


def deliver_form(category_ids: list[int], **kwargs) -> DeliverForm:
    """A :class:`DeliverForm` with one file field and one "no data" box per category."""

    class _Form(DeliverForm):
        pass

    for category_id in category_ids:
        setattr(_Form, f"file_{category_id}", FileField(_l("Export (PDF, CSV of XLSX)")))
        setattr(_Form, f"none_{category_id}", BooleanField(_l("Dit systeem heeft geen gegevens van deze leerling "
                                                              "in deze categorie")))
    return _Form(**kwargs)


#: What the owner confirms, per kind of task (the checkbox's label).
CONFIRM_LABELS = {
    "confirm_erasure": _l("De gegevens van deze leerling zijn gewist"),
    "confirm_rectification": _l("De gegevens van deze leerling zijn gecorrigeerd"),
    "confirm_restriction": _l("De verwerking van de gegevens van deze leerling is beperkt"),
    "confirm_withdrawal": _l("Het gebruik van de gegevens waarvoor toestemming was gegeven is gestopt"),
}


class ConfirmForm(Form):
    """The owner confirms that the right was carried out, and when."""

    confirmed = BooleanField(_l("Ik bevestig dat dit is uitgevoerd"),
                             validators=[InputRequired(_l("Vink aan dat het is uitgevoerd."))])
    done_on = DutchDateField(_l("Uitgevoerd op"), format=["%Y-%m-%d", "%d-%m-%Y"],
                             validators=[InputRequired(_l("Vul de datum in waarop het is uitgevoerd."))])
    note = _note()


def confirm_form(kind: str, **kwargs) -> ConfirmForm:
    """A :class:`ConfirmForm` whose checkbox says what is confirmed for a task of ``kind``."""
    form = ConfirmForm(**kwargs)
    form.confirmed.label.text = CONFIRM_LABELS.get(kind, form.confirmed.label.text)
    return form


class NewLinkForm(Form):
    """Staff send the owner a new link (the old one stops working)."""
