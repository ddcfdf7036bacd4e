"""No import cycles inside dsr/ (issue 12 point 1), read from the source with ``ast``.

Every ``import`` and ``from ... import`` in a module counts, at any depth: at the top, inside a function,
a class or a ``try``. A function-level import only postpones a cycle to the first call; it does not
remove it. Relative imports are resolved against the importing module, and ``from . import x`` points
at the module ``x`` when ``x`` is one (else at the package itself). Imports under ``if TYPE_CHECKING:``
do not count: they never run. A package's ``__init__`` counts when it is imported itself (``from ..
import models``), not as the parent of the module being imported.

The one way back allowed is to the app factory (``dsr/__init__.py``): it assembles every part of the
app, so whatever builds an app of its own (the RQ worker) imports it from inside a function. Such edges
are listed in :data:`ALLOWED`, and a test checks that they stay inside functions.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dsr"

#: (importer, imported) edges that may close a cycle, each with why. Only imports of the app factory.
ALLOWED = {
    ("dsr.jobs", "dsr"): "the RQ worker builds its app with create_app, which imports every part of dsr",
}


@dataclass(frozen=True)
class Import:
    """One import statement's target inside the package."""

    target: str
    line: int
    in_function: bool


def module_names(package: Path) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its own name, for its ``__init__.py``)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports of module ``name`` that point at a module in ``modules``, at any depth."""
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def target(dotted: str) -> str | None:
        while dotted and dotted not in modules:  # ``import dsr.services.cases.x``: the module part
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:  # the ``else`` branch of ``if TYPE_CHECKING`` does run
                    visit(other, in_function)
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if (hit := target(alias.name)) is not None:
                        found.append(Import(hit, child.lineno, inner))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                for alias in child.names:
                    submodule = f"{source}.{alias.name}"
                    hit = submodule if submodule in modules else target(source)
                    if hit is not None:
                        found.append(Import(hit, child.lineno, inner))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def import_graph(package: Path) -> dict[str, dict[str, list[Import]]]:
    """importer → imported → the import statements, for every module of ``package``."""
    modules = module_names(package)
    graph: dict[str, dict[str, list[Import]]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for found in imports_of(name, path, modules):
            if found.target != name:
                edges.setdefault(found.target, []).append(found)
    return graph


def find_cycle(graph: dict[str, dict[str, list[Import]]], allowed=()) -> list[str] | None:
    """A cycle as a list of modules (the first repeated at the end), or None; ``allowed`` edges are left out."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(graph[start]))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if (path[-1], following) in allowed or following in done:
                continue
            if following in on_path:
                return path[path.index(following):] + [following]
            path.append(following)
            on_path.add(following)
            stack.append(iter(sorted(graph.get(following, ()))))
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, list[Import]]]) -> str:
    """``a (line 3) -> b (line 7, in a function) -> a``: where each import of the cycle is."""
    steps = []
    for importer, imported in zip(cycle, cycle[1:], strict=False):
        where = ", ".join(f"line {line}" + (" in a function" if in_function else "")
                          for line, in_function in sorted({(i.line, i.in_function) for i in graph[importer][imported]}))
        steps.append(f"{importer} ({where})")
    return " -> ".join(steps + [cycle[-1]])


def test_dsr_has_no_import_cycles():
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and "dsr.services.steps" in graph["dsr.services.consent"]  # it really read dsr/
    cycle = find_cycle(graph, allowed=ALLOWED)
    assert cycle is None, "import cycle inside dsr/: " + describe(cycle, graph)


def test_the_allowed_imports_of_the_app_factory_stay_inside_functions():
    graph = import_graph(PACKAGE)
    for (importer, imported), why in ALLOWED.items():
        found = graph[importer].get(imported)
        assert found, f"{importer} no longer imports {imported}: drop it from ALLOWED ({why})"
        assert all(i.in_function for i in found), f"{importer} imports {imported} at the top: {why}"


def _says_why(lines: list[str], line: int) -> bool:
    """Whether the import on ``line`` (1-based) has a comment in its block of imports or just above it."""
    first = last = line - 1
    while first > 0 and lines[first - 1].strip().startswith(("from ", "import ")):
        first -= 1
    while last + 1 < len(lines) and lines[last + 1].strip().startswith(("from ", "import ")):
        last += 1
    return any("#" in text for text in lines[max(first - 1, 0):last + 1])


def test_function_level_imports_inside_dsr_say_why():
    """Every import of a dsr module that stays inside a function says why, in a comment at its block of imports."""
    modules = module_names(PACKAGE)
    silent = []
    for name, path in modules.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for found in imports_of(name, path, modules):
            if found.in_function and not _says_why(lines, found.line):
                silent.append(f"{path.relative_to(ROOT)}:{found.line} imports {found.target}")
    assert silent == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "pkg"
    for relative, text in files.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text, encoding="utf-8")
    return package


def test_the_check_finds_a_cycle_through_a_function_level_relative_import(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "sub/__init__.py": "",
        "sub/a.py": "from . import b\n",
        "sub/b.py": "from ..c import thing\n",
        "c.py": "def thing():\n    from .sub.a import x\n    return x\n",
        "d.py": "import pkg.c\n",
    })
    graph = import_graph(package)
    assert graph["pkg.d"] == {"pkg.c": [Import("pkg.c", 1, False)]}
    cycle = find_cycle(graph)
    assert cycle == ["pkg.c", "pkg.sub.a", "pkg.sub.b", "pkg.c"]
    assert describe(cycle, graph) == \
        "pkg.c (line 2 in a function) -> pkg.sub.a (line 1) -> pkg.sub.b (line 1) -> pkg.c"
    assert find_cycle(graph, allowed={("pkg.c", "pkg.sub.a")}) is None


def test_the_check_leaves_out_type_checking_imports(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n",
        "b.py": "import typing\nfrom . import a\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    from .a import y\n",
    })
    graph = import_graph(package)
    assert graph["pkg.a"] == {} and set(graph["pkg.b"]) == {"pkg.a"}
    assert find_cycle(graph) is None


#: What each layer may import inside dsr (docs/architecture.md, "Layers"): allowed prefixes, or forbidden ones.
MAY_IMPORT_ONLY = {
    "dsr.workflows": ("dsr.workflows",),
    "dsr.settings": ("dsr.settings",),
    "dsr.models": ("dsr.models", "dsr.extensions", "dsr.workflows", "dsr.templating"),
}
MAY_NOT_IMPORT = {
    "dsr.notifications": ("dsr.services", "dsr.views", "dsr.forms"),
    "dsr.services": ("dsr.views", "dsr.forms"),
    "dsr.forms": ("dsr.views",),
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_each_layer_imports_only_what_docs_architecture_allows():
    modules = module_names(PACKAGE)
    breaches = []
    for name, path in modules.items():
        for imported in imports_of(name, path, modules):
            for layer, allowed in MAY_IMPORT_ONLY.items():
                if _within(name, layer) and not any(_within(imported.target, a) for a in allowed):
                    breaches.append(f"{name} (line {imported.line}) imports {imported.target}")
            for layer, forbidden in MAY_NOT_IMPORT.items():
                if _within(name, layer) and any(_within(imported.target, f) for f in forbidden):
                    breaches.append(f"{name} (line {imported.line}) imports {imported.target}")
    assert breaches == [], "layer rule broken (docs/architecture.md):\n" + "\n".join(breaches)
