"""The admin's group table (issue 18 point 2; docs/sso.md): which group of the school's identity provider
gives which role at which schools. services/sso_accounts.py reads it at every sign-in through the provider.

Only the admin edits it (the admin manages who gets in and never reads cases). Every change is one commit
and one audit event with ids, the group value, the role and the school ids; each change claims the row's
version, so two admins editing the same row never overwrite each other. A change counts from each user's
next sign-in; to cut someone off at once the admin switches their account off on the user page.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..errors import NotFound
from ..extensions import db
from ..models import School, SsoGroupMapping, User
from ..workflows.roles import ADMIN, ROLES
from ..workflows.sso_access import ROLES_WITH_SCHOOLS
from . import audit
from .transaction import transactional

#: The longest group value and label the table holds (``SsoGroupMapping``).
GROUP_MAX, LABEL_MAX = 255, 200


class GroupError(ValueError):
    """A row could not be stored; ``code`` names the problem and ``field`` the form field it belongs to
    (forms/sso.py shows its own message there, in the admin's language)."""

    def __init__(self, message: str, *, code: str, field: str = ""):
        super().__init__(message)
        self.code, self.field = code, field


class GroupConflict(Exception):
    """Someone else changed or deleted the row since the form was loaded."""

    @property
    def message(self) -> str:
        """What the admin reads, in their language."""
        return _("Iemand anders heeft deze groep intussen gewijzigd. Hieronder ziet u de groep zoals die nu is; "
                 "doe uw wijziging zo nodig opnieuw.")


def may_manage(user: object) -> bool:
    """Only the admin edits the group table (``user`` may be anonymous)."""
    return getattr(user, "role", None) == ADMIN


def provider_configured() -> bool:
    """Whether staff sign in through an identity provider (``OIDC_ISSUER`` is set)."""
    return bool(current_app.config.get("OIDC_ISSUER"))


def mappings() -> list[SsoGroupMapping]:
    """Every row, by role and group."""
    return list(db.session.execute(sa.select(SsoGroupMapping).order_by(SsoGroupMapping.role,
                                                                        SsoGroupMapping.group)).scalars())


def mapping(mapping_id: int) -> SsoGroupMapping:
    """The row with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(SsoGroupMapping, mapping_id)
    if found is None:
        raise NotFound(mapping_id)
    return found


def _require_admin(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionError("only an admin edits the group table")


def _checked(group: str, label: str, role: str, school_ids: list[int], *, exclude: int | None,
             keep: frozenset[int] = frozenset()) -> tuple[str, str, list[School]]:
    """The cleaned group, label and schools; :class:`GroupError` when they do not fit (see the module)."""
    group, label = group.strip(), " ".join(label.split())
    if not group:
        raise GroupError("a group value is needed", code="group_empty", field="group")
    if len(group) > GROUP_MAX or any(c.isspace() for c in group):
        # Whitespace separates groups in a one-string claim (workflows/sso_access.groups_from_claims).
        raise GroupError("a group value is one word of at most 255 characters", code="group_format", field="group")
    taken = sa.select(SsoGroupMapping.id).where(SsoGroupMapping.group == group)
    if exclude is not None:
        taken = taken.where(SsoGroupMapping.id != exclude)
    if db.session.execute(taken).first():
        raise GroupError("this group is in the table already", code="group_taken", field="group")
    if len(label) > LABEL_MAX:
        raise GroupError("a label is at most 200 characters", code="label_long", field="label")
    if role not in ROLES:
        raise GroupError(f"unknown role {role!r}", code="role_unknown", field="role")
    ids = sorted(set(school_ids))
    schools = list(db.session.execute(sa.select(School).where(School.id.in_(ids)).order_by(School.id)).scalars())
    if len(schools) != len(ids):
        raise GroupError("unknown school", code="school_unknown", field="schools")
    if any(not s.active and s.id not in keep for s in schools):
        raise GroupError("school no longer active", code="school_inactive", field="schools")
    if role in ROLES_WITH_SCHOOLS and not schools:
        raise GroupError("staff and directors need a school", code="school_needed", field="schools")
    if role not in ROLES_WITH_SCHOOLS and schools:
        raise GroupError("privacy officers and admins have no schools", code="school_not_for_role", field="schools")
    return group, label, schools


def _facts(row: SsoGroupMapping) -> dict[str, Any]:
    """What the audit keeps of a row (the group value is the provider's id or URN, not personal data)."""
    return {"group": row.group, "role": row.role, "school_ids": sorted(s.id for s in row.schools)}


def _claim(row: SsoGroupMapping, version: int | None) -> None:
    """Optimistic locking, as for accounts (services/user_admin.py)."""
    if version is None or row.version != version:
        raise GroupConflict()
    claimed = db.session.execute(sa.update(SsoGroupMapping)
                                 .where(SsoGroupMapping.id == row.id, SsoGroupMapping.version == version)
                                 .values(version=SsoGroupMapping.version + 1)
                                 .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:
        raise GroupConflict()
    db.session.refresh(row)


@transactional
def add_mapping(actor: User, *, group: str, label: str, role: str, school_ids: list[int]) -> SsoGroupMapping:
    """A new row; audited as ``sso_group.added``. One commit."""
    _require_admin(actor)
    group, label, schools = _checked(group, label, role, school_ids, exclude=None)
    row = SsoGroupMapping(group=group, label=label, role=role, schools=schools)
    db.session.add(row)
    db.session.flush()
    audit.record("sso_group.added", actor=actor, details={"mapping_id": row.id, **_facts(row)})
    return row


@transactional
def update_mapping(actor: User, mapping_id: int, version: int | None, *, group: str, label: str, role: str,
                   school_ids: list[int]) -> SsoGroupMapping:
    """Change a row, if the form was loaded at its current ``version`` (else :class:`GroupConflict`);
    audited as ``sso_group.changed`` with before and after. One commit."""
    _require_admin(actor)
    row = mapping(mapping_id)
    kept = frozenset(s.id for s in row.schools)
    group, label, schools = _checked(group, label, role, school_ids, exclude=row.id, keep=kept)
    _claim(row, version)
    before = _facts(row)
    label_changed = row.label != label
    row.group, row.label, row.role, row.schools = group, label, role, schools
    audit.record("sso_group.changed", actor=actor, details={
        "mapping_id": row.id, "before": before, "after": _facts(row), "label_changed": label_changed})
    return row


@transactional
def delete_mapping(actor: User, mapping_id: int, version: int | None) -> None:
    """Delete a row, if the form was loaded at its current ``version``; audited as ``sso_group.deleted``.
    One commit."""
    _require_admin(actor)
    row = mapping(mapping_id)
    _claim(row, version)
    facts = _facts(row)
    db.session.delete(row)
    audit.record("sso_group.deleted", actor=actor, details={"mapping_id": mapping_id, **facts})
