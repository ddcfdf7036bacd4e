"""Rule ids (R-CH-2, R-DL-5, ...) out of the sentences staff read (issue 15 point 5).

The texts dsr writes for staff cite the rule of docs/legal.md they apply, e.g. "Verlengen kan tot en met
2 maart (R-DL-5)." A busy administrator reads past such codes; whoever wants them finds them behind
"Waarom?" on the page. :func:`split_rule_ids` takes a text apart into the sentence without the codes and
the codes it cited, so the texts themselves (shared with letters and tests) stay as they are.

Pure: no I/O, no Flask. A bracket that held only rule ids goes with them; a bracket that also cites an
article keeps the article: "(art. 19 AVG, R-RI-7)" becomes "(art. 19 AVG)".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: One rule id, with an optional second number after a slash ("R-CH-3/4" cites R-CH-3 and R-CH-4).
RULE_ID = re.compile(r"\bR-([A-Z]{2})-(\d+)(?:/(\d+))?\b")
#: A bracket without nested brackets: the place where the texts cite their rules.
_BRACKET = re.compile(r"(\s?)\(([^()]*)\)")
#: A part of a bracket, between commas.
_PART_SEPARATOR = re.compile(r"\s*,\s*")


@dataclass(frozen=True)
class RuleText:
    """A text without its rule ids, and the ids it cited (in order, each once)."""

    text: str
    rule_ids: tuple[str, ...]


def _ids_in(fragment: str) -> list[str]:
    """The rule ids a fragment cites, "R-CH-3/4" counting as R-CH-3 and R-CH-4."""
    ids = []
    for match in RULE_ID.finditer(fragment):
        area, first, second = match.groups()
        ids.append(f"R-{area}-{first}")
        if second:
            ids.append(f"R-{area}-{second}")
    return ids


def _without_ids(fragment: str) -> str:
    """A bracket's content without its rule-id parts ("art. 19 AVG, R-RI-7" -> "art. 19 AVG")."""
    parts = [part for part in _PART_SEPARATOR.split(fragment.strip()) if part]
    return ", ".join(RULE_ID.sub("", part).strip() for part in parts if RULE_ID.sub("", part).strip())


def split_rule_ids(text: str) -> RuleText:
    """``text`` without the rule ids it cites, and those ids.

    >>> split_rule_ids("Verlengen kan tot en met 2 maart (R-DL-5).")
    RuleText(text='Verlengen kan tot en met 2 maart.', rule_ids=('R-DL-5',))
    >>> split_rule_ids("Ontvangers inlichten (art. 19 AVG, R-RI-7)").text
    'Ontvangers inlichten (art. 19 AVG)'
    """
    found: list[str] = []

    def bracket(match: re.Match) -> str:
        space, content = match.groups()
        ids = _ids_in(content)
        if not ids:
            return match.group(0)
        found.extend(ids)
        rest = _without_ids(content)
        return f"{space}({rest})" if rest else ""

    cleaned = _BRACKET.sub(bracket, text)
    # A rule id outside a bracket ("volgens R-CH-1 ...") is taken out with the space before it.
    found.extend(_ids_in(cleaned))
    cleaned = re.sub(r"\s?" + RULE_ID.pattern, "", cleaned)
    return RuleText(cleaned, tuple(dict.fromkeys(found)))
