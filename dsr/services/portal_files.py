"""The requester's documents in the portal ("Uw documenten"): every file of the delivered access package
and every letter sent, for as long as the package is kept (R-AC-4), one by one or together as a zip.

The package link in the mail expires after ``PACKAGE_LINK_DAYS``; the portal session does not depend on it,
so a parent who comes back after a month still finds the files. Access follows the package link's rule: the
package was delivered (released and sent), not purged, and the requester's address is confirmed. Only the
case of the signed-in portal session is ever read; another case's document is :class:`NotFound`.

Files download under their own names, made from the title staff gave them (``download_name``). The zip is
built while it is sent (``zip_stream``): each file is decrypted in memory and written into the archive; no
plaintext ever reaches the disk. Every download is audited as ``package.downloaded`` with the ids only.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app

from ..errors import NotFound
from ..models import AccessPackage, Case, Letter, PackageDocument
from . import audit, storage
from .case_records import package_of
from .portal_status import letters
from .transaction import transactional

#: Longest file name offered (without the extension); long titles are cut, never refused.
MAX_NAME = 100
#: Bytes handed to the zip writer (and on to the response) at a time.
CHUNK = 64 * 1024
#: Kinds of file in the list.
DOCUMENT, LETTER = "document", "letter"


@dataclass(frozen=True)
class PortalFile:
    """One file the requester can download: a package document or a letter."""

    kind: str
    id: int
    title: str
    sent_at: dt.datetime | None
    size_bytes: int | None
    content_type: str
    download_name: str
    storage_key: str


@dataclass(frozen=True)
class PortalFiles:
    """What "Uw documenten" shows: the files, or when the package's files were removed (R-AC-4)."""

    files: list[PortalFile]
    #: The local date the package's files were removed (R-AC-4), or None while they are kept.
    purged_on: dt.date | None
    #: Until when they are kept (None once removed).
    kept_until: dt.date | None


# ---- names ---------------------------------------------------------------------------------------------

