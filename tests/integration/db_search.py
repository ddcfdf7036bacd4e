"""Search what dsr keeps at rest, as someone with a copy of the database (and, for files, the file
keys) would: every text column of every table, and the stored files decrypted."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from dsr.extensions import db
from dsr.services import storage
from tests.integration.helpers import pdf_text

URL = re.compile(r"https?://[^\s<>\"\]]+")


def text_columns() -> list[sa.Column]:
    """Every String/Text column of every table in the schema (the database's own view of it)."""
    inspector = sa.inspect(db.engine)
    columns = []
    for table in db.metadata.sorted_tables:
        assert table.name in inspector.get_table_names(), table.name
        columns += [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
    return columns


def database_texts() -> Iterator[tuple[str, str, object, str]]:
    """``(table, column, primary key, value)`` for every non-empty text value in the database."""
    for column in text_columns():
        table = column.table
        key = list(table.primary_key.columns) or list(table.columns)[:1]
        for row_key, value in db.session.execute(sa.select(key[0], column).where(column.is_not(None))):
            if value:
                yield table.name, column.name, row_key, value


def find_in_database(needle: str) -> list[str]:
    """``table.column#key`` of every value that contains ``needle`` (case-insensitive)."""
    lowered = needle.lower()
    return [f"{table}.{column}#{key}" for table, column, key, value in database_texts()
            if lowered in value.lower()]


def urls_in_database() -> list[tuple[str, str]]:
    """``(table.column, url)`` for every http(s) URL in any text value of the database."""
    return [(f"{table}.{column}", url) for table, column, _, value in database_texts()
            for url in URL.findall(value)]


def readable(data: bytes) -> str:
    """What a file says: the text of a PDF, else its bytes as text (both lower-cased)."""
    text = data.decode("latin-1")
    if data.startswith(b"%PDF"):
        try:
            text += " " + pdf_text(data)
        except Exception:  # noqa: BLE001 - a minimal test PDF has no pages; its bytes were read above
            pass
    return text.lower()


def stored_files(root: str) -> Iterator[tuple[Path, bytes]]:
    """Every stored file under ``root`` that the app's keys open, decrypted (another test's files
    under other keys cannot be this case's)."""
    keys = storage._keys()
    for path in sorted(Path(root).glob("*/*")):
        try:
            yield path, keys.decrypt(path.read_bytes())
        except InvalidToken:
            continue
