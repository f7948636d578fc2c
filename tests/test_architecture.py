"""The layers of the package (issue 14, item 4): no module imports a layer above its own.

The contracts live in pyproject.toml ([tool.importlinter]); `lint-imports` (PyPI import-linter, in
the test extra) checks them. It is run here so that the README's test command, and so CI, fails
on a back-edge. Not installed is a failure, not a skip: the test extra installs it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from paths import REPO

ROOT = REPO


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")  # the venv running the tests
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "lint-imports not found: install the test extra (pip install -e '.[test]')"
    return found


def test_the_import_contracts_of_pyproject_hold():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    res = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_no_module_imports_the_package_root():
    """``dnacomp/__init__`` re-exports the API (lazily), so a module that imported it (for
    ``__version__``, say) would close a cycle through the top of the stack: the version lives in
    ``dnacomp.version``."""
    import grimp  # installed with import-linter

    sys.path.insert(0, str(ROOT))
    try:
        graph = grimp.build_graph("dnacomp", cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))
    assert graph.find_modules_that_directly_import("dnacomp") == set()


def test_every_public_name_resolves_and_every_public_function_is_documented():
    import inspect

    import dnacomp

    for name in dnacomp.__all__:
        value = getattr(dnacomp, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"dnacomp.{name} has no docstring"


def test_the_cli_imports_no_private_name_of_the_api():
    """The command line uses the public API only (it once opened archives with api._open_archive)."""
    import ast

    tree = ast.parse((ROOT / "dnacomp" / "cli.py").read_text())
    private = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == []
