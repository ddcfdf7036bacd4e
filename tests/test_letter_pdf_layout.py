"""Point 11: a letter's PDF never leaves the signature alone on a new page, and a student under 16 reads the
plain "je" version of a letter, falling back to the normal letter where no child version exists."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from dsr.services import letters as service
from dsr.services.letter_pdf import pdf_bytes
from tests.letter_variants import child_case, make_case

CLOSING = ("Heeft u vragen over deze brief? Mail dan naar ibp@asg.nl. Noem daarbij altijd het kenmerk "
           "AVG-2026-00042.\n\nMet vriendelijke groet,\n\nDe leerlingadministratie van OBS De Regenboog\n"
           "Almeerse Scholen Groep\n")


def _pages(text: str) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf_bytes("Brief", text, reference="AVG-2026-00042", author="ASG")))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_the_signature_never_stands_alone_on_a_new_page():
    moved = 0
    for n in range(30, 75):  # enough paragraphs to push the closing across the first page break in every way
        body = "\n\n".join(f"Alinea {i}: dit is een gewone zin van een brief aan een ouder." for i in range(n))
        pages = _pages(f"# Kop\n{body}\n\n{CLOSING}")
        [page] = [p for p in pages if "Met vriendelijke groet" in p]
        # The closing block and the paragraph before it are on one page, with the signature.
        assert "Heeft u vragen over deze brief" in page and "De leerlingadministratie van OBS De Regenboog" in page
        assert page.count("Alinea") > 0 or page.startswith("Heeft u vragen"), n
        if page.startswith("Heeft u vragen") and len(pages) > 1:
            moved += 1
    assert moved, "the range must include a letter whose closing had to move to the next page"


@pytest.mark.parametrize(("kind", "language", "variant", "folder"), [
    ("refusal", "nl", "je", "nl_je"),
    ("receipt", "nl", "je", "nl_je"),
    ("information_request", "nl", "je", "nl"),  # no child version (yet): the normal letter
    ("refusal", "en", "je", "en"),  # English has no "je" version: the English letter
    ("refusal", "nl", "", "nl"),
], ids=lambda v: str(v))
def test_point_11_a_missing_child_version_falls_back(app, kind, language, variant, folder):
    with app.app_context():
        assert service._template(kind, language, variant)[1] == folder


@pytest.mark.parametrize(("case", "variant"), [
    (child_case(), "je"),
    (make_case(requester_role="student", requester_name="Sam Jansen"), ""),  # 16 on the letter date
    (make_case(student_birth_date=dt.date(2013, 9, 1)), ""),  # a parent of a 12-year-old
], ids=["student of 12: je", "student of 16: u", "parent: u"])
def test_point_11_who_reads_the_je_version(case, variant):
    assert service.letter_variant(case, dt.date(2026, 2, 27)) == variant
