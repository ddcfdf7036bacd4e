"""The permissions an API token can carry (issue 18). A token holds some of them and some schools (or all)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..workflows.labels import Labels

#: List and read cases of the token's schools: ids, states, dates, deadlines; never the requester's or the
#: student's name, address or free text (docs/api.md).
CASES_READ = "cases:read"
#: The dashboard's figures of the token's schools.
FIGURES_READ = "figures:read"
SCOPES = (CASES_READ, FIGURES_READ)
SCOPE_LABELS = Labels({
    CASES_READ: _l("Zaken lezen (kenmerk, status, datums; geen namen of vrije tekst)"),
    FIGURES_READ: _l("Cijfers van het dashboard lezen"),
})
