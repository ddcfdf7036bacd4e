"""Schools and staff users (per-school least privilege)."""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from ..extensions import Model, db
from ..workflows.roles import CASEWORK_ROLES, PRIVACY_OFFICER, ROLES
from ..workflows.vocabulary import APPEAL_ROUTES, SCHOOL_TYPES
from ._types import UTCDateTime, utcnow

user_schools = sa.Table(
    "user_schools",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("school_id", sa.ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
)


class School(Model):
    """A school of the group; cases, staff and directors belong to one or more schools."""

    __tablename__ = "schools"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Short code used in the CLI and the intake form (e.g. "ODK").
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: "po" (primary), "vo" (secondary) or "mbo": retention periods can differ per type of school.
    school_type: so.Mapped[str] = so.mapped_column(sa.String(10), default="vo", server_default="vo")
    #: The one legal remedy refusal letters name: "bezwaar" (Awb, UAVG art. 34: the board decides as a
    #: bestuursorgaan, as an openbaar school board does) or "rechtbank" (UAVG art. 35: a board under private
    #: law). The privacy officer confirms it per school (docs/legal.md).
    appeal_route: so.Mapped[str] = so.mapped_column(sa.String(10), default="bezwaar", server_default="bezwaar")
    appeal_route_confirmed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    appeal_route_confirmed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: Contact details letters give wherever they say "bel" or "kom langs".
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="", server_default="")
    visiting_address: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    #: Moves on with every change from the admin's or the privacy officer's form, so a form loaded before
    #: someone else's change is refused instead of overwriting it (services/schools.py).
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")

    __table_args__ = (
        sa.CheckConstraint(sa.column("school_type").in_(SCHOOL_TYPES), name="school_type_valid"),
        sa.CheckConstraint(sa.column("appeal_route").in_(APPEAL_ROUTES), name="appeal_route_valid"),
    )

    def __repr__(self) -> str:
        return f"<School {self.code}>"


def _new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    """A staff account: student administration, director, privacy officer or admin."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(sa.column("role").in_(ROLES), name="role_valid"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    #: Rotated on sign-out and password change, so a copied session cookie stops working.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=_new_session_token)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: The language of this user's pages and of the mails dsr sends them ("nl" or "en"; issue 15).
    language: so.Mapped[str] = so.mapped_column(sa.String(5), default="nl", server_default="nl")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: TOTP secret, encrypted with the file keys; None until enrolment is confirmed.
    totp_secret_enc: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    #: Last accepted TOTP time step: a code is accepted once (no replay).
    totp_last_step: so.Mapped[int] = so.mapped_column(default=0)
    #: SHA-256 hashes of the unused recovery codes, comma-separated.
    recovery_code_hashes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: Moves on with every change an admin makes to the account (services/user_admin.py), so two admins
    #: editing the same account never overwrite each other; sign-ins leave it alone.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    #: How this user hears of new requests (issue 16): "digest" (one mail per ``STAFF_DIGEST_MINUTES`` listing
    #: them) or "each" (a mail per request); urgent requests come at once either way (workflows/staff_notices.py).
    case_notices: so.Mapped[str] = so.mapped_column(sa.String(10), default="digest", server_default="digest")
    #: When this user's last digest was claimed: at most one per window (services/staff_digest.py).
    digest_sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime())
    #: The identity provider's ``iss`` and ``sub`` ("<iss> <sub>") of an account made or linked by OpenID
    #: Connect sign-in (issue 18); None for a local account. Such an account has no usable password.
    sso_subject: so.Mapped[str | None] = so.mapped_column(sa.String(600), unique=True)
    schools: so.Mapped[list[School]] = so.relationship(secondary=user_schools, lazy="selectin")

    def get_id(self) -> str:  # Flask-Login stores this in the session cookie
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    def rotate_session_token(self) -> None:
        """Invalidate every session of this user (sign-out everywhere)."""
        self.session_token = _new_session_token()

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret_enc)

    @property
    def school_ids(self) -> frozenset[int]:
        """The schools whose cases this user may see (the privacy officer sees all)."""
        return frozenset(s.id for s in self.schools)

    @property
    def sees_all_schools(self) -> bool:
        return self.role == PRIVACY_OFFICER

    @property
    def does_casework(self) -> bool:
        return self.role in CASEWORK_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
