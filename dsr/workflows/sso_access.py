"""Who gets in through the school's identity provider, and as what (issue 18 point 2; docs/sso.md).

Pure: the claims of a validated ID token (and userinfo), the admin's group table and the installation's
settings in; a decision out. The service (services/sso_accounts.py) applies it to the account.

- :func:`groups_from_claims`: the user's groups from the configured claim, whatever shape the provider
  sends (a list, or one string; Entra ID's "group overage", where the token names a Graph call instead of
  the groups, counts as no groups, so such a user is refused with a reason the admin can act on).
- :func:`decide_access`: the role and schools the user's groups give. No mapped group: no access, and no
  account. Several groups: their rows must agree on the kind of work; casework roles rank
  privacy officer > director > staff, and the schools are those of the rows with the winning role only
  (least privilege). A group that makes someone an admin together with one for casework is refused: the
  admin manages accounts and schools and never reads cases (segregation of duties, docs/legal.md §10).
- :func:`mfa_done`: whether the provider says the user did multi-factor authentication (``amr`` or ``acr``),
  so dsr does not ask for its own TOTP code again.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .roles import ADMIN, DIRECTOR, PRIVACY_OFFICER, STAFF

#: Casework roles, strongest first: a user in groups of several gets the first.
CASEWORK_RANK = (PRIVACY_OFFICER, DIRECTOR, STAFF)
#: Roles whose rows must name at least one school (the privacy officer sees every school; the admin none).
ROLES_WITH_SCHOOLS = frozenset({DIRECTOR, STAFF})

#: Why a user gets no access (the "no access" page says it in plain words).
NO_GROUP = "no_group"  # none of the user's groups is in the table (or the claim is missing)
CONFLICT = "conflict"  # an admin group together with a casework group
GROUP_OVERAGE = "group_overage"  # the provider left the groups out of the token (too many; Entra ID)
NO_ACCESS_REASONS = (NO_GROUP, CONFLICT, GROUP_OVERAGE)


@dataclass(frozen=True)
class GroupRule:
    """One row of the admin's table: a provider group, the role it gives, its schools."""

    group: str
    role: str
    school_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Access:
    """The user gets in: this role at these schools, because of these groups."""

    role: str
    school_ids: frozenset[int]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class NoAccess:
    """The user does not get in (one of :data:`NO_ACCESS_REASONS`)."""

    reason: str


def groups_from_claims(claims: Mapping[str, Any], claim: str) -> list[str] | None:
    """The user's groups from ``claims[claim]``: a list of strings, or one string of space-separated groups.

    None when the provider signals group overage (Entra ID puts ``_claim_names`` with the claim's name
    instead of the groups); an empty list when the claim is missing or empty. Non-string members are
    ignored; duplicates are dropped, the order kept.
    """
    names = claims.get("_claim_names")
    if isinstance(names, Mapping) and claim in names and claim not in claims:
        return None
    value = claims.get(claim)
    if isinstance(value, str):
        items: Iterable[Any] = value.split()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return []
    seen: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


def decide_access(groups: list[str] | None, rules: Iterable[GroupRule]) -> Access | NoAccess:
    """The access the user's ``groups`` give under the admin's ``rules`` (see the module's rules)."""
    if groups is None:
        return NoAccess(GROUP_OVERAGE)
    member = set(groups)
    matched = [rule for rule in rules if rule.group in member]
    if not matched:
        return NoAccess(NO_GROUP)
    roles = {rule.role for rule in matched}
    if ADMIN in roles:
        if roles != {ADMIN}:
            return NoAccess(CONFLICT)
        return Access(ADMIN, frozenset(), tuple(sorted(rule.group for rule in matched)))
    role = next(r for r in CASEWORK_RANK if r in roles)
    winners = [rule for rule in matched if rule.role == role]
    schools = frozenset() if role == PRIVACY_OFFICER else frozenset().union(*(r.school_ids for r in winners))
    return Access(role, schools, tuple(sorted(rule.group for rule in winners)))


def mfa_done(claims: Mapping[str, Any], mfa_amr: Iterable[str], mfa_acr: Iterable[str]) -> bool:
    """True when the ID token says the user did multi-factor authentication at the provider: one of its
    ``amr`` values is in ``mfa_amr``, or its ``acr`` is in ``mfa_acr``. Absent or malformed claims: False
    (dsr then asks its own TOTP code)."""
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = [amr]
    if isinstance(amr, list) and set(mfa_amr) & {a for a in amr if isinstance(a, str)}:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in set(mfa_acr)
