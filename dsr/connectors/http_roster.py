"""The roster of a OneRoster 1.2 source (issue 17 point 5), read by the HTTP connector.

Three collections beside each other: ``users`` (``roster_path``), and in the same folder ``orgs`` (a school's
``identifier`` is its dsr school code, or is translated by the setting ``school_codes``) and
``demographics`` (``birthDate``, keyed by the user's sourcedId). A student is a user with the role
``student``; their contacts are the users in their ``agents`` with the role ``parent``, ``guardian`` or
``relative``.

OneRoster has no field for gezag (parental authority). It is read from ``gezag_field`` (a dotted path,
default ``metadata.gezag``) and is False when absent: a contact without a recorded gezag is never proposed
as one with gezag, so a missing field protects the student. Enrolment dates are read from
``metadata.enrolledOn`` and ``metadata.leftOn`` (OneRoster's extension object), when present.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .base import ConnectorError, RosterContactEntry, RosterEntry
from .http_spec import dig

USERS_PATH = "/ims/oneroster/rostering/v1p2/users"
#: OneRoster's contact roles, as the roster's relation words.
RELATIONS = {"parent": "parent", "guardian": "guardian", "relative": "other"}
TRUE_WORDS = ("true", "1", "yes", "ja", "j")


def fetch_collections(users_path: str, fetch: Callable[[str], list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The users, orgs and demographics collections, each read whole with ``fetch(path)``."""
    folder = users_path.rstrip("/").rsplit("/", 1)[0]
    return {"users": fetch(users_path), "orgs": fetch(folder + "/orgs"),
            "demographics": fetch(folder + "/demographics")}


def entries(collections: Mapping[str, list[dict[str, Any]]], settings: Mapping[str, Any]) -> Iterator[RosterEntry]:
    """The students with their contacts, ordered by school code and student number."""
    number_field = str(settings.get("student_number_field") or "identifier")
    gezag_field = str(settings.get("gezag_field") or "metadata.gezag")
    school_codes = settings.get("school_codes") or {}
    if not isinstance(school_codes, Mapping):
        raise ConnectorError("De instelling school_codes moet een lijst 'org-identifier: schoolcode' zijn.")
    orgs = {o.get("sourcedId"): str(o.get("identifier") or "") for o in collections["orgs"]}
    births = {d.get("sourcedId"): d.get("birthDate") for d in collections["demographics"]}
    users = {u.get("sourcedId"): u for u in collections["users"]}
    found = []
    for user in collections["users"]:
        roles = user.get("roles") or []
        student_roles = [r for r in roles if isinstance(r, dict) and r.get("role") == "student"]
        if not student_roles or user.get("status") == "tobedeleted":
            continue
        number = str(dig(user, number_field) or user.get("sourcedId") or "")
        org = str(dig(_primary(student_roles), "org.sourcedId") or "")
        if org not in orgs:
            raise ConnectorError("Een leerling in de roster hoort bij een school die het systeem niet kent.")
        birth = _date(births.get(user.get("sourcedId")))
        if birth is None:
            raise ConnectorError("Een leerling in de roster heeft geen geboortedatum (demographics).")
        agents = [users.get(a.get("sourcedId")) for a in user.get("agents") or [] if isinstance(a, dict)]
        contacts = tuple(_contact(agent, gezag_field) for agent in agents if _contact_role(agent))
        found.append(RosterEntry(str(school_codes.get(orgs[org], orgs[org])), number, _name(user), birth,
                                 _date(dig(user, "metadata.enrolledOn")), _date(dig(user, "metadata.leftOn")),
                                 contacts))
    yield from sorted(found, key=lambda e: (e.school_code, e.student_number))


def _primary(roles: list[dict[str, Any]]) -> dict[str, Any]:
    return next((r for r in roles if r.get("roleType") == "primary"), roles[0])


def _contact_role(user: dict[str, Any] | None) -> str:
    if not user:
        return ""
    for role in user.get("roles") or []:
        if isinstance(role, dict) and role.get("role") in RELATIONS:
            return str(role["role"])
    return ""


def _contact(user: dict[str, Any] | None, gezag_field: str) -> RosterContactEntry:
    assert user is not None  # filtered by _contact_role
    gezag = dig(user, gezag_field)
    return RosterContactEntry(_name(user), str(user.get("email") or "").strip().lower(),
                              RELATIONS[_contact_role(user)],
                              gezag is True or str(gezag).strip().lower() in TRUE_WORDS)


def _name(user: dict[str, Any]) -> str:
    return " ".join(str(p) for p in (user.get("givenName"), user.get("middleName"), user.get("familyName")) if p)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
