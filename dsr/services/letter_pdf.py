"""Letter text as light markup and as PDF (fpdf2 core fonts, Windows-1252; no font file needed).

:func:`text_blocks` splits a rendered letter into headings, paragraphs and bullets (for the PDF and the
HTML preview); :func:`pdf_bytes` lays it out on A4 with a page footer in the letter's language;
:func:`pdf_safe` maps every character outside Windows-1252 to its closest plain letter (Ł -> L, ş -> s),
or "?" when there is none, so a PDF never fails on a name.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf2 is imported only when a PDF is made
    from fpdf import FPDF

__all__ = ["pdf_bytes", "pdf_safe", "text_blocks"]


def text_blocks(text: str) -> list[tuple[str, str]]:
    """The letter's light markup: "# " heading, "## " subheading, "- " bullet; other consecutive lines
    form a paragraph (keeping their line breaks); blank lines separate paragraphs."""
    blocks: list[tuple[str, str]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        paragraph: list[str] = []
        for line in chunk.splitlines():
            marker = next((k for prefix, k in (("# ", "h1"), ("## ", "h2"), ("- ", "li")) if line.startswith(prefix)),
                          None)
            if marker is None:
                paragraph.append(line)
                continue
            if paragraph:
                blocks.append(("p", "\n".join(paragraph)))
                paragraph = []
            blocks.append((marker, line.split(" ", 1)[1].strip()))
        if paragraph:
            blocks.append(("p", "\n".join(paragraph)))
    return blocks


_NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h", "ŋ": "n", "Ŋ": "N",
                     "ĸ": "k", "ſ": "s", "Ŧ": "T", "ŧ": "t", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
                     "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2192": "->", "\u2190": "<-", "\u2265": ">=",
                     "\u2264": "<=", "\u26a0": "(!)"}


def pdf_safe(text: str) -> str:
    """``text`` with every character representable in Windows-1252 (fpdf2's core-font encoding)."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
            continue
        if ch == "\t":
            out.append("    ")
            continue
        if unicodedata.category(ch) == "Cc":
            continue
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        if ch in _NO_DECOMPOSITION:
            out.append(_NO_DECOMPOSITION[ch])
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            plain.encode("cp1252")
            out.append(plain or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


#: The page footer of a letter PDF per language ({nb} is fpdf2's total-pages alias).
_PDF_FOOTER = {"nl": "{reference} - pagina {page} van {{nb}}", "en": "{reference} - page {page} of {{nb}}"}


def pdf_bytes(title: str, text: str, *, reference: str, author: str, language: str = "nl") -> bytes:
    """The letter as an A4 PDF (core fonts, no font file needed); the page footer in ``language``."""
    from fpdf import FPDF

    footer_text = _PDF_FOOTER.get(language, _PDF_FOOTER["nl"])

    class _LetterPDF(FPDF):
        def footer(self) -> None:  # noqa: D102 - fpdf2 hook
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, pdf_safe(footer_text.format(reference=reference, page=self.page_no())), align="C")

    pdf = _LetterPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(pdf_safe(title))
    pdf.set_author(pdf_safe(author))
    pdf.set_creator("dsr")
    pdf.set_lang(language)
    pdf.add_page()
    blocks = text_blocks(text)
    keep_from = _closing_start(blocks)
    for index, (kind, content) in enumerate(blocks):
        if index == keep_from and pdf.get_y() + _height(pdf, blocks[index:]) > pdf.page_break_trigger:
            # The signature never stands alone on a new page: the closing moves with the paragraph before it.
            pdf.add_page()
        _block(pdf, kind, content)
    return bytes(pdf.output())


_STYLES = {"h1": ("B", 12, 4), "h2": ("B", 10.5, 2), "p": ("", 10.5, 2), "li": ("", 10.5, 1)}
#: How a letter's closing block starts, per language (the signature follows it).
CLOSINGS = ("Met vriendelijke groet", "Kind regards")


def _closing_start(blocks: list[tuple[str, str]]) -> int | None:
    """The index of the block to keep together with the signature: the paragraph before the closing."""
    for index in range(len(blocks) - 1, -1, -1):
        if blocks[index][0] == "p" and blocks[index][1].startswith(CLOSINGS):
            return max(index - 1, 0)
    return None


def _block(pdf: FPDF, kind: str, content: str, dry_run: bool = False) -> float:
    """Write one block (or, with ``dry_run``, only measure it); its height in mm."""
    style, size, space = _STYLES[kind]
    pdf.set_font("Helvetica", style, size)
    body = pdf_safe(content)
    line_height: float
    if kind == "li":
        text, line_height, width = "- " + body, 5, pdf.epw - 4
    else:
        text, line_height, width = body, 5.2, pdf.epw
    before = space if kind in ("h1", "h2") else 0
    if dry_run:
        lines = pdf.multi_cell(width, line_height, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)  # output="LINES": the lines it would write (fpdf2 types every output)
        return before + len(lines) * line_height + space
    if before:
        pdf.ln(before)
    if kind == "li":
        pdf.set_x(pdf.l_margin + 4)
    pdf.multi_cell(width, line_height, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(space)
    return 0.0


def _height(pdf: FPDF, blocks: list[tuple[str, str]]) -> float:
    """How high ``blocks`` will be on the page, in mm (measured, nothing written)."""
    return sum(_block(pdf, kind, content, dry_run=True) for kind, content in blocks)
