"""The requester's documents in the portal ("Uw documenten", :mod:`dsr.services.portal_files`): one file,
or all of them as a zip streamed while it is built. Routes on the portal blueprint, behind the portal
session; every URL names only a document or letter id, which is checked against the session's case
(another case's: the 404 page)."""
from __future__ import annotations

from flask import Response, g, stream_with_context

from ..services import portal_files, portal_messages
from .portal import attachment, bp, portal_required


@bp.route("/documenten/<int:document_id>")
@portal_required
def document_file(document_id: int):
    """One document of the delivered package, under its own name."""
    data, found = portal_files.download(g.portal_case, portal_files.DOCUMENT, document_id)
    return attachment(data, found.content_type, found.download_name)


@bp.route("/documenten/brief/<int:letter_id>")
@portal_required
def letter_file(letter_id: int):
    """One letter sent to the requester, under its own name."""
    data, found = portal_files.download(g.portal_case, portal_files.LETTER, letter_id)
    return attachment(data, found.content_type, found.download_name)


@bp.route("/documenten/alles.zip")
@portal_required
def all_files():
    """Every document and letter as one zip, sent while it is built (never written to disk)."""
    download = portal_files.download_all(g.portal_case)
    response = Response(stream_with_context(download.chunks), mimetype="application/zip")
    response.headers["Content-Disposition"] = portal_messages.content_disposition(download.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
