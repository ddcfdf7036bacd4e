"""A staff member's own settings page (issue 16 point 4): how they hear of new requests."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..workflows.staff_notices import DIGEST, EACH, URGENT_WITHIN_WORKING_DAYS
from .base import Form


class CaseNoticesForm(Form):
    """Digest (the default) or a mail for every new request."""

    case_notices = RadioField(
        _l("Nieuwe verzoeken van uw scholen"),
        invalid_choice_message=_l("Kies hoe u nieuwe verzoeken wilt krijgen."),
        validators=[InputRequired(_l("Kies hoe u nieuwe verzoeken wilt krijgen."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The window is a setting (STAFF_DIGEST_MINUTES): the choice names it as it is.
        minutes = current_app.config["STAFF_DIGEST_MINUTES"]
        self.case_notices.choices = [
            (DIGEST, _("In een overzicht: hoogstens één mail per %(minutes)s minuten, met alle nieuwe verzoeken",
                       minutes=minutes)),
            (EACH, _("Eén mail per verzoek, meteen"))]
        self.case_notices.description = _(
            "Een dringend verzoek (binnengekomen per brief, e-mail, telefoon of balie, of met een uiterste datum "
            "binnen %(days)s werkdagen) krijgt u altijd meteen.", days=URGENT_WITHIN_WORKING_DAYS)
