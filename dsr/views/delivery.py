"""The requester's signed links: the access package (page + downloads) and letters (PDF).

No account: the link itself is the key. It is signed, expires (PACKAGE_LINK_DAYS / LETTER_LINK_DAYS),
carries only ids and a random nonce, and a package opens only after the requester confirmed the e-mail
address. Every view and download is audited. A broken link gets a calm page, never a file, with the next
step: the form for a new "Mijn verzoek" link (the reference filled in for a genuine expired link). The package
page is in the language of the request, unless the visitor chose one with the switch.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request

from ..errors import render_error
from ..services import letters, link_renewal, packages, reads
from ..services.links import TokenError
from ..services.storage import StorageError
from . import language

bp = Blueprint("delivery", __name__)


@bp.before_request
def _token_in_url() -> None:
    # The link's token is in the URL: the Referer header must never carry it on (views.portal._no_referrer).
    g.no_referrer = True


@bp.after_request
def _private(response: Response) -> Response:
    """These pages show personal data: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


#: The token's purpose per view of this blueprint (for the reference on an expired link's page).
_PURPOSES = {"delivery.package": "package", "delivery.package_letter": "package", "delivery.package_file": "package",
             "delivery.letter": "letter"}


def _link_problem(reason: str):
    status = {"expired": 410, "purged": 410, "unconfirmed": 403}.get(reason, 404)
    reference = None
    if reason == "expired":  # the form for a new link comes with the reference filled in
        purpose, token = _PURPOSES.get(request.endpoint or ""), (request.view_args or {}).get("token")
        reference = link_renewal.reference_of_expired_link(purpose, token) if purpose and token else None
    return render_template("fulfilment/link_problem.html", reason=reason, new_link_reference=reference), status


# What the services refuse a link with, answered in one place for every view of this blueprint.

@bp.errorhandler(packages.PackageLinkError)
def _package_link_refused(exc: packages.PackageLinkError):
    return _link_problem(exc.reason)


@bp.errorhandler(letters.LetterLinkError)
def _letter_not_yet(exc: letters.LetterLinkError):
    return _link_problem(exc.reason)


@bp.errorhandler(TokenError)
def _letter_link_refused(exc: TokenError):
    return _link_problem("expired" if exc.expired else "invalid")


@bp.errorhandler(StorageError)
def _file_gone(exc: StorageError):
    """The file is gone: the 404 page, as for a missing document (errors.NotFound)."""
    return render_error(404)


@bp.route("/pakket/<token>")
def package(token: str):
    """The package page: the cover letter and the documents, each with its own download."""
    opened = reads.open_package_page(token)
    language.follow(opened.case.language)
    return render_template("fulfilment/package.html", package=opened.package, case=opened.case, token=token)


@bp.route("/pakket/<token>/brief")
def package_letter(token: str):
    return _download(token, None)


@bp.route("/pakket/<token>/bestand/<int:document_id>")
def package_file(token: str, document_id: int):
    return _download(token, document_id)


def _attachment(data: bytes, content_type: str, name: str) -> Response:
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"})


def _download(token: str, document_id: int | None):
    data, content_type, name = packages.download(token, document_id)
    return _attachment(data, content_type, name)


@bp.route("/brief/<token>")
def letter(token: str):
    """A letter from a mail link, as PDF."""
    data, name = letters.download_letter(token)
    return _attachment(data, "application/pdf", name)
