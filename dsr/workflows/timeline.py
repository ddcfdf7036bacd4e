"""Where the request stands, for the requester: six steps, each done, current or to come (issue 14 point 6).

received → address confirmed → identity checked → being assessed → decision → sent. The steps follow
from the case's state and a few recorded facts (address confirmed, identity checked, decision letter
still to send); nothing here is stored. A request that ended without a decision (withdrawn, closed
because the requested information never came) shows the steps it got through and where it stopped.

Pure: no app, no database; the labels are lazy (translated when shown).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from . import states as S

__all__ = ["RECEIVED", "CONFIRMED", "IDENTITY", "ASSESSMENT", "DECISION", "SENT", "STEPS", "STEP_LABELS",
           "DONE", "CURRENT", "UPCOMING", "STOPPED", "STATUS_LABELS", "CaseFacts", "TimelineStep", "timeline"]

RECEIVED = "received"
CONFIRMED = "confirmed"
IDENTITY = "identity"
ASSESSMENT = "assessment"
DECISION = "decision"
SENT = "sent"
STEPS = (RECEIVED, CONFIRMED, IDENTITY, ASSESSMENT, DECISION, SENT)

STEP_LABELS = {
    RECEIVED: _l("Verzoek ontvangen"),
    CONFIRMED: _l("E-mailadres bevestigd"),
    IDENTITY: _l("Identiteit gecontroleerd"),
    ASSESSMENT: _l("Wij beoordelen uw verzoek"),
    DECISION: _l("Beslissing genomen"),
    SENT: _l("Antwoord verstuurd"),
}

DONE = "done"
CURRENT = "current"
UPCOMING = "upcoming"
STOPPED = "stopped"
#: Said with each step, also to a screen reader (the list's look alone would not tell).
STATUS_LABELS = {
    DONE: _l("klaar"),
    CURRENT: _l("nu bezig"),
    UPCOMING: _l("komt nog"),
    STOPPED: _l("gestopt"),
}

#: States in which the identity check is behind us (the machine only leaves ``submitted`` through it).
_PAST_IDENTITY = (S.IDENTITY_CHECKED, S.LEGAL_BASIS_REVIEWED, S.AWAITING_DIRECTOR) + S.DECIDED_STATES
#: States in which the assessment is done: a decision is waiting for approval or taken.
_PAST_ASSESSMENT = (S.AWAITING_DIRECTOR,) + S.DECIDED_STATES


@dataclass(frozen=True)
class CaseFacts:
    """What the timeline reads of a case."""

    state: str
    confirmed: bool
    identity_checked: bool = False
    resume_state: str | None = None
    letter_pending: bool = False


@dataclass(frozen=True)
class TimelineStep:
    """One step: its key, its status, and whether the school waits for the requester at this step."""

    key: str
    status: str
    waiting_for_requester: bool = False

    @property
    def label(self) -> str:
        """The step in the reader's language."""
        return str(STEP_LABELS[self.key])

    @property
    def status_label(self) -> str:
        """The status in the reader's language."""
        return str(STATUS_LABELS[self.status])


def _done(facts: CaseFacts) -> dict[str, bool]:
    # While the school waits for the requester, the case stands where the question was asked from.
    state = facts.resume_state if facts.state == S.AWAITING_REQUESTER and facts.resume_state else facts.state
    decided = state in S.DECIDED_STATES
    return {
        RECEIVED: True,
        CONFIRMED: facts.confirmed,
        IDENTITY: facts.identity_checked or state in _PAST_IDENTITY,
        ASSESSMENT: state in _PAST_ASSESSMENT,
        DECISION: decided,
        SENT: decided and not facts.letter_pending,
    }


def timeline(facts: CaseFacts) -> tuple[TimelineStep, ...]:
    """The steps of a case, in order, each :data:`DONE`, :data:`CURRENT`, :data:`UPCOMING` or :data:`STOPPED`.

    The first step not done is the current one (the one the school works on, or waits for the requester
    at); the steps after it are to come. When everything is done there is no current step. A request that
    ended without a decision stops at its first step not done, and the steps after that are left out.
    """
    done = _done(facts)
    ended = facts.state in (S.WITHDRAWN, S.CLOSED_UNVERIFIED)
    steps: list[TimelineStep] = []
    reached_open_step = False
    for key in STEPS:
        if done[key]:
            steps.append(TimelineStep(key, DONE))
        elif ended:
            steps.append(TimelineStep(key, STOPPED))
            break
        elif not reached_open_step:
            reached_open_step = True
            steps.append(TimelineStep(key, CURRENT, waiting_for_requester=facts.state == S.AWAITING_REQUESTER))
        else:
            steps.append(TimelineStep(key, UPCOMING))
    return tuple(steps)
