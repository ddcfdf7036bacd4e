"""What the tests of the register's systems share: a valid form per connector kind, its secrets, and reads
of the stored system and its audit events."""
from __future__ import annotations

import re

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, System

READ_URL = "postgresql+psycopg://dsr_lezer:Lees-Geheim-7781@db.school.test/leerlingadministratie"
WRITE_URL = "postgresql+psycopg://dsr_schrijver:Schrijf-Geheim-9924@db.school.test/leerlingadministratie"
CLIENT_SECRET = "oauth-client-secret-5f3e9a"
SECRETS = (READ_URL, WRITE_URL, CLIENT_SECRET, "Lees-Geheim-7781", "Schrijf-Geheim-9924")

BASE = {"name": "Leerlingadministratie", "description": "Inschrijving, cijfers en verzuim.", "owner_user_id": "0",
        "owner_name": "Functioneel beheer", "owner_email": "Beheer@Leverancier.nl", "recipient_id": "0",
        "school_id": "0",
        "max_response_bytes": "10000000", "timeout_seconds": "20", "task_days": "10", "active": "y"}
KINDS = {
    "sql": {"read_url": READ_URL, "write_url": WRITE_URL, "roster_students": "SELECT * FROM students"},
    "http": {"base_url": "https://api.leverancier.test/ims/oneroster/v1p2", "auth": "oauth2",
             "token_url": "https://api.leverancier.test/oauth/token", "client_id": "asg-dsr",
             "client_secret": CLIENT_SECRET, "page_size": "100"},
    "file": {"folder": "", "format": "csv", "key_column": "leerlingnummer"},
    "manual": {},
}


def form_of(code: str, kind: str, /, **changes) -> dict:
    """A valid system form of ``kind`` (owner outside ASG), with ``changes``."""
    return {**BASE, "code": code, "kind": kind, **KINDS[kind], **changes}


def stored(app, code: str) -> System:
    """The stored system with ``code``, detached."""
    with app.app_context():
        found = db.session.execute(sa.select(System).where(System.code == code)).scalar_one()
        db.session.expunge(found)
        return found


def events(app, action: str | None = None) -> list[dict]:
    """The audit events (of ``action``), each as its details with the event's action and actor id."""
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [{"action": e.action, "actor_id": e.actor_id, **e.details_dict}
                for e in db.session.execute(query).scalars()]


def all_audit_text(app) -> str:
    """Every column of every audit row as text (to grep for secrets)."""
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT * FROM audit_events")).all()
        return "\n".join(repr(tuple(row)) for row in rows)


def create(officer, code: str, kind: str, /, **changes):
    """Post the new-system form."""
    return officer.post("/verwerkingsregister/systemen/nieuw", data=form_of(code, kind, **changes))


def edit(officer, app, code: str, /, **changes):
    """Post the system's edit form as loaded now, secret fields left empty, with ``changes``."""
    system = stored(app, code)
    data = {**form_of(code, system.kind), "version": str(system.version),
            **{k: "" for k in ("read_url", "write_url", "client_secret", "api_key", "password")}, **changes}
    return officer.post(f"/verwerkingsregister/systemen/{system.id}", data=data)


def field_errors(response) -> str:
    """Every field error on a page, for a failing assertion's message."""
    found = re.findall(r'<p class="error" id="([^"]+)">(.*?)</p>', response.get_data(as_text=True))
    return " | ".join(f"{field}: {message}" for field, message in found)
