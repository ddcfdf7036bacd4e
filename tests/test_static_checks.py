"""Static checks that must stay green: bandit finds no medium or high issue in dsr/."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_reports_no_medium_or_high_findings():
    done = subprocess.run([sys.executable, "-m", "bandit", "-q", "-r", "dsr", "-f", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    serious = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
               for r in report["results"] if r["issue_severity"] in ("MEDIUM", "HIGH")]
    assert serious == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the code
