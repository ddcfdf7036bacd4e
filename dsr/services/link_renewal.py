"""Which request an expired link from a mail belonged to, so that its page can fill in the reference for a
new link (issue 14: no dead ends). Read-only.

Only a genuine link (our signature, the current nonce of its package or letter) names its reference, and
only for a year after it was made: the page is shown to whoever holds the link, who had the reference in
the same mail. The address is never shown; the new link still goes only to the address on file.
"""
from __future__ import annotations

import secrets

from ..extensions import db
from ..models import AccessPackage, Case, Letter
from .links import TokenError, read_token

#: How long after it was made an expired link still names its reference on its page.
LOOKBACK_SECONDS = 366 * 86400


def reference_of_expired_link(purpose: str, token: str) -> str | None:
    """The reference of the request behind an expired ``package`` or ``letter`` link, or None."""
    try:
        payload = read_token(purpose, token, LOOKBACK_SECONDS)
    except TokenError:
        return None
    nonce = payload.get("n")
    if not isinstance(nonce, str) or not nonce:
        return None
    case_id = _package_case(payload.get("p"), nonce) if purpose == "package" else \
        _letter_case(payload.get("l"), nonce) if purpose == "letter" else None
    case = db.session.get(Case, case_id) if case_id is not None else None
    if case is None or case.anonymised_at is not None:
        return None
    return case.reference


def _package_case(package_id: object, nonce: str) -> int | None:
    package = db.session.get(AccessPackage, package_id) if isinstance(package_id, int) else None
    current = package.link_nonce if package is not None else None
    return package.case_id if package is not None and current and secrets.compare_digest(nonce, current) else None


def _letter_case(letter_id: object, nonce: str) -> int | None:
    letter = db.session.get(Letter, letter_id) if isinstance(letter_id, int) else None
    current = letter.link_nonce if letter is not None else None
    return letter.case_id if letter is not None and current and secrets.compare_digest(nonce, current) else None
