"""Back up and restore dsr: the database and the file store together, the keys apart (docs/backup.md).

A backup is one folder, ``dsr-backup-<UTC time>``, holding

- ``database.dump``: ``pg_dump`` in its custom format (on SQLite: ``database.sqlite``, a copy made with
  SQLite's online backup);
- ``files.tar``: the file store as it is (every file in it is already encrypted under DSR_FILE_KEYS);
- ``manifest.json``: when, what kind of database, the SHA-256 of both parts, and the figures of the
  database (:mod:`dsr.ops.contents`), counted inside the same snapshot that ``pg_dump`` copies.

It never holds a key. The keys (DSR_SECRET_KEY, its fallbacks, DSR_FILE_KEYS, the audit chain's keys) go to a key
backup of their own (:func:`export_keys`) that belongs in a different place: whoever holds the database
dump, the file store and DSR_FILE_KEYS can read every child's file. Both commands refuse to put one next
to the other.

The folder is written as ``.partial`` and renamed when complete, so a cut-off backup never looks whole.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: pg_dump and pg_restore, with argument lists, never a shell
import tarfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..settings import APP_SETTINGS
from .contents import contents_of, differences

FORMAT = "dsr-backup/1"
MANIFEST = "manifest.json"
FILES_ARCHIVE = "files.tar"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite"
BACKUP_PREFIX = "dsr-backup-"
KEYS_PREFIX = "dsr-keys-"
#: The settings whose values are keys: never in a data backup, always in the key backup.
KEY_SETTINGS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "FILE_KEYS", "AUDIT_KEYS")
#: Where the audit checkpoints live inside the file store (written by ``dsr audit checkpoint``).
CHECKPOINTS = Path("audit") / "checkpoints.jsonl"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put back: the manifest of the backup and whether newer checkpoints were installed."""

    manifest: dict
    checkpoints_installed: bool


# --- where things may go -------------------------------------------------------------------------------

def file_store() -> Path:
    """The file store of this installation (DSR_FILE_STORAGE, default ``instance/files``)."""
    return Path(current_app.config.get("FILE_STORAGE") or Path(current_app.instance_path) / "files").resolve()


def _inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def _is_data_backup(path: Path) -> bool:
    return path.name.startswith(BACKUP_PREFIX) or (path / MANIFEST).is_file()


def _data_backup_near(folder: Path) -> Path | None:
    """A data backup (or the file store) the folder is, is inside, or holds directly."""
    store = file_store()
    if _inside(folder, store) or _inside(store, folder):
        return store
    for candidate in (folder, *folder.parents):
        if _is_data_backup(candidate):
            return candidate
    if folder.is_dir():
        for child in folder.iterdir():
            if child.is_dir() and _is_data_backup(child):
                return child
    return None


def _key_backup_near(folder: Path) -> Path | None:
    """A key backup in the folder or in one of the folders above it."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            for child in candidate.glob(KEYS_PREFIX + "*"):
                return child
    return None


# --- backup --------------------------------------------------------------------------------------------

def create_backup(destination: Path) -> Path:
    """Write a backup of the database and the file store into a new folder under ``destination``."""
    destination = destination.resolve()
    if _inside(destination, file_store()) or _inside(file_store(), destination):
        raise BackupError(f"{destination} overlaps the file store; back up to a different disk or host")
    keys = _key_backup_near(destination)
    if keys is not None:
        raise BackupError(f"{keys} is a key backup: keys must never be stored with the data. "
                          "Move the key backup to its own place (docs/backup.md), or back up elsewhere")
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = destination / f"{BACKUP_PREFIX}{stamp}"
    partial = destination / f".{final.name}.partial"
    partial.mkdir(mode=0o700)
    try:
        url = db.engine.url
        if url.get_backend_name() == "postgresql":
            database_file, contents = PG_DUMP, _dump_postgresql(url, partial / PG_DUMP)
        elif url.get_backend_name() == "sqlite":
            database_file, contents = SQLITE_COPY, _copy_sqlite(url, partial / SQLITE_COPY)
        else:
            raise BackupError(f"no backup for a {url.get_backend_name()} database")
        # After the database: a file stored meanwhile is an orphan (harmless); the other order would miss
        # files that rows in the dump point at.
        files = _archive_file_store(partial / FILES_ARCHIVE)
        manifest = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"kind": url.get_backend_name(), "file": database_file,
                         "sha256": _sha256(partial / database_file)},
            "files": {"file": FILES_ARCHIVE, "sha256": _sha256(partial / FILES_ARCHIVE), "count": files},
            "contents": contents,
            "keys": "not included: restoring needs the key backup (" + ", ".join(
                "DSR_" + name for name in KEY_SETTINGS) + ")",
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _pg_command(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs "
                          "(Debian: apt-get install postgresql-client), the server's major version or newer")
    return found


def _pg_target(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying the password, so
    that it never shows in the process list."""
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False,  # nosec B603
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _dump_postgresql(url: sa.URL, target: Path) -> dict:
    """``pg_dump`` of the snapshot in which the figures are counted: both describe the same moment."""
    conninfo, env = _pg_target(url)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            contents = contents_of(conn)
            _run([_pg_command("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}", f"--dbname={conninfo}"], env, "pg_dump")
    target.chmod(0o600)
    return contents


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _copy_sqlite(url: sa.URL, target: Path) -> dict:
    source = sqlite3.connect(_sqlite_path(url))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # consistent even while the app writes
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)
    return _contents_of_url(f"sqlite:///{target}")


