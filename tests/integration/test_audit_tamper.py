"""Issue 13 point 1: the audit chain is keyed (HMAC under DSR_AUDIT_KEYS), anchored by signed checkpoints
outside the database, and the database refuses UPDATE and DELETE of its rows. Each way of tampering is
tried on a real database and ``flask dsr audit verify`` (the CLI) must exit non-zero naming the event."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent
from dsr.models._types import utcnow
from dsr.models.audit import GENESIS, chained_canonical, text_canonical
from dsr.services import audit
from dsr.services.audit_keys import key_id
from dsr.services.transaction import transaction
from tests.helpers import AUDIT_KEY, tamper_audit

OTHER_KEY = "another-audit-key-fedcba9876543210fedcba9876543210"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _verify(runner):
    return runner.invoke(args=["dsr", "audit", "verify"])


def _checkpoint(runner) -> str:
    result = runner.invoke(args=["dsr", "audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output


def _events(app, count: int, reason: str = "Gecontroleerd.") -> list[int]:
    """``count`` events appended through the service, each in its own transaction; their ids."""
    ids = []
    with app.app_context():
        for n in range(count):
            with transaction():
                event = audit.record(f"test.event_{n}", actor_kind="system", reason=f"{reason} {n}",
                                     details={"n": n})
            ids.append(event.id)  # appended, and so numbered, by the commit
        db.session.remove()
    return ids


def _all_ids(app) -> list[int]:
    with app.app_context():
        return db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()


def _checkpoint_file(app) -> Path:
    return Path(app.config["FILE_STORAGE"]) / "audit" / "checkpoints.jsonl"


def _broken(result) -> str:
    assert result.exit_code == 1, result.output
    match = re.search(r"BROKEN at (event \d+|a checkpoint): (.*)", result.output)
    assert match, result.output
    return match.group(0)


def _rechain(app, start_id: int, sign, *, key: str | None = None, change=None) -> None:
    """Rewrite every event from ``start_id`` on as an attacker who can write the database would: apply
    ``change`` to the first, then recompute each hash (and link) with ``sign(row) -> hash``."""
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).where(AuditEvent.id >= start_id)
                                  .order_by(AuditEvent.id)).scalars().all()
        prev = db.session.execute(sa.select(AuditEvent.hash).where(AuditEvent.id < start_id)
                                  .order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
        new = []
        for n, event in enumerate(rows):
            values = {c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns}
            if n == 0 and change:
                values.update(change)
            values["prev_hash"] = prev
            if key is not None:
                values["key_id"] = key_id(key)
                values["text_digest"] = _hmac(key, text_canonical(values["reason"], values["details"]))
            values["hash"] = sign(type("Row", (), values))
            prev = values["hash"]
            new.append(values)
        db.session.remove()
    for values in new:
        tamper_audit(app, "UPDATE audit_events SET reason = :reason, details = :details, action = :action, "
                          "prev_hash = :prev_hash, hash = :hash, key_id = :key_id, text_digest = :text_digest "
                          "WHERE id = :id", **{k: values[k] for k in ("reason", "details", "action", "prev_hash",
                                                                        "hash", "key_id", "text_digest", "id")})


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


# --- an untampered chain ----------------------------------------------------------------------------------


def test_untampered_chain_and_checkpoint_verify(app, runner):
    ids = _events(app, 4)
    output = _checkpoint(runner)
    assert f"Checkpoint written: event {ids[-1]}, 4 events, key {key_id(AUDIT_KEY)}." in output
    [line] = _checkpoint_file(app).read_text().splitlines()
    checkpoint = json.loads(line)
    assert checkpoint["event_id"] == ids[-1] and checkpoint["count"] == 4 and checkpoint["key"] == key_id(AUDIT_KEY)
    with app.app_context():
        assert checkpoint["head"] == db.session.get(AuditEvent, ids[-1]).hash
        # Writing the checkpoint is audited too (and verify checks its line exists).
        recorded = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert recorded.action == "audit.checkpoint" and recorded.details_dict == {"event_id": ids[-1], "count": 4}
    _checkpoint(runner)
    assert len(_checkpoint_file(app).read_text().splitlines()) == 2  # appended, never rewritten
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "OK: 6 events verified. 2 checkpoint(s) checked." in result.output


def test_each_event_is_signed_with_the_newest_key_not_plain_sha256(app):
    [event_id] = _events(app, 1)
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        assert event.key_id == key_id(AUDIT_KEY) == hashlib.sha256(AUDIT_KEY.encode()).hexdigest()[:8]
        assert event.hash == _hmac(AUDIT_KEY, chained_canonical(event))
        assert event.text_digest == _hmac(AUDIT_KEY, text_canonical(event.reason, event.details))
        assert event.hash != event.compute_hash()


# --- tampering ----------------------------------------------------------------------------------------------


def test_an_edited_reason_is_named(app, runner):
    ids = _events(app, 5)
    tamper_audit(app, "UPDATE audit_events SET reason = 'Toch maar niet.' WHERE id = :id", id=ids[2])
    found = _broken(_verify(runner))
    assert f"event {ids[2]}:" in found and "keyed digest" in found
    assert "(2 events before it verified)" in found


def test_an_edited_action_is_named(app, runner):
    ids = _events(app, 5)
    tamper_audit(app, "UPDATE audit_events SET action = 'test.harmless' WHERE id = :id", id=ids[1])
    found = _broken(_verify(runner))
    assert f"event {ids[1]}:" in found and "does not match its signature" in found


def test_a_deleted_middle_event_is_named_at_the_broken_link(app, runner):
    ids = _events(app, 5)
    assert tamper_audit(app, "DELETE FROM audit_events WHERE id = :id", id=ids[2]) == 1
    found = _broken(_verify(runner))
    assert f"event {ids[3]}:" in found and "link to the previous event" in found


def test_deleted_tail_events_are_found_by_the_checkpoint(app, runner):
    ids = _events(app, 6)
    _checkpoint(runner)
    # Without the checkpoint nothing would show: the chain's remaining events are all intact.
    assert tamper_audit(app, "DELETE FROM audit_events WHERE id >= :id", id=ids[3]) == 4  # 3 events + checkpoint's
    result = _verify(runner)
    found = _broken(result)
    assert f"3 events of chain 0 after event {ids[2]} are missing: checkpoint line 1" in found, result.output
    assert f"covers 6 events of that chain up to event {ids[5]}" in found


def test_a_rewritten_event_rehashed_with_plain_sha256_is_named(app, runner):
    """The old weakness: rewrite one event and recompute every later hash with plain SHA-256."""
    ids = _events(app, 5)
    _rechain(app, ids[1], AuditEvent.compute_hash,  # the old canonical form and plain SHA-256
             change={"reason": "Herschreven.", "action": "test.rewritten"})
    found = _broken(_verify(runner))
    assert f"event {ids[1]}:" in found and "content does not match" in found


def test_a_chain_rewritten_as_legacy_events_is_caught(app, runner):
    """Relabelling the rewritten events as legacy (plain SHA-256) events does not help either."""
    ids = _events(app, 5)
    _checkpoint(runner)

    def legacy(row):
        row.key_id, row.text_digest = "sha256", None
        return AuditEvent.compute_hash(row)

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        prev, new = GENESIS, []
        for event in rows:
            values = {c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns}
            values["prev_hash"] = prev
            if event.id == ids[2]:
                values["reason"] = "Herschreven."
            row = type("Row", (), values)
            values["hash"], values["key_id"], values["text_digest"] = legacy(row), "sha256", None
            prev = values["hash"]
            new.append(values)
        db.session.remove()
    for values in new:
        tamper_audit(app, "UPDATE audit_events SET reason = :reason, prev_hash = :prev_hash, hash = :hash, "
                          "key_id = :key_id, text_digest = :text_digest WHERE id = :id",
                     **{k: values[k] for k in ("reason", "prev_hash", "hash", "key_id", "text_digest", "id")})
    result = _verify(runner)
    found = _broken(result)
    assert f"event {ids[4]}:" in found and "differs from checkpoint line 1" in found, result.output


def test_a_rewritten_event_signed_with_a_wrong_key_is_named(app, runner):
    ids = _events(app, 5)
    # Claiming the real key's id: the signature does not match.
    _rechain(app, ids[2], lambda row: _hmac(OTHER_KEY, chained_canonical(row)),
             change={"reason": "Herschreven."}, key=OTHER_KEY)
    tamper_audit(app, "UPDATE audit_events SET key_id = :k WHERE id >= :id", k=key_id(AUDIT_KEY), id=ids[2])
    found = _broken(_verify(runner))
    assert f"event {ids[2]}:" in found and "does not match" in found


def test_a_rewritten_event_under_an_unknown_key_is_named(app, runner):
    ids = _events(app, 5)
    _rechain(app, ids[2], lambda row: _hmac(OTHER_KEY, chained_canonical(row)),
             change={"reason": "Herschreven."}, key=OTHER_KEY)
    found = _broken(_verify(runner))
    assert f"event {ids[2]}: signed with key '{key_id(OTHER_KEY)}', which is not in DSR_AUDIT_KEYS" in found


# --- the checkpoints themselves -------------------------------------------------------------------------------


def test_an_edited_checkpoint_line_is_found(app, runner):
    _events(app, 4)
    _checkpoint(runner)
    path = _checkpoint_file(app)
    checkpoint = json.loads(path.read_text())
    checkpoint["count"] = 3  # e.g. to hide a deleted event
    path.write_text(json.dumps(checkpoint) + "\n")
    result = _verify(runner)
    assert result.exit_code == 1
    assert "checkpoint line 1 (event" in result.output and "signature does not match" in result.output


def test_a_forged_checkpoint_line_is_found(app, runner):
    ids = _events(app, 4)
    _checkpoint(runner)
    forged = {"v": 1, "event_id": ids[1], "head": "f" * 64, "count": 2, "at": "2026-01-01T00:00:00+00:00",
              "key": key_id(AUDIT_KEY), "sig": "0" * 64}
    with _checkpoint_file(app).open("a") as lines:
        lines.write(json.dumps(forged) + "\n")
        lines.write("not json\n")
    result = _verify(runner)
    assert result.exit_code == 1
    assert "checkpoint line 2 (event" in result.output and "signature does not match" in result.output
    assert "checkpoint line 3 is not a checkpoint" in result.output


def test_a_removed_checkpoint_file_is_found_through_the_audited_checkpoints(app, runner):
    _events(app, 3)
    _checkpoint(runner)
    _checkpoint_file(app).unlink()
    found = _broken(_verify(runner))
    assert "records a checkpoint of event" in found and "not in the checkpoint file" in found


# --- key rotation ------------------------------------------------------------------------------------------


def test_rotation_old_events_verify_while_the_old_key_is_listed(app, runner, monkeypatch):
    old = _events(app, 3)
    _checkpoint(runner)
    monkeypatch.setitem(app.config, "AUDIT_KEYS", [OTHER_KEY, AUDIT_KEY])  # the new key first
    new = _events(app, 2)
    output = _checkpoint(runner)
    assert f"key {key_id(OTHER_KEY)}" in output
    with app.app_context():
        assert {db.session.get(AuditEvent, i).key_id for i in old} == {key_id(AUDIT_KEY)}
        assert {db.session.get(AuditEvent, i).key_id for i in new} == {key_id(OTHER_KEY)}
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "OK: 7 events verified. 2 checkpoint(s) checked." in result.output
    # Dropping the old key too early: its events (and checkpoint) no longer verify.
    monkeypatch.setitem(app.config, "AUDIT_KEYS", [OTHER_KEY])
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {old[0]}: signed with key '{key_id(AUDIT_KEY)}', which is not in DSR_AUDIT_KEYS" in result.output


# --- legacy events (plain SHA-256, before the migration) -----------------------------------------------------


def _legacy_events(app, count: int) -> list[int]:
    """Events as the chain held them before i13_a_audit_keyed: key id "sha256", plain SHA-256 hashes."""
    with app.app_context():
        prev = GENESIS
        ids = []
        for n in range(count):
            event = AuditEvent(actor_kind="system", action="test.legacy", reason=f"Oud {n}", details="{}",
                               created_at=utcnow(), prev_hash=prev, key_id="sha256")
            event.hash = event.compute_hash()
            db.session.add(event)
            db.session.flush()
            prev = event.hash
            ids.append(event.id)
        db.session.commit()
        db.session.remove()
    return ids


def test_legacy_events_verify_before_the_keyed_ones_once_a_checkpoint_anchors_them(app, runner):
    legacy = _legacy_events(app, 3)
    _events(app, 2)
    found = _broken(_verify(runner))
    assert f"event {legacy[-1]}:" in found and "not anchored by any checkpoint" in found
    _checkpoint(runner)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    tamper_audit(app, "UPDATE audit_events SET reason = 'Herschreven' WHERE id = :id", id=legacy[1])
    found = _broken(_verify(runner))
    assert f"event {legacy[1]}:" in found and "legacy" in found


# --- the database refuses UPDATE and DELETE -------------------------------------------------------------------


def _refused(app, sql: str, **params) -> str:
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as refused:
            db.session.execute(sa.text(sql), params)
            db.session.flush()
        db.session.rollback()
        return str(refused.value)


def test_the_database_refuses_update_and_delete_of_audit_rows(app):
    ids = _events(app, 3)
    assert "append-only" in _refused(app, "UPDATE audit_events SET reason = 'x' WHERE id = :id", id=ids[0])
    assert "append-only" in _refused(app, "UPDATE audit_events SET action = 'x' WHERE id = :id", id=ids[0])
    assert "append-only" in _refused(app, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    assert "append-only" in _refused(app, "DELETE FROM audit_events")
    # The one allowed change: blank the free text and set redacted_at, nothing else, once.
    redact = ("UPDATE audit_events SET reason = '', details = '{}', redacted_at = CURRENT_TIMESTAMP "
              "WHERE id = :id")
    assert "append-only" in _refused(app, redact.replace("details = '{}'", "details = '{}', action = 'x'"), id=ids[2])
    with app.app_context():
        assert db.session.execute(sa.text(redact), {"id": ids[2]}).rowcount == 1
        db.session.commit()
    assert "append-only" in _refused(app, redact, id=ids[2])  # a second time would move redacted_at
    assert _all_ids(app) == ids


# --- anonymisation reaches the audit text (issue 13 point 2) -------------------------------------------------

NAME, EMAIL = "Alex Jansen", "alex.jansen@example.nl"


def _case_with_personal_audit_text(app, client, people) -> int:
    from tests.helpers import login, step, submit

    case_id = submit(client, people.school_a, requester_name=NAME, requester_email=EMAIL)
    staff = app.test_client()
    login(staff, people.email["staff_a"])
    assert step(staff, app, case_id, "verify_identity", method="desk", authority="yes",
                reason=f"Gesproken met {NAME} ({EMAIL}) aan de balie.").status_code == 302
    return case_id


def _case_texts(app, case_id: int) -> str:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.reason, AuditEvent.details)
                                  .where(AuditEvent.case_id == case_id)).all()
        return " ".join(f"{r.reason} {r.details}" for r in rows)


def test_anonymisation_blanks_the_audit_text_and_the_chain_still_verifies(app, client, people, runner):
    import datetime as dt

    from dsr.models import Case

    case_id = _case_with_personal_audit_text(app, client, people)
    assert NAME in _case_texts(app, case_id)
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == case_id).values(
            state="withdrawn", closed_at=dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)))
        db.session.commit()
    _checkpoint(runner)
    purged = runner.invoke(args=["dsr", "purge-expired", "--today", "2031-06-01"])
    assert purged.exit_code == 0 and "1 case(s) anonymised" in purged.output, purged.output
    texts = _case_texts(app, case_id)
    assert NAME not in texts and EMAIL not in texts and "Jansen" not in texts
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)).scalars().all()
        redacted = [e for e in events if e.redacted_at is not None]
        assert redacted and all(e.reason == "" and e.details == "{}" and e.text_digest for e in redacted)
        assert events[-1].action == "case.anonymised" and events[-1].redacted_at is None
        target = redacted[-1].id
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    # The redacted events are still signed: changing anything else in one is found.
    tamper_audit(app, "UPDATE audit_events SET to_state = 'fulfilled' WHERE id = :id", id=target)
    found = _broken(_verify(runner))
    assert f"event {target}:" in found and "does not match its signature" in found


def test_a_redaction_without_an_anonymised_case_is_named(app, client, people, runner):
    """The database lets the application blank audit text (retention needs it); verify only accepts it for a
    case whose anonymisation the chain records."""
    case_id = _case_with_personal_audit_text(app, client, people)
    with app.app_context():
        assert audit.redact_case_text(case_id) >= 1  # no guard lifted: the allowed UPDATE
        db.session.commit()
        first = db.session.execute(sa.select(sa.func.min(AuditEvent.id)).where(AuditEvent.case_id == case_id)).scalar()
    found = _broken(_verify(runner))
    assert f"event {first}: redacted, but the chain records no anonymisation of case {case_id}" in found


# --- the daily mail and the scheduler -------------------------------------------------------------------------


def test_the_daily_checkpoint_mail_reaches_every_active_privacy_officer(app, people, run_jobs, smtp_server):
    from dsr.jobs import get_queue
    from dsr.models import User
    from dsr.scheduler import PERIODIC
    from dsr.services.audit_checkpoints import audit_checkpoint, mail_audit_checkpoint

    assert (audit_checkpoint, 3600) in PERIODIC and (mail_audit_checkpoint, 24 * 3600) in PERIODIC
    _events(app, 3)
    with app.app_context():
        inactive = User(email="ibp-oud@asg.test", name="Oud", role="privacy_officer", password_hash="x",
                        active=False)
        db.session.add(inactive)
        db.session.commit()
        get_queue().enqueue(mail_audit_checkpoint)  # as the scheduler does
    run_jobs()
    [mail] = smtp_server.wait_for(1)
    assert mail.envelope_rcpt_tos == [people.email["privacy"]]
    checkpoint = json.loads(_checkpoint_file(app).read_text().splitlines()[-1])
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == f"Controlepunt auditlog {checkpoint['at'][:10]}"
    for value in (checkpoint["head"], checkpoint["sig"], checkpoint["key"], str(checkpoint["count"])):
        assert value in text
    assert "http" not in text and "@" not in text  # no links, no addresses

