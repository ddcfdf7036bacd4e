"""``flask --app wsgi dsr ...``: users, demo data, audit verification and the sweeps by hand."""
from __future__ import annotations

import logging
import secrets
from typing import cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError
from werkzeug.local import LocalProxy

from .notifications.jobs import redrive_outbox
from .ops.cli import backup_group
from .scheduler import Scheduler
from .services import admin_commands
from .services.audit_checkpoints import audit_checkpoint
from .services.audit_verify import verify_chain
from .services.deadlines import sweep_deadlines
from .services.packages import purge_packages
from .services.people import UserError
from .services.retention import purge_expired
from .services.roster import run_sync
from .services.schools import SchoolError
from .services.signin import current_code_for
from .services.storage import new_key

dsr_cli = AppGroup("dsr", help="dsr administration commands.")


@dsr_cli.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["staff", "director", "privacy_officer", "admin"]))
@click.option("--school", "schools", multiple=True, help="School code; repeat for several schools.")
@click.option("--name", default=None, help="Display name (default: the part of the e-mail before @).")
@click.password_option("--password", prompt="Password", confirmation_prompt=True, hide_input=True)
def create_user_command(email, role, schools, name, password):
    """Create a staff account; the password is asked twice and never echoed."""
    try:
        user = admin_commands.create_staff_user(email, name or email.split("@")[0], role, password, list(schools))
    except UserError as exc:  # nothing was saved
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} #{user.id}.")


@dsr_cli.command("create-school")
@click.argument("code")
@click.argument("name")
def create_school_command(code, name):
    """Add a school."""
    try:
        admin_commands.create_school(code, name)
    except admin_commands.SchoolExists as exc:
        raise click.ClickException(f"school {code} exists") from exc
    except SchoolError as exc:  # a code or name that cannot be used; nothing was saved
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created school {code}.")


@dsr_cli.command("seed-demo")
def seed_demo_command():
    """Two schools, their staff and directors, a privacy officer and cases in several states."""
    # Dev only (dsr/dev): loaded when the command runs, never by the app.
    from .dev.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

    created = seed_demo()
    if created:
        click.echo("Demo data created.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, role, school in DEMO_USERS:
        click.echo(f"  {email:32} {role:16} {school or 'alle scholen'}")
    click.echo("Second step (TOTP) for a demo login: make totp EMAIL=<address>")


@dsr_cli.command("demo-totp")
@click.argument("email")
def demo_totp_command(email):
    """Print the current sign-in code of a demo account (accounts @demo.asg.nl only)."""
    from .dev.demo import DEMO_DOMAIN  # dev only (dsr/dev): loaded when the command runs, never by the app

    if not email.lower().endswith("@" + DEMO_DOMAIN):
        raise click.ClickException("only for demo accounts")
    user = admin_commands.user_by_email(email)
    if user is None or not user.has_totp:
        raise click.ClickException("no such demo account")
    click.echo(current_code_for(user))


@dsr_cli.command("seed-register")
def seed_register_command():
    """Load ASG's default processing register (only the categories and recipients that are missing)."""
    categories, recipients = admin_commands.seed_default_register()
    click.echo(f"Register: {categories} categories and {recipients} recipients added.")


@dsr_cli.command("rotate-file-keys")
def rotate_file_keys_command():
    """Re-encrypt stored files, TOTP secrets, waiting mails' links and the systems' credentials under the first
    key of DSR_FILE_KEYS."""
    files, secrets, mails, systems, webhooks = admin_commands.rotate_file_keys()
    click.echo(f"Re-encrypted {files} file(s), {secrets} TOTP secret(s), {mails} mail(s) with links, "
               f"{systems} system(s) with credentials and {webhooks} webhook secret(s) under the newest key.")


@dsr_cli.command("new-file-key")
def new_file_key_command():
    """Print a fresh key for DSR_FILE_KEYS."""
    click.echo(new_key())


@dsr_cli.group("audit")
def audit_group():
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--chain", "chain", type=int, default=None,
              help="Verify one chain only: a school id, or 0 for the organisation chain.")