def _contents_of_url(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return contents_of(conn)
    finally:
        engine.dispose()


def _archive_file_store(target: Path) -> int:
    """Tar every file of the store (no compression: the files are encrypted); returns how many."""
    root, count = file_store(), 0
    with tarfile.open(target, "w") as tar:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                if path.name.startswith(KEYS_PREFIX):
                    raise BackupError(f"{path} is a key backup inside the file store: move it out first")
                tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
                count += 1
    target.chmod(0o600)
    return count


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore -------------------------------------------------------------------------------------------

def read_manifest(backup: Path) -> dict:
    """The manifest of a complete backup whose parts match their digests; else :class:`BackupError`."""
    try:
        manifest = json.loads((backup / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup} is not a complete dsr backup (no readable {MANIFEST})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{backup}: unknown backup format {manifest.get('format')!r}")
    for part in (manifest["database"], manifest["files"]):
        path = backup / part["file"]
        if not path.is_file() or _sha256(path) != part["sha256"]:
            raise BackupError(f"{path} is missing or damaged (its SHA-256 differs from the manifest)")
    return manifest


def restore_backup(backup: Path, checkpoints: Path | None = None) -> RestoreResult:
    """Restore ``backup`` into the configured database and file store, which must both be empty.

    ``checkpoints``: the newest audit checkpoints file there is (from the lost installation, or the newest
    backup); it replaces the backup's own, so that ``dsr audit verify`` reports the events this backup
    does not have.
    """
    manifest = read_manifest(backup)
    root = file_store()
    if root.is_dir() and any(root.iterdir()):
        raise BackupError(f"the file store {root} is not empty: restore into a new, empty folder")
    if checkpoints is not None and not checkpoints.is_file():
        raise BackupError(f"{checkpoints}: no such checkpoints file")
    url = db.engine.url
    if url.get_backend_name() != manifest["database"]["kind"]:
        raise BackupError(f"the backup holds a {manifest['database']['kind']} database; "
                          f"DSR_DATABASE_URL points at {url.get_backend_name()}")
    if sa.inspect(db.engine).get_table_names():
        raise BackupError("the database is not empty: restore into a new, empty database "
                          "(createdb) and point DSR_DATABASE_URL at it")
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "postgresql":
        conninfo, env = _pg_target(url)
        _run([_pg_command("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner",
              "--no-privileges", f"--dbname={conninfo}", str(backup / PG_DUMP)], env, "pg_restore")
    else:
        shutil.copyfile(backup / SQLITE_COPY, _sqlite_path(url))
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tarfile.open(backup / FILES_ARCHIVE) as tar:
        tar.extractall(root, filter="data")  # nosec B202: the data filter refuses links and paths outside root
    if checkpoints is not None:
        (root / CHECKPOINTS).parent.mkdir(exist_ok=True, mode=0o700)
        shutil.copyfile(checkpoints, root / CHECKPOINTS)
    with db.engine.connect() as conn:
        found = contents_of(conn)
    wrong = differences(manifest["contents"], found)
    if wrong:
        raise BackupError("the restored database differs from the backup: " + "; ".join(wrong))
    return RestoreResult(manifest, checkpoints is not None)


# --- keys ----------------------------------------------------------------------------------------------

def key_lines() -> list[str]:
    """The key settings of this installation as environment-file lines (``DSR_FILE_KEYS=[...]``)."""
    lines = []
    for setting in APP_SETTINGS:
        if setting.name in KEY_SETTINGS:
            value = current_app.config.get(setting.config_key)
            if value:
                lines.append(f"{setting.env_name}={setting.kind.show(value)}")
    return lines


def export_keys(folder: Path) -> Path:
    """Write the key backup into ``folder`` (mode 0600), never next to data: refuses a folder that is, is
    inside or holds a data backup, or overlaps the file store."""
    folder = folder.resolve()
    near = _data_backup_near(folder)
    if near is not None:
        raise BackupError(f"{folder} is next to data ({near}): keys must never be stored with the database "
                          "or the files. Give a folder of their own (a secret store, an encrypted stick)")
    lines = key_lines()
    if not lines:
        raise BackupError("this installation has no keys configured (DSR_SECRET_KEY, DSR_FILE_KEYS)")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{KEYS_PREFIX}{stamp}.env"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("# dsr key backup: keep apart from the data backups (docs/backup.md).\n")
        handle.write("\n".join(lines) + "\n")
    return target
