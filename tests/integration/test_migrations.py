"""``flask db upgrade`` on an empty database builds exactly the schema the models describe."""
from __future__ import annotations

import logging
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from dsr.dev.local_services import ensure_database
from dsr.extensions import db
from tests.helpers import make_test_app


def _drop_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(target.database), force))


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables at all: a fresh SQLite file, or a fresh PostgreSQL database next to the
    test database when DSR_TEST_DATABASE_URL points at PostgreSQL."""
    base = os.environ.get("DSR_TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url = make_url(base)
        fresh = url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)
        ensure_database(fresh, recreate=True)
        yield fresh
        _drop_postgres_database(fresh)
    else:
        yield "sqlite:///" + str(tmp_path / "migrated.sqlite")


@pytest.fixture
def _keep_logging():
    """Alembic's env.py runs logging.config.fileConfig, which disables every logger it does not name;
    put the logging setup back so later tests still see dsr's log records."""
    manager = logging.root.manager
    loggers = {name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
               for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    root = (logging.root.level, list(logging.root.handlers))
    yield
    for name, lg in list(manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        if name in loggers:
            lg.disabled, level, handlers, lg.propagate = loggers[name]
            lg.setLevel(level)
            lg.handlers[:] = handlers
        else:
            lg.disabled = False
    logging.root.setLevel(root[0])
    logging.root.handlers[:] = root[1]


def _flask_db(app, *args):
    """Run ``flask db ...`` (warnings are errors, as everywhere in the suite)."""
    return app.test_cli_runner().invoke(args=["db", *args])


@pytest.fixture
def empty_app(empty_database_url, redis_server, smtp_server, _keep_logging):
    """An app on the empty database."""
    app = make_test_app(empty_database_url, redis_server, smtp_server)
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == [], "the database must start empty"
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def migrated_app(empty_app):
    """The empty database upgraded to head through ``flask db upgrade``."""
    result = _flask_db(empty_app, "upgrade")
    assert result.exit_code == 0, (result.output, result.exception)
    return empty_app


def test_upgrade_runs_without_deprecation_warnings(empty_app):
    result = _flask_db(empty_app, "upgrade")
    assert result.exit_code == 0, repr(result.exception)


def _index_names(table: str) -> set[str]:
    """The table's index names from the catalogue itself: the inspector leaves out expression indexes
    (ix_cases_requester_email_lower) on SQLite, so it could not tell that the migration made them."""
    if db.engine.dialect.name == "sqlite":
        query = sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table")
    else:
        query = sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :table AND schemaname = current_schema()")
    return set(db.session.execute(query, {"table": table}).scalars())


def test_upgrade_creates_every_model_table(migrated_app):
    with migrated_app.app_context():
        inspector = sa.inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert set(db.metadata.tables) <= tables
        assert tables - set(db.metadata.tables) == {"alembic_version"}
        for name, table in db.metadata.tables.items():
            columns = {c["name"] for c in inspector.get_columns(name)}
            assert columns == {c.name for c in table.columns}, name
            assert {i.name for i in table.indexes} <= _index_names(name), name
        heads = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        assert len(heads) == 1


def test_migrated_schema_matches_the_models(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_flask_db_check_finds_nothing_to_migrate(migrated_app):
    result = _flask_db(migrated_app, "check")
    assert result.exit_code == 0, (result.output, result.exception)


def _insert_case(connection, school_id: int, state: str) -> None:
    connection.execute(sa.text(
        'INSERT INTO cases (school_id, "right", state, version, language, channel, student_name, '
        "student_birth_date, requester_role, requester_name, requester_email, details, data_concerned, "
        "correct_value, received_on, due_on, extended, suspended_days, student_consent, created_at) "
        "VALUES (:school, 'access', :state, 1, 'nl', 'web', 'Sam Jansen', CURRENT_DATE, 'parent', "
        "'Alex Jansen', 'alex@example.nl', '', '', '', CURRENT_DATE, CURRENT_DATE, FALSE, 0, FALSE, "
        "CURRENT_TIMESTAMP)"), {"school": school_id, "state": state})


def test_migrated_schema_checks_the_case_state(migrated_app):
    with migrated_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO schools (code, name, active) VALUES ('AAA', 'School A', TRUE)"))
            school_id = connection.execute(sa.text("SELECT id FROM schools WHERE code = 'AAA'")).scalar_one()
            _insert_case(connection, school_id, "submitted")  # the same row with a valid state is accepted
        with pytest.raises(sa.exc.IntegrityError, match="ck_cases_state_valid"), db.engine.begin() as connection:
            _insert_case(connection, school_id, "bogus")
        with db.engine.connect() as connection:
            states = connection.execute(sa.text("SELECT state FROM cases")).scalars().all()
        assert states == ["submitted"]


def test_migrated_audit_events_are_append_only_but_redactable(migrated_app):
    """i13_a_audit_keyed: the database itself refuses UPDATE and DELETE of an audit row (SQLite and PostgreSQL),
    except the redaction of its free text; events from before keep key id "sha256" (legacy)."""
    insert = ("INSERT INTO audit_events (actor_kind, action, reason, details, created_at, prev_hash, hash) "
              "VALUES ('system', 'test', 'Tekst', '{\"a\": 1}', CURRENT_TIMESTAMP, :prev, :hash)")
    with migrated_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text(insert), {"prev": "0" * 64, "hash": "1" * 64})
            assert connection.execute(sa.text("SELECT key_id FROM audit_events")).scalar_one() == "sha256"
        for statement in ("UPDATE audit_events SET action = 'x'", "UPDATE audit_events SET reason = 'x'",
                          "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
                connection.execute(sa.text(statement))
        with db.engine.begin() as connection:
            assert connection.execute(sa.text("UPDATE audit_events SET reason = '', details = '{}', "
                                              "redacted_at = CURRENT_TIMESTAMP")).rowcount == 1
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT action, reason FROM audit_events")).one() == ("test", "")


def test_the_outbox_migration_scrubs_the_links_of_mails_already_sent(empty_app):
    """Issue 13 point 2: mails sent before the release lose their links; a waiting one keeps them (it is
    scrubbed once sent)."""
    assert _flask_db(empty_app, "upgrade", "i11_c_workflow_truth").exit_code == 0
    link = "http://dsr.test/bevestigen/eyJuIjoiYWJjIn0.token"
    text, html = f"Bevestig via:\n{link}\nDank.", f'<p>Bevestig via:<br>\n<a href="{link}">{link}</a></p>'
    with empty_app.app_context():
        with db.engine.begin() as connection:
            for status in ("sent", "pending"):
                connection.execute(sa.text(
                    "INSERT INTO outbox (kind, recipient, subject, body_text, body_html, status, attempts, "
                    "created_at, next_attempt_at) VALUES ('receipt', 'a@example.nl', 'Ontvangst', :text, :html, "
                    ":status, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"text": text, "html": html, "status": status})
        assert _flask_db(empty_app, "upgrade").exit_code == 0
        with db.engine.connect() as connection:
            rows = dict(connection.execute(sa.text("SELECT status, body_text || body_html FROM outbox")).all())
    assert "http" not in rows["sent"] and "Bevestig via:\n[link verwijderd na verzending]\nDank." in rows["sent"]
    assert "<p>Bevestig via:<br>\n[link verwijderd na verzending]</p>" in rows["sent"]
    assert rows["pending"].count(link) == 3


def test_the_audit_chains_migration_keeps_earlier_events_valid_in_chain_0(empty_app, tmp_path):
    """i16_c_audit_chains: events signed before it (keyed, without a chain) land in chain 0 with form 1 and
    still verify; new events chain onto them; the guard now keeps ``chain`` and ``form`` too."""
    import datetime as dt
    import hashlib
    import hmac

    from dsr.models.audit import GENESIS, keyed_canonical, text_canonical
    from dsr.services import audit
    from dsr.services.audit_keys import key_id
    from dsr.services.audit_verify import verify_chain
    from dsr.services.transaction import transaction

    assert _flask_db(empty_app, "upgrade", "i15_b_queue_search").exit_code == 0
    key = empty_app.config["AUDIT_KEYS"][0]

    def sign(message: str) -> str:
        return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()

    with empty_app.app_context():
        prev = GENESIS
        with db.engine.begin() as connection:
            for n in range(3):  # as the code before the chains per school wrote them
                row = type("Row", (), dict(
                    case_id=None, actor_id=None, actor_kind="system", action="test.before", from_state=None,
                    to_state=None, reason=f"Voor {n}", details="{}", prev_hash=prev, key_id=key_id(key),
                    created_at=dt.datetime(2026, 12, 1, 8, n, tzinfo=dt.UTC),
                    text_digest=sign(text_canonical(f"Voor {n}", "{}"))))
                row.hash = sign(keyed_canonical(row))
                connection.execute(sa.text(
                    "INSERT INTO audit_events (actor_kind, action, reason, details, created_at, prev_hash, hash, "
                    "key_id, text_digest) VALUES ('system', 'test.before', :reason, '{}', :at, :prev, :hash, "
                    ":key_id, :digest)"), {"reason": row.reason, "at": row.created_at, "prev": prev,
                                            "hash": row.hash, "key_id": row.key_id, "digest": row.text_digest})
                prev = row.hash
    assert _flask_db(empty_app, "upgrade").exit_code == 0
    with empty_app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT DISTINCT chain, form FROM audit_events")).all() == [(0, 1)]
        with transaction():
            audit.record("test.after", actor_kind="system")
        result = verify_chain(checkpoint_file=tmp_path / "none.jsonl")
        assert result.ok and result.checked == 4, result.findings
        db.session.remove()
        redact = "UPDATE audit_events SET reason = '', details = '{}', redacted_at = CURRENT_TIMESTAMP"
        for statement in (f"{redact}, chain = 5", f"{redact}, form = 2"):  # a redaction changes nothing else
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
                connection.execute(sa.text(statement))
