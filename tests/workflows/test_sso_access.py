"""Issue 18 point 2, the pure rules of workflows/sso_access.py, case by case: the groups in the claims whatever
shape the provider sends, who gets which role at which schools (rank, conflict, least privilege, overage), and
whether the provider's ``amr``/``acr`` mean MFA was done."""
from __future__ import annotations

import pytest

from dsr.workflows.sso_access import (
    CONFLICT,
    GROUP_OVERAGE,
    NO_GROUP,
    Access,
    GroupRule,
    NoAccess,
    decide_access,
    groups_from_claims,
    mfa_done,
)

ENTRA_OVERAGE = {"_claim_names": {"groups": "src1"},
                 "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}}


@pytest.mark.parametrize(("claims", "claim", "expected"), [
    pytest.param({"groups": ["a", "b"]}, "groups", ["a", "b"], id="list"),
    pytest.param({"groups": "a b  c"}, "groups", ["a", "b", "c"], id="one-string-space-separated"),
    pytest.param({"groups": "a"}, "groups", ["a"], id="one-string-one-group"),
    pytest.param({"groups": ("a", "b")}, "groups", ["a", "b"], id="tuple"),
    pytest.param({"groups": ["b", "a", "b", " a "]}, "groups", ["b", "a"], id="duplicates-dropped-order-kept"),
    pytest.param({"groups": ["a", 3, None, {"x": 1}, "", "  "]}, "groups", ["a"], id="non-strings-and-blanks-ignored"),
    pytest.param({"groups": []}, "groups", [], id="empty-list"),
    pytest.param({"groups": ""}, "groups", [], id="empty-string"),
    pytest.param({}, "groups", [], id="missing"),
    pytest.param({"groups": 42}, "groups", [], id="a-number"),
    pytest.param({"groups": {"a": True}}, "groups", [], id="an-object"),
    pytest.param({"groups": ["x"], "eduperson_entitlement": ["urn:mace:surf.nl:g1"]}, "eduperson_entitlement",
                 ["urn:mace:surf.nl:g1"], id="another-claim-surfconext"),
    pytest.param(ENTRA_OVERAGE, "groups", None, id="entra-overage"),
    pytest.param({**ENTRA_OVERAGE, "groups": ["a"]}, "groups", ["a"], id="overage-marker-but-groups-present"),
    pytest.param({"_claim_names": {"roles": "src1"}}, "groups", [], id="overage-of-another-claim"),
    pytest.param({"_claim_names": "groups"}, "groups", [], id="malformed-claim-names"),
])
def test_groups_from_claims(claims, claim, expected):
    assert groups_from_claims(claims, claim) == expected


RULES = [
    GroupRule("staff-a", "staff", frozenset({1})),
    GroupRule("staff-b", "staff", frozenset({2})),
    GroupRule("dir-a", "director", frozenset({1})),
    GroupRule("dir-c", "director", frozenset({3})),
    GroupRule("ibp", "privacy_officer"),
    GroupRule("admins", "admin"),
    GroupRule("admins-2", "admin"),
]


@pytest.mark.parametrize(("groups", "expected"), [
    pytest.param(["staff-a"], Access("staff", frozenset({1}), ("staff-a",)), id="one-group"),
    pytest.param(["staff-a", "unmapped"], Access("staff", frozenset({1}), ("staff-a",)), id="unmapped-ignored"),
    pytest.param(["staff-a", "staff-b"], Access("staff", frozenset({1, 2}), ("staff-a", "staff-b")),
                 id="same-role-schools-joined"),
    pytest.param(["staff-b", "dir-a"], Access("director", frozenset({1}), ("dir-a",)),
                 id="director-outranks-staff-only-its-schools"),
    pytest.param(["dir-a", "dir-c", "staff-b"], Access("director", frozenset({1, 3}), ("dir-a", "dir-c")),
                 id="least-privilege-no-staff-school"),
    pytest.param(["staff-a", "ibp"], Access("privacy_officer", frozenset(), ("ibp",)),
                 id="privacy-officer-outranks-no-schools"),
    pytest.param(["ibp", "dir-c"], Access("privacy_officer", frozenset(), ("ibp",)), id="privacy-over-director"),
    pytest.param(["admins"], Access("admin", frozenset(), ("admins",)), id="admin"),
    pytest.param(["admins-2", "admins"], Access("admin", frozenset(), ("admins", "admins-2")), id="two-admin-groups"),
    pytest.param(["admins", "staff-a"], NoAccess(CONFLICT), id="admin-with-casework-conflict"),
    pytest.param(["ibp", "admins"], NoAccess(CONFLICT), id="admin-with-privacy-conflict"),
    pytest.param([], NoAccess(NO_GROUP), id="no-groups"),
    pytest.param(["unmapped"], NoAccess(NO_GROUP), id="only-unmapped"),
    pytest.param(["STAFF-A"], NoAccess(NO_GROUP), id="exact-match-only"),
    pytest.param(None, NoAccess(GROUP_OVERAGE), id="overage"),
])
def test_decide_access(groups, expected):
    assert decide_access(groups, RULES) == expected


def test_decide_access_with_an_empty_table_gives_nobody_access():
    assert decide_access(["staff-a", "admins"], []) == NoAccess(NO_GROUP)


AMR = ["mfa", "otp", "hwk"]
ACR = ["http://schemas.microsoft.com/claims/multipleauthn"]


@pytest.mark.parametrize(("claims", "expected"), [
    pytest.param({"amr": ["pwd", "mfa"]}, True, id="amr-mfa"),
    pytest.param({"amr": ["otp"]}, True, id="amr-otp"),
    pytest.param({"amr": "mfa"}, True, id="amr-as-one-string"),
    pytest.param({"amr": ["pwd"]}, False, id="amr-password-only"),
    pytest.param({"amr": []}, False, id="amr-empty"),
    pytest.param({"amr": [1, None]}, False, id="amr-malformed-members"),
    pytest.param({"amr": {"mfa": True}}, False, id="amr-object"),
    pytest.param({"acr": ACR[0]}, True, id="acr-listed"),
    pytest.param({"acr": "urn:mace:incommon:iap:silver"}, False, id="acr-not-listed"),
    pytest.param({"acr": [ACR[0]]}, False, id="acr-not-a-string"),
    pytest.param({"amr": ["pwd"], "acr": ACR[0]}, True, id="acr-saves-password-amr"),
    pytest.param({}, False, id="neither"),
])
def test_mfa_done(claims, expected):
    assert mfa_done(claims, AMR, ACR) is expected


def test_mfa_done_with_nothing_configured_always_asks_totp():
    assert mfa_done({"amr": ["mfa"], "acr": ACR[0]}, [], []) is False
