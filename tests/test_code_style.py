"""The code's style is checked, not argued about: ruff's lint rules and its formatter, with the
settings in pyproject.toml ([tool.ruff]). Fix a failure with `ruff check --fix . && ruff format .`."""

import shutil
import subprocess

import pytest
from paths import REPO

RUFF = shutil.which("ruff")


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_is_clean(args):
    assert RUFF, "ruff is in the test extra (pip install -e '.[test]')"
    done = subprocess.run([RUFF, *args], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
