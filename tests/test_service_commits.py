"""One commit per request (issue 12 point 3), read from the source with ``ast``.

A service entry point owns its transaction through ``@transactional`` / ``transaction()``
(:mod:`dsr.services.transaction`), which commits once at the outermost call. A body that commits as well
splits the unit of work: when it runs inside another transactional call, the outer call's work so far is
saved even if the outer call then fails. So no ``.commit()`` call may appear in a service module, except
where a function commits itself on purpose, listed in :data:`ALLOWED` with why.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "dsr" / "services"

#: (module, function) that may call ``commit()``, each with why.
ALLOWED = {
    ("transaction", "transaction"): "the transaction boundary itself",
    ("portal", "_exchange"): "retries once when a staff change at the same moment makes the commit stale "
                             "(the portal's and the API's exchange of a link)",
    ("consent", "answer_once"): "a StaleDataError at the commit must reach the retry around it (_retrying)",
    ("consent", "withdraw_once"): "a StaleDataError at the commit must reach the retry around it (_retrying)",
}


def commits_in(path: Path) -> list[tuple[str, int]]:
    """(innermost enclosing function, line) of every ``<something>.commit()`` call in the module."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "commit":
                found.append((function, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


MODULES = sorted(SERVICES.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_services_leave_the_commit_to_the_transaction_boundary(path: Path) -> None:
    stray = [f"{path.stem}.{function} line {line}" for function, line in commits_in(path)
             if (path.stem, function) not in ALLOWED]
    assert not stray, f"commit in a service body (use @transactional or transaction()): {stray}"


def test_the_scan_sees_a_commit_inside_a_nested_block(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("def outer():\n    with x:\n        if y:\n            db.session.commit()\n", encoding="utf-8")
    assert commits_in(module) == [("outer", 4)]


def test_every_allowed_commit_is_still_there() -> None:
    for module, function in ALLOWED:
        assert function in {f for f, _line in commits_in(SERVICES / f"{module}.py")}, (module, function)
