"""The backup drill (docs/backup.md, issue 13 point 13), with the operator's own commands.

A busy desk (cases at two schools, granted cases with documents in their packages, a letter, a
requester's upload, staff with TOTP) is backed up with ``flask dsr backup create``, its keys with
``dsr backup keys`` into a separate folder; both are restored into a fresh database and a fresh file
store, with the keys taken from the key backup only. The restore must hold every case, every stored file
must decrypt to the same bytes, and ``flask dsr audit verify`` must pass. A restore whose file store was
left out, or that has the wrong keys, must be reported by ``dsr backup check``. A restore to an older
point loses what came after it, and the drill shows what.

On PostgreSQL (DSR_TEST_DATABASE_URL) the backup is ``pg_dump`` and the restore goes into
``<test database>_restore`` on the same server; on SQLite it is SQLite's online backup into a new file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from dsr.cli import audit_group
from dsr.extensions import db
from dsr.models import AuditEvent, Case, OutboxMessage
from dsr.ops.backup import CHECKPOINTS, KEY_SETTINGS, key_lines
from dsr.ops.contents import stored_files
from dsr.services import storage
from dsr.services.portal_messages import add_upload
from tests.helpers import ROOT, make_test_app, signed_in, step, submit
from tests.integration.helpers import PDF, send_letter, upload

HAS_CHECKPOINTS = "checkpoint" in audit_group.commands


def run_dsr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi dsr ARGS`` as the operator runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "dsr", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def environment(url: str, store: Path, keys: dict[str, str], redis_url: str) -> dict[str, str]:
    """An installation's environment: its database, its file store and its keys, nothing of the developer's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DSR_")}
    env.update(keys)
    env.update({"DSR_DATABASE_URL": url, "DSR_FILE_STORAGE": str(store), "DSR_REDIS_URL": redis_url,
                "DSR_PUBLIC_BASE_URL": "https://avg.example.nl"})  # required outside the demo
    return env


def keys_in(env: dict[str, str]) -> dict[str, str]:
    """The key settings of an environment (what the key backup holds)."""
    return {name: value for name, value in env.items() if name.removeprefix("DSR_") in KEY_SETTINGS}


