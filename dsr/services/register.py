"""The processing register: seed, read, edit (privacy officer only, every change audited), CSV export."""
from __future__ import annotations

import csv
import io
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import NotFound
from ..extensions import db
from ..models import RegisterCategory, RegisterRecipient, RetentionPeriod, User
from ..register_defaults import CATEGORIES, RECIPIENTS
from ..workflows.retention import KINDS_WITH_PERIOD
from ..workflows.roles import PRIVACY_OFFICER
from ..workflows.vocabulary import SCHOOL_TYPES
from . import audit
from .csv_cells import neutralise
from .transaction import transactional


class RegisterError(ValueError):
    """An edit that cannot be saved; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def may_edit(user: object) -> bool:
    """Only the privacy officer keeps the register (docs/legal.md §10, roles)."""
    return getattr(user, "role", None) == PRIVACY_OFFICER


def categories(*, active_only: bool = True) -> list[RegisterCategory]:
    """The register's categories in their order (only the active ones unless ``active_only`` is False)."""
    query = sa.select(RegisterCategory).order_by(RegisterCategory.position, RegisterCategory.name)
    if active_only:
        query = query.where(RegisterCategory.active.is_(True))
    return list(db.session.execute(query).scalars())


def recipients(*, active_only: bool = True) -> list[RegisterRecipient]:
    """The register's recipients by name (only the active ones unless ``active_only`` is False)."""
    query = sa.select(RegisterRecipient).order_by(RegisterRecipient.name)
    if active_only:
        query = query.where(RegisterRecipient.active.is_(True))
    return list(db.session.execute(query).scalars())


def unnamed_recipients() -> list[RegisterRecipient]:
    """Active recipients that stand for a group instead of a named organisation (Art. 15(1)(c), C-154/21):
    the privacy officer must replace them, because letters may only name real recipients."""
    return [r for r in recipients() if not r.named]


def category_by_code(code: str) -> RegisterCategory | None:
    """The category with ``code``, or None."""
    return db.session.execute(sa.select(RegisterCategory).where(RegisterCategory.code == code)).scalar()


def _literals(specs: list[Any]) -> list[dict[str, Any]]:
    """register_defaults' entries as what they are: dicts of model fields (mypy infers ``object`` for
    the mixed literals)."""
    return cast(list[dict[str, Any]], specs)


def seed_register(actor: User | None = None) -> tuple[int, int]:
    """Add ASG's default categories and recipients that are missing (by code); returns how many
    categories and recipients were added. Existing entries keep the privacy officer's edits."""
    existing_recipients = {r.code: r for r in recipients(active_only=False)}
    added_recipients = 0
    for spec in _literals(RECIPIENTS):
        code = spec["code"]
        if code not in existing_recipients:
            recipient = RegisterRecipient(**spec, active=True)
            db.session.add(recipient)
            existing_recipients[code] = recipient
            added_recipients += 1
    existing_codes = {c.code for c in categories(active_only=False)}
    added_categories = 0
    for position, spec in enumerate(_literals(CATEGORIES), start=1):
        if spec["code"] in existing_codes:
            continue
        values = {k: v for k, v in spec.items() if k not in ("recipients", "periods")}
        category = RegisterCategory(**values, position=position * 10, active=True)
        periods: dict[str, tuple[int, bool, str]] = spec.get("periods", {})
        category.recipients = [existing_recipients[code] for code in spec["recipients"]]
        category.periods = [RetentionPeriod(school_type=school_type, months=months, statutory=statutory, source=source)
                            for school_type, (months, statutory, source) in periods.items()]
        db.session.add(category)
        added_categories += 1
    if added_categories or added_recipients:
        db.session.flush()
        audit.record("register.changed", actor=actor, actor_kind="staff" if actor else "system",
                     reason="Standaardregister van ASG geladen (privacystatement en bewaartermijnen).",
                     details={"object": "seed", "categories_added": added_categories,
                              "recipients_added": added_recipients})
    return added_categories, added_recipients


_CATEGORY_FIELDS = ("code", "name", "description", "purpose", "legal_basis", "legal_basis_note", "retention_kind",
                    "retention_months", "retention_note", "retention_statutory", "consent_covers",
                    "is_learning_result", "source", "position", "active")
_RECIPIENT_FIELDS = ("code", "name", "kind", "processor", "description", "notification_route", "named", "active")


