"""Archives must not depend on the machine: the kernel compiled for a generic x86-64, for
Haswell (AVX2) and for this host (AVX-512 here) must write identical archives, and each must
decode the others'. Every step runs in its own process, as encoder and decoder would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from paths import LAMBDA_FA

from dnacomp.models.levels import DEFAULT_LEVEL

pytestmark = pytest.mark.slow  # compiles the kernels for three CPU targets

REFERENCE = LAMBDA_FA
TARGETS = ["generic", "haswell", "host"]


def run(cpu: str, *args: str, stdin: bytes | None = None) -> bytes:
    env = dict(os.environ)
    env.pop("NUMBA_CPU_NAME", None)
    if cpu != "host":
        env["NUMBA_CPU_NAME"] = cpu
    res = subprocess.run(
        [sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, env=env, timeout=600
    )
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout


@pytest.mark.parametrize("level", sorted({1, DEFAULT_LEVEL, 9}))
def test_archives_are_identical_across_cpu_targets_and_cross_decode(level):
    original = REFERENCE.read_bytes()
    archives = {cpu: run(cpu, "compress", f"-{level}", "-c", "-q", str(REFERENCE)) for cpu in TARGETS}
    assert archives["generic"] == archives["haswell"] == archives["host"]
    for encoder, decoder in [("generic", "host"), ("host", "haswell"), ("haswell", "generic")]:
        assert run(decoder, "decompress", "-c", "-q", "-", stdin=archives[encoder]) == original


def _reads(tmp_path: Path) -> Path:
    """Reads with Illumina names, N bases and varied qualities: the name tokeniser and the quality
    model (their own numba kernels) are on the coding path too."""
    import random

    rnd = random.Random(5)
    out = []
    for i in range(1500):
        seq = "".join(rnd.choice("ACGT" * 30 + "N") for _ in range(rnd.choice([76, 76, 76, 50])))
        qual = "".join("#" if b == "N" else chr(rnd.randrange(35, 75)) for b in seq)
        out.append(f"@HWI-ST745_0098:1:{1101 + i // 500}:{rnd.randrange(20000)}:{2000 + i}#0/1\n{seq}\n+\n{qual}\n")
    path = tmp_path / "reads.fq"
    path.write_text("".join(out))
    return path


def test_fastq_archives_are_identical_across_cpu_targets_and_thread_counts(tmp_path):
    reads = _reads(tmp_path)
    original = reads.read_bytes()
    archives = {cpu: run(cpu, "compress", "-c", "-q", str(reads)) for cpu in TARGETS}
    assert archives["generic"] == archives["haswell"] == archives["host"]
    assert run("host", "compress", "-c", "-q", "--threads", "2", str(reads)) == archives["host"]
    for encoder, decoder in [("generic", "host"), ("host", "haswell"), ("haswell", "generic")]:
        assert run(decoder, "decompress", "-c", "-q", "-", stdin=archives[encoder]) == original


def test_thread_count_does_not_change_the_archive():
    original = REFERENCE.read_bytes()
    one = run("host", "compress", "-c", "-q", "--threads", "1", str(REFERENCE))
    two = run("host", "compress", "-c", "-q", "--threads", "2", str(REFERENCE))
    assert one == two
    assert run("host", "decompress", "-c", "-q", "-", stdin=two) == original


@pytest.mark.parametrize("level", [1, 9])
def test_gru_archives_are_identical_across_cpu_targets_threads_and_flush_to_zero(level):
    """The GRU computes in float64: the same archive for SSE2-only, AVX2 and AVX-512 code, for any
    thread count, and in a process that flushes subnormals to zero (as torch.set_flush_denormal
    does); each decodes the others'."""
    original = REFERENCE.read_bytes()
    args = ("compress", f"-{level}", "--model", "gru", "-c", "-q", str(REFERENCE))
    archives = {cpu: run(cpu, *args) for cpu in TARGETS}
    assert archives["generic"] == archives["haswell"] == archives["host"]
    assert run("host", *args[:-1], "--threads", "2", str(REFERENCE)) == archives["host"]
    ftz = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, torch; assert torch.set_flush_denormal(True); import dnacomp; "
            f"sys.stdout.buffer.write(dnacomp.compress_bytes(open({str(REFERENCE)!r}, 'rb').read(), level={level}, "
            "model='gru'))",
        ],
        capture_output=True,
        timeout=600,
    )
    assert ftz.returncode == 0, ftz.stderr.decode()
    assert ftz.stdout == archives["host"]
    for encoder, decoder in [("generic", "host"), ("host", "haswell"), ("haswell", "generic")]:
        assert run(decoder, "decompress", "-c", "-q", "-", stdin=archives[encoder]) == original


def test_the_coding_path_never_imports_torch():
    """torch is the GRU's reference in tests, not part of coding: so ATEN_CPU_CAPABILITY (torch's
    SIMD dispatch) cannot change an archive."""
    code = (
        "import sys, dnacomp; a = dnacomp.compress_bytes(b'>x\\n' + b'ACGTTGCA' * 500, level=1, model='gru'); "
        "assert dnacomp.decompress_bytes(a).startswith(b'>x'); print('torch' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=600)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout.strip() == b"False"
