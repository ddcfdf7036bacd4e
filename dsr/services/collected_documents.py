"""A collected category as package documents (issue 17 point 3): one readable PDF, and the raw CSV beside it.

The rows reach this module already redacted (``workflows.redaction``). The PDF is plain and accessible
(fpdf2 core fonts, a real table with a header row, the document language and title set): the category,
the system it came from, the date of collection and the rows. The CSV holds the same rows for whoever
wants to open them in a spreadsheet; every text cell passes ``csv_cells.neutralise`` (CSV injection).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from .csv_cells import neutralise
from .letter_pdf import pdf_safe

__all__ = ["category_csv", "category_pdf", "cell_text"]


def cell_text(value: Any) -> str:
    """One value as the reader sees it: dates as dd-mm-yyyy, booleans as ja/nee, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.datetime):
        return f"{value:%d-%m-%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d-%m-%Y}"
    return str(value)


def category_csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    """The rows as CSV (semicolons, UTF-8 with a BOM, as Dutch spreadsheet software expects)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise(cell_text(row.get(c))) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def category_pdf(*, category: str, system: str, collected_on: dt.date, reference: str,
                 columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    """The rows as an A4 landscape PDF: a heading with the category, the system and the date, then a table
    with one header row (or a sentence that the system holds no rows of this category for the student)."""
    from fpdf import FPDF  # fpdf2 is loaded only when a PDF is made (as in letter_pdf)

    class _CollectedPDF(FPDF):
        def footer(self) -> None:  # noqa: D102 - fpdf2 hook
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 8, pdf_safe(f"{reference} - {category} - pagina {self.page_no()} van {{nb}}"), align="C")

    pdf = _CollectedPDF(orientation="L", format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(pdf_safe(f"{category} ({system})"))
    pdf.set_author("dsr")
    pdf.set_creator("dsr")
    pdf.set_lang("nl")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, pdf_safe(category), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9.5)
    pdf.multi_cell(0, 5, pdf_safe(f"Uit: {system}. Verzameld op {collected_on:%d-%m-%Y} voor verzoek {reference}. "
                                  f"{len(rows)} rij(en). Gegevens van anderen zijn afgeschermd."),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if not rows or not columns:
        pdf.multi_cell(0, 5, pdf_safe("Dit systeem heeft in deze categorie geen gegevens van de leerling."),
                       new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
    pdf.set_font("Helvetica", size=8 if len(columns) > 5 else 9)
    with pdf.table(first_row_as_headings=True, repeat_headings=1, line_height=4.5,
                   text_align="LEFT") as table:
        header = table.row()
        for column in columns:
            header.cell(pdf_safe(column))
        for row in rows:
            cells = table.row()
            for column in columns:
                cells.cell(pdf_safe(cell_text(row.get(column))))
    return bytes(pdf.output())
