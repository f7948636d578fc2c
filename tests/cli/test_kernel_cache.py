"""The compiled-kernel cache lives outside the package, the first run says that it compiles, and
the commands that code nothing (--help, --version, info) start without numba (issue 12, 11-12).

One cold run is expensive (~15-30 s: numba compiles the FASTA kernels), so the module fixture
makes it once, in a fresh DNACOMP_CACHE_DIR, and the tests below check what it left.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from paths import GOLDEN

import dnacomp
from dnacomp import kernel_cache
from dnacomp.cli import main

PACKAGE = Path(dnacomp.__file__).resolve().parent
GOLDEN_L1 = GOLDEN / "lambda_virus.fa.L1.dnac"
ONE = b">one record\nACGTACGTTGCAACGTNNACGTACGTAAAACCCGGGTTT\n"
NOTICE_START = "dnacomp: compiling kernels for this CPU"


def _env(cache_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("NUMBA_CACHE_DIR", "DNACOMP_CACHE_DIR", "DNACOMP_COMPILE_NOTICE", "XDG_CACHE_HOME"):
        env.pop(name, None)
    if cache_dir is not None:
        env["DNACOMP_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


def _run(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dnacomp", *args], capture_output=True, env=env, cwd=cwd, timeout=600)


def _package_cache_files() -> dict[str, int]:
    """numba's cache files inside the package (index .nbi, data .nbc), with their mtimes."""
    return {str(p): p.stat().st_mtime_ns for p in PACKAGE.rglob("*") if p.suffix in (".nbi", ".nbc")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A cold first compress, a quiet decompress (one more kernel to compile) and two warm runs."""
    work = tmp_path_factory.mktemp("kcache")
    cache = work / f"dnacomp-{os.getuid()}"  # also where a run with TMPDIR=work falls back to
    (work / "one.fa").write_bytes(ONE)
    env = _env(cache)
    in_package_before = _package_cache_files()
    cold = _run("compress", "-k", "one.fa", env=env, cwd=work)
    after_cold = {p.name for p in cache.rglob("*.nbi")}
    quiet = _run("decompress", "-q", "-c", "one.fa.dnac", env=env, cwd=work)
    after_quiet = {p.name for p in cache.rglob("*.nbi")}
    warm = _run("compress", "-c", "one.fa", env=env, cwd=work)
    warm_dec = _run("decompress", "-c", "one.fa.dnac", env=env, cwd=work)
    return dict(
        work=work,
        cache=cache,
        cold=cold,
        quiet=quiet,
        warm=warm,
        warm_dec=warm_dec,
        after_cold=after_cold,
        after_quiet=after_quiet,
        in_package_before=in_package_before,
        in_package_after=_package_cache_files(),
    )


@pytest.mark.slow
def test_first_run_says_once_on_stderr_that_it_compiles(runs):
    cold = runs["cold"]
    assert cold.returncode == 0, cold.stderr.decode()
    err = cold.stderr.decode()
    assert err.count(NOTICE_START) == 1, err
    assert "first run only" in err and "dnacomp warmup" in err
    assert cold.stdout == b""


def test_warm_runs_and_quiet_runs_say_nothing(runs):
    # the quiet decompress compiled a kernel the compress did not need (arith.decode_init) ...
    assert runs["quiet"].returncode == 0 and runs["quiet"].stdout == ONE
    assert any(name.startswith("arith.decode_init") for name in runs["after_quiet"] - runs["after_cold"])
    # ... without a word; and once everything is cached, no run mentions compiling
    for name in ("quiet", "warm", "warm_dec"):
        res = runs[name]
        assert res.returncode == 0, res.stderr.decode()
        assert NOTICE_START not in res.stderr.decode(), name
        assert b"compiling" not in res.stdout, name
    assert runs["warm"].stdout.startswith(b"\x89DNAC")
    assert runs["warm_dec"].stdout == ONE


def test_kernel_cache_is_in_dnacomp_cache_dir_not_in_the_package(runs):
    cache = runs["cache"]
    (key_dir,) = cache.iterdir()  # one folder per dnacomp version, Python, numba, CPU and sources
    assert key_dir.name.startswith(f"{dnacomp.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}-numba")
    assert any(key_dir.rglob("kernel.code_bases-*.nbc")) and any(key_dir.rglob("*.nbi"))
    assert runs["in_package_after"] == runs["in_package_before"]  # nothing written into the package


SCRIPT = """
import runpy, sys
sys.argv = ["dnacomp", *sys.argv[1:]]
try:
    runpy.run_module("dnacomp", run_name="__main__")
except SystemExit as stop:
    code = stop.code
else:
    code = 0
print("exit", code, "numba" if "numba" in sys.modules else "no-numba", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["compress", "--help"], ["info", str(GOLDEN_L1)]],
    ids=["help", "version", "compress-help", "info"],
)
def test_commands_that_code_nothing_do_not_import_numba(args):
    res = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, env=_env(), timeout=120)
    last = res.stderr.decode().strip().splitlines()[-1]
    assert last == "exit 0 no-numba", res.stderr.decode()
    assert res.stdout


CONFIGURE = "from dnacomp import kernel_cache; print(kernel_cache.configure())"


def _configured(env: dict[str, str]) -> str:
    res = subprocess.run([sys.executable, "-c", CONFIGURE], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_cache_dir_is_per_user_and_keyed(tmp_path):
    key = kernel_cache.cache_key()
    assert _configured(_env(tmp_path / "d")) == str(tmp_path / "d" / key)
    assert _configured(_env(XDG_CACHE_HOME=str(tmp_path / "xdg"))) == str(tmp_path / "xdg" / "dnacomp" / key)
    assert _configured(_env(HOME=str(tmp_path / "home"))) == str(tmp_path / "home" / ".cache" / "dnacomp" / key)
    # the user's own NUMBA_CACHE_DIR is left as it is
    assert _configured(_env(tmp_path / "d", NUMBA_CACHE_DIR=str(tmp_path / "mine"))) == str(tmp_path / "mine")


def test_unwritable_cache_dir_falls_back_and_never_fails(runs, tmp_path, monkeypatch):
    import tempfile

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DNACOMP_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    chosen, why = kernel_cache._choose_dir()
    assert chosen == tmp_path / "tmp" / f"dnacomp-{os.getuid()}" / kernel_cache.cache_key() and "not writable" in why
    monkeypatch.setattr(kernel_cache, "_writable", lambda path: False)
    chosen, why = kernel_cache._choose_dir()
    assert chosen is None and "compiled on every run" in why
    # a run whose cache directory cannot be made still works: it falls back to the temporary
    # directory (here the fixture's, whose kernels are compiled already)
    res = _run(
        "decompress", "-c", "one.fa.dnac", env=_env(blocker / "cache", TMPDIR=str(runs["work"])), cwd=runs["work"]
    )
    assert res.returncode == 0 and res.stdout == ONE, res.stderr.decode()
    assert NOTICE_START not in res.stderr.decode()


def test_warmup_compiles_and_round_trips_every_model(capsys):
    assert main(["warmup"]) == 0
    out = capsys.readouterr().out
    assert "kernel cache:" in out
    for model in ("cm", "gru"):
        for kind in ("FASTA", "FASTQ"):
            assert f"{kind} --model {model}: round trip OK" in out
    assert main(["selftest", "-q"]) == 0 and capsys.readouterr().out == ""
