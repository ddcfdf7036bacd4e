"""The content check of a document uploaded into an access package (R-RI-1).

An upload is accepted only when its content is what its name claims: a PDF, PNG or JPEG by its magic
bytes, a CSV as readable delimited text that is not HTML, JSON or PostScript renamed; a PDF that cannot
be parsed, is encrypted, or runs something when opened (scripts, launch actions, embedded files; see
:mod:`.pdf_safety`) is refused, and so is an empty file or one over ``UPLOAD_MAX_BYTES``. These checks
look only at the bytes and the name, never at the database or the case, so they live apart from the
package's lifecycle in :mod:`.packages`.
"""
from __future__ import annotations

import csv
import io

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..workflows.labels import Labels
from .case_access import FulfilmentError
from .pdf_safety import PdfRefused, check_pdf

_MAGIC = (("application/pdf", b"%PDF-"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff"))
_BY_EXTENSION = {"pdf": "application/pdf", "csv": "text/csv", "png": "image/png", "jpg": "image/jpeg",
                 "jpeg": "image/jpeg"}
_TYPE_LABELS = Labels({"application/pdf": _l("PDF"), "text/csv": _l("CSV-bestand"), "image/png": _l("PNG-afbeelding"),
                       "image/jpeg": _l("JPEG-afbeelding")})


def _looks_like_csv(data: bytes) -> bool:
    """Whether ``data`` reads as delimited text (UTF-8 or Windows-1252), not a binary or markup file."""
    if any(data.startswith(magic) for _kind, magic in _MAGIC) or b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return False
    if text.lstrip()[:1] in ("<", "{", "%"):  # HTML/XML, JSON or PostScript renamed to .csv
        return False
    try:
        rows = list(csv.reader(io.StringIO(text), csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
                               if any(d in text[:4096] for d in ",;\t|") else csv.excel))
    except csv.Error:
        return False
    return bool(rows)


def detect_type(data: bytes, filename: str) -> str:
    """The content type of an upload, checked against its content; :class:`FulfilmentError` otherwise."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if not data:
        raise FulfilmentError(_("Het bestand is leeg."), field="file", form="upload")
    if len(data) > limit:
        raise FulfilmentError(_("Het bestand is te groot: maximaal %(size)d MB.", size=limit // (1024 * 1024)),
                              field="file", form="upload")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claimed = _BY_EXTENSION.get(extension)
    if claimed is None:
        raise FulfilmentError(_("Alleen PDF-, CSV-, PNG- en JPEG-bestanden kunnen in een pakket."), field="file",
                              form="upload")
    actual = next((kind for kind, magic in _MAGIC if data.startswith(magic)), None)
    if actual is None and _looks_like_csv(data):
        actual = "text/csv"
    if actual != claimed:
        raise FulfilmentError(_("De inhoud van het bestand is geen %(kind)s, hoewel de naam op .%(extension)s "
                                "eindigt. Exporteer het document opnieuw.", kind=_TYPE_LABELS[claimed],
                                extension=extension), field="file", form="upload")
    if actual == "application/pdf":
        try:
            check_pdf(data)  # parsed, not grepped: an export from a school system has no active content
        except PdfRefused as exc:
            raise FulfilmentError(exc.message, field="file", form="upload") from exc
    return actual
