"""The school's systems in the register (issue 17 point 1): list, save, and map them to categories.

Only who keeps the register (:func:`dsr.services.register.may_edit`, the privacy officer) changes systems;
every change is audited with the names of the fields that changed, and for the secrets only whether they
were changed or cleared, never a value. Secrets are sealed under the file keys
(:mod:`dsr.connectors.credentials`) and never read back to a page.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..connectors.credentials import open_credentials, seal_credentials
from ..errors import NotFound
from ..extensions import db
from ..models import RegisterCategory, RegisterRecipient, School, System, SystemCategory, User
from ..models._types import utcnow
from ..models.connectors import CONNECTOR_KINDS
from . import audit
from .connector_runs import system_settings
from .register import RegisterError, may_edit
from .system_fields import LIMITS, SECRET_KEYS, clean_settings, merged_secrets
from .transaction import transactional

__all__ = ["MAPPING_FIELDS", "RegisterError", "SystemConflict", "holding", "remove_mapping", "save_mapping",
           "save_system", "system", "systems"]

#: The columns of a system the form sets directly (settings and secrets are handled apart).
_SYSTEM_FIELDS = ("name", "description", "kind", "owner_user_id", "owner_name", "owner_email", "recipient_id",
                  "school_id", "max_response_bytes", "timeout_seconds", "task_days", "roster_source", "active")
#: The per-category spec of a mapping.
MAPPING_FIELDS = ("collect", "fields", "key_field", "other_people_fields", "rectify", "erase", "restrict")


class SystemConflict(Exception):
    """Someone else saved the system since the form was loaded (409: the form is shown again, nothing lost)."""

    @property
    def message(self) -> str:
        """What the privacy officer reads, in their language."""
        return _("Iemand anders heeft dit systeem intussen opgeslagen. Uw invoer staat hieronder nog; controleer "
                 "de velden en sla opnieuw op als u de wijziging van de ander wilt vervangen.")


def systems(*, active_only: bool = False) -> list[System]:
    """Every system by name (only the active ones if ``active_only``)."""
    query = sa.select(System).order_by(System.name)
    if active_only:
        query = query.where(System.active.is_(True))
    return list(db.session.execute(query).scalars())


def system(system_id: int) -> System:
    """The system with this id; :class:`dsr.errors.NotFound` (the 404 page) if there is none."""
    found = db.session.get(System, system_id)
    if found is None:
        raise NotFound(system_id)
    return found


def holding(category_id: int) -> list[System]:
    """The systems that hold a category (the category's page lists them)."""
    return list(db.session.execute(
        sa.select(System).join(SystemCategory).where(SystemCategory.category_id == category_id)
        .order_by(System.name)).scalars())


def owner_names(listed: list[System]) -> dict[int, str]:
    """The names of the staff who own ``listed`` systems, by user id (one query for the list page)."""
    ids = {s.owner_user_id for s in listed if s.owner_user_id is not None}
    if not ids:
        return {}
    return {row.id: row.name for row in db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))}


def owner_choices() -> list[User]:
    """Who may own a system inside ASG: active staff accounts, by name."""
    return list(db.session.execute(sa.select(User).where(User.active.is_(True)).order_by(User.name)).scalars())


def _require_editor(user: User) -> None:
    if not may_edit(user):
        raise PermissionError("only the privacy officer changes the register's systems")


def _check_version(found: System, version: int | None) -> None:
    if version is None or found.version != version:
        raise SystemConflict()


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and our write
        db.session.rollback()
        raise SystemConflict() from exc


def _check_columns(data: dict[str, Any], own_id: int | None) -> None:
    """The checks on the plain columns; RegisterError at the field."""
    if data.get("kind") not in CONNECTOR_KINDS:
        raise RegisterError(_("Kies hoe dsr met dit systeem werkt."), "kind")
    owner_user_id = data.get("owner_user_id")
    if owner_user_id is not None:
        owner = db.session.get(User, owner_user_id)
        if owner is None or not owner.active:
            raise RegisterError(_("Kies een actief account als eigenaar."), "owner_user_id")
    name, email = data.get("owner_name", ""), data.get("owner_email", "")
    if data["kind"] == "manual" and not email:
        raise RegisterError(_("Een handmatig systeem krijgt zijn taken per e-mail: vul het e-mailadres van de "
                              "eigenaar in."), "owner_email")
    if owner_user_id is None and not (name and email):
        raise RegisterError(_("Kies een eigenaar binnen ASG, of vul naam en e-mailadres van de eigenaar buiten ASG "
                              "(de verwerker) in."), "owner_email" if name else "owner_name")
    if data.get("recipient_id") is not None and db.session.get(RegisterRecipient, data["recipient_id"]) is None:
        raise RegisterError(_("Kies een ontvanger uit het register."), "recipient_id")
    if data.get("school_id") is not None and db.session.get(School, data["school_id"]) is None:
        raise RegisterError(_("Kies een school."), "school_id")
    for key, (low, high) in LIMITS.items():
        value = data.get(key)
        if value is None or not low <= value <= high:
            raise RegisterError(_("Vul een getal tussen %(low)s en %(high)s in.", low=low, high=high), key)
    if data["kind"] == "manual" and data.get("roster_source"):
        raise RegisterError(_("Een handmatig systeem kan de leerlingenlijst niet leveren; kies een koppeling."),
                            "roster_source")
    if own_id is None:
        other = db.session.execute(sa.select(System.id).where(System.code == data.get("code"))).scalar()
        if other is not None:
            raise RegisterError(_("Deze code is al in gebruik; kies een andere."), "code")


