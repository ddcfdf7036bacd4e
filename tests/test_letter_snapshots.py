"""Snapshot tests of every letter in ``templates/letters/nl/`` (R-LT-1..4, R-RI-1), rendered from transient
objects with a fixed context (nothing read from or written to the database), and each variant checked for
its mandatory elements with ``workflows.letters.missing_elements``.

Update after an intended wording change, then read every changed letter before committing::

    DSR_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_letter_snapshots.py -p no:cacheprovider
    git diff tests/snapshots/letters/
"""
from __future__ import annotations

import io
import re

import pytest

from dsr import TEMPLATE_DIR
from dsr.services import letter_context
from dsr.services import letters as service
from dsr.services.letter_pdf import pdf_safe
from dsr.workflows import letters as L
from dsr.workflows.letters import long_date, missing_elements
from tests.letter_variants import (
    FIXED_CONFIG,
    REFERENCE,
    SNAPSHOT_DIR,
    TODAY,
    UPDATE,
    VARIANTS,
    make_case,
    render_variant,
)


@pytest.fixture
def render(app):
    saved = {key: app.config.get(key) for key in FIXED_CONFIG}
    yield lambda name: render_variant(app, name)
    app.config.update(saved)


# --------------------------------------------------------------------------- snapshots and elements

def test_every_letter_kind_has_a_variant():
    kinds = {p.stem for p in (TEMPLATE_DIR / "letters" / "nl").glob("*.txt") if not p.name.startswith("_")}
    assert kinds == set(L.KINDS) == {spec["kind"] for spec in VARIANTS.values()}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_letter_matches_snapshot(render, name):
    draft = render(name)
    path = SNAPSHOT_DIR / f"{name}.txt"
    content = f"Titel: {draft.title}\n\n{draft.text}"
    if UPDATE:
        SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no snapshot {path}; run with DSR_UPDATE_SNAPSHOTS=1"
    assert content == path.read_text(encoding="utf-8"), f"{name} differs; DSR_UPDATE_SNAPSHOTS=1 and review"


def test_no_stale_snapshots():
    files = {p.stem for p in SNAPSHOT_DIR.glob("*.txt")} if SNAPSHOT_DIR.exists() else set()
    stale = files - set(VARIANTS)
    if UPDATE:
        for name in stale:
            (SNAPSHOT_DIR / f"{name}.txt").unlink()
        return
    assert not stale


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_rendered_letter_has_its_mandatory_elements(render, name):
    draft = render(name)
    assert draft.missing == (), draft.problems
    text = draft.text
    assert REFERENCE in text and long_date(TODAY) in text and "ibp@asg.nl" in text
    assert text.startswith("Almeerse Scholen Groep\nOBS De Regenboog\nPostbus 60276, 1320 AH Almere\n")
    assert "\n\n\n" not in text and not re.search(r"[ \t]+\n", text) and "{{" not in text and "None" not in text
    assert not re.search(r"\bR-[A-Z]{2}-\d", text), "internal rule numbers mean nothing to a parent"
    assert "⚠" not in text


@pytest.mark.parametrize("name", sorted(n for n, s in VARIANTS.items() if s["kind"] in (L.REFUSAL, L.PARTIAL_REFUSAL)))
def test_refusals_name_items_grounds_ap_and_the_routes(render, name):
    draft = render(name)
    text, route = draft.text, VARIANTS[name].get("route", "bezwaar")
    for item in draft.facts.refused_items:
        assert f"## {item.name}\n" in text and item.reason in text
        for ground in item.grounds:
            assert f"Wettelijke grond: {ground}." in text
    assert "Autoriteit Persoonsgegevens" in text and L.AP_ADDRESS in text
    # R-LT-1: exactly the school's route, never both, never a choice.
    assert ("bezwaarschrift tegen dit besluit" in text) == (route == "bezwaar")
    assert ("Algemene wet bestuursrecht" in text) == (route == "bezwaar")
    assert ("verzoekschrift" in text) == (route == "rechtbank")
    assert "u hoeft er maar één te kiezen" not in text
    approver = ("de privacyadviseur van Almeerse Scholen Groep" if name.endswith("privacy_adviser")
                else "de directeur van OBS De Regenboog")
    assert f"na goedkeuring door {approver}, Ingrid Visser, op donderdag 26 februari 2026" in text


