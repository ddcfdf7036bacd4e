"""Forms of collection and carrying out in the school's systems (issue 17 points 3 and 4): each is a button
with the case's version (a stale page gets 409) and the CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, widgets
from wtforms.validators import InputRequired

from .base import Form


class RunActionForm(Form):
    """"Gegevens verzamelen", "Opnieuw proberen", "Proefrun" and "Doorvoeren": the version the page showed."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])


class ExportUploadForm(Form):
    """A file-export system's export for this case, uploaded by staff (only the student's rows are kept)."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    export = FileField(
        _l("Exportbestand van dit systeem (CSV of XLSX)"),
        description=_l("dsr neemt alleen de rijen van deze leerling over (op de sleutelkolom) en bewaart het "
                       "bestand zelf niet. Alleen medewerkers die dit verzoek mogen zien, lezen wat erin staat."))
