"""The request case (R-AC-1 case record) and its notified deadline milestones."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ..workflows import states as S
from ..workflows.vocabulary import REQUESTER_LABELS, RIGHT_LABELS, SUBJECT_LABELS
from ._types import UTCDateTime, utcnow
from .people import School, User

#: The predicate of the partial indexes on the queue: the open cases, and decided cases whose decision
#: letter has not been sent yet (issue 11 point 9: they stay in the queue and count against the deadline).
#: Queries filter on exactly this expression (:func:`in_queue`), so the partial indexes are used.
_OPEN = sa.or_(sa.column("state").in_(S.OPEN_STATES), sa.column("letter_pending", sa.Boolean))


class Case(Model):
    """One data-subject request, moved through the workflow in ``dsr.workflows.machine``."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(sa.column("state").in_(S.STATES), name="state_valid"),
        sa.CheckConstraint(sa.column("right").in_(tuple(RIGHT_LABELS)), name="right_valid"),
        sa.CheckConstraint(sa.column("requester_role").in_(tuple(REQUESTER_LABELS)), name="requester_valid"),
        sa.CheckConstraint(sa.column("subject").in_(tuple(SUBJECT_LABELS)), name="subject_valid"),
        # The staff queue filtered on one state, and the per-state counts of its tabs.
        sa.Index("ix_cases_queue", "school_id", "state", "due_on", "id"),
        # Partial indexes on the open cases, in the queue's order (keyset pagination on due_on, id):
        # a page reads its 25 entries, whatever the number of cases. Per school for staff and
        # directors; across schools for the privacy officer and the deadline sweep.
        sa.Index("ix_cases_open_school_due", "school_id", "due_on", "id",
                 postgresql_where=_OPEN, sqlite_where=_OPEN),
        sa.Index("ix_cases_open_due", "due_on", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        # The queue's tabs for the privacy officer, across schools (issue 16 point 7): the per-state counts
        # and the "letter still to send" count read only this partial index (index-only), so they cost
        # the open cases, not the whole history: the per-school ix_cases_queue would be read from end to
        # end. The letter's flag leads, so its count reads just the decided cases still to send.
        sa.Index("ix_cases_open_counts", "letter_pending", "state", "school_id",
                 postgresql_where=_OPEN, sqlite_where=_OPEN),
        # The queue's "assigned to me" and per-assignee filters (issue 15).
        sa.Index("ix_cases_assigned_to", "assigned_to_id"),
        # One school's cases in every state by deadline: the queue with "all states" (searches, the
        # dashboard's links), which the partial indexes above do not cover (issue 15).
        sa.Index("ix_cases_school_due", "school_id", "due_on", "id"),
        # A director sees the refusals they were appointed to approve besides their schools' cases: with
        # this index that OR is a BitmapOr of two index scans, not a scan of every open case.
        sa.Index("ix_cases_appointed_approver", "appointed_approver_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Human reference, e.g. AVG-2026-00042 (year of receipt + case id).
    reference: so.Mapped[str | None] = so.mapped_column(sa.String(20), unique=True)
    school_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("schools.id"))
    right: so.Mapped[str] = so.mapped_column(sa.String(20))
    state: so.Mapped[str] = so.mapped_column(sa.String(30), default=S.SUBMITTED)
    #: Optimistic locking: a stale edit fails instead of overwriting (see services.cases).
    version: so.Mapped[int] = so.mapped_column(default=1)
    language: so.Mapped[str] = so.mapped_column(sa.String(5), default="nl")
    channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="web")

    # The student (data subject)
    student_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    student_birth_date: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    student_number: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    #: The BRON uitschrijfdatum (docs/legal.md §6): retention periods for erasure (R-RI-3) run from here.
    #: None while the student is enrolled or the date has not been recorded yet.
    student_left_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)

    # The requester
    requester_role: so.Mapped[str] = so.mapped_column(sa.String(20))
    requester_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    requester_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    requester_phone: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    #: Stated by a parent on the form (verified by staff, R-ID-4); None for other requesters.
    parental_authority: so.Mapped[bool | None]
    #: Whose data the request is about: "student", or "requester" (their own data, e.g. contact details),
    #: which lies outside the student's age rules (policy.assess, §9 last row).
    subject: so.Mapped[str] = so.mapped_column(sa.String(20), default="student", server_default="student")
    email_confirmed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: Random value inside the signed confirmation link; cleared once used (single use).
    confirm_nonce: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)

    # The request
    details: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    data_concerned: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    correct_value: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    # The legal clock (R-DL-*): due_on is recomputed whenever its inputs change.
    received_on: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    due_on: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    extended: so.Mapped[bool] = so.mapped_column(default=False)
    extension_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    extended_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    suspended_days: so.Mapped[int] = so.mapped_column(default=0)

    # Information asked from the requester (R-DL-6, R-LT-3)
    resume_state: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    info_kind: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    info_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    info_requested_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    info_received_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    #: Staff recorded that the school holds a large amount of data about the person (Recital 63): only
    #: then does a question about what the request means pause the clock (R-DL-6).
    info_large_data: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    # Identity (R-ID-1/2): the method only, never a document.
    verification_method: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    verified_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    # Legal-basis review
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    decision_grounds: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    review_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    assessment_outcome: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    assessment_scope: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    student_consent: so.Mapped[bool] = so.mapped_column(default=False)
    #: The date the rights policy takes the student's age on: receipt, or a re-assessment (R-CH-1).
    policy_reference_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    reviewed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: R-CH-5 (BW 1:377c): staff checked that information about care (zorg) does not go against the child's
    #: interest; who and when, with an internal reason that never reaches the requester.
    child_interest_checked_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    child_interest_checked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    child_interest_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: The care information the parent without gezag reads in the 1:377c letter (only after the check).
    care_info: so.Mapped[str | None] = so.mapped_column(sa.Text)

    # Four-eyes on refusals
    #: The note to the approver when proposing a refusal: internal, never in a letter, mail or portal page.
    proposal_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: The explanation of the refusal to the requester: printed in the decision letter.
    requester_explanation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: Who must approve the proposed refusal: "director" (an uninvolved director of the school) or
    #: "privacy_officer" (no uninvolved director: the privacy officer, or the director it appointed).
    approval_route: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    #: A director of another school appointed by the privacy officer to approve this refusal.
    appointed_approver_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    proposed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    proposed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    director_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    director_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    director_decided_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())

    #: The staff member who handles the case (issue 15): the queue's "mine" filter; they get its reminders.
    assigned_to_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    fulfilment_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: A decision letter still has to be sent: the case stays in the queue and its deadline still counts.
    letter_pending: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    closed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: Set when the retention job removed the personal data (R-AC-4); the statistics remain.
    anonymised_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: When the worker announced the new case to staff (a mail at once, or a line in their digest); None until
    #: then: the digest job re-drives a case whose announcement job was lost (services/staff_digest.py).
    staff_announced_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime(), index=True)

    school: so.Mapped[School] = so.relationship(lazy="joined", innerjoin=True)
    proposed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[proposed_by_id])
    appointed_approver: so.Mapped[User | None] = so.relationship(foreign_keys=[appointed_approver_id])
    assigned_to: so.Mapped[User | None] = so.relationship(foreign_keys=[assigned_to_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.state in S.OPEN_STATES

    @property
    def in_queue(self) -> bool:
        """Open, or decided with its decision letter still to send (counts against the deadline)."""
        return self.is_open or bool(self.letter_pending)

    @property
    def state_label(self) -> str:
        return S.STATE_LABELS[self.state]

    @property
    def right_label(self) -> str:
        return RIGHT_LABELS[self.right]

    @property
    def requester_label(self) -> str:
        return REQUESTER_LABELS[self.requester_role]

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS[self.subject]

    @property
    def grounds_list(self) -> list[str]:
        return [g for g in (self.decision_grounds or "").split(",") if g]

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.state}>"


def in_queue() -> sa.ColumnElement[bool]:
    """The queue's predicate, the same expression as the partial indexes' (see ``_OPEN``)."""
    return sa.or_(Case.state.in_(S.OPEN_STATES), Case.letter_pending)


#: The columns the queue's search looks in (issue 15 point 2): a search word matches a case when one of them
#: contains it, whatever the case of the letters.
SEARCHED_COLUMNS = ("reference", "student_name", "student_number", "requester_name", "requester_email")

# A trigram GIN index per searched column makes ``ILIKE '%word%'`` an index scan on PostgreSQL, whatever the
# number of cases (pg_trgm folds case when it makes its trigrams, so ILIKE uses it). On SQLite the same
# declaration is a plain index on the column, which does not serve such a search (docs/deployment.md).
for _column in SEARCHED_COLUMNS:
    sa.Index(f"ix_cases_search_{_column}", getattr(Case, _column), postgresql_using="gin",
             postgresql_ops={_column: "public.gin_trgm_ops"})
# A whole e-mail address typed in the search is looked up exactly (services/queue.py): its trigrams are too
# common for the trigram index to narrow it down quickly.
sa.Index("ix_cases_requester_email_lower", sa.func.lower(Case.requester_email))
# The indexes' operator class comes from the pg_trgm extension: create it with the tables (create_all); the
# migration i15_b_queue_search does the same for a migrated database. It lives in the schema "public" and is
# named with it, so a database whose tables sit in another schema (the benchmark's smoke test puts each
# benchmark in a schema of its own) finds it whatever its search_path.
sa.event.listen(Model.metadata, "before_create",
                sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public").execute_if(dialect="postgresql"))


class DeadlineNotice(Model):
    """A deadline milestone that was notified; the unique key makes each milestone go out once."""

    __tablename__ = "deadline_notices"
    __table_args__ = (sa.UniqueConstraint("case_id", "milestone", name="uq_deadline_notices_case_milestone"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: "reminder_10", "reminder_5" (working days before) or "overdue".
    milestone: so.Mapped[str] = so.mapped_column(sa.String(20))
    due_on: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class StaffNotice(Model):
    """A new case waiting for one staff member's next digest (issue 16 point 4); the digest that lists it
    deletes the row in the same transaction as its mail, so a case is listed once and never lost."""

    __tablename__ = "staff_notices"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
