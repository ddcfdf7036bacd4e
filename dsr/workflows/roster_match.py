"""What the school's roster says about a request at intake (issue 17 point 5; R-ID-1, R-ID-4).

Pure: :func:`match` reads the case's facts and the roster rows of the case's school that could be its
student, and returns an :class:`Outcome` for the identity check. It proposes, it never decides: staff
confirm a "known contact with gezag" with one click (the identity step records method ``known_contact``
and gezag "yes"); every other outcome is shown, with what differs, and staff check as they do today.

The outcomes, strongest first:

- ``known_with_gezag``: the requester's e-mail address is a contact of the student with gezag, and the
  student's number and birth date agree (and the name, as far as it can be compared); the one click needs
  the address confirmed by the requester (the link in the receipt), since anyone can type an address;
- ``known_without_gezag``: a contact of that student, but without gezag;
- ``requester_unknown``: the student is in the roster, the requester's address is not one of their contacts;
- ``facts_differ``: a student with that number is in the roster, but the birth date or the name differ
  (the differences are listed; the contact found, if any, is still shown);
- ``not_found``: no such student in the roster of this school.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .labels import Labels
from .policy import GEZAG_ROLES

KNOWN_WITH_GEZAG = "known_with_gezag"
KNOWN_WITHOUT_GEZAG = "known_without_gezag"
REQUESTER_UNKNOWN = "requester_unknown"
FACTS_DIFFER = "facts_differ"
NOT_FOUND = "not_found"

OUTCOME_LABELS = Labels({
    KNOWN_WITH_GEZAG: _l("Bekend contact met gezag volgens de leerlingadministratie"),
    KNOWN_WITHOUT_GEZAG: _l("Bekend contact zonder gezag volgens de leerlingadministratie"),
    REQUESTER_UNKNOWN: _l("Leerling gevonden; het e-mailadres van de aanvrager is geen bekend contact"),
    FACTS_DIFFER: _l("Leerling gevonden, maar de gegevens wijken af"),
    NOT_FOUND: _l("Leerling niet gevonden in de leerlingadministratie"),
})

#: The roster's relations (services.roster maps the source's words to these).
RELATION_LABELS = Labels({
    "parent": _l("Ouder"),
    "guardian": _l("Voogd"),
    "carer": _l("Verzorger"),
    "other": _l("Anders"),
})

#: What can differ between the request and the roster.
FIELD_LABELS = Labels({
    "birth_date": _l("Geboortedatum"),
    "name": _l("Naam van de leerling"),
    "gezag": _l("Gezag"),
    "role": _l("Rol van de aanvrager"),
})


@dataclass(frozen=True)
class CaseFacts:
    """What the request says: the student, and who asks (``stated_gezag``: what a parent stated on the form)."""

    student_number: str | None
    student_name: str
    birth_date: dt.date
    requester_email: str
    requester_role: str
    stated_gezag: bool | None = None
    #: The requester opened the confirmation link: they control the address (else anyone could type a
    #: parent's address on the form, and a matching address would prove nothing).
    email_confirmed: bool = False


@dataclass(frozen=True)
class RosterContactFacts:
    name: str
    email: str
    relation: str
    gezag: bool


@dataclass(frozen=True)
class RosterStudentFacts:
    student_number: str
    name: str
    birth_date: dt.date
    left_on: dt.date | None = None
    contacts: tuple[RosterContactFacts, ...] = ()


@dataclass(frozen=True)
class Difference:
    """One fact where the request and the roster disagree (both values shown to staff)."""

    field: str
    request_value: str
    roster_value: str

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class Outcome:
    """What the roster says. ``one_click``: staff may confirm the identity and gezag with one click."""

    kind: str
    student: RosterStudentFacts | None = None
    contact: RosterContactFacts | None = None
    differences: tuple[Difference, ...] = ()
    one_click: bool = False
    #: A known contact with gezag whose address is not confirmed yet: no click until the requester confirms it.
    awaits_confirmed_email: bool = False

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.kind]


def normalised_name(name: str) -> tuple[str, ...]:
    """A name as comparable words: no accents, case or punctuation, in any order ("de Vries, Jan" and
    "Jan de Vries" compare equal; a different name does not)."""
    plain = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return tuple(sorted(w for w in re.split(r"[^\w]+", plain) if w))


def _find(facts: CaseFacts, candidates: Sequence[RosterStudentFacts]) -> RosterStudentFacts | None:
    """The roster's student: by number when the request has one; else the one student of the school with
    the same birth date and name (none when there are several)."""
    if facts.student_number:
        wanted = facts.student_number.strip().casefold()
        return next((s for s in candidates if s.student_number.strip().casefold() == wanted), None)
    name = normalised_name(facts.student_name)
    same = [s for s in candidates if s.birth_date == facts.birth_date and normalised_name(s.name) == name]
    return same[0] if len(same) == 1 else None


def _contact(email: str, contacts: Iterable[RosterContactFacts]) -> RosterContactFacts | None:
    """The student's contact with the requester's address; one with gezag first."""
    address = (email or "").strip().lower()
    found = [c for c in contacts if address and c.email == address]
    return next((c for c in found if c.gezag), found[0] if found else None)


def match(facts: CaseFacts, candidates: Sequence[RosterStudentFacts]) -> Outcome:
    """What the roster says about the request; see the module's docstring for the outcomes."""
    student = _find(facts, candidates)
    if student is None:
        return Outcome(NOT_FOUND)
    differences: list[Difference] = []
    if student.birth_date != facts.birth_date:
        differences.append(Difference("birth_date", facts.birth_date.strftime("%d-%m-%Y"),
                                      student.birth_date.strftime("%d-%m-%Y")))
    if normalised_name(student.name) != normalised_name(facts.student_name):
        differences.append(Difference("name", facts.student_name, student.name))
    contact = _contact(facts.requester_email, student.contacts)
    if differences:
        return Outcome(FACTS_DIFFER, student, contact, tuple(differences))
    if contact is None:
        return Outcome(REQUESTER_UNKNOWN, student)
    notes: list[Difference] = []
    if facts.requester_role not in GEZAG_ROLES:
        # A contact who asked as the student or as a representative: the role on the form does not fit.
        notes.append(Difference("role", facts.requester_role, contact.relation))
    if facts.stated_gezag is not None and facts.stated_gezag != contact.gezag:
        notes.append(Difference("gezag", _yes_no(facts.stated_gezag), _yes_no(contact.gezag)))
    if contact.gezag:
        # Only a requester who asks as a gezag-holder (parent, voogd, verzorger) gets the one click: the step
        # then records gezag "yes". What the parent stated is replaced by the checked fact (R-ID-4), and shown.
        # The address proves who asks only once the requester has shown they receive mail there (R-ID-1, R-ID-3).
        fits = facts.requester_role in GEZAG_ROLES
        return Outcome(KNOWN_WITH_GEZAG, student, contact, tuple(notes), one_click=fits and facts.email_confirmed,
                       awaits_confirmed_email=fits and not facts.email_confirmed)
    return Outcome(KNOWN_WITHOUT_GEZAG, student, contact, tuple(notes))


def _yes_no(value: bool) -> str:
    """A stored "yes"/"no" (the page shows it in the reader's language)."""
    return "yes" if value else "no"
