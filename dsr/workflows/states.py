"""The states of a case (docs/legal.md §10): the stored keys, their groups and their labels.

Roles live in :mod:`dsr.workflows.roles`; the rights, grounds and the other recorded vocabularies in
:mod:`dsr.workflows.vocabulary`; the label mapping itself in :mod:`dsr.workflows.labels`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .labels import Labels

SUBMITTED = "submitted"
AWAITING_REQUESTER = "awaiting_requester"
IDENTITY_CHECKED = "identity_checked"
LEGAL_BASIS_REVIEWED = "legal_basis_reviewed"
AWAITING_DIRECTOR = "awaiting_director"
FULFILLED = "fulfilled"
PARTIALLY_FULFILLED = "partially_fulfilled"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
CLOSED_UNVERIFIED = "closed_unverified"

STATES = (
    SUBMITTED,
    AWAITING_REQUESTER,
    IDENTITY_CHECKED,
    LEGAL_BASIS_REVIEWED,
    AWAITING_DIRECTOR,
    FULFILLED,
    PARTIALLY_FULFILLED,
    REFUSED,
    WITHDRAWN,
    CLOSED_UNVERIFIED,
)
#: States in which the legal clock runs and reminders are due.
OPEN_STATES = (SUBMITTED, AWAITING_REQUESTER, IDENTITY_CHECKED, LEGAL_BASIS_REVIEWED, AWAITING_DIRECTOR)
#: Decided states: the privacy officer may reopen them (objection, complaint, court).
DECIDED_STATES = (FULFILLED, PARTIALLY_FULFILLED, REFUSED)
ENDED_STATES = DECIDED_STATES + (WITHDRAWN, CLOSED_UNVERIFIED)

STATE_LABELS = Labels({
    SUBMITTED: _l("Ontvangen"),
    AWAITING_REQUESTER: _l("Wacht op aanvrager"),
    IDENTITY_CHECKED: _l("Identiteit gecontroleerd"),
    LEGAL_BASIS_REVIEWED: _l("Juridisch beoordeeld"),
    AWAITING_DIRECTOR: _l("Wacht op directeur"),
    FULFILLED: _l("Uitgevoerd"),
    PARTIALLY_FULFILLED: _l("Deels uitgevoerd"),
    REFUSED: _l("Geweigerd"),
    WITHDRAWN: _l("Ingetrokken"),
    CLOSED_UNVERIFIED: _l("Gesloten (niet geverifieerd)"),
})
