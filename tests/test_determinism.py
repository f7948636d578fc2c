"""Archives must not depend on the machine: the kernel compiled for a generic x86-64, for
Haswell (AVX2) and for this host (AVX-512 here) must write identical archives, and each must
decode the others'. Every step runs in its own process, as encoder and decoder would."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dnacomp.models.levels import DEFAULT_LEVEL

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "lambda_virus.fa"
TARGETS = ["generic", "haswell", "host"]


def run(cpu: str, *args: str, stdin: bytes | None = None) -> bytes:
    env = dict(os.environ)
    env.pop("NUMBA_CPU_NAME", None)
    if cpu != "host":
        env["NUMBA_CPU_NAME"] = cpu
    res = subprocess.run([sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, env=env,
                         timeout=600)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout


@pytest.mark.parametrize("level", sorted({1, DEFAULT_LEVEL, 9}))
def test_archives_are_identical_across_cpu_targets_and_cross_decode(level):
    original = REFERENCE.read_bytes()
    archives = {cpu: run(cpu, "compress", f"-{level}", "-c", "-q", str(REFERENCE)) for cpu in TARGETS}
    assert archives["generic"] == archives["haswell"] == archives["host"]
    for encoder, decoder in [("generic", "host"), ("host", "haswell"), ("haswell", "generic")]:
        assert run(decoder, "decompress", "-c", "-q", "-", stdin=archives[encoder]) == original


def test_thread_count_does_not_change_the_archive():
    original = REFERENCE.read_bytes()
    one = run("host", "compress", "-c", "-q", "--threads", "1", str(REFERENCE))
    two = run("host", "compress", "-c", "-q", "--threads", "2", str(REFERENCE))
    assert one == two
    assert run("host", "decompress", "-c", "-q", "-", stdin=two) == original
