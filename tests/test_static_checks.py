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


def _database_uses(path: Path) -> list[str]:
    """Where a module imports the database handle (``db`` of dsr.extensions, or that module) or uses
    ``db.session``: the places a view would read or write the database itself."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "extensions" \
                and any(alias.name == "db" for alias in node.names):
            found.append(f"{path.name}:{node.lineno} imports db")
        elif isinstance(node, ast.Import) and any(a.name == "dsr.extensions" for a in node.names):
            found.append(f"{path.name}:{node.lineno} imports dsr.extensions")
        elif isinstance(node, ast.Attribute) and node.attr == "session" and isinstance(node.value, ast.Name) \
                and node.value.id == "db":
            found.append(f"{path.name}:{node.lineno} uses db.session")
    return found


def test_views_leave_the_database_to_the_services():
    """Views are thin (issue 12 point 3): they call a service and render; reading and writing the
    database is the services' work, so no view imports ``db`` or touches ``db.session``."""
    views = sorted((ROOT / "dsr" / "views").glob("*.py"))
    assert len(views) > 10  # it really looked at the views
    assert [use for path in views for use in _database_uses(path)] == []


def test_the_database_check_sees_an_import_and_a_session_use(tmp_path):
    sample = tmp_path / "view.py"
    sample.write_text("from ..extensions import db, csrf\n\ndef page():\n    return db.session.get(object, 1)\n")
    assert _database_uses(sample) == ["view.py:1 imports db", "view.py:4 uses db.session"]
