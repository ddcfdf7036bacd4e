"""The ``oneroster`` fixture: a OneRoster 1.2 server on 127.0.0.1 with a small school in it (issue 17).

Import the fixture into a test module (``from tests.connectors.oneroster_fixtures import oneroster``). The
server object is the test control (``tests/connectors/oneroster_server.py``); its ``url`` is the base URL.

The school (org ``org-1``, identifier ``AAA``, the test app's first school code):
- student ``S1001`` Sanne de Vries, born 2009-03-14 (17 in the tests' autumn 2026), with mother Anja
  (parent, gezag true) and grandfather Henk (relative, no gezag field), 3 results and 1 enrollment;
- student ``S1002`` Daan Jansen, born 2012-06-01, with guardian Petra (guardian, gezag true) and 1 result;
- student ``S1003`` Lotte Bakker, born 2010-11-30, left the school (``metadata.leftOn``), no contacts.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from .oneroster_server import OneRosterServer, Running

SCHOOL_CODE = "AAA"


def seed(server: OneRosterServer) -> OneRosterServer:
    """Fill ``server`` with the small school above."""
    server.add_org("org-1", SCHOOL_CODE, "School A")
    server.add_student("S1001", "Sanne", "de Vries", "2009-03-14", email="sanne@leerling.example",
                       metadata={"enrolledOn": "2021-08-30"})
    server.add_agent("S1001", "P2001", "Anja", "de Vries", "Anja.deVries@Example.org", "parent", gezag=True)
    server.add_agent("S1001", "P2002", "Henk", "de Vries", "henk@example.org", "relative")
    server.add_student("S1002", "Daan", "Jansen", "2012-06-01", metadata={"enrolledOn": "2024-08-26"})
    server.add_agent("S1002", "P2003", "Petra", "Jansen", "petra@example.org", "guardian", gezag=True)
    server.add_student("S1003", "Lotte", "Bakker", "2010-11-30",
                       metadata={"enrolledOn": "2022-08-29", "leftOn": "2025-07-15"})
    server.add_result("S1001", "li-wiskunde-1", 7.5, "Goed gedaan")
    server.add_result("S1001", "li-engels-1", 6.8)
    server.add_result("S1001", "li-biologie-1", 8.1, "Samen met Tim de Boer gemaakt")
    server.add_result("S1002", "li-wiskunde-1", 5.9)
    server.add_enrollment("S1001", "class-4havo-b", "2025-08-25")
    return server


@pytest.fixture
def oneroster() -> Iterator[OneRosterServer]:
    """A started OneRoster server with the small school; it demands OAuth2 unless a test changes ``auth``."""
    running = Running(seed(OneRosterServer()))
    try:
        yield running.app
    finally:
        running.stop()