def audit_verify_command(chain):
    """Check every audit chain (one per school, and the organisation chain 0) and every signed checkpoint in
    one pass; name each event at fault and the state of each chain; exit 1 on any finding."""
    result = verify_chain(chain=chain)
    if result.ok:
        click.echo(f"OK: {result.checked} events verified. {result.checkpoints} checkpoint(s) checked.")
        _echo_chains(result)
        if result.legacy_redacted:
            click.echo(f"Note: {result.legacy_redacted} redacted event(s) from before the keyed chain are "
                       "checked by their link only.")
        if not result.checkpoints:
            click.echo(f"Note: no checkpoint in {result.checkpoint_file} yet; a deleted tail cannot be detected "
                       "without one (flask --app wsgi dsr audit checkpoint).")
        return
    first, *others = result.findings
    where = f"event {first.event_id}" if first.event_id is not None else "a checkpoint"
    before = ""
    if first.event_id is not None:  # a finding at the end of the walk (a missing tail, ...) comes after all events
        before = (f" ({result.verified_before} events before it verified)"
                  if (result.verified_before or 0) < result.checked else f" (all {result.checked} events read)")
    click.echo(f"BROKEN at {where}: {first.problem}{before}.")
    for finding in others:
        click.echo(f"  {'event ' + str(finding.event_id) if finding.event_id is not None else 'checkpoint'}: "
                   f"{finding.problem}")
    if result.more_findings:
        click.echo(f"  ... and {result.more_findings} more finding(s).")
    click.echo(f"{result.checked} events and {result.checkpoints} checkpoint(s) read; "
               f"{len(result.findings) + result.more_findings} finding(s).")
    _echo_chains(result)
    raise SystemExit(1)


def _echo_chains(result) -> None:
    """One line per chain: each chain verifies on its own, so a broken one does not hide the others."""
    for chain in sorted(result.chains.values(), key=lambda c: c.chain):
        name = "organisation" if chain.chain == 0 else f"school {chain.chain}"
        state = ("ok" if chain.ok else
                 f"BROKEN, {chain.findings} finding(s), first at event {chain.first_broken_id}")
        click.echo(f"  chain {chain.chain} ({name}): {chain.checked} events, last event {chain.last_id or '-'}: "
                   f"{state}")


@audit_group.command("checkpoint")
def audit_checkpoint_command():
    """Append a signed checkpoint of the chain's head to the file store now."""
    checkpoint = audit_checkpoint()
    click.echo(f"Checkpoint written: event {checkpoint['event_id']}, {checkpoint['count']} events, "
               f"key {checkpoint['key']}.")


@audit_group.command("new-key")
def audit_new_key_command():
    """Print a fresh key for DSR_AUDIT_KEYS (put it first; keep the old ones after it)."""
    click.echo(secrets.token_hex(32))


@dsr_cli.command("sweep-deadlines")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is YYYY-MM-DD (for checks).")
def sweep_command(today):
    """Run the deadline sweep once."""
    click.echo(f"{sweep_deadlines(today.date() if today else None)} case(s) notified.")


@dsr_cli.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only list the cases that would be anonymised.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def purge_expired_command(dry_run, today):
    """Anonymise case files past their retention period (R-AC-4)."""
    references = purge_expired(today.date() if today else None, dry_run=dry_run)
    verb = "would be anonymised" if dry_run else "anonymised"
    for reference in references:
        click.echo(reference)
    click.echo(f"{len(references)} case(s) {verb}.")


@dsr_cli.command("purge-packages")
@click.option("--dry-run", is_flag=True, help="Only count the packages that would be purged.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is YYYY-MM-DD (for checks).")
def purge_packages_command(dry_run, today):
    """Delete the files of access packages delivered six months ago (R-AC-4); the record stays."""
    ids = purge_packages(today.date() if today else None, dry_run=dry_run)
    click.echo(f"{len(ids)} package(s) {'would be purged' if dry_run else 'purged'}.")


@dsr_cli.command("roster-sync")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is YYYY-MM-DD (for checks of the retention period).")
def roster_sync_command(today):
    """Sync the roster of students and contacts from every roster source now (counts only)."""
    try:
        results = run_sync(today.date() if today else None)
    except RedisError as exc:  # the sync lock lives in Redis: without it two syncs could interleave
        raise click.ClickException(f"Redis is not reachable ({type(exc).__name__}); nothing done") from exc
    for result in results:
        if result.status == "busy":
            raise click.ClickException("another roster sync is running; nothing done")
        counts = ", ".join(f"{name} {value}" for name, value in result.counts().items())
        click.echo(f"{result.system}: {result.status}" + (f" ({result.error})" if result.error else f"; {counts}"))
    if not results:
        click.echo("No active system is a roster source.")
    if any(result.status == "failed" for result in results):
        raise SystemExit(1)


@dsr_cli.command("redrive-outbox")
def redrive_command():
    """Enqueue every pending mail now."""
    click.echo(f"{redrive_outbox()} mail(s) enqueued.")


@dsr_cli.command("scheduler")
def scheduler_command():
    """Run the periodic scheduler (exactly one per deployment; a second one stands by)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The scheduler keeps the app object itself, not the proxy bound to this command's context. Flask
    # annotates current_app as Flask, which hides the proxy's _get_current_object; the cast shows it.
    Scheduler(cast("LocalProxy[Flask]", current_app)._get_current_object()).run()


dsr_cli.add_command(backup_group)


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(dsr_cli)
