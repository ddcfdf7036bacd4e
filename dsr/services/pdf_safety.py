"""Is an uploaded PDF safe to keep and hand on? Parsed with pypdf, never judged by grepping its bytes.

Every PDF that enters dsr (a staff upload into an access package, a requester's upload on "Mijn verzoek")
passes :func:`check_pdf`. A PDF is refused when it cannot be read, is encrypted (its content could not be
checked), or holds anything that runs or opens something: JavaScript (``/JavaScript``, ``/JS``), launch,
submit, import and remote go-to actions, additional actions (``/AA``, which fire on opening a page or
field), embedded files, rich media and XFA forms. ``/OpenAction`` is allowed only as what exports use it
for, showing a page: an action there is checked like any other.

pypdf decodes names as a reader does, so ``/J#61vaScript`` is ``/JavaScript`` here, and objects packed in
compressed object streams are read too. Every object in the cross-reference table is visited, reachable or
not, and the raw bytes are also scanned for names (with ``#`` escapes decoded), so an object pypdf's lenient
parser skipped cannot hide an action from the check. Nothing here touches the app or the database.
"""
from __future__ import annotations

import io
import logging
import re

from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

#: Names that mark active content, as keys or values: scripts, actions that run, open, send or fetch
#: something, additional-action triggers, embedded files, rich media and XFA forms.
ACTIVE_NAMES = frozenset({
    "/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Rendition",
    "/AA", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA",
})
#: More objects than any export of a school system has; a file beyond it is refused, not walked for minutes.
MAX_OBJECTS = 500_000
_RAW_NAME = re.compile(rb"/([^\x00\t\n\f\r /%()<>\[\]{}]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

log = logging.getLogger(__name__)


class PdfRefused(ValueError):
    """The PDF is refused; ``message`` (Dutch, or the visitor's language) is shown at the file field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _active_message() -> str:
    return _("Deze PDF bevat scripts, acties of ingesloten bestanden. Exporteer of print het document opnieuw "
             "als gewone PDF.")


def _raw_names(data: bytes) -> set[str]:
    """Every name written in the file's bytes, with ``#xx`` escapes decoded (what a PDF reader does)."""
    names = set()
    for match in _RAW_NAME.finditer(data):
        decoded = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add("/" + decoded.decode("latin-1"))
    return names


def _active_in_objects(reader: PdfReader) -> bool:
    """Walk the trailer and every object the cross-reference table lists, following references once."""
    stack: list[PdfObject] = [reader.trailer]
    for generation, entries in reader.xref.items():
        stack.extend(IndirectObject(number, generation, reader) for number in entries)
    stack.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item: PdfObject | None = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()  # None for a free or missing object
        visited += 1
        if visited > MAX_OBJECTS:
            raise PdfRefused(_("Deze PDF is te ingewikkeld om te controleren. Exporteer of print het document "
                               "opnieuw als gewone PDF."))
        if isinstance(item, NameObject):
            if str(item) in ACTIVE_NAMES:
                return True
        elif isinstance(item, DictionaryObject):  # also a stream's dictionary
            if any(str(key) in ACTIVE_NAMES for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def check_pdf(data: bytes) -> None:
    """Refuse ``data`` (:class:`PdfRefused`) unless it is a readable, unencrypted PDF without active content."""
    if _raw_names(data) & ACTIVE_NAMES:
        raise PdfRefused(_active_message())
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRefused(_("Deze PDF is beveiligd met een wachtwoord of versleuteld, zodat wij de inhoud niet "
                               "kunnen controleren. Stuur het document zonder beveiliging."))
        active = _active_in_objects(reader)
        if not reader.pages:  # reading the page tree also proves the document can be shown
            raise ValueError("no pages")
    except PdfRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds (and RecursionError) on a broken file
        log.info("PDF refused as unreadable: %s", type(exc).__name__)
        raise PdfRefused(_("Deze PDF kunnen wij niet lezen; het bestand is beschadigd of geen echte PDF. "
                           "Exporteer of print het document opnieuw als PDF.")) from exc
    if active:
        raise PdfRefused(_active_message())
