"""Case access and locking, shared by every service that works on a case.

Who may see a case (:func:`visible_cases`, :func:`get_visible_case`), whether a fulfilment step fits
its state (:func:`case_for_work`), and the optimistic locking that refuses a form loaded before
someone else's change (:func:`check_version`, :func:`flush_or_conflict`). This module imports none
of the case services (cases, consent, corrections, fulfilment, letters, packages), so all of them
may import it at the top (issue 12: no import circles).
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..errors import NotFound
from ..extensions import db
from ..models import Case, User
from ..workflows import states as S
from ..workflows.roles import DIRECTOR

#: States in which staff collect documents and record items (after verification, before the director).
WORK_STATES = (S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED)


class CaseNotFound(NotFound):
    """No such case, or not one the user may see (both look the same: 404)."""


class ConflictError(Exception):
    """Someone else changed the case since the form was loaded."""

    @property
    def message(self) -> str:
        """What staff read, in their language."""
        return _("Dit verzoek is intussen door iemand anders gewijzigd. Bekijk de nieuwe situatie en probeer het "
                 "opnieuw.")


class FulfilmentError(Exception):
    """A fulfilment action refused, with a message in the current language (``gettext`` at raise time, inside
    the staff member's request); ``field`` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None, form: str | None = None):
        message = str(message)  # a lazy message is fixed in the language of the request that raised it
        super().__init__(message)
        self.message, self.field, self.form = message, field, form


def visible_cases(user: User) -> sa.Select[Case]:
    """A select of the cases ``user`` may see: own schools, all for the privacy officer, none for admins."""
    query = sa.select(Case)
    if not user.does_casework:
        return query.where(sa.false())
    if not user.sees_all_schools:
        own_schools = Case.school_id.in_(user.school_ids or {-1})
        if user.role != DIRECTOR:
            # Only directors are ever appointed (approvals.candidates): for staff the plain school condition,
            # which the queue's per-school indexes serve (an OR with another column would defeat them).
            return query.where(own_schools)
        # A director of another school appointed to approve a refusal sees that case (four-eyes); the OR
        # is served by ix_cases_appointed_approver next to the per-school indexes (a BitmapOr).
        query = query.where(sa.or_(own_schools, Case.appointed_approver_id == user.id))
    return query


def get_visible_case(user: User, case_id: int) -> Case:
    """The case if ``user`` may see it, else :class:`CaseNotFound`."""
    case = db.session.execute(visible_cases(user).where(Case.id == case_id)).scalar()
    if case is None:
        raise CaseNotFound(case_id)
    return case


def case_for_work(user: User, case_id: int, *, states: Iterable[str] = WORK_STATES, right: str | None = None) -> Case:
    """The case if ``user`` may see it (else :class:`CaseNotFound`) and it is in one of ``states``."""
    case = get_visible_case(user, case_id)
    if right is not None and case.right != right:
        raise FulfilmentError(_("Deze stap hoort niet bij dit soort verzoek."))
    states = tuple(states)
    if case.state not in states:
        label = S.STATE_LABELS.get(case.state, case.state)
        raise FulfilmentError(_("Dit kan niet in de status '%(state)s'.", state=label))
    return case


def check_version(case: Case, version: int | None) -> None:
    """Optimistic locking for steps that change what closing depends on: the form must be current,
    and the case's version moves on, so a close form loaded before this change is refused."""
    if version is None or case.version != version:
        raise ConflictError()
    flag_modified(case, "state")  # UPDATE ... SET version = version + 1 WHERE version = :loaded


def flush_or_conflict() -> None:
    """Flush the session; a stale case version (someone else saved first) becomes :class:`ConflictError`."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise ConflictError() from exc
