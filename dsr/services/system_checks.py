""""Verbinding testen": the privacy officer checks that dsr reaches a system with its saved settings and
secrets, with one cheap call in a job (issue 17 point 1).

The call reads no student's data: SQL runs ``SELECT 1`` with the read-only account; HTTP asks the base
address for its status (and, with OAuth2, a token); a file export lists its folder. The outcome is an
audit event (``system.checked``, by the system): dsr used the system's credentials, and the page shows the
last outcome. Its message is dsr's own text, never the driver's or the server's (they can repeat an
address with its password).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..connectors.credentials import CredentialsUnreadable, open_credentials
from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import AuditEvent, System, User
from . import audit
from .connector_runs import system_settings
from .register import RegisterError, may_edit
from .system_fields import folder_error
from .transaction import transaction, transactional

#: How many of the latest check events the page looks through for a system's last outcome.
_RECENT = 200


class CheckFailed(Exception):
    """What went wrong, in dsr's own words for the privacy officer (never a secret)."""


@transactional
def request_check(user: User, system_id: int) -> None:
    """Queue a connection check of the system (after the commit); audited as ``system.check_requested``."""
    if not may_edit(user):
        raise PermissionError("only the privacy officer checks the register's systems")
    found = db.session.get(System, system_id)
    if found is None or found.kind == "manual":
        raise RegisterError(_("Een handmatig systeem heeft geen verbinding om te testen."))
    audit.record("system.check_requested", actor=user, details={"system": found.code})
    enqueue_after_commit(check_system, found.id)


def check_system(system_id: int) -> None:
    """The job: one cheap call to the system, its outcome recorded as ``system.checked``."""
    found = db.session.get(System, system_id)
    if found is None:
        return  # removed meanwhile: nothing to check
    try:
        ok, message = True, _probe(found)
    except CheckFailed as exc:
        ok, message = False, str(exc)
    with transaction():
        audit.record("system.checked", actor_kind="system",
                     details={"system": found.code, "ok": ok, "message": message})


def last_check(system: System) -> dict[str, Any] | None:
    """The system's last check: ``ok``, ``message`` and ``at`` (None if it was never checked)."""
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "system.checked")
                                .order_by(AuditEvent.id.desc()).limit(_RECENT)).scalars()
    for event in events:
        details = event.details_dict
        if details.get("system") == system.code:
            return {"ok": bool(details.get("ok")), "message": details.get("message", ""), "at": event.created_at}
    return None


def _probe(system: System) -> str:
    try:
        secrets = open_credentials(system.credentials_sealed)
    except CredentialsUnreadable as exc:
        raise CheckFailed(_("De opgeslagen geheimen kunnen niet worden geopend met de sleutels van dsr "
                            "(DSR_FILE_KEYS). Vul ze opnieuw in.")) from exc
    settings = system_settings(system)
    if system.kind == "sql":
        return _probe_sql(secrets, system.timeout_seconds)
    if system.kind == "http":
        return _probe_http(settings, secrets, system.timeout_seconds)
    if system.kind == "file":
        return _probe_folder(settings)
    raise CheckFailed(_("Een handmatig systeem heeft geen verbinding om te testen."))


def _probe_sql(secrets: dict[str, Any], timeout: int) -> str:
    address = secrets.get("read_url")
    if not address:
        raise CheckFailed(_("Er is geen databaseadres om te lezen opgeslagen."))
    try:
        url = sa.make_url(address)
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            if url.database and not Path(url.database).is_file():
                raise CheckFailed(_("Het databasebestand bestaat niet."))
            connect_args = {"timeout": timeout}
        elif url.get_backend_name() == "postgresql":
            connect_args = {"connect_timeout": timeout}
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any fault of the address; its text would repeat it
        raise CheckFailed(_("Het databaseadres is ongeldig.")) from exc
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the driver's text can hold the address
        raise CheckFailed(_("De database antwoordt niet, of weigert het account. Controleer het adres, de "
                            "gebruiker en het wachtwoord.")) from exc
    finally:
        engine.dispose()
    return _("Verbinding gelukt: de database antwoordt met het account om te lezen.")


def _probe_http(settings: dict[str, Any], secrets: dict[str, Any], timeout: int) -> str:
    base_url = settings.get("base_url", "")
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            token_note = ""
            if settings.get("auth") == "oauth2":
                answer = client.post(settings.get("token_url", ""),
                                     data={"grant_type": "client_credentials", "scope": settings.get("scope", "")},
                                     auth=(settings.get("client_id", ""), secrets.get("client_secret", "")))
                if answer.status_code != 200 or "access_token" not in _json(answer):
                    raise CheckFailed(_("Aanmelden mislukt: het tokenadres gaf geen token (HTTP %(status)s). "
                                        "Controleer de client-id en het client secret.", status=answer.status_code))
                token_note = " " + _("Aanmelden (OAuth2) gelukt.")
            with client.stream("GET", base_url) as response:
                status = response.status_code
    except httpx.TimeoutException as exc:
        raise CheckFailed(_("De koppeling antwoordde niet binnen %(seconds)s seconden.", seconds=timeout)) from exc
    except httpx.HTTPError as exc:
        raise CheckFailed(_("De koppeling is niet bereikbaar. Controleer het webadres.")) from exc
    if status >= 500:
        raise CheckFailed(_("De koppeling antwoordt met een serverfout (HTTP %(status)s).", status=status))
    return _("Verbinding gelukt: de koppeling antwoordt (HTTP %(status)s).", status=status) + token_note


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _probe_folder(settings: dict[str, Any]) -> str:
    folder = settings.get("folder")
    if not folder:
        return _("Geen map ingesteld: medewerkers uploaden de export zelf.")
    root = current_app.config.get("CONNECTOR_EXPORT_DIR")
    if not root or folder_error(folder) is not None:
        raise CheckFailed(_("De map ligt niet binnen de exportmap van dsr (DSR_CONNECTOR_EXPORT_DIR)."))
    path = Path(root) / folder
    if not path.is_dir():
        raise CheckFailed(_("De map bestaat niet in de exportmap van dsr."))
    count = sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".xlsx"))
    return _("Map gevonden met %(count)s exportbestand(en).", count=count)
