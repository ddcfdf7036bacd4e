"""Connectors to the school's systems (issue 17): SQL, HTTP/JSON, file export; the manual kind has no
connector (its owner gets a task, ``services.manual_tasks``).

``connector_for`` builds the connector of a system from its kind, settings, opened credentials and limits.
Connectors never touch dsr's own database; see ``base`` for the interface.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    ActionPlan,
    CategoryData,
    CategorySpec,
    Change,
    Connector,
    ConnectorError,
    Limits,
    RosterContactEntry,
    RosterEntry,
    StudentKey,
    TooLarge,
    WrongStudent,
)

__all__ = ["ActionPlan", "CategoryData", "CategorySpec", "Change", "Connector", "ConnectorError", "Limits",
           "RosterContactEntry", "RosterEntry", "StudentKey", "TooLarge", "WrongStudent", "connector_for"]


def connector_for(kind: str, settings: Mapping[str, Any], credentials: Mapping[str, Any],
                  limits: Limits) -> Connector:
    """The connector of a system of ``kind``; ConnectorError for the manual kind or an unknown one."""
    # Each kind is imported when it is used: a worker that only reads exports never loads the HTTP client.
    if kind == "sql":
        from .sql import SqlConnector  # per kind, as above
        return SqlConnector(settings, credentials, limits)
    if kind == "http":
        from .http import HttpConnector  # per kind, as above
        return HttpConnector(settings, credentials, limits)
    if kind == "file":
        from .files import FileConnector  # per kind, as above
        return FileConnector(settings, credentials, limits)
    raise ConnectorError(f"no connector for kind {kind!r}")
