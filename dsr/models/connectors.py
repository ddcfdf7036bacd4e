"""The school's systems in the register, and what dsr does in them for a case (issue 17).

A :class:`System` is one place that holds the students' personal data: the student administration system,
the learning platform, a supplier, the archive. The register's categories say which systems hold them
(:class:`SystemCategory`, with the query, path or column per category). Each system has an owner (a member
of staff, or a processor with a contact address) and a connector kind (``dsr.connectors``).

For a case, dsr keeps one :class:`ConnectorRun` per system and purpose (collect the data, or carry out a
rectification, erasure, restriction or consent withdrawal), with one :class:`ConnectorStep` per category,
so a run that crashed halfway resumes at the first step not done. A system without an interface gets a
:class:`ManualTask`: its owner answers through a sealed link, without an account.

Credentials are never stored in plain text: ``System.credentials_sealed`` holds them encrypted under the
file keys (``dsr.connectors.credentials``), and no page shows them again after they are saved.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..extensions import Model
from ..workflows.labels import Labels
from ._types import UTCDateTime, utcnow
from .register import RegisterCategory, RegisterRecipient

#: The connector kinds (issue 17 point 2); ``dsr.connectors.connector_for`` maps each to its class.
CONNECTOR_KINDS = Labels({
    "sql": _l("Database (SQL)"),
    "http": _l("Webkoppeling (HTTP/JSON)"),
    "file": _l("Exportbestand (CSV of XLSX)"),
    "manual": _l("Handmatige taak voor de eigenaar"),
})

#: Why dsr works in a system for a case: collect the data (access), or carry out a granted right.
RUN_PURPOSES = Labels({
    "collect": _l("Gegevens verzamelen"),
    "rectification": _l("Rectificatie doorvoeren"),
    "erasure": _l("Gegevens wissen"),
    "restriction": _l("Verwerking beperken"),
    "withdrawal": _l("Toestemming ingetrokken: gebruik stoppen"),
})

#: A run's life: queued → running → done | failed; an execution first waits in ``planned`` (its dry run
#: shown to staff) until staff confirm it (``confirmed``, then queued); a manual system waits in ``waiting``
#: for its owner's answer.
RUN_STATUSES = Labels({
    "queued": _l("In de wachtrij"),
    "running": _l("Bezig"),
    "planned": _l("Proefrun klaar: wacht op bevestiging"),
    "confirmed": _l("Bevestigd"),
    "waiting": _l("Wacht op de eigenaar"),
    "done": _l("Klaar"),
    "failed": _l("Mislukt"),
})
RUN_OPEN_STATUSES = ("queued", "running", "confirmed", "waiting")

#: What a manual task asks its owner.
MANUAL_TASK_KINDS = Labels({
    "deliver": _l("Lever de gegevens van deze leerling aan"),
    "confirm_erasure": _l("Bevestig dat de gegevens zijn gewist"),
    "confirm_rectification": _l("Bevestig dat de gegevens zijn gecorrigeerd"),
    "confirm_restriction": _l("Bevestig dat de verwerking is beperkt"),
    "confirm_withdrawal": _l("Bevestig dat het gebruik is gestopt"),
})


class System(Model):
    """One system (or processor) that holds personal data of students, with its owner and connector."""

    __tablename__ = "register_systems"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(tuple(CONNECTOR_KINDS)), name="kind_valid"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: The owner inside ASG, if a member of staff owns it.
    owner_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The owner outside ASG (a processor's contact), or the name to address an owner's mail to.
    owner_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    owner_email: so.Mapped[str] = so.mapped_column(sa.String(254), default="", server_default="")
    #: The register's recipient this system stands for (a processor): carrying out a right in this system
    #: completes that recipient's Art. 19 task (R-RI-7).
    recipient_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("register_recipients.id", ondelete="SET NULL"))
    #: None for every school; else the one school whose data it holds.
    school_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"))
    #: The connector's settings that are not secret, as JSON (base URL, auth kind, key column, folder, ...).
    #: See docs/connectors.md for each kind.
    settings_json: so.Mapped[str] = so.mapped_column(sa.Text, default="{}", server_default="{}")
    #: The secrets (database URL with password, client secret, API key, password) as a Fernet token under
    #: the file keys; never shown again after saving.
    credentials_sealed: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: The most bytes one answer of this system may have; a larger one is an error on this system.
    max_response_bytes: so.Mapped[int] = so.mapped_column(default=10_000_000, server_default="10000000")
    timeout_seconds: so.Mapped[int] = so.mapped_column(default=20, server_default="20")
    #: Days the owner of a manual system has to answer a task.
    task_days: so.Mapped[int] = so.mapped_column(default=10, server_default="10")
    #: This system feeds the roster of students and contacts (point 5).
    roster_source: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    recipient: so.Mapped[RegisterRecipient | None] = so.relationship(lazy="joined")
    mappings: so.Mapped[list[SystemCategory]] = so.relationship(
        back_populates="system", lazy="selectin", cascade="all, delete-orphan", order_by="SystemCategory.id")

    @property
    def kind_label(self) -> str:
        """The connector kind, in the reader's language."""
        return CONNECTOR_KINDS[self.kind]

    @property
    def has_credentials(self) -> bool:
        """Whether secrets were saved (the page says so, never what they are)."""
        return bool(self.credentials_sealed)

    def __repr__(self) -> str:
        return f"<System {self.code}>"


