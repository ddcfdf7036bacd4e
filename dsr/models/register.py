"""The processing register (Art. 30 AVG; the statement's "register"): data categories and recipients.

The privacy officer keeps it; staff read it; a public page shows it in plain Dutch. Fulfilment reads
it for the Art. 15(1) information (R-RI-1), the scope of an access package (R-CH-7), the recipients of
Art. 19 notices (R-RI-7) and the erasure decision (R-RI-3, §6).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..extensions import Model, db
from ..templating import current_language
from ..workflows.labels import Labels
from ..workflows.retention import (
    LEGAL_BASES,
    RETENTION_KINDS,
    PeriodSpec,
    RetentionRule,
    describe_retention,
    rule_for_school_type,
)
from ..workflows.vocabulary import SCHOOL_TYPE_LABELS, SCHOOL_TYPES
from ._types import UTCDateTime, utcnow

category_recipients = sa.Table(
    "register_category_recipients",
    db.metadata,
    sa.Column("category_id", sa.ForeignKey("register_categories.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("recipient_id", sa.ForeignKey("register_recipients.id", ondelete="CASCADE"), primary_key=True),
)

#: Kinds of recipient, for grouping on the public page.
RECIPIENT_KINDS = Labels({
    "duo": _l("Overheid (DUO)"),
    "supplier": _l("Leverancier (verwerker)"),
    "swv": _l("Samenwerkingsverband passend onderwijs"),
    "municipality": _l("Gemeente"),
    "school": _l("Andere school"),
    "authority": _l("Toezichthouder of rechter"),
    "other": _l("Anders"),
})

# The vocabularies of workflows.retention as pages show them, in the reader's language. The Dutch texts
# are the same as there (tests/integration/test_language_register.py checks it); letters, which are
# Dutch, keep using workflows.retention directly.
LEGAL_BASIS_LABELS = Labels({
    "6_1_a": _l("Toestemming (art. 6 lid 1 sub a AVG)"),
    "6_1_c": _l("Wettelijke plicht (art. 6 lid 1 sub c AVG)"),
    "6_1_e": _l("Taak van algemeen belang: onderwijs geven (art. 6 lid 1 sub e AVG)"),
})
LEGAL_BASIS_PLAIN_LABELS = Labels({
    "6_1_a": _l("U of de leerling heeft er toestemming voor gegeven (artikel 6 lid 1 onder a AVG). "
                "Die toestemming kunt u altijd weer intrekken."),
    "6_1_c": _l("De wet verplicht de school om deze gegevens te verwerken (artikel 6 lid 1 onder c AVG)."),
    "6_1_e": _l("De school heeft deze gegevens nodig om onderwijs te geven; dat is een taak van algemeen belang "
                "(artikel 6 lid 1 onder e AVG)."),
})
RETENTION_KIND_LABELS = Labels({
    "after_leaving": _l("Een aantal maanden/jaren nadat de leerling van school is gegaan"),
    "fixed": _l("Een vaste termijn (geteld vanaf het vertrek van de leerling)"),
    "until_selectielijst": _l("Niet vernietigen tot er een selectielijst is (Archiefwet)"),
    "consent": _l("Zolang de toestemming geldt"),
    "after_closing": _l("Een aantal maanden/jaren na het afsluiten van het verzoek"),
})


class RegisterRecipient(Model):
    """Someone who receives data from ASG: named, as Art. 15(1)(c) requires (C-154/21)."""

    __tablename__ = "register_recipients"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(tuple(RECIPIENT_KINDS)), name="kind_valid"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="other")
    #: A processor works on ASG's instructions (Art. 28); must assist with Art. 19 notices.
    processor: so.Mapped[bool] = so.mapped_column(default=False)
    #: What they receive and why, in plain Dutch.
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: How staff notify them of a correction or erasure (Art. 19), e.g. "via de BRON-uitwisseling".
    notification_route: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: False for a placeholder that stands for a group ("suppliers, list per school"): Art. 15(1)(c) wants
    #: recipients by name (C-154/21), so letters may not list an unnamed entry.
    named: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    active: so.Mapped[bool] = so.mapped_column(default=True)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def kind_label(self) -> str:
        """The kind of recipient, in the reader's language."""
        return RECIPIENT_KINDS[self.kind]

    def __repr__(self) -> str:
        return f"<RegisterRecipient {self.code}>"


