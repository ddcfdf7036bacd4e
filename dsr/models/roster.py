"""The school's contacts (issue 17 point 5): a minimal roster from the student administration system.

Kept by a scheduled sync (``services.roster``) and used only to propose identity and gezag facts at
intake: "bekend contact met gezag volgens de leerlingadministratie". It holds no more than that needs:
per student the number, name, birth date, school and enrolment dates; per contact the name, e-mail
address, relation and whether they hold parental authority (gezag). The sync replaces what it says, and a
student who left is removed after ``ROSTER_RETENTION_DAYS`` (docs/legal.md).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class RosterStudent(Model):
    """One student as the student administration system knows them."""

    __tablename__ = "roster_students"
    __table_args__ = (sa.UniqueConstraint("school_id", "student_number", name="uq_roster_students_school_number"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    school_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    student_number: so.Mapped[str] = so.mapped_column(sa.String(40))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    birth_date: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    enrolled_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    left_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date, index=True)
    #: The system whose sync last wrote this row.
    source_system_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("register_systems.id", ondelete="SET NULL"))
    synced_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    contacts: so.Mapped[list[RosterContact]] = so.relationship(
        back_populates="student", lazy="selectin", cascade="all, delete-orphan", passive_deletes=True,
        order_by="RosterContact.id")


class RosterContact(Model):
    """A contact of a roster student: a parent, guardian or carer, with or without gezag."""

    __tablename__ = "roster_contacts"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    student_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("roster_students.id", ondelete="CASCADE"),
                                                  index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Lower case, so a lookup by the requester's address is one index probe.
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    #: "parent", "guardian", "carer" or "other", as the sync maps the source's words.
    relation: so.Mapped[str] = so.mapped_column(sa.String(20))
    gezag: so.Mapped[bool]

    student: so.Mapped[RosterStudent] = so.relationship(back_populates="contacts")
