"""axe-core in a real page: WCAG 2.1 A/AA checks with a readable listing of every violation.

axe-core comes from the npm registry (``package.json`` pins it, ``make test`` runs ``npm ci``); it is a
build artefact, never committed. It is added to the browser context as an init script, so it is present
in every document the journeys open without loosening the pages' Content-Security-Policy (an injected
``<script>`` tag would be blocked by it, and ``bypass_csp`` would hide CSP mistakes of dsr's own).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
#: The rule sets of WCAG 2.0 and 2.1, levels A and AA (what Dutch public-sector sites are held to).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN = """async (tags) => {
  if (typeof window.axe === 'undefined') { return null; }
  const result = await window.axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary})),
  }));
}"""


class AxeMissing(RuntimeError):
    """axe-core is not installed in node_modules/."""


def axe_source() -> str:
    """The text of axe.min.js, or AxeMissing saying what to install."""
    if AXE_PATH.is_file():
        return AXE_PATH.read_text(encoding="utf-8")
    if shutil.which("npm") is None:
        raise AxeMissing(f"axe-core is not installed ({AXE_PATH.relative_to(REPO)} is missing) and npm is not "
                         "on PATH: install Node.js and npm (Debian: apt-get install -y npm), then run make test "
                         "(it runs npm ci).")
    raise AxeMissing(f"axe-core is not installed ({AXE_PATH.relative_to(REPO)} is missing): run `npm ci` "
                     "in the repository root (make test does this).")


def format_violations(label: str, url: str, violations: list[dict]) -> str:
    """One block per violation: rule id, impact, help text and link, and each failing element."""
    lines = [f"axe: {len(violations)} WCAG 2.1 A/AA violation(s) on {label} ({url}):"]
    for v in violations:
        lines.append(f"  - {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"      target: {' '.join(node['target'])}")
            lines.append(f"        html: {node['html'][:200]}")
            for summary_line in (node["summary"] or "").splitlines():
                lines.append(f"        {summary_line}")
    return "\n".join(lines)


@dataclass
class AxeReport:
    """Runs axe on pages of one test and keeps what it found, so a journey reports every page at once."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, page, label: str) -> list[dict]:
        """Run the WCAG 2.1 A/AA rules on the page as it is now; print and remember any violation."""
        violations = page.evaluate(_RUN, list(WCAG_TAGS))
        if violations is None:
            raise AssertionError(f"axe-core is not loaded in {label} ({page.url}): was the init script added?")
        self.checked.append(label)
        if violations:
            listing = format_violations(label, page.url, violations)
            print(listing)
            self.failures.append(listing)
        return violations

    def assert_clean(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)
        print(f"axe: no WCAG 2.1 A/AA violations on {len(self.checked)} page(s): {', '.join(self.checked)}")