class RegisterCategory(Model):
    """A category of personal data with its purpose, legal basis, retention, source and recipients."""

    __tablename__ = "register_categories"
    __table_args__ = (
        sa.CheckConstraint(sa.column("legal_basis").in_(tuple(LEGAL_BASES)), name="legal_basis_valid"),
        sa.CheckConstraint(sa.column("retention_kind").in_(tuple(RETENTION_KINDS)), name="retention_kind_valid"),
        sa.CheckConstraint("retention_months IS NULL OR retention_months >= 0", name="retention_months_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Which data, in plain Dutch ("naam, adres, geboortedatum, ...").
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    purpose: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    legal_basis: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: The law or policy behind the basis, e.g. "Wet op het voortgezet onderwijs 2020".
    legal_basis_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    retention_kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    retention_months: so.Mapped[int | None]
    #: The source of the period, e.g. "AWR art. 52 lid 4; BW 2:10 lid 3".
    retention_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: True only when a statute obliges the school to keep the data this long (the source names the article);
    #: False marks a policy period of ASG, which can never ground a refusal to erase (R-RI-3).
    retention_statutory: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: For consent-based categories (6(1)(a), R-CH-8): what the consent covers, in plain Dutch, e.g.
    #: "foto's en video's op de website en in de schoolgids". Withdrawing it stops exactly this.
    consent_covers: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    #: R-CH-7 "leerresultaten": what a parent of a 16-17-year-old may see without authorisation.
    is_learning_result: so.Mapped[bool] = so.mapped_column(default=False)
    #: Where the data comes from when not from the person (Art. 15(1)(g)).
    source: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    recipients: so.Mapped[list[RegisterRecipient]] = so.relationship(
        secondary=category_recipients, lazy="selectin", order_by=RegisterRecipient.name)
    #: Periods that differ per school type (po/vo/mbo); a type without one uses the columns above.
    periods: so.Mapped[list[RetentionPeriod]] = so.relationship(
        back_populates="category", lazy="selectin", cascade="all, delete-orphan",
        order_by="RetentionPeriod.school_type")

    @property
    def legal_basis_label(self) -> str:
        """The legal basis as staff read it, in their language."""
        return LEGAL_BASIS_LABELS[self.legal_basis]

    @property
    def legal_basis_plain(self) -> str:
        """The legal basis as a parent reads it on the public register, in the reader's language."""
        return LEGAL_BASIS_PLAIN_LABELS[self.legal_basis]

    @property
    def retention_text(self) -> str:
        """The retention rule in plain Dutch (letters are Dutch)."""
        return describe_retention(self.retention_kind, self.retention_months)

    @property
    def retention_label(self) -> str:
        """The retention rule in plain words, in the reader's language (the register's pages)."""
        return describe_retention(self.retention_kind, self.retention_months, current_language())

    @property
    def statutory_label(self) -> str:
        """Whether the category's own period is a legal duty or the school's policy (R-RI-3), for the register
        pages; empty for kinds without a period."""
        if self.retention_kind not in ("after_leaving", "fixed", "until_selectielijst"):
            return ""
        return str(_l("wettelijke bewaarplicht") if self.rule().is_statutory else _l("beleid van de school"))

    @property
    def active_recipients(self) -> list[RegisterRecipient]:
        return [r for r in self.recipients if r.active]

    @property
    def unsourced(self) -> bool:
        """A period without a source: it counts as policy (shown so on the register pages)."""
        return self.retention_kind in ("after_leaving", "fixed") and not self.retention_note.strip()

    def period_for(self, school_type: str | None) -> RetentionPeriod | None:
        """The period set for ``school_type``, or None when the category's own period applies."""
        return next((p for p in self.periods if p.school_type == school_type), None)

    def rule(self, school_type: str | None = None) -> RetentionRule:
        """The category's retention rule for a school of ``school_type`` (None: the category's own period),
        for the pure functions in ``workflows.retention``."""
        base = RetentionRule(self.code, self.name, self.legal_basis, self.retention_kind, self.retention_months,
                             self.retention_note, statutory=self.retention_statutory,
                             consent_covers=self.consent_covers)
        periods = {p.school_type: PeriodSpec(p.months, p.statutory, p.source) for p in self.periods}
        return rule_for_school_type(base, periods, school_type)

    def __repr__(self) -> str:
        return f"<RegisterCategory {self.code}>"


class RetentionPeriod(Model):
    """A category's retention period for one school type, with its source (docs/legal.md §6: periods differ
    between po, vo and mbo). ``statutory`` False marks a policy period (no statute behind it)."""

    __tablename__ = "register_retention_periods"
    __table_args__ = (
        sa.UniqueConstraint("category_id", "school_type", name="uq_register_retention_periods_category_type"),
        sa.CheckConstraint(sa.column("school_type").in_(SCHOOL_TYPES), name="school_type_valid"),
        sa.CheckConstraint("months >= 0", name="months_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_categories.id", ondelete="CASCADE"),
                                                   index=True)
    school_type: so.Mapped[str] = so.mapped_column(sa.String(10))
    months: so.Mapped[int]
    statutory: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: The law (with its article) or the policy the period comes from.
    source: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    category: so.Mapped[RegisterCategory] = so.relationship(back_populates="periods")

    @property
    def school_type_label(self) -> str:
        return SCHOOL_TYPE_LABELS[self.school_type]