def read_key_backup(path: Path) -> dict[str, str]:
    """The settings in a key backup file (``NAME=value`` lines)."""
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def live(app, database_url, redis_server, smtp_server, tmp_path):
    """The installation that is backed up: the suite's database with a file store of its own."""
    source = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=str(tmp_path / "live-files"))
    with source.app_context():
        keys = dict(line.split("=", 1) for line in key_lines())
    source.extensions["drill_env"] = environment(database_url, tmp_path / "live-files", keys, redis_server.url)
    yield source
    with source.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """A new, empty database to restore into: ``<test database>_restore`` on PostgreSQL, a file on SQLite."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{url.database}_restore"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def recreate(create: bool) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if create:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    recreate(True)
    yield url.set(database=name).render_as_string(hide_password=False)
    recreate(False)


def seed_busy_desk(source, people, register, count: int = 12) -> list[int]:
    """Cases at both schools; three granted with two documents each, a receipt letter, an upload."""
    client = source.test_client()
    ids = [submit(client, people.school_a if n % 2 == 0 else people.school_b,
                  requester_email=f"ouder{n}@example.nl", student_name=f"Leerling {n}") for n in range(count)]
    staff = signed_in(source, people)  # staff of school A: the even-numbered cases
    for case_id in ids[0:6:2]:
        assert step(staff, source, case_id, "verify_identity", method="portal", authority="yes").status_code == 302
        assert step(staff, source, case_id, "review", decision="grant", grounds=[], reason="Beoordeeld.") \
            .status_code == 302
        for part in ("cijfers", "verzuim"):
            assert upload(staff, case_id, register[part], data=PDF + f"%{part} {case_id}\n".encode(),
                          title=f"{part} {case_id}").status_code == 302
    assert send_letter(staff, ids[0], "receipt").status_code == 302
    with source.app_context():
        add_upload(db.session.get_one(Case, ids[1]), "uittreksel.pdf", PDF + b"%upload\n")
    return ids


def restored_app(url: str, store: Path, keys: dict[str, str], redis_server, smtp_server):
    """An in-process app on the restored database and file store, with the keys of the key backup only."""
    return make_test_app(url, redis_server, smtp_server, FILE_STORAGE=str(store),
                         SECRET_KEY=keys["DSR_SECRET_KEY"], FILE_KEYS=json.loads(keys["DSR_FILE_KEYS"]))


def files_of(app) -> dict[str, bytes]:
    """Every file a row points at, read (decrypted) through dsr.services.storage."""
    with app.app_context():
        found = {item.key: storage.load(item.key) for item in stored_files(db.session.connection())}
        db.session.remove()
    return found


def cases_of(app) -> list[tuple[int, str | None]]:
    with app.app_context():
        rows = db.session.execute(sa.select(Case.id, Case.reference).order_by(Case.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_backup_restores_into_a_fresh_database_and_file_store(live, people, register, fresh_database, tmp_path,
                                                              redis_server, smtp_server):
    started = time.monotonic()
    seed_busy_desk(live, people, register)
    env = live.extensions["drill_env"]
    keys_done = run_dsr(env, "backup", "keys", "--to", str(tmp_path / "secret-store"))
    assert keys_done.returncode == 0, keys_done.stderr
    created = run_dsr(env, "backup", "create", "--to", str(tmp_path / "backups"))
    assert created.returncode == 0, created.stderr
    [backup] = (tmp_path / "backups").glob("dsr-backup-*")
    assert sorted(p.name for p in backup.iterdir()) == ["database.dump" if "postgresql" in fresh_database
                                                        else "database.sqlite", "files.tar", "manifest.json"]
    [key_file] = (tmp_path / "secret-store").glob("dsr-keys-*.env")
    keys = read_key_backup(key_file)
    for value in keys.values():  # no key in any part of the data backup
        for part in backup.iterdir():
            assert value.encode() not in part.read_bytes(), part.name

    store = tmp_path / "restored-files"
    target = environment(fresh_database, store, keys, redis_server.url)
    restored = run_dsr(target, "backup", "restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    checked = run_dsr(target, "backup", "check", str(backup))
    assert checked.returncode == 0 and "Restore check OK." in checked.stdout, checked.stdout + checked.stderr
    verified = run_dsr(target, "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("OK"), verified.stdout + verified.stderr

    # Independently of the tool's own check: the same cases, and every file decrypts to the same bytes.
    copy = restored_app(fresh_database, store, keys, redis_server, smtp_server)
    try:
        assert cases_of(copy) == cases_of(live) and len(cases_of(copy)) == 12
        files = files_of(copy)
        assert files == files_of(live) and len(files) == 3 * 2 + 1 + 1
        print(f"\ndrill: 12 cases, {len(files)} stored files restored and decrypted in "
              f"{time.monotonic() - started:.1f} s")
    finally:
        with copy.app_context():
            db.engine.dispose()


def invoke(app, *args: str):
    """``flask dsr ARGS`` inside this process, on ``app`` (for the checks that need no separate process)."""
    return app.test_cli_runner().invoke(args=["dsr", *args])


def test_a_restore_without_the_file_store_or_with_other_keys_is_reported(live, people, register, fresh_database,
                                                                         tmp_path, redis_server, smtp_server):
    seed_busy_desk(live, people, register, count=4)
    assert invoke(live, "backup", "create", "--to", str(tmp_path / "backups")).exit_code == 0
    [backup] = (tmp_path / "backups").glob("dsr-backup-*")
    store = tmp_path / "restored-files"
    keys = keys_in(live.extensions["drill_env"])
    copy = restored_app(fresh_database, store, keys, redis_server, smtp_server)
    other = restored_app(fresh_database, store, {**keys, "DSR_FILE_KEYS": json.dumps([storage.new_key()])},
                         redis_server, smtp_server)
    try:
        assert invoke(copy, "backup", "restore", str(backup)).exit_code == 0
        assert invoke(copy, "backup", "check", str(backup)).exit_code == 0

        wrong = invoke(other, "backup", "check", str(backup))
        assert wrong.exit_code == 1 and wrong.output.count("does not decrypt with DSR_FILE_KEYS") == 2 * 2 + 1 + 1 \
            + 8, wrong.output  # the six files and the eight staff members' TOTP secrets

        for path in sorted(store.rglob("*"), reverse=True):  # the file store was not restored
            path.unlink() if path.is_file() else path.rmdir()
        missing = invoke(copy, "backup", "check", str(backup))
        assert missing.exit_code == 1, missing.output
        assert missing.output.count("is missing") == 2 * 2 + 1 + 1 and "Restore check FAILED" in missing.output
    finally:
        for each in (copy, other):
            with each.app_context():
                db.engine.dispose()


def test_a_restore_into_a_database_or_file_store_in_use_is_refused(live, people, register, tmp_path,
                                                                   database_url, redis_server, smtp_server):
    seed_busy_desk(live, people, register, count=2)
    assert invoke(live, "backup", "create", "--to", str(tmp_path / "backups")).exit_code == 0
    [backup] = (tmp_path / "backups").glob("dsr-backup-*")
    empty_store = make_test_app(database_url, redis_server, smtp_server, FILE_STORAGE=str(tmp_path / "empty"))
    over_live = invoke(empty_store, "backup", "restore", str(backup))
    assert over_live.exit_code == 1 and "the database is not empty" in over_live.output
    over_files = invoke(live, "backup", "restore", str(backup))
    assert over_files.exit_code == 1 and "is not empty" in over_files.output
    assert len(cases_of(live)) == 2, "nothing was overwritten"
    with empty_store.app_context():
        db.engine.dispose()


def test_keys_are_never_written_next_to_the_data(live, people, tmp_path):
    backups = tmp_path / "backups"
    assert invoke(live, "backup", "create", "--to", str(backups)).exit_code == 0
    [backup] = backups.glob("dsr-backup-*")
    for place in (backups, backup, tmp_path / "live-files", tmp_path / "live-files" / "keys"):
        refused = invoke(live, "backup", "keys", "--to", str(place))
        assert refused.exit_code == 1 and "keys must never be stored with" in refused.output, (place, refused.output)
    assert not list(tmp_path.rglob("dsr-keys-*"))
    assert invoke(live, "backup", "keys", "--to", str(tmp_path / "secret-store")).exit_code == 0
    refused = invoke(live, "backup", "create", "--to", str(tmp_path / "secret-store"))
    assert refused.exit_code == 1 and "keys must never be stored with the data" in refused.output


def test_a_restore_to_an_older_point_loses_what_came_after(live, people, register, fresh_database, tmp_path,
                                                           redis_server, smtp_server):
    kept = seed_busy_desk(live, people, register, count=4)
    assert invoke(live, "backup", "create", "--to", str(tmp_path / "backups")).exit_code == 0
    [backup] = (tmp_path / "backups").glob("dsr-backup-*")
    client = live.test_client()
    lost = [submit(client, people.school_a, requester_email=f"later{n}@example.nl") for n in range(3)]
    with live.app_context():
        events_before = db.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one()
        db.session.remove()

    copy = restored_app(fresh_database, tmp_path / "restored-files", keys_in(live.extensions["drill_env"]),
                        redis_server, smtp_server)
    try:
        assert invoke(copy, "backup", "restore", str(backup)).exit_code == 0
        with copy.app_context():
            ids = set(db.session.execute(sa.select(Case.id)).scalars())
            last_event = db.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one()
            mail_cases = set(db.session.execute(sa.select(OutboxMessage.case_id)).scalars())
            db.session.remove()
        assert ids == set(kept) and not ids & set(lost), "the cases submitted after the backup are gone"
        assert not mail_cases & set(lost), "and so are their mails"
        assert last_event < events_before, "and the audit events after the backup"
        # Without a newer checkpoint the chain that is left verifies: verify alone cannot tell what was lost.
        assert invoke(copy, "audit", "verify").exit_code == 0
    finally:
        with copy.app_context():
            db.engine.dispose()


@pytest.mark.xfail(not HAS_CHECKPOINTS, strict=True,
                   reason="needs `dsr audit checkpoint` (issue 13, the audit checkpoints); passes once it exists")
def test_verify_reports_the_events_a_restore_to_an_older_point_lost(live, people, register, fresh_database,
                                                                      tmp_path, redis_server):
    seed_busy_desk(live, people, register, count=3)
    env = live.extensions["drill_env"]
    assert run_dsr(env, "backup", "create", "--to", str(tmp_path / "backups")).returncode == 0
    [backup] = (tmp_path / "backups").glob("dsr-backup-*")
    client = live.test_client()
    for n in range(2):
        submit(client, people.school_a, requester_email=f"later{n}@example.nl")
    checkpoint = run_dsr(env, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stdout + checkpoint.stderr
    newest = tmp_path / "live-files" / CHECKPOINTS

    target = environment(fresh_database, tmp_path / "restored-files", keys_in(env), redis_server.url)
    restored = run_dsr(target, "backup", "restore", str(backup), "--checkpoints", str(newest))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    verified = run_dsr(target, "audit", "verify")
    assert verified.returncode != 0, verified.stdout
    assert "checkpoint" in (verified.stdout + verified.stderr).lower()
