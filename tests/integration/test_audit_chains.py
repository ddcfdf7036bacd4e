"""Issue 16 point 6: one audit chain per school plus the organisation chain, appended at commit time under
each chain's own lock. Each chain verifies on its own, a checkpoint names every chain's head, events and
checkpoints from before the chains keep verifying, and (PostgreSQL) writers to different schools, or to the
same schools in another order, neither break a chain nor deadlock."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, Case
from dsr.models._types import utcnow
from dsr.models.audit import FORM_KEYED, GENESIS, keyed_canonical, text_canonical
from dsr.services import audit
from dsr.services.audit_keys import key_id
from dsr.services.audit_verify import verify_chain
from dsr.services.transaction import transaction
from tests.helpers import AUDIT_KEY, submit, tamper_audit


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def cases(app, client, people):
    """One submitted case per school: {"a": case id, "b": case id}."""
    return {"a": submit(client, people.school_a), "b": submit(client, people.school_b)}


def _record(app, *targets: str, cases: dict[str, int]) -> list[int]:
    """One transaction per target ("a", "b": that school's case; "org": no case); the new events' ids."""
    events = []
    with app.app_context():
        for n, target in enumerate(targets):
            with transaction():
                case = db.session.get(Case, cases[target]) if target != "org" else None
                events.append(audit.record(f"test.{target}", case=case, actor_kind="system", details={"n": n}))
        ids = [event.id for event in events]
        db.session.remove()
    return ids


def _rows(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _verify(runner, *args: str):
    return runner.invoke(args=["dsr", "audit", "verify", *args])


def _checkpoint(runner) -> None:
    result = runner.invoke(args=["dsr", "audit", "checkpoint"])
    assert result.exit_code == 0, result.output


def _checkpoint_file(app) -> Path:
    return Path(app.config["FILE_STORAGE"]) / "audit" / "checkpoints.jsonl"


def _hmac(message: str) -> str:
    return hmac.new(AUDIT_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


# --- the chains -----------------------------------------------------------------------------------------------


def test_each_school_has_its_own_chain_and_interleaved_chains_verify(app, people, cases, runner):
    _record(app, "a", "b", "org", "b", "a", "a", "org", cases=cases)
    rows = _rows(app)
    school_of = {cases["a"]: people.school_a, cases["b"]: people.school_b}
    heads: dict[int, str] = {}
    for row in rows:
        assert row.chain == (school_of[row.case_id] if row.case_id else 0)
        assert row.prev_hash == heads.get(row.chain, GENESIS)  # linked to its own chain's previous event
        heads[row.chain] = row.hash
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    counts = {chain: sum(1 for r in rows if r.chain == chain) for chain in (0, people.school_a, people.school_b)}
    for chain, count in counts.items():
        assert f"chain {chain} (" in result.output and f"{count} events" in result.output
    with app.app_context():
        verified = verify_chain()
    assert verified.ok and {c: r.checked for c, r in verified.chains.items()} == counts


def test_a_checkpoint_names_every_chain_head(app, people, cases, runner):
    _record(app, "a", "b", "org", "a", cases=cases)
    _checkpoint(runner)
    checkpoint = json.loads(_checkpoint_file(app).read_text().splitlines()[-1])
    rows = [r for r in _rows(app) if r.action != "audit.checkpoint"]
    assert checkpoint["v"] == 2
    for head in checkpoint["chains"]:
        mine = [r for r in rows if r.chain == head["chain"]]
        assert head["event_id"] == mine[-1].id and head["head"] == mine[-1].hash and head["count"] == len(mine)
    assert {h["chain"] for h in checkpoint["chains"]} == {0, people.school_a, people.school_b}
    assert checkpoint["count"] == len(rows) and checkpoint["event_id"] == rows[-1].id


@pytest.mark.parametrize("tamper", ["delete tail", "edit reason", "delete middle", "move to other chain"])
def test_tampering_in_one_chain_is_reported_for_that_chain_only(app, people, cases, runner, tamper):
    ids = _record(app, "a", "b", "a", "b", "a", "b", "a", cases=cases)
    a_ids, b_ids = ids[0::2], ids[1::2]
    _checkpoint(runner)
    if tamper == "delete tail":
        # Without the checkpoint nothing shows: what is left of chain a is intact.
        assert tamper_audit(app, "DELETE FROM audit_events WHERE id IN (:x, :y)", x=a_ids[-2], y=a_ids[-1]) == 2
        expected = (f"2 events of chain {people.school_a} after event {a_ids[-3]} are missing: checkpoint line 1",)
    elif tamper == "edit reason":
        tamper_audit(app, "UPDATE audit_events SET reason = 'Herschreven.' WHERE id = :id", id=a_ids[1])
        expected = (f"BROKEN at event {a_ids[1]}: content does not match its keyed digest",)
    elif tamper == "delete middle":
        tamper_audit(app, "DELETE FROM audit_events WHERE id = :id", id=a_ids[1])
        expected = (f"BROKEN at event {a_ids[2]}: link to the previous event of chain {people.school_a}",)
    else:
        tamper_audit(app, "UPDATE audit_events SET chain = :b WHERE id = :id", b=people.school_b, id=a_ids[-1])
        expected = (f"BROKEN at event {a_ids[-1]}: link to the previous event of chain {people.school_b}",
                    "content does not match its signature")
    result = _verify(runner)
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output, result.output
    with app.app_context():
        verified = verify_chain()
    broken = {chain for chain, report in verified.chains.items() if not report.ok}
    if tamper == "move to other chain":  # the moved event breaks b's chain, and its checkpoint names it in a's
        assert broken == {people.school_a, people.school_b}
    else:
        assert broken == {people.school_a}, verified.findings
        in_b = len(b_ids) + 1  # and its case's submission
        assert verified.chains[people.school_b].checked == in_b
        assert f"chain {people.school_b} (school {people.school_b}): {in_b} events, last event " \
               f"{b_ids[-1]}: ok" in result.output
        # The untouched chain verifies on its own.
        alone = _verify(runner, "--chain", str(people.school_b))
        assert alone.exit_code == 0 and f"OK: {in_b} events verified." in alone.output, alone.output


def test_verify_one_chain_reads_only_that_chain(app, people, cases, runner):
    ids = _record(app, "a", "b", "a", "org", cases=cases)
    _checkpoint(runner)
    result = _verify(runner, "--chain", str(people.school_a))
    assert result.exit_code == 0, result.output
    assert "OK: 3 events verified." in result.output  # with its case's submission
    assert f"chain {people.school_a} (school {people.school_a}): 3 events, last event {ids[2]}: ok" in result.output
    assert "chain 0" not in result.output


# --- transactions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["exception", "rollback", "close"])
def test_a_transaction_that_does_not_commit_leaves_no_event(app, cases, ending):
    with app.app_context():
        case = db.session.get(Case, cases["a"])
        before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
        if ending == "exception":
            with pytest.raises(RuntimeError), transaction():
                audit.record("test.dropped", case=case, actor_kind="system")
                raise RuntimeError("the request fails after the record")
        elif ending == "rollback":
            audit.record("test.dropped", case=case, actor_kind="system")
            db.session.rollback()
        else:
            audit.record("test.dropped", actor_kind="system")
            db.session.close()
        with transaction():  # the next commit of the same session appends only its own event
            audit.record("test.kept", actor_kind="system")
        actions = db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        assert len(actions) == before + 1 and actions[-1] == "test.kept" and "test.dropped" not in actions
        assert verify_chain().ok


def test_events_are_appended_at_commit_in_the_order_they_were_recorded(app, cases):
    with app.app_context():
        case_a, case_b = db.session.get(Case, cases["a"]), db.session.get(Case, cases["b"])
        with transaction():
            first = audit.record("test.first", case=case_b, actor_kind="system")
            second = audit.record("test.second", case=case_a, actor_kind="system")
            third = audit.record("test.third", case=case_b, actor_kind="system")
            assert first.id is None  # not in the database before the commit
        assert first.id < second.id < third.id and third.prev_hash == first.hash
        with transaction():
            fourth = audit.record("test.fourth", actor_kind="system")
            audit.flush_audit()  # for code that must see its event before the commit
            assert fourth.id is not None
            assert db.session.get(AuditEvent, fourth.id) is fourth
        assert verify_chain().ok


def test_anonymising_blanks_events_recorded_earlier_in_the_same_transaction(app, cases, runner):
    """The redaction appends the transaction's recorded events first (flush_audit), so an event recorded
    just before the anonymisation does not keep its text; the chain still verifies."""
    from dsr.services.retention import anonymise

    with app.app_context():
        with transaction():
            case = db.session.get(Case, cases["a"])
            audit.record("case.viewed", case=case, actor_kind="system", reason="Jansen belde over Piet.")
            anonymise(case)
        texts = db.session.execute(sa.select(AuditEvent.reason).where(AuditEvent.case_id == cases["a"])).scalars()
        assert not any("Jansen" in text for text in texts)
        db.session.remove()
    result = _verify(runner)
    assert result.exit_code == 0, result.output


# --- events and checkpoints from before the chains per school --------------------------------------------------


def test_events_and_checkpoints_from_before_the_chains_still_verify(app, cases, runner):
    """Events signed with the form before this change (no chain in the signature; all in chain 0) and a
    version-1 checkpoint line, written as that code wrote them, verify next to new events."""
    with app.app_context():
        prev = db.session.execute(sa.select(AuditEvent.hash).where(AuditEvent.chain == 0)
                                  .order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
        count = db.session.execute(sa.select(sa.func.count()).where(AuditEvent.chain == 0)).scalar_one()
        for n in range(3):
            event = AuditEvent(actor_kind="system", action="test.old_form", reason=f"Oud {n}", details="{}",
                               created_at=utcnow(), prev_hash=prev, key_id=key_id(AUDIT_KEY), form=FORM_KEYED,
                               text_digest=_hmac(text_canonical(f"Oud {n}", "{}")))
            event.hash = _hmac(keyed_canonical(event))
            db.session.add(event)
            db.session.flush()
            prev = event.hash
        db.session.commit()
        old = {"v": 1, "event_id": event.id, "head": event.hash, "count": count + 3,
               "at": "2026-12-01T00:00:00+00:00", "key": key_id(AUDIT_KEY)}
        old["sig"] = _hmac(json.dumps({k: old[k] for k in ("v", "event_id", "head", "count", "at", "key")},
                                      sort_keys=True))
        old_id = event.id
        db.session.remove()
    path = _checkpoint_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(old, sort_keys=True) + "\n")
    _record(app, "org", "a", cases=cases)  # new events chain onto the old ones in chain 0
    _checkpoint(runner)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "2 checkpoint(s) checked" in result.output
    # The old form does not sign the chain: such an event outside chain 0 is refused.
    tamper_audit(app, "UPDATE audit_events SET chain = 99 WHERE id = :id", id=old_id)
    result = _verify(runner)
    assert result.exit_code == 1 and f"event {old_id}" in result.output, result.output


# --- concurrency (PostgreSQL: real connections, real commits) --------------------------------------------------


def _postgresql_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the chain locks are PostgreSQL advisory locks; SQLite has one writer")


def _run_threads(target, count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(n):
        try:
            target(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_two_transactions_touching_two_schools_in_opposite_orders_do_not_deadlock(app, cases):
    """Each transaction locks its chains in ascending order whatever order it recorded them in. The test
    holds every first lock a moment, so that locking in recorded order would deadlock (PostgreSQL would
    abort one transaction with a deadlock error)."""
    _postgresql_only(app)
    ready = threading.Barrier(2)
    order = {0: ("a", "b"), 1: ("b", "a")}

    def slow_first_lock(conn, cursor, statement, *args):
        if "pg_advisory_xact_lock" in statement and not conn.info.get("locked"):
            conn.info["locked"] = True
            threading.Event().wait(0.5)

    def clear(conn):
        conn.info.pop("locked", None)

    def write(n):
        with app.app_context():
            with transaction():
                for target in order[n]:
                    audit.record(f"test.{target}", case=db.session.get(Case, cases[target]), actor_kind="system")
                ready.wait(10)
            db.session.remove()

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", slow_first_lock)
    sa.event.listen(engine, "commit", clear)
    sa.event.listen(engine, "rollback", clear)
    try:
        errors = _run_threads(write, 2)
    finally:
        sa.event.remove(engine, "after_cursor_execute", slow_first_lock)
        sa.event.remove(engine, "commit", clear)
        sa.event.remove(engine, "rollback", clear)
    assert not errors, errors
    with app.app_context():
        assert verify_chain().ok


def test_parallel_writers_produce_valid_chains(app, people, cases):
    _postgresql_only(app)
    targets = ("a", "b", "org", "a")
    per_writer = 15

    def write(n):
        with app.app_context():
            case_id = cases.get(targets[n])
            for i in range(per_writer):
                with transaction():
                    case = db.session.get(Case, case_id) if case_id else None
                    audit.record("test.parallel", case=case, actor_kind="system", details={"writer": n, "i": i})
            db.session.remove()

    errors = _run_threads(write, len(targets))
    assert not errors, errors
    with app.app_context():
        result = verify_chain()
        assert result.ok, result.findings
        counts = {row.chain: row.count for row in db.session.execute(
            sa.select(AuditEvent.chain, sa.func.count().label("count"))
            .where(AuditEvent.action == "test.parallel").group_by(AuditEvent.chain))}
    assert counts == {people.school_a: 2 * per_writer, people.school_b: per_writer, 0: per_writer}
