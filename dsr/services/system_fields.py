"""What a system of each connector kind keeps, and the checks on it (issue 17 point 1).

The keys are the contract all connectors read (docs/connectors.md): the non-secret settings of each kind go
into ``System.settings_json``, its secrets into ``System.credentials_sealed``. The checks refuse what could
make dsr reach somewhere it should not (a web address that is not http or https, a folder outside the
export folder) and never repeat a secret in their message.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .register import RegisterError

#: The non-secret settings of each kind (``System.settings_json``).
SETTINGS_KEYS: dict[str, tuple[str, ...]] = {
    "sql": ("roster_students", "roster_contacts"),
    "http": ("base_url", "auth", "token_url", "client_id", "scope", "api_key_header", "username", "page_size",
             "roster_path"),
    "file": ("folder", "format", "key_column", "roster_file"),
    "manual": (),
}

#: The secrets of each kind (write-only on the page; sealed under the file keys).
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "sql": ("read_url", "write_url"),
    "http": ("client_secret", "api_key", "password"),
    "file": (),
    "manual": (),
}

HTTP_AUTH_KINDS = ("oauth2", "api_key", "basic", "none")
FILE_FORMATS = ("csv", "xlsx", "auto")

#: The secret an HTTP system needs for its kind of authentication.
_HTTP_SECRET_FOR_AUTH = {"oauth2": "client_secret", "api_key": "api_key", "basic": "password"}

#: Limits on the numbers (bytes of one answer, seconds to wait, days for a manual task's owner).
LIMITS = {"max_response_bytes": (1_000, 1_000_000_000), "timeout_seconds": (1, 300), "task_days": (1, 90)}


def web_address_error(value: str) -> str | None:
    """Why ``value`` is no usable web address for a connector (only http and https, with a host), or None."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return _("Dit is geen geldig webadres.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Gebruik een webadres dat begint met https:// (of http://) en een servernaam heeft.")
    if parts.username or parts.password:
        return _("Zet geen gebruikersnaam of wachtwoord in het webadres; daar zijn de velden hieronder voor.")
    return None


def folder_error(value: str) -> str | None:
    """Why ``value`` is no folder a file-export system may read (relative, inside DSR_CONNECTOR_EXPORT_DIR)."""
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ":" in value or ".." in path.parts:
        return _("Geef een map binnen de exportmap van dsr, zonder / aan het begin en zonder '..'.")
    root = current_app.config.get("CONNECTOR_EXPORT_DIR")
    if not root:
        return None  # checked again against the folder when one is set; until then nothing is read
    base = Path(root).resolve()
    if not (base / path).resolve().is_relative_to(base):
        return _("Deze map ligt buiten de exportmap van dsr.")
    return None


def database_url_error(value: str) -> str | None:
    """Why ``value`` is no database address SQLAlchemy understands, or None; never repeats it (it holds a
    password)."""
    try:
        url = sa.make_url(value)
    except Exception:  # noqa: BLE001 - any parse error; its text would echo the address
        return _("Dit is geen databaseadres dat dsr begrijpt (bijvoorbeeld postgresql+psycopg://gebruiker:"
                 "wachtwoord@server/database). Het ingevulde adres is niet bewaard.")
    if not url.drivername:
        return _("Dit is geen databaseadres dat dsr begrijpt. Het ingevulde adres is niet bewaard.")
    return None


def clean_settings(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``kind`` from ``data`` (other keys dropped, text stripped, empty values left out);
    RegisterError at the field when one is wrong."""
    settings: dict[str, Any] = {}
    for key in SETTINGS_KEYS[kind]:
        value = data.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            settings[key] = value
    if kind == "http":
        _check_http(settings)
    elif kind == "file":
        _check_file(settings)
    return settings


def _check_http(settings: dict[str, Any]) -> None:
    base_url = settings.get("base_url")
    if not base_url:
        raise RegisterError(_("Vul het webadres van de koppeling in."), "base_url")
    if (error := web_address_error(base_url)) is not None:
        raise RegisterError(error, "base_url")
    auth = settings.setdefault("auth", "none")
    if auth not in HTTP_AUTH_KINDS:
        raise RegisterError(_("Kies hoe dsr zich aanmeldt."), "auth")
    if auth == "oauth2":
        if not settings.get("token_url"):
            raise RegisterError(_("Vul het webadres in waar dsr een token haalt (OAuth2)."), "token_url")
        if (error := web_address_error(settings["token_url"])) is not None:
            raise RegisterError(error, "token_url")
        if not settings.get("client_id"):
            raise RegisterError(_("Vul de client-id in die de leverancier gaf."), "client_id")
    if auth == "api_key" and not settings.get("api_key_header"):
        raise RegisterError(_("Vul de naam van de header voor de API-sleutel in (bijvoorbeeld X-API-Key)."),
                            "api_key_header")
    if auth == "basic" and not settings.get("username"):
        raise RegisterError(_("Vul de gebruikersnaam in."), "username")
    page_size = settings.get("page_size")
    if page_size is not None and not (isinstance(page_size, int) and 1 <= page_size <= 10_000):
        raise RegisterError(_("Vul een aantal tussen 1 en 10000 in."), "page_size")
    roster_path = settings.get("roster_path")
    if roster_path and not str(roster_path).startswith("/"):
        raise RegisterError(_("Een pad begint met / (bijvoorbeeld /users)."), "roster_path")


def _check_file(settings: dict[str, Any]) -> None:
    settings.setdefault("format", "auto")
    if settings["format"] not in FILE_FORMATS:
        raise RegisterError(_("Kies CSV, XLSX of automatisch."), "format")
    if not settings.get("key_column"):
        raise RegisterError(_("Vul de kolom in met het leerlingnummer; dsr kiest de rijen van de leerling "
                              "daarmee."), "key_column")
    folder = settings.get("folder")
    if folder and (error := folder_error(folder)) is not None:
        raise RegisterError(error, "folder")
    roster_file = settings.get("roster_file")
    if roster_file and (error := folder_error(roster_file)) is not None:
        raise RegisterError(error, "roster_file")


def merged_secrets(kind: str, existing: dict[str, Any], typed: dict[str, Any], *, clear: bool,
                   creating: bool, settings: dict[str, Any]) -> dict[str, Any]:
    """The secrets to seal: the saved ones of ``kind`` (none when ``clear``), overwritten by what was typed
    (an empty field keeps the saved secret). A new system must get the secrets its kind needs; an
    existing one may have them cleared on purpose (a leaked password: revoke now, fill in later)."""
    keys = SECRET_KEYS[kind]
    secrets = {} if clear else {k: v for k, v in existing.items() if k in keys}
    for key in keys:
        value = typed.get(key)
        if value:
            if kind == "sql" and (error := database_url_error(value)) is not None:
                raise RegisterError(error, key)
            secrets[key] = value
    needed = _needed_secret(kind, settings)
    if needed and creating and not secrets.get(needed):
        raise RegisterError(_("Vul dit geheim in; zonder kan dsr de koppeling niet gebruiken."), needed)
    return secrets


def _needed_secret(kind: str, settings: dict[str, Any]) -> str | None:
    if kind == "sql":
        return "read_url"
    if kind == "http":
        return _HTTP_SECRET_FOR_AUTH.get(settings.get("auth", "none"))
    return None