def _apply(obj: object, fields: tuple[str, ...], data: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``fields`` from ``data`` on ``obj``; return the changes as {field: [old, new]}."""
    changes: dict[str, list[Any]] = {}
    for name in fields:
        if name not in data:
            continue
        old, new = getattr(obj, name), data[name]
        if old != new:
            changes[name] = [old, new]
            setattr(obj, name, new)
    return changes


def _check_unique(model: type[RegisterCategory] | type[RegisterRecipient], code: str, own_id: int | None) -> None:
    other = db.session.execute(sa.select(model.id).where(model.code == code)).scalar()
    if other is not None and other != own_id:
        raise RegisterError(_("Deze code is al in gebruik; kies een andere."), "code")


@transactional
def save_category(user: User, category_id: int | None, data: dict[str, Any]) -> RegisterCategory:
    """Create (``category_id`` None) or change a category; audited as ``register.changed``; commits."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer edits the register")
    data = dict(data)
    if data.get("retention_kind") in KINDS_WITH_PERIOD:
        if data.get("retention_months") is None:
            raise RegisterError(_("Vul de bewaartermijn in maanden in (bijvoorbeeld 24 voor 2 jaar)."),
                                "retention_months")
    else:
        data["retention_months"] = None
    if data.get("retention_statutory") and data.get("retention_kind") in KINDS_WITH_PERIOD \
            and not (data.get("retention_note") or "").strip():
        # R-RI-3: a statutory duty names its law and article; without a source the period is policy.
        raise RegisterError(_("Noem de wet en het artikel van de wettelijke bewaarplicht, of vink 'wettelijke "
                              "bewaarplicht' uit: dan is het beleid van de school."), "retention_note")
    if data.get("legal_basis") == "6_1_a" and not (data.get("consent_covers") or "").strip() \
            and "consent_covers" in data:
        raise RegisterError(_("Beschrijf waar de toestemming voor geldt (R-CH-8); dat stopt als iemand de "
                              "toestemming intrekt."), "consent_covers")
    recipient_ids = set(data.pop("recipient_ids", []) or [])
    if category_id is None:
        _check_unique(RegisterCategory, data["code"], None)
        category = RegisterCategory(code=data["code"], name=data["name"], legal_basis=data["legal_basis"],
                                    retention_kind=data["retention_kind"])
        db.session.add(category)
        action = "created"
    else:
        found = db.session.get(RegisterCategory, category_id)
        if found is None:
            raise NotFound(category_id)
        category = found
        data.pop("code", None)  # the code is referenced by cases and tasks; it never changes
        action = "updated"
    changes = _apply(category, _CATEGORY_FIELDS, data)
    chosen = [r for r in recipients(active_only=False) if r.id in recipient_ids]
    old_codes = sorted(r.code for r in category.recipients)
    new_codes = sorted(r.code for r in chosen)
    if old_codes != new_codes:
        changes["recipients"] = [old_codes, new_codes]
        category.recipients = chosen
    db.session.flush()
    if changes or action == "created":
        audit.record("register.changed", actor=user,
                     details={"object": "category", "action": action, "code": category.code, "changes": changes})
    return category


@transactional
def save_period(user: User, category_id: int, school_type: str, *, months: int | None, statutory: bool,
                source: str) -> RegisterCategory:
    """Set (or, with ``months`` None, remove) the category's retention period for one school type
    (docs/legal.md §6). A statutory period names its law and article (R-RI-3). Audited as
    ``register.changed``; commits."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer edits the register")
    category = db.session.get(RegisterCategory, category_id)
    if category is None or school_type not in SCHOOL_TYPES:
        raise NotFound(category_id)
    if category.retention_kind not in ("after_leaving", "fixed"):
        raise RegisterError(_("Alleen een termijn in maanden of jaren kan per soort school verschillen."), "months")
    source = (source or "").strip()
    if months is not None and statutory and not source:
        raise RegisterError(_("Noem de wet en het artikel van de wettelijke bewaarplicht, of vink 'wettelijke "
                              "bewaarplicht' uit: dan is het beleid van de school."), "source")
    period = category.period_for(school_type)
    old = None if period is None else [period.months, period.statutory, period.source]
    if months is None:
        if period is not None:
            category.periods.remove(period)
    else:
        if period is None:
            period = RetentionPeriod(school_type=school_type, months=months)
            category.periods.append(period)
        period.months, period.statutory, period.source = months, bool(statutory), source
    new = None if months is None else [months, bool(statutory), source]
    db.session.flush()
    if old != new:
        audit.record("register.changed", actor=user,
                     details={"object": "period", "code": category.code, "school_type": school_type,
                              "changes": {"period": [old, new]}})
    return category


@transactional
def save_recipient(user: User, recipient_id: int | None, data: dict[str, Any]) -> RegisterRecipient:
    """Create or change a recipient; audited as ``register.changed``; commits."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer edits the register")
    data = dict(data)
    if recipient_id is None:
        _check_unique(RegisterRecipient, data["code"], None)
        recipient = RegisterRecipient(code=data["code"], name=data["name"], kind=data["kind"])
        db.session.add(recipient)
        action = "created"
    else:
        found = db.session.get(RegisterRecipient, recipient_id)
        if found is None:
            raise NotFound(recipient_id)
        recipient = found
        data.pop("code", None)
        action = "updated"
    changes = _apply(recipient, _RECIPIENT_FIELDS, data)
    db.session.flush()
    if changes or action == "created":
        audit.record("register.changed", actor=user,
                     details={"object": "recipient", "action": action, "code": recipient.code, "changes": changes})
    return recipient


CSV_COLUMNS = (_l("code"), _l("categorie"), _l("welke gegevens"), _l("doel"), _l("grondslag"), _l("wet of beleid"),
               _l("bewaartermijn"), _l("bron van de termijn"), _l("leerresultaat"), _l("herkomst"), _l("ontvangers"),
               _l("wettelijke bewaarplicht"), _l("toestemming geldt voor"), _l("termijn per soort school"))


def register_csv() -> str:
    """The active register as CSV (semicolons and a BOM, as Dutch spreadsheet software expects), in the
    reader's language (the entries themselves are written in Dutch)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(str(column)) for column in CSV_COLUMNS])
    for c in categories():
        writer.writerow([neutralise(str(v)) for v in (
            c.code, c.name, c.description, c.purpose, c.legal_basis_label, c.legal_basis_note, c.retention_label,
            c.retention_note, _("ja") if c.is_learning_result else _("nee"), c.source,
            " | ".join(r.name for r in c.active_recipients),
            _("ja") if c.rule().is_statutory else _("nee"), c.consent_covers,
            " | ".join(f"{p.school_type}: {p.months} ({_('ja') if p.statutory else _('nee')}; {p.source})"
                       for p in c.periods),
        )])
    return "\ufeff" + out.getvalue()
