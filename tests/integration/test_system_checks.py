"""Verbinding testen (issue 17 point 1): one cheap call per system in a job, against a real SQLite database, a
PostgreSQL server that refuses the account, a real HTTP server with an OAuth2 token endpoint and an export
folder; the outcome is audited and shown, never with a secret."""
from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.connectors.studadmin import Student, build
from tests.helpers import signed_in, text_of
from tests.integration.systems_helpers import CLIENT_SECRET, SECRETS, all_audit_text, create, events, stored

# --- "Verbinding testen" ------------------------------------------------------------------------------------------


class _SupplierApi(BaseHTTPRequestHandler):
    """A real HTTP server for the check: a base address, and an OAuth2 token endpoint that knows one client."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer(200 if self.path.startswith("/ims") else 404, {"status": "ok"})

    def do_POST(self):  # noqa: N802 - http.server's name
        expected = "Basic " + base64.b64encode(f"asg-dsr:{CLIENT_SECRET}".encode()).decode()
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") == expected:
            self._answer(200, {"access_token": "t0ken", "token_type": "bearer", "expires_in": 3600})
        else:
            self._answer(401, {"error": "invalid_client"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def supplier_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SupplierApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _check(officer, app, run_jobs, code: str) -> str:
    system = stored(app, code)
    assert officer.post(f"/verwerkingsregister/systemen/{system.id}/testen").status_code == 302
    run_jobs()
    page = text_of(officer.get(f"/verwerkingsregister/systemen/{system.id}"))
    return page[page.index("Laatste test:"):][:400]


def test_the_connection_check_calls_each_kind_for_real_and_records_the_outcome(app, people, run_jobs, tmp_path,
                                                                                 supplier_api):
    officer = signed_in(app, people, "privacy")
    database = tmp_path / "leerlingadministratie.sqlite"
    build(f"sqlite:///{database}", [Student("100001", "Sam", "de Vries", dt.date(2009, 3, 1))])
    assert create(officer, "studadmin", "sql", read_url=f"sqlite:///{database}", write_url="").status_code == 302
    assert "gelukt" in _check(officer, app, run_jobs, "studadmin")
    missing = f"sqlite:///{tmp_path / 'weg.sqlite'}"
    assert create(officer, "weg", "sql", read_url=missing, write_url="").status_code == 302
    assert "mislukt" in _check(officer, app, run_jobs, "weg") and not (tmp_path / "weg.sqlite").exists()
    refused = "postgresql+psycopg://dsr_lezer:Fout-Wachtwoord-31@127.0.0.1:5432/bestaat_niet_dsr"
    assert create(officer, "fout", "sql", read_url=refused, write_url="").status_code == 302
    outcome = _check(officer, app, run_jobs, "fout")
    assert "mislukt" in outcome and "weigert het account" in outcome and "Fout-Wachtwoord" not in outcome

    http = {"base_url": f"{supplier_api}/ims/oneroster/v1p2", "token_url": f"{supplier_api}/oauth/token"}
    assert create(officer, "oneroster", "http", **http).status_code == 302
    outcome = _check(officer, app, run_jobs, "oneroster")
    assert "gelukt" in outcome and "HTTP 200" in outcome and "OAuth2" in outcome
    assert create(officer, "oneroster_fout", "http", **http, client_secret="verkeerd-geheim").status_code == 302
    outcome = _check(officer, app, run_jobs, "oneroster_fout")
    assert "Aanmelden mislukt" in outcome and "HTTP 401" in outcome
    assert create(officer, "dicht", "http", base_url="http://127.0.0.1:9/", auth="none",
                   client_secret="").status_code == 302
    assert "niet bereikbaar" in _check(officer, app, run_jobs, "dicht")

    (tmp_path / "exports" / "leerplatform").mkdir(parents=True)
    (tmp_path / "exports" / "leerplatform" / "cijfers.csv").write_text("leerlingnummer;vak\n100001;wiskunde\n")
    old = app.config.get("CONNECTOR_EXPORT_DIR")
    app.config["CONNECTOR_EXPORT_DIR"] = str(tmp_path / "exports")
    try:
        assert create(officer, "leerplatform", "file", folder="leerplatform").status_code == 302
        assert "1 exportbestand" in _check(officer, app, run_jobs, "leerplatform")
    finally:
        app.config["CONNECTOR_EXPORT_DIR"] = old

    checked = events(app, "system.checked")
    assert [(e["system"], e["ok"]) for e in checked] == [
        ("studadmin", True), ("weg", False), ("fout", False), ("oneroster", True), ("oneroster_fout", False),
        ("dicht", False), ("leerplatform", True)]
    assert all(e["actor_id"] is None for e in checked)
    assert len(events(app, "system.check_requested")) == 7
    audit_text = all_audit_text(app)
    assert not any(secret in audit_text for secret in (*SECRETS, "Fout-Wachtwoord-31", "verkeerd-geheim"))


def test_a_manual_system_has_nothing_to_check_and_staff_cannot_check(app, people):
    officer = signed_in(app, people, "privacy")
    assert create(officer, "archief", "manual").status_code == 302
    system = stored(app, "archief")
    assert "Verbinding testen" not in text_of(officer.get(f"/verwerkingsregister/systemen/{system.id}"))
    officer.post(f"/verwerkingsregister/systemen/{system.id}/testen")
    assert events(app, "system.check_requested") == []
    staff = signed_in(app, people, "staff_a")
    assert staff.post(f"/verwerkingsregister/systemen/{system.id}/testen").status_code == 403
