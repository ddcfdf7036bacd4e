"""Server-rendered, accessible SVG bar charts: no JavaScript, no external assets (CSP stays strict).

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that reads out every value, and the
page puts a data table with the same figures right below it (WCAG 1.1.1: a text alternative).
Colours are SVG presentation attributes, not inline styles, so ``style-src 'self'`` holds.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 80
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 8
MAX_LABEL_CHARS = 36
#: Contrast against white is above 4.5:1 for the bars (accent blue) and the text (ink).
BAR_COLOUR = "#0b5cad"
TEXT_COLOUR = "#1b1f24"
_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (for the length) and the value as shown (e.g. ``40,0 %``)."""

    label: str
    value: float | None
    text: str


def short_label(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """The label cut to fit the label column (the full label stays in the bar's tooltip and the table)."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, max_value: float | None = None) -> Markup:
    """A horizontal bar chart as inline SVG.

    ``chart_id`` names the ``<title>``/``<desc>`` ids (lowercase letters, digits, dashes); ``max_value``
    fixes the scale (e.g. 100 for percentages), otherwise the largest value fills the width.
    """
    if not _ID.match(chart_id):
        raise ValueError(f"bad chart id {chart_id!r}")
    values = [b.value for b in bars if b.value is not None]
    scale_max = max_value if max_value is not None else max(values, default=0)
    bar_area = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PADDING
    height = 2 * PADDING + ROW_HEIGHT * max(len(bars), 1)
    summary = "; ".join(f"{b.label}: {b.text}" for b in bars) if bars else _("geen gegevens")
    kind, same_figures = _("Staafdiagram."), _("De tabel hieronder geeft dezelfde cijfers.")
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
         f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
         f'width="{WIDTH}" height="{height}" focusable="false">'),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(kind)} {escape(summary)}. {escape(same_figures)}</desc>',
        f'<g font-family="system-ui, sans-serif" font-size="13" fill="{TEXT_COLOUR}">',
    ]
    if not bars:
        no_data = _("Geen gegevens")
        parts.append(f'<text x="{PADDING}" y="{PADDING + ROW_HEIGHT // 2 + 5}">{escape(no_data)}</text>')
    for index, bar in enumerate(bars):
        top = PADDING + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT // 2
        length = 0.0
        if bar.value and scale_max:
            length = max(1.0, round(bar_area * min(bar.value, scale_max) / scale_max, 1))
        parts += [
            "<g>",
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title>",
            f'<text x="{LABEL_WIDTH - 6}" y="{middle + 5}" text-anchor="end">{escape(short_label(bar.label))}</text>',
            (f'<rect x="{LABEL_WIDTH}" y="{middle - BAR_HEIGHT // 2}" width="{length:g}" height="{BAR_HEIGHT}" '
             f'rx="2" fill="{BAR_COLOUR}"></rect>'),
            f'<text x="{LABEL_WIDTH + length + 6:g}" y="{middle + 5}">{escape(bar.text)}</text>',
            "</g>",
        ]
    parts += ["</g>", "</svg>"]
    # Every dynamic piece above went through escape(); the rest are constants and numbers.
    return Markup("".join(parts))  # nosec B704