@transactional
def save_system(user: User, system_id: int | None, data: dict[str, Any], secrets: dict[str, Any], *,
                clear_secrets: bool = False, version: int | None = None) -> System:
    """Create (``system_id`` None) or change a system; commits.

    ``data``: the columns (``code`` only when creating: it never changes), and the kind's settings
    (``dsr.services.system_fields.SETTINGS_KEYS``). ``secrets``: what was typed in the write-only fields;
    an empty one keeps the saved secret, ``clear_secrets`` drops the saved ones first. ``version``: the
    version the form was loaded with (SystemConflict when stale). Audited as ``system.saved`` with the
    names of the changed fields. RegisterError at the field for bad input.
    """
    _require_editor(user)
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    data["owner_email"] = (data.get("owner_email") or "").lower()
    data["owner_name"] = data.get("owner_name") or ""
    data["description"] = data.get("description") or ""
    _check_columns(data, system_id)
    settings = clean_settings(data["kind"], data)
    if system_id is None:
        found = System(code=data["code"], name=data["name"], kind=data["kind"], settings_json="{}")
        existing: dict[str, Any] = {}
        old_settings: dict[str, Any] = {}
        db.session.add(found)
        action = "created"
    else:
        found = system(system_id)
        _check_version(found, version)
        existing, old_settings = open_credentials(found.credentials_sealed), system_settings(found)
        action = "updated"
    sealed_before = found.credentials_sealed
    kept = merged_secrets(data["kind"], existing, secrets, clear=clear_secrets, creating=system_id is None,
                          settings=settings)
    changed = [name for name in _SYSTEM_FIELDS if name in data and getattr(found, name) != data[name]]
    for name in changed:
        setattr(found, name, data[name])
    changed += [f"settings.{key}" for key in sorted(set(settings) | set(old_settings))
                if settings.get(key) != old_settings.get(key)]
    found.settings_json = json.dumps(settings, sort_keys=True)
    credentials = None
    if kept != existing:
        found.credentials_sealed = seal_credentials(kept)
        credentials = "cleared" if not kept and sealed_before else "changed"
    if changed or credentials:
        found.updated_at = utcnow()
    _flush()
    if changed or credentials or action == "created":
        details: dict[str, Any] = {"action": action, "system": found.code, "kind": found.kind, "changed": changed}
        if credentials:
            details["credentials"] = credentials
        audit.record("system.saved", actor=user, details=details)
    return found


def _mapping_data(data: dict[str, Any], kind: str) -> dict[str, str]:
    """The mapping's text fields, stripped; RegisterError at the field when the kind needs one that is empty."""
    values = {name: (data.get(name) or "").strip() for name in MAPPING_FIELDS}
    if kind in ("sql", "http") and not values["collect"]:
        message = _("Vul de query in die de gegevens van één leerling leest.") if kind == "sql" else \
            _("Vul het pad in waar dsr de gegevens van één leerling leest (bijvoorbeeld /users/{student_number}).")
        raise RegisterError(message, "collect")
    if kind == "sql" and values["collect"] and ":student_number" not in values["collect"] \
            and ":birth_date" not in values["collect"]:
        raise RegisterError(_("De query moet de leerling kiezen met :student_number (of :birth_date), niet met "
                              "een vaste waarde."), "collect")
    if kind in ("sql", "http") and not values["key_field"]:
        raise RegisterError(_("Vul het veld in dat in elke rij het leerlingnummer bevat; dsr controleert daarmee "
                              "dat het alleen gegevens van deze leerling krijgt."), "key_field")
    return values


@transactional
def save_mapping(user: User, system_id: int, category_id: int, data: dict[str, Any], *,
                 version: int | None = None) -> SystemCategory:
    """Say that ``system_id`` holds ``category_id``, with how to read it and carry out rights there
    (creates or changes the mapping); audited as ``system.mapping_saved``; commits. ``version``: the system's
    version the form was loaded with (SystemConflict when stale); saving moves it on."""
    _require_editor(user)
    found = system(system_id)
    _check_version(found, version)
    category = db.session.get(RegisterCategory, category_id)
    if category is None:
        raise RegisterError(_("Kies een categorie uit het register."), "category_id")
    values = _mapping_data(data, found.kind)
    mapping = next((m for m in found.mappings if m.category_id == category_id), None)
    action = "updated"
    if mapping is None:
        mapping = SystemCategory(category_id=category_id, **values)
        found.mappings.append(mapping)
        changed = [name for name, value in values.items() if value]
        action = "created"
    else:
        changed = [name for name, value in values.items() if getattr(mapping, name) != value]
        for name in changed:
            setattr(mapping, name, values[name])
    found.updated_at = utcnow()  # the system's version moves on: an open form of it is stale now
    _flush()
    if changed or action == "created":
        audit.record("system.mapping_saved", actor=user,
                     details={"action": action, "system": found.code, "category": category.code, "changed": changed})
    return mapping


@transactional
def remove_mapping(user: User, system_id: int, category_id: int, *, version: int | None = None) -> bool:
    """The system no longer holds the category; audited as ``system.mapping_removed``; commits. False when
    it did not hold it (nothing changes)."""
    _require_editor(user)
    found = system(system_id)
    _check_version(found, version)
    mapping = next((m for m in found.mappings if m.category_id == category_id), None)
    if mapping is None:
        return False
    code = mapping.category.code
    found.mappings.remove(mapping)
    found.updated_at = utcnow()
    _flush()
    audit.record("system.mapping_removed", actor=user, details={"system": found.code, "category": code})
    return True


def secret_keys_of(kind: str) -> tuple[str, ...]:
    """The write-only fields of ``kind`` (the page shows only those)."""
    return SECRET_KEYS.get(kind, ())