def test_the_letter_without_the_ap_paragraph_cannot_be_sent(render):
    """docs/legal.md R-LT-1 test: a letter missing the AP line -> LT1_MISSING_COMPLAINT_RIGHT."""
    draft = render("refusal_excessive")
    line = next(line for line in draft.text.splitlines() if L.AP_ADDRESS in line)
    assert missing_elements(draft.facts, draft.text.replace(line, "")) == ["LT1_MISSING_COMPLAINT_RIGHT"]


def test_completion_names_what_was_done_who_was_told_and_what_not(render):
    text = render("completion_rectification").text
    assert "gewijzigd van 'Dorpsstraat 3, Almere' in 'Stationsstraat 1, Almere'" in text
    assert "- DUO (Dienst Uitvoering Onderwijs), via BRON\n" in text
    assert "hebben wij niet ingelicht. Reden: Onmogelijk: de leverancier is failliet" in text
    assert "aan niemand buiten de school gegeven" in render("completion_no_recipients").text
    assert "Wie wij hebben ingelicht" not in render("completion_objection_stopped").text
    assert "artikel 18 lid 3 AVG" in render("completion_restriction").text


def test_partial_erasure_keeps_with_ground_and_end_date(render):
    text = render("partial_refusal_erasure").text
    assert "Wij bewaren deze gegevens tot woensdag 31 juli 2030; daarna verwijderen wij ze." in text
    assert "tot er een landelijke selectielijst is" in text
    assert "- Leerlingdossier (algemeen): verwijderd." in text


def test_access_cover_has_the_art_15_information(render):
    text = render("access_cover_learning_results").text
    assert "Ja, Almeerse Scholen Groep verwerkt gegevens over Sam Jansen." in text
    assert "alleen de leerresultaten" in text and "Bij deze brief horen 2 bestanden:" in text
    assert "- Rapport leerjaar 5 (Cijfers, rapporten, overgang en studieadvies)" in text
    assert "Hoe lang wij ze bewaren: tot 6 maanden nadat de leerling van school is gegaan" in text
    assert "Wie ze ook krijgt: DUO (Dienst Uitvoering Onderwijs), via BRON" in text
    assert "geautomatiseerde besluiten" in text and "http://dsr.test/" in text
    student = render("access_cover_student_full").text
    assert "verwerkt gegevens over u." in student and "Bij deze brief hoort 1 bestand:" in student
    assert "leerresultaten" not in student and "Wie ze ook krijgt: niemand buiten de school" in student


def test_a_language_without_letters_gets_the_dutch_letter(app):
    with app.app_context():
        title, text, language = service.render_letter(L.RECEIPT, "de", {
            **letter_context.base_context(make_case(language="de"), L.RECEIPT, TODAY)[1]})
    assert language == "nl" and "Ontvangstbevestiging" in title and long_date(TODAY) in text


# --------------------------------------------------------------------------- PDF

def test_pdf_of_every_letter_reads_back(render):
    from pypdf import PdfReader

    for name in ("refusal_excessive", "partial_refusal_erasure", "access_cover_learning_results"):
        draft = render(name)
        data = service.pdf_bytes(draft.title, draft.text, reference=REFERENCE, author="Almeerse Scholen Groep")
        assert data.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(data))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert REFERENCE in text and "Almeerse Scholen Groep" in text
        assert f"pagina 1 van {len(reader.pages)}" in text
        assert reader.metadata.title == draft.title


@pytest.mark.parametrize(("raw", "safe"), [
    ("Zoë Ünal-Éénhoorn", "Zoë Ünal-Éénhoorn"),          # Windows-1252 has these
    ("Łukasz Şahin", "Lukasz Sahin"),                    # no decomposition / decomposed
    ("Đorđe İnce ığdır", "Dorde Ince igdir"),
    ("€ 4,50 – ‘citaat’ …", "€ 4,50 – ‘citaat’ …"),
    ("tab\there\x07bel", "tab    herebel"),
    ("emoji 😀 en 漢字", "emoji ? en ??"),
    ("⚠ let op", "(!) let op"),
])
def test_pdf_safe_text(raw, safe):
    assert pdf_safe(raw) == safe
    safe.encode("cp1252")


def test_a_pdf_never_fails_on_a_name(app):
    from pypdf import PdfReader

    data = service.pdf_bytes("Brief", "Beste Łukasz Şahin 😀,\n\n- Zoë\n\n# Kop\nTekst.", reference=REFERENCE,
                             author="ASG")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Lukasz Sahin" in text and "Zoë" in text
