"""The roles of staff users (docs/legal.md §10, roles), and the requester as an actor in the audit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .labels import Labels

STAFF = "staff"
DIRECTOR = "director"
PRIVACY_OFFICER = "privacy_officer"
ADMIN = "admin"
REQUESTER = "requester"
ROLES = (STAFF, DIRECTOR, PRIVACY_OFFICER, ADMIN)
ROLE_LABELS = Labels({
    STAFF: _l("Leerlingadministratie"),
    DIRECTOR: _l("Directeur"),
    PRIVACY_OFFICER: _l("Privacy officer"),
    ADMIN: _l("Beheerder"),
})
#: Roles that work on case content; admins manage users and schools only.
CASEWORK_ROLES = (STAFF, DIRECTOR, PRIVACY_OFFICER)
