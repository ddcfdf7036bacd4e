"""Languages: the English catalogue is complete and keeps every placeholder and tag, every text marked
for translation is in it, and dates, labels and messages follow the language (Dutch by default)."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from dsr.config import TRANSLATIONS_DIR
from dsr.templating import long_date, short_date
from dsr.workflows import machine
from dsr.workflows import states as S
from dsr.workflows.extension import EXTENSION_REASONS
from dsr.workflows.roles import STAFF
from dsr.workflows.vocabulary import REFUSAL_GROUNDS, RIGHT_LABELS

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))


def catalogue(path: Path):
    """A catalogue (its locale from translations/<locale>/LC_MESSAGES/) or an extracted template."""
    locale = path.parent.parent.name if path.parent.name == "LC_MESSAGES" else None
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def entries(path: Path):
    return [message for message in catalogue(path) if message.id]


def test_there_is_an_english_catalogue():
    assert [p.parent.parent.name for p in CATALOGUES] == ["en"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogue_has_no_empty_or_fuzzy_translation(path):
    assert not catalogue(path).fuzzy, "the catalogue header is marked fuzzy"
    problems = []
    for message in entries(path):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert problems == [], "translate these in " + str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_translations_keep_placeholders_and_markup(path):
    cat = catalogue(path)
    errors = [f"{message.id!r}: {[str(e) for e in errs]}" for message, errs in cat.check()]
    assert errors == []
    for message in entries(path):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        placeholders = {p for msgid in ids for p in re.findall(r"%\(\w+\)[sd]", msgid)}
        tags = sorted(re.findall(r"</?\w+[^>]*>", ids[0]))
        for string in strings:
            assert {p for p in re.findall(r"%\(\w+\)[sd]", string)} == placeholders, message.id
            assert sorted(re.findall(r"</?\w+[^>]*>", string)) == tags, message.id


def test_every_text_marked_for_translation_is_in_every_catalogue(tmp_path):
    """A fresh extraction (the command in the Makefile's "messages" target) finds nothing the
    catalogues lack: run `make messages` and translate what it adds."""
    pot = tmp_path / "messages.pot"
    done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                           "-k", "_l", "--no-location", "-o", str(pot), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "cannot be translated as written" not in done.stderr, done.stderr[-2000:]
    extracted = {message.id for message in entries(pot)}
    assert len(extracted) > 150, "the extraction found the texts of dsr/ and templates/"
    for path in CATALOGUES:
        missing = extracted - {message.id for message in entries(path)}
        assert not missing, f"missing from {path.relative_to(ROOT)} (run `make messages`): {sorted(missing, key=str)}"


# --------------------------------------------------------------------------- what follows the language

def test_outside_a_request_everything_is_dutch():
    assert RIGHT_LABELS["access"] == "Inzage" and isinstance(RIGHT_LABELS["access"], str)
    assert long_date(dt.date(2026, 3, 2)) == "maandag 2 maart 2026"
    assert "; ".join(EXTENSION_REASONS[r] for r in ("volume", "complexity")).startswith("Veel gegevens")


def test_labels_dates_and_workflow_messages_follow_the_locale(app):
    day = dt.date(2026, 3, 2)
    with app.test_request_context("/"):
        assert S.STATE_LABELS["awaiting_requester"] == "Wacht op aanvrager"
        assert long_date(day) == "maandag 2 maart 2026" and short_date(day) == "ma 02-03-2026"
        assert machine.problem(_Case(), "reopen", _Actor(), {}) == \
            "Deze stap (Heropenen (bezwaar, klacht of rechtszaak)) is niet mogelijk in de status 'Ontvangen'."
        with force_locale("en"):
            assert S.STATE_LABELS["awaiting_requester"] == "Waiting for requester"
            assert dict(RIGHT_LABELS)["erasure"] == "Erasure"
            assert long_date(day) == "Monday 2 March 2026" and short_date(day) == "Mon 2 Mar 2026"
            assert machine.problem(_Case(), "reopen", _Actor(), {}) == \
                "This step (Reopen (objection, complaint or court case)) is not possible in the status 'Received'."
            assert machine.problem(_Case(), "verify_identity", _Actor(), {"method": "desk", "authority": "yes"}) \
                is None
            assert machine.problem(_Case(), "close_unverified", _Actor(), {}).startswith("This step")
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert REFUSAL_GROUNDS["art12_5"].startswith("Art. 12(5) GDPR")
        assert EXTENSION_REASONS["complexity"] == "A legally or factually complex request"


def test_an_unknown_language_in_the_session_means_dutch(app):
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "fr"
        assert S.STATE_LABELS["submitted"] == "Ontvangen"


class _Case:
    id, state, school_id, decision, proposed_by_id, requester_role = 1, S.SUBMITTED, 1, None, None, "student"


class _Actor:
    id, role, school_ids = 9, STAFF, frozenset({1})
