"""Released migrations are frozen (issue 12, point 8): every schema change is a new migration.

A database that has run a migration never runs it again, so an edit to a released migration changes
nothing on the schools' databases and only makes a fresh database differ from them. This test keeps
the SHA-256 of every released file in ``dsr/migrations/versions/`` and fails when one is edited,
renamed or deleted.

New migration files are allowed and are not checked here: a model change without one fails the drift
tests in ``tests/integration/test_migrations.py`` (``flask db upgrade`` on an empty database must give
exactly the models' schema, with one head). When a new migration is released (merged to main, from
where it reaches production), add its file name and hash to ``RELEASED``; from then on it is frozen
too. ``python -m tests.test_migrations_frozen`` prints the lines to paste (in chain order).

Hashes are of the text with line endings normalised to ``\\n``, so a checkout with CRLF line endings
does not count as an edit.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent.parent / "dsr" / "migrations" / "versions"

#: file name -> SHA-256 of its text; the order is the revision chain.
RELEASED = {
    "1dfe7b1ee299_initial_schema.py": "32a42696a16cc09125fe084ec47c1be20d3e63f37ca72a13953eb4192da984fb",
    "i11_0_school_settings.py": "96c96740a613eb1ddc33c7168139e5e06c89fe43af09865da8026671144428a0",
    "i11_b_letters.py": "0afff1f70362b0ae44f15885323a8fd948bc16f29ac495e3ef4bd763aeaf75e4",
    "i11_d_intake_truth.py": "00457ea41c051026436a5e4599f83b9c119e4fbd445fd91ef57f3e8cb881fd82",
    "i11_a_consent_retention.py": "f8c16f98acf2fd25a61d57738e67b9d65cb1864c91dbbabbacf40bf777c11f63",
    "i11_c_workflow_truth.py": "5b4ec450dedcf094c863c9a61ecf4631f27b0ec4b481d121f08af503339f6d30",
    "i13_d_sessions.py": "2b1071b9e8f5baaa8a3dcd8327fa84765741c5caaf274776aadb5e200e6a78bd",
    "i13_b_outbox_at_rest.py": "ea200139c16ce7178016ec5b6936b98e9c55d51728b734bc8fc681be157e10ae",
    "i13_a_audit_keyed.py": "c1236e0d65ee38e254e93c629a61fae1890b37a77b53a6ff1f5eb74003e58063",
    "i14_k_message_read.py": "c7d078ce556889992060b1139e0ecf146c47fd134a52ed6de617e5ab1230f2ad",
    "i15_0_desk_foundation.py": "7da05372ffe56d23cd149ff32d425e1dce98b6b2e5d22e8ab566a7f51ade319f",
    "i15_a_channel_intake.py": "45a5e471e5dac079da18ff4d6867d4c76f2abb191e5c2c37132980dd001dd029",
    "i15_c_case_notes.py": "835d3e11baed02591aae07f0491ef3e9efbe79ae90eb6ccbdf163f74cb968f4f",
    "i15_f_user_admin.py": "556a3870d564b10a27547aa66aef635b01ef6e6bc6a0c66a3502780e67013a74",
    "i15_b_queue_search.py": "e2dd7160e9aacd1a6372e14b6129bd1b64026d135bdab2206078868a8102d4c3",
    "i16_e_queue_counts.py": "d41fc0434ba5b2ce5d4860ac4702f3d8d1799818a31a08cfe6c6ef17e4604eea",
    "i16_c_audit_chains.py": "7e8299a31d5eda7b8b6b6554ff7c9dbb142bae1b2f34cf046ca04ab1b69c290e",
    "i16_b_staff_digest.py": "4fc611df0599c9a80c57fe15d9081c9d0404f0ee8c4ca0cd05a7772be412ee4a",
    "i17_a_connectors.py": "fa10d145ab443a00e493e4a017843001b9fac105db17d424e13413dab81e03d5",
}

ADD_A_MIGRATION = ("it is released and frozen: a database that ran it will not run it again. Undo the edit and "
                   "put the change in a new migration (flask --app wsgi db migrate -m '...'), then check it "
                   "with tests/integration/test_migrations.py")


def digest(path: Path) -> str:
    """SHA-256 of a migration's text, line endings normalised (see the module docstring)."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _revisions(path: Path) -> tuple[str, str | None]:
    """(revision, down_revision) as the migration file assigns them."""
    text = path.read_text(encoding="utf-8")
    revision = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    down = re.search(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", text, re.MULTILINE)
    assert revision and down, f"{path.name}: no revision/down_revision"
    return revision.group(1), down.group(1)


def test_released_migrations_are_unchanged():
    problems = []
    for name, expected in RELEASED.items():
        path = VERSIONS / name
        if not path.is_file():
            problems.append(f"{name} is missing (renamed or deleted): {ADD_A_MIGRATION}")
        elif digest(path) != expected:
            problems.append(f"{name} was edited: {ADD_A_MIGRATION}")
    assert not problems, "\n".join(problems)


def test_the_released_migrations_form_one_chain_in_order():
    # RELEASED lists them oldest first; each revises the one before, so a new migration can only
    # come after the last released one (else the drift test sees two heads).
    previous = None
    for name in RELEASED:
        revision, down = _revisions(VERSIONS / name)
        assert down == previous, f"{name} revises {down}, expected {previous}"
        previous = revision


def test_new_migrations_build_on_the_released_ones():
    released = {_revisions(VERSIONS / name)[0] for name in RELEASED}
    for path in sorted(VERSIONS.glob("*.py")):
        if path.name in RELEASED:
            continue
        revision, down = _revisions(path)
        assert down is not None, f"{path.name}: a second initial migration ({ADD_A_MIGRATION})"
        assert revision not in released, f"{path.name} reuses the released revision id {revision}"


def test_the_check_sees_an_edit(tmp_path):
    # The frozen-file check must be able to fail: one changed byte gives another digest, while a
    # CRLF checkout of the same text does not.
    original = VERSIONS / "1dfe7b1ee299_initial_schema.py"
    edited = tmp_path / original.name
    edited.write_bytes(original.read_bytes().replace(b"sa.Column(", b"sa.Column (", 1))
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    assert digest(edited) != RELEASED[original.name]
    assert digest(crlf) == RELEASED[original.name]


def unreleased_in_order() -> list[Path]:
    """The migration files not in RELEASED, following the chain from the last released one."""
    head = _revisions(VERSIONS / list(RELEASED)[-1])[0]
    after = {_revisions(path)[1]: path for path in VERSIONS.glob("*.py") if path.name not in RELEASED}
    chain = []
    while head in after:
        chain.append(after.pop(head))
        head = _revisions(chain[-1])[0]
    return chain + sorted(after.values())  # anything off the chain last: the drift test reports it


if __name__ == "__main__":  # prints the RELEASED lines of the migrations still to list, to paste above
    for migration in unreleased_in_order():
        print(f'    "{migration.name}": "{digest(migration)}",')
