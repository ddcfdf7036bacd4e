"""dsr.dev holds the development and test tooling (launcher, local services, mail sink, demo data);
the production app never imports it (issue 12, point 7). And the paths the launcher's banner names
are real pages (it pointed at /admin/mail, a 404; the mail page is /beheer/mail)."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from dsr.dev import launcher
from tests.helpers import AUDIT_KEY

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dsr"
DEV = PACKAGE / "dev"
#: The demo commands (``seed-demo``, ``demo-totp``) import dsr.dev.demo inside the command: only
#: running them loads it. Nowhere else in production code may name dsr.dev.
LAZY_IMPORTERS = {"dsr/cli.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path):
    """(module imported, whether the import sits at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top_level = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from dsr import dev" imports dsr.dev too: count each imported name as a submodule.
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            yield name, id(node) in top_level


def _is_dev(name: str) -> bool:
    return name == "dsr.dev" or name.startswith("dsr.dev.")


def test_production_modules_do_not_import_dsr_dev():
    production = [p for p in sorted(PACKAGE.rglob("*.py")) if DEV not in p.parents]
    assert len(production) > 50  # the walk found the package
    offenders = []
    for path in production:
        rel = path.relative_to(ROOT).as_posix()
        for name, at_module_level in _imported_modules(path):
            if _is_dev(name) and (rel not in LAZY_IMPORTERS or at_module_level):
                offenders.append(f"{rel}: imports {name}")
    assert not offenders, ("production code must not import dsr.dev (development and tests only):\n"
                           + "\n".join(offenders))


def test_the_import_check_sees_relative_and_absolute_imports(tmp_path, monkeypatch):
    # The check above must be able to fail: a module in dsr/services importing the demo either way.
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    services = tmp_path / "dsr" / "services"
    services.mkdir(parents=True)
    (services / "a.py").write_text("from ..dev.demo import seed_demo\n")
    (services / "b.py").write_text("def f():\n    from dsr import dev\n")
    found = {path.name: [(n, top) for n, top in _imported_modules(path) if _is_dev(n)]
             for path in sorted(services.glob("*.py"))}
    assert ("dsr.dev.demo", True) in found["a.py"]
    assert ("dsr.dev", False) in found["b.py"]


def test_the_running_app_loads_no_dev_module():
    # What gunicorn, the RQ worker and the scheduler load: wsgi (create_app with its blueprints, the
    # CLI group), the jobs and every module of views, services, workflows and models.
    code = """
import importlib, json, pkgutil, sys
import wsgi, dsr.jobs, dsr.scheduler
for package in ("dsr.views", "dsr.services", "dsr.workflows", "dsr.models", "dsr.notifications"):
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, package + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(name for name in sys.modules if name.startswith("dsr"))))
"""
    env = {"PATH": "/usr/bin:/bin", "DSR_SECRET_KEY": "k-test-secret", "DSR_DEMO": "0",
           "DSR_AUDIT_KEYS": f'["{AUDIT_KEY}"]',
           "DSR_PUBLIC_BASE_URL": "https://avg.example.nl"}  # as in production
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "dsr.views.admin" in loaded and "dsr.cli" in loaded  # the import did reach the app
    assert [name for name in loaded if _is_dev(name)] == []


# --- the launcher's banner ------------------------------------------------------------------------
URL_PATH = re.compile(r"(?<![\w./])(/[a-z][a-z0-9_-]*(?:/[a-z0-9_-]+)*/?)")


def _banner_paths() -> set[str]:
    """Every URL path spelled in a string of the launcher (its banner and notes)."""
    tree = ast.parse((DEV / "launcher.py").read_text(encoding="utf-8"))
    texts = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return {match for text in texts for match in URL_PATH.findall(text)}


def test_the_banner_names_the_mail_page(app):
    assert launcher.MAIL_PAGE in _banner_paths()
    endpoint, _ = app.url_map.bind("localhost").match(launcher.MAIL_PAGE)
    assert endpoint == "admin.mailbox"


def test_every_path_in_the_banner_is_a_route(app):
    adapter = app.url_map.bind("localhost")
    paths = _banner_paths()
    assert paths  # the scan found the banner's paths
    missing = []
    for path in sorted(paths):
        try:
            adapter.match(path)
        except Exception as err:  # NotFound, or a redirect to a path that does not exist either
            missing.append(f"{path}: {type(err).__name__}")
    assert not missing, missing


# --- the launcher's settings are documented -------------------------------------------------------
READS = re.compile(r"""(?:environ\.get\(|environ\[|env\.get\("""
                   r"""|(?<=[\s(])["'](?=DSR_[A-Z_]+["']\s+(?:not\s+)?in\s+env))"""
                   r"""["']?(DSR_[A-Z_]+)""")


def test_readme_documents_every_variable_make_run_reads():
    read = set()
    for name in ("launcher.py", "local_services.py"):
        read |= set(READS.findall((DEV / name).read_text(encoding="utf-8")))
    assert {"DSR_PORT", "DSR_REDIS_URL", "DSR_MAIL_SERVER", "DSR_REDIS_SERVER"} <= read  # the scan works
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("`make run` (`python -m dsr.dev.launcher`) reads"):]
    assert [name for name in sorted(read) if f"`{name}`" not in section] == []