def download_name(title: str, extension: str) -> str:
    """A safe file name from a title: no path or control characters, at most ``MAX_NAME`` characters,
    ending in ``.extension`` ("Cijferlijst 2025-2026" → "Cijferlijst 2025-2026.pdf")."""
    text = unicodedata.normalize("NFC", title or "")
    # Control characters (Cc), format characters (Cf: e.g. right-to-left overrides) and separators of
    # lines; path separators and the characters Windows refuses become a space.
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in text)
    text = re.sub(r'[/\\:*?"<>|]', " ", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    suffix = "." + extension.lower()
    if text.lower().endswith(suffix):
        text = text[: -len(suffix)].rstrip(" .")
    text = text[:MAX_NAME].rstrip(" .") or "document"
    return text + suffix


def unique_names(names: Iterable[str]) -> list[str]:
    """The names in order, a later duplicate (ignoring case) numbered: "Rapport.pdf", "Rapport (2).pdf"."""
    seen: set[str] = set()
    result = []
    for name in names:
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, number = name, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = f"{stem} ({number}).{extension}" if dot else f"{stem} ({number})"
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


# ---- what the requester may see -----------------------------------------------------------------------

def _delivered_package(case: Case) -> AccessPackage | None:
    """The case's package if it went to the requester and the address is confirmed (the link's rule)."""
    package = package_of(case.id)
    if package is None or not package.delivered or case.email_confirmed_at is None:
        return None
    return package


def _letter_file(letter: Letter) -> PortalFile:
    return PortalFile(LETTER, letter.id, letter.title, letter.sent_at, storage.plain_size(letter.storage_key),
                      "application/pdf", download_name(letter.title, "pdf"), letter.storage_key)


def _document_file(package: AccessPackage, document: PackageDocument, key: str) -> PortalFile:
    return PortalFile(DOCUMENT, document.id, document.title, package.delivered_at, document.size_bytes,
                      document.content_type, download_name(document.title, document.extension), key)


def files_of(case: Case) -> PortalFiles | None:
    """"Uw documenten" of ``case``: None before the package was delivered (or the address confirmed);
    after the purge, no package files but the date they were removed; letters stay while the case file
    is kept. Download names are unique within the list, so the zip holds the same names."""
    package = _delivered_package(case)
    if package is None:
        return None
    found = [_letter_file(letter) for letter in letters(case) if letter.storage_key]
    if package.purged_at is None:
        found += [_document_file(package, d, d.storage_key) for d in package.documents if d.storage_key]
    names = unique_names(f.download_name for f in found)
    found = [PortalFile(f.kind, f.id, f.title, f.sent_at, f.size_bytes, f.content_type, name, f.storage_key)
             for f, name in zip(found, names, strict=True)]
    if package.purged_at is not None:
        return PortalFiles(found, package.purged_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date(), None)
    return PortalFiles(found, None, package.purge_due_on)


def _audit(case: Case, files: list[PortalFile], *, zipped: bool) -> None:
    """R-AC-2: who (the requester), which documents and letters (ids only), through the portal."""
    package = package_of(case.id)
    if package is not None and any(f.kind == DOCUMENT for f in files):
        package.download_count += 1
    audit.record("package.downloaded", case=case, actor_kind="requester", details={
        "via": "portal", "zip": zipped,
        "documents": [f.id for f in files if f.kind == DOCUMENT],
        "letters": [f.id for f in files if f.kind == LETTER]})


@transactional
def download(case: Case, kind: str, file_id: int) -> tuple[bytes, PortalFile]:
    """One file of "Uw documenten", decrypted, with its entry; audited. Anything not in the list (another
    case's document, a purged one, before delivery) is :class:`NotFound`. One commit."""
    listing = files_of(case)
    found = next((f for f in listing.files if f.kind == kind and f.id == file_id), None) if listing else None
    if found is None:
        raise NotFound(f"{kind} {file_id}")
    data = storage.load(found.storage_key)
    _audit(case, [found], zipped=False)
    return data, found


@dataclass(frozen=True)
class ZipDownload:
    """A zip of every file in "Uw documenten": its name and the archive's bytes, produced while read."""

    name: str
    chunks: Iterator[bytes]


@transactional
def download_all(case: Case) -> ZipDownload:
    """Every file of "Uw documenten" as one zip, audited now (one commit); the archive itself is built
    while the response is sent (:func:`zip_stream`). Nothing to download is :class:`NotFound`."""
    listing = files_of(case)
    if listing is None or not listing.files:
        raise NotFound("no files")
    _audit(case, listing.files, zipped=True)
    return ZipDownload(f"{case.reference}.zip", zip_stream(listing.files, ZoneInfo(current_app.config["TIMEZONE"])))


class _Pipe:
    """A write-only, non-seekable file for :class:`zipfile.ZipFile`: what is written waits in memory
    until :meth:`take` hands it on. Not seekable, so the archive uses data descriptors and is never
    rewritten in place (and so never needs a temporary file)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Nothing to flush: the bytes wait in memory for :meth:`take`."""

    def close(self) -> None:
        """Nothing to close: what is left is taken after the archive is closed."""

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def zip_stream(files: list[PortalFile], zone: ZoneInfo) -> Iterator[bytes]:
    """The zip of ``files`` in pieces: each file is decrypted in memory, one at a time, and written into
    the archive in chunks of ``CHUNK`` bytes; what the archive has so far is handed on after each chunk.
    Reads the file store, so it must run inside the app (the view wraps it in ``stream_with_context``);
    entry times are local (``zone``), as zip times have no zone."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in files:
            data = storage.load(entry.storage_key)
            info = zipfile.ZipInfo(entry.download_name, date_time=_zip_time(entry.sent_at, zone))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w") as member:
                for start in range(0, len(data), CHUNK):
                    member.write(data[start:start + CHUNK])
                    if chunk := pipe.take():
                        yield chunk
            del data
            if chunk := pipe.take():
                yield chunk
    if chunk := pipe.take():
        yield chunk


def _zip_time(moment: dt.datetime | None, zone: ZoneInfo) -> tuple[int, int, int, int, int, int]:
    """The zip entry's local date and time (1980 is the format's earliest)."""
    if moment is None or moment.year < 1981:
        return (1980, 1, 1, 0, 0, 0)
    moment = moment.astimezone(zone)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
