"""``flask --app wsgi dsr backup ...``: back up, restore, check a restore, and back up the keys apart.

Run with the installation's environment (``/etc/dsr/dsr.env``), as every other ``dsr`` command: the
database, the file store and the keys are the ones the app itself uses. docs/backup.md has the whole
procedure.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from .backup import BackupError, create_backup, export_keys, key_lines, read_manifest, restore_backup
from .restore_check import check_restore

backup_group = AppGroup("backup", help="Back up and restore the database and file store; the keys apart.")

_folder = click.Path(file_okay=False, path_type=Path)


@backup_group.command("create")
@click.option("--to", "destination", required=True, type=_folder,
              help="Folder the backup folder is written into (not where the key backup is).")
def create_command(destination: Path) -> None:
    """Back up the database and the file store into a new folder dsr-backup-<time> (no keys)."""
    try:
        folder = create_backup(destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    contents = json.loads((folder / "manifest.json").read_text())["contents"]
    click.echo(f"Backup written: {folder}")
    click.echo(f"  {contents['cases']} case(s), {contents['stored_files']} stored file(s), "
               f"{contents['audit_events']} audit event(s). Keys are not in it: keep the key backup apart.")


@backup_group.command("restore")
@click.argument("backup", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--checkpoints", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The newest audit checkpoints file you have (the lost installation's, or the newest "
                   "backup's): verify then reports the events this backup lacks.")
def restore_command(backup: Path, checkpoints: Path | None) -> None:
    """Restore BACKUP into the configured database and file store (both must be new and empty)."""
    try:
        result = restore_backup(backup, checkpoints)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    contents = result.manifest["contents"]
    click.echo(f"Restored the backup of {result.manifest['created_at']}: {contents['cases']} case(s), "
               f"{contents['stored_files']} stored file(s), {contents['audit_events']} audit event(s).")
    if not result.checkpoints_installed:
        click.echo("No newer checkpoints given (--checkpoints): audit verify can only check the chain up to "
                   "this backup, not tell what a restore to this point lost.")
    click.echo(f"Next, before starting the workers: flask --app wsgi dsr backup check {backup}; "
               "flask --app wsgi dsr audit verify; flask --app wsgi dsr purge-expired; "
               "flask --app wsgi dsr purge-packages (docs/backup.md).")


@backup_group.command("check")
@click.argument("backup", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_command(backup: Path | None) -> None:
    """Check the restored installation: every file decrypts, the audit chain holds, figures match BACKUP."""
    try:
        manifest = read_manifest(backup) if backup is not None else None
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    report = check_restore(manifest)
    contents = report.contents
    click.echo(f"{contents['cases']} case(s); {report.files_read} of {contents['stored_files']} stored file(s) "
               f"and {report.secrets_read} of {contents['totp_secrets']} TOTP secret(s) decrypt; "
               f"{report.audit_events} audit event(s) verified.")
    if contents["pending_mails"]:
        click.echo(f"{contents['pending_mails']} mail(s) were pending at the backup: the workers send them again "
                   "(check the relay's log for ones that went out before the loss).")
    if report.past_retention:
        click.echo(f"{report.past_retention} case(s) are past their retention period: run "
                   "flask --app wsgi dsr purge-expired before opening the desk again.")
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}")
    if not report.ok:
        click.echo(f"Restore check FAILED: {len(report.problems)} problem(s).")
        sys.exit(1)
    click.echo("Restore check OK.")


@backup_group.command("keys")
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False, allow_dash=True, path_type=Path),
              help="Folder for the key file (never a data backup's folder or the file store); - prints them, "
                   "e.g. to pipe into a secret store.")
def keys_command(folder: Path) -> None:
    """Back up the keys (DSR_SECRET_KEY, DSR_FILE_KEYS, the audit keys, ...), apart from the data."""
    if str(folder) == "-":
        click.echo("\n".join(key_lines()))
        return
    try:
        target = export_keys(folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Keys written to {target} (mode 0600). Store it apart from the data backups, then remove it "
               "from this host.")
