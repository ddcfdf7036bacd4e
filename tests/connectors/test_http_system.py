"""An HTTP system as the register stores it (issue 17): settings as JSON, the secret sealed under the file
keys, category mappings in the database; ``services.connector_runs`` builds the connector from them and it
talks to the real OneRoster server. Runs on SQLite and PostgreSQL (``DSR_TEST_DATABASE_URL``)."""
from __future__ import annotations

import datetime as dt
import json

from dsr.connectors import StudentKey
from dsr.connectors.credentials import seal_credentials
from dsr.extensions import db
from dsr.models import System, SystemCategory
from dsr.services.connector_runs import connector_of, spec_of

from .oneroster_fixtures import oneroster  # noqa: F401  (the fixture)
from .oneroster_server import GRADEBOOK, ROSTERING

KEY_NUMBER = "S1001"


def add_system(server, register) -> int:
    """The learning platform of docs/connectors.md, pointing at ``server``."""
    system = System(code="leerpad", name="Leerpad", kind="http", owner_name="Leerpad B.V.",
                    owner_email="privacy@leerpad.example", max_response_bytes=1_000_000, timeout_seconds=5,
                    settings_json=json.dumps({"base_url": server.url, "auth": "oauth2", "token_url": "/oauth/token",
                                              "client_id": server.client_id, "page_size": 2}),
                    credentials_sealed=seal_credentials({"client_secret": server.client_secret}))
    system.mappings.append(SystemCategory(
        category_id=register["cijfers"],
        collect=f"{GRADEBOOK}/results?filter=student.sourcedId='{{student_number}}'\nrows: results",
        fields="lineItem.sourcedId, score\ncomment", key_field="student.sourcedId", other_people_fields="comment",
        erase=f"DELETE {ROSTERING}/users/{{student_number}}"))
    db.session.add(system)
    db.session.commit()
    return system.id


def test_a_stored_http_system_collects_and_erases_through_its_sealed_credentials(app, register, oneroster):
    with app.app_context():
        system_id = add_system(oneroster, register)
        db.session.remove()
        system = db.session.get(System, system_id)
        assert oneroster.client_secret not in system.credentials_sealed
        assert oneroster.client_secret not in system.settings_json
        mapping = system.mappings[0]
        key = StudentKey(KEY_NUMBER, dt.date(2009, 3, 14), "Sanne de Vries")
        connector = connector_of(system)
        data = connector.collect(spec_of(mapping), key)
        assert data.category_code == "cijfers"
        assert data.columns == ["lineItem.sourcedId", "score", "comment"]
        assert [r["score"] for r in data.rows] == [7.5, 6.8, 8.1]
        assert spec_of(mapping).other_people_fields == ("comment",)
        assert connector.plan("erase", spec_of(mapping), key).row_count == 1
        assert oneroster.has_user(KEY_NUMBER)
        assert connector.execute("erase", spec_of(mapping), key) == 1
        assert connector_of(system).execute("erase", spec_of(mapping), key) == 0
        assert not oneroster.has_user(KEY_NUMBER)
        assert oneroster.tokens_issued == 2  # one per connector, reused across its calls
        db.session.remove()