class SystemCategory(Model):
    """A register category held in a system, with how to read it and carry out rights on it there.

    ``collect``: for SQL a parameterised SELECT (``:student_number``, ``:birth_date``, ``:student_name``);
    for HTTP a path template (``/users/{student_number}/results``); for a file export the sheet or file
    pattern. ``fields``: the fields or columns to keep (empty: all). ``key_field``: the field in each row
    that must equal the key dsr asked for (a row of another student is an error, never data).
    ``other_people_fields``: fields with other people's data (classmates, a teacher's private notes),
    redacted before any person sees the data. ``rectify``, ``erase``, ``restrict``: the statements or calls
    that carry out a right, run only after the decision (docs/connectors.md).
    """

    __tablename__ = "register_system_categories"
    __table_args__ = (sa.UniqueConstraint("system_id", "category_id", name="uq_register_system_categories"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    system_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_systems.id", ondelete="CASCADE"))
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_categories.id", ondelete="CASCADE"),
                                                   index=True)
    collect: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    fields: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    key_field: so.Mapped[str] = so.mapped_column(sa.String(100), default="", server_default="")
    other_people_fields: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    rectify: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    erase: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    restrict: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    system: so.Mapped[System] = so.relationship(back_populates="mappings")
    category: so.Mapped[RegisterCategory] = so.relationship(lazy="joined")

    @property
    def field_list(self) -> list[str]:
        """``fields`` as a list (comma or newline separated)."""
        return _names(self.fields)

    @property
    def other_people_field_list(self) -> list[str]:
        """``other_people_fields`` as a list (comma or newline separated)."""
        return _names(self.other_people_fields)


def _names(text: str) -> list[str]:
    return [n.strip() for n in (text or "").replace("\n", ",").split(",") if n.strip()]


class ConnectorRun(Model):
    """What dsr does in one system for one case and purpose; one row, so nothing runs twice."""

    __tablename__ = "connector_runs"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "system_id", "purpose", name="uq_connector_runs_case_system_purpose"),
        sa.CheckConstraint(sa.column("purpose").in_(tuple(RUN_PURPOSES)), name="purpose_valid"),
        sa.CheckConstraint(sa.column("status").in_(tuple(RUN_STATUSES)), name="status_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    system_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_systems.id", ondelete="CASCADE"))
    purpose: so.Mapped[str] = so.mapped_column(sa.String(20))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="queued")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    #: What failed, for staff, in plain words; never a credential or a row of data.
    error: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    #: The dry run (rows that would change per category) as JSON, shown before staff confirm.
    plan_json: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    requested_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    confirmed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    started_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    finished_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: When the current attempt may be taken over: a worker that died while running leaves a claim that
    #: expires, so a retry resumes the run (workers claim a run with an UPDATE ... WHERE on status).
    claimed_until: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    system: so.Mapped[System] = so.relationship(lazy="joined")
    steps: so.Mapped[list[ConnectorStep]] = so.relationship(
        back_populates="run", lazy="selectin", cascade="all, delete-orphan", order_by="ConnectorStep.id")

    @property
    def status_label(self) -> str:
        return RUN_STATUSES[self.status]

    @property
    def purpose_label(self) -> str:
        return RUN_PURPOSES[self.purpose]

    @property
    def is_open(self) -> bool:
        return self.status in RUN_OPEN_STATUSES


class ConnectorStep(Model):
    """One category of a run: collected (with the document it became) or carried out (rows affected)."""

    __tablename__ = "connector_steps"
    __table_args__ = (sa.UniqueConstraint("run_id", "category_id", name="uq_connector_steps_run_category"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("connector_runs.id", ondelete="CASCADE"))
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_categories.id"))
    done_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: Rows read (collection) or changed (execution).
    row_count: so.Mapped[int | None]
    #: The package documents it became (PDF, CSV), for a collection.
    document_ids: so.Mapped[str] = so.mapped_column(sa.String(100), default="", server_default="")
    error: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    run: so.Mapped[ConnectorRun] = so.relationship(back_populates="steps")
    category: so.Mapped[RegisterCategory] = so.relationship(lazy="joined")


class ManualTask(Model):
    """A task for the owner of a system without an interface, or a processor (Art. 28(3)(e)): deliver the
    student's data, or confirm that a right was carried out. Answered through a sealed link, no account."""

    __tablename__ = "manual_tasks"
    __table_args__ = (
        sa.UniqueConstraint("run_id", name="uq_manual_tasks_run"),
        sa.CheckConstraint(sa.column("kind").in_(tuple(MANUAL_TASK_KINDS)), name="kind_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("connector_runs.id", ondelete="CASCADE"))
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    system_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("register_systems.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    due_on: so.Mapped[dt.date] = so.mapped_column(sa.Date, index=True)
    #: Random value inside the signed link; answering or a new link makes an old one useless.
    link_nonce: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The last reminder milestone sent (e.g. "due_in_2", "overdue"), so the sweep sends each once.
    reminded: so.Mapped[str] = so.mapped_column(sa.String(20), default="", server_default="")
    answered_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: What the owner wrote with the answer (staff read it on the case page).
    answer_note: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    system: so.Mapped[System] = so.relationship(lazy="joined")
    run: so.Mapped[ConnectorRun] = so.relationship()

    @property
    def kind_label(self) -> str:
        return MANUAL_TASK_KINDS[self.kind]

    @property
    def is_open(self) -> bool:
        return self.answered_at is None

    def overdue_on(self, today: dt.date) -> bool:
        """Whether the task is open after its due date."""
        return self.is_open and today > self.due_on
