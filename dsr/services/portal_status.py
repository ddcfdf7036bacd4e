"""The requester portal: what the requester sees of the case, and the withdrawal.

The state in plain words, what the school asked for, the letters sent; the requester may withdraw
the request through the portal (the workflow's ``withdraw``, audited as the requester).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import models
from ..extensions import db
from ..models import Case, Letter
from ..workflows import states as S
from ..workflows.machine import Transition
from ..workflows.roles import REQUESTER
from .clock import local_today
from .portal_messages import tell_staff
from .requester_sessions import end_all
from .steps import take_step
from .transaction import transactional

# ---- what the requester sees -----------------------------------------------------------------------

#: The state in plain words for the requester, with one sentence on what happens next (in the reader's language).
REQUESTER_STATES = {
    S.SUBMITTED: (_l("Ontvangen"), _l("Wij hebben uw verzoek ontvangen en gaan het bekijken.")),
    S.AWAITING_REQUESTER: (_l("Wij wachten op u"), _l("Wij hebben iets van u nodig voordat wij verder kunnen. "
                                                       "Hieronder staat wat en waarom.")),
    S.IDENTITY_CHECKED: (_l("In behandeling"), _l("Wij zoeken uit welke gegevens er zijn en wat wij mogen geven.")),
    S.LEGAL_BASIS_REVIEWED: (_l("In behandeling"),
                             _l("Wij hebben uw verzoek beoordeeld en bereiden ons antwoord voor.")),
    S.AWAITING_DIRECTOR: (_l("In behandeling"), _l("De directeur van de school controleert ons antwoord voordat het "
                                                   "naar u gaat.")),
    S.FULFILLED: (_l("Afgerond"), _l("Wij hebben uw verzoek uitgevoerd. U heeft daarover bericht gekregen.")),
    S.PARTIALLY_FULFILLED: (_l("Afgerond"), _l("Wij hebben uw verzoek voor een deel uitgevoerd. In ons bericht "
                                               "staat wat wel en wat niet, en waarom.")),
    S.REFUSED: (_l("Afgerond"), _l("Wij hebben uw verzoek niet uitgevoerd. In ons bericht staat waarom en wat u "
                                   "daartegen kunt doen.")),
    S.WITHDRAWN: (_l("Ingetrokken"), _l("U heeft dit verzoek ingetrokken. Wij behandelen het niet verder.")),
    S.CLOSED_UNVERIFIED: (_l("Gesloten"), _l("Wij hebben de gevraagde informatie niet ontvangen en het verzoek "
                                             "daarom gesloten. U kunt altijd een nieuw verzoek doen.")),
}
#: Awaiting approval where the school's own director was involved (four-eyes): someone else checks it.
APPROVAL_ELSEWHERE = _l("Iemand die niet zelf bij de beslissing betrokken was (de privacyadviseur van de "
                        "scholengroep of een directeur van een andere school) controleert ons antwoord voordat het "
                        "naar u gaat.")
#: A decided case whose decision letter has not been sent yet: the requester has not had an answer.
LETTER_PENDING = (_l("Beslissing genomen"),
                  _l("Wij hebben een beslissing genomen over uw verzoek. U krijgt binnenkort een "
                     "brief met de beslissing en de uitleg; u vindt die dan ook hier."))
#: Whether the clock stands still while we wait for the requester (R-DL-6), per reason, in plain words.
PAUSE_TEXT = {
    "identity": _l("Wij moeten eerst zeker weten dat u het verzoek zelf heeft gedaan. Daarom staat de termijn "
                   "voor ons antwoord stil tot wij uw antwoord hebben; de dagen dat wij wachten, komen er daarna "
                   "bij."),
    "authority": _l("Wij moeten eerst weten of u dit verzoek namens de leerling mag doen. Daarom staat de termijn "
                    "voor ons antwoord stil tot wij uw antwoord hebben; de dagen dat wij wachten, komen er "
                    "daarna bij."),
    "large_amount_of_data": _l("De school heeft veel gegevens over de leerling en moet weten wat u precies zoekt. "
                               "Daarom staat de termijn voor ons antwoord stil tot wij uw antwoord hebben; de dagen "
                               "dat wij wachten, komen er daarna bij."),
}
#: What we asked for, in the requester's words (the mail says the same, R-LT-3; in the reader's language).
INFORMATION_NEEDED = {
    "identity": _l("een bevestiging dat u degene bent die het verzoek heeft gedaan"),
    "authority": _l("een bewijs dat u het ouderlijk gezag over de leerling heeft, of dat u namens de leerling "
                    "mag optreden (bijvoorbeeld een uittreksel uit het gezagsregister)"),
    "clarification": _l("meer uitleg over wat u precies vraagt"),
}


def state_words(case: Case) -> tuple[object, object]:
    """The state as the requester reads it: (label, what it means), both lazy strings.

    A decided case whose letter has not gone says only that a decision was taken (issue 11 point 9); an
    approval by someone other than the school's own director does not name the director.
    """
    label, meaning = REQUESTER_STATES[case.state]
    if case.letter_pending:
        label, meaning = LETTER_PENDING
    elif case.state == S.AWAITING_DIRECTOR and case.approval_route == "privacy_officer":
        meaning = APPROVAL_ELSEWHERE
    return label, meaning


def letters(case: Case) -> list[Letter]:
    """Hook for the fulfilment letters: the letters sent to the requester, if that model exists."""
    letter = getattr(models, "Letter", None)
    if letter is None or not hasattr(letter, "sent_at"):
        return []
    return list(db.session.execute(
        sa.select(letter).where(letter.case_id == case.id, letter.sent_at.is_not(None)).order_by(letter.sent_at)
    ).scalars())


def letter_for(case: Case, letter_id: int) -> Letter | None:
    """A sent letter of ``case`` (None for another case's letter or an unsent one)."""
    return next((item for item in letters(case) if item.id == letter_id), None)


# ---- withdrawal ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequesterActor:
    """The requester acting through the portal, for the workflow machine (own case only)."""

    case_id: int
    id: int | None = None
    role: str = REQUESTER
    school_ids: frozenset[int] = field(default_factory=frozenset)


class PortalConflict(Exception):
    """Staff changed the case at the same moment; ``message`` asks the requester to look again."""

    message = _l("Uw verzoek is op dit moment door de school gewijzigd. Bekijk de nieuwe stand en probeer het opnieuw.")


@transactional
def withdraw(case: Case, explanation: str = "") -> Transition:
    """The requester withdraws their request (workflow ``withdraw``, audited as the requester; one commit).

    Every portal session of the case ends with it: the requester is done, and a copy of the cookie
    elsewhere should not outlive that; the confirmation mail carries a fresh link.
    """
    reason = "Ingetrokken door de aanvrager via Mijn verzoek."
    if explanation.strip():
        reason += "\nToelichting van de aanvrager: " + explanation.strip()
    done = take_step(case, "withdraw", RequesterActor(case.id), {"reason": reason, "today": local_today()},
                     actor_kind="requester", details={}, conflict=PortalConflict)
    tell_staff(case, "withdrawn")
    end_all("withdrawn", case_id=case.id)
    return done
