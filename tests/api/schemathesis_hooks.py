"""dsr's own Schemathesis checks and data hooks, loaded by ``st run`` through ``SCHEMATHESIS_HOOKS``.

tests/api/test_schemathesis.py starts ``st run`` with this module and, in ``API_FUZZ_RULES`` (JSON), what this run
must see; nothing here knows the seeded data or the endpoints by heart:

- ``refuse``: ``{"GET /api/v1/cases": [401], ...}``: with the credentials of this run (none, a token lacking the
  permission, an expired one) the operation must refuse with one of these statuses; never a 2xx.
  ``credentials_sent``: the run's credential headers; a call without them exactly must answer 401.
- ``secret``: per operation, strings (the seeded requesters' and students' names and e-mail addresses,
  another school's case references) that must never appear in its answers.
- ``case_ids``: ids of seeded cases, put into ``{id}``-like path parameters now and then, so the case detail
  answers 200 (and its schema is tested), not only 404.
- ``school_ids``: ids of seeded schools, put into a ``school_id`` field of a JSON body now and then, so the
  public intake gets past "unknown school".
- ``valid_bodies``: per operation, whole bodies it accepts (a complete request; fresh portal link tokens), used
  now and then instead of a generated one, so that the 201 answers are tested against the document too.
"""
from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

RULES: dict = json.loads(os.environ.get("API_FUZZ_RULES") or "{}")


def _label(case) -> str:
    return f"{case.method.upper()} {case.operation.path}"


@schemathesis.check
def dsr_refuses_without_the_right_credential(ctx, response, case):
    """The operation refuses a call without the credential it needs: 401 without a (valid) one, 403 with a
    token that lacks the permission; a success (2xx) is always a finding."""
    expected = RULES.get("refuse", {}).get(_label(case))
    if expected is None:
        return None
    sent = response.request.headers
    if any(sent.get(name) != value for name, value in RULES.get("credentials_sent", {}).items()):
        # Schemathesis left this run's credential out or changed it (its coverage phase does): no valid
        # credential at all, so 401 whatever the run's credential may do.
        expected = [401]
    if response.status_code in expected:
        return True
    if response.status_code == 429:
        return None  # a per-client limit may come before the credential check; it grants nothing either
    # A path parameter the route cannot match (a word where an id goes) is routed nowhere: Flask's 404 comes
    # before any view or credential check, so it says nothing about this operation's auth.
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if negative_path and response.status_code == 404:
        return None
    raise AssertionError(
        f"{_label(case)} answered {response.status_code} to a call with the credentials of this run "
        f"({RULES.get('credentials', '?')}); expected {expected}")


@schemathesis.check
def dsr_no_personal_data_or_other_schools(ctx, response, case):
    """No answer of these operations carries a seeded requester's or student's name or address, nor a case
    reference of a school the credential does not cover."""
    secrets = RULES.get("secret", {}).get(_label(case))
    if secrets is None:
        return None
    text = response.text or ""
    leaked = sorted({secret for secret in secrets if secret and secret in text})
    if leaked:
        raise AssertionError(f"{_label(case)} answered {response.status_code} with what it must never show: "
                             f"{leaked}")
    return True


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _variant(case, name: str, value):
    """A copy of ``case`` with one container replaced (Schemathesis re-checks that part's metadata)."""
    copy = case.derive(keep_auth=True)
    setattr(copy, name, value)
    return copy


@schemathesis.hook
def flatmap_case(ctx, case):
    """Now and then a case the API can say yes to, so that its success answers are tested too: a seeded case's
    id in the path (else nearly every detail call is a 404), a seeded school in a body's ``school_id`` (the
    intake checks the school first), or a whole valid body from ``valid_bodies`` (a complete request; a fresh
    'Mijn verzoek' link token). Only for parts generated as valid: a negative case stays as generated."""

    def negative(location) -> bool:
        return case.meta is not None and case.meta.is_negative_at(location)

    choices = [st.just(case)]
    case_ids = RULES.get("case_ids") or []
    names = [name for name in (case.path_parameters or {}) if _is_id(name)]
    if case_ids and names and not negative(ParameterLocation.PATH):
        choices.append(st.sampled_from(case_ids).map(lambda chosen: _variant(
            case, "path_parameters", {**case.path_parameters, **{name: chosen for name in names}})))
    if not negative(ParameterLocation.BODY):
        body = case.body
        school_ids = RULES.get("school_ids") or []
        if school_ids and isinstance(body, dict) and "school_id" in body:
            as_text = isinstance(body["school_id"], str)
            choices.append(st.sampled_from(school_ids).map(lambda chosen: _variant(
                case, "body", {**body, "school_id": str(chosen) if as_text else chosen})))
        valid = RULES.get("valid_bodies", {}).get(_label(case))
        if valid:
            choices.append(st.sampled_from(valid).map(lambda chosen: _variant(case, "body", dict(chosen))))
    return st.one_of(*choices)
