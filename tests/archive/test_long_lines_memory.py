"""Memory of header and name coding on one very long line (issue 12, item 7).

A 9 MB FASTA header took 1.65 GB of RSS to compress (a 20 MB header of CRs 3.4 GB): the names
encoder asked for 160 bytes of output room per byte of a name before coding it. The bound held
here: a file whose one header (or read name) is ``L`` bytes long takes at most ``4 * L + SLACK``
more peak RSS than the same command on a tiny file of the same format, for ``compress``,
``decompress`` and ``test``; each child is measured on its own (``os.wait4``).

What is left per byte of the line: compressing, the chunk and its header field (each held once
by the container code), the coded field and zlib's size bound on it (up to ~1.2 L together on
this text, which codes to ~60%); decompressing, the coded block, the decoded field, the rebuilt
chunk and its bytes copy. Measured on this text at 4, 9 and 18 MiB: compress 3.2 L + 2 MiB,
decompress 3.6 L + 5 MiB (CRs: 1.8 L and 3.0 L).

Why SLACK is 16 MiB: the model tables (base models, quality model, the names coder's tables,
bz2's block) are the same in the tiny baseline run and cancel; what is left is fixed and small
(the names encoder's output buffer of at most 1 MiB, allocator retention, page granularity).
16 MiB is three times the largest fixed part measured, and a 9 MiB line keeps a regression to
5.7 L or more from passing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # measures peak RSS of child runs on 9-20 MB lines

L = 9 << 20
SLACK = 16 << 20
DNACOMP = [sys.executable, "-m", "dnacomp"]


def _peak_rss(args: list[str], cwd) -> int:
    """Peak RSS in bytes of one ``dnacomp`` child process."""
    proc = subprocess.Popen(DNACOMP + args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.returncode == 0, f"dnacomp {' '.join(args)} failed: {err}"
    return usage.ru_maxrss * 1024  # KiB on Linux


def _text(n: int) -> bytes:
    """Header-like text of ``n`` bytes that codes to about half its size (so the encoder's output
    buffer fills and is emptied many times, and the general-codec bound is computed too)."""
    alphabet = np.frombuffer(b"0123456789:;|=_ ACGTchrgene", dtype=np.uint8)
    return alphabet[np.random.default_rng(12).integers(0, alphabet.size, n)].tobytes()


def _peaks(tmp_path, name: str, data: bytes, commands: tuple[str, ...]) -> dict[str, int]:
    path = tmp_path / name
    path.write_bytes(data)
    peaks = {"compress": _peak_rss(["compress", "-1", "-k", "-f", "-q", name], tmp_path)}
    if "decompress" in commands:
        peaks["decompress"] = _peak_rss(["decompress", "-k", "-f", "-q", "-o", name + ".out", name + ".dnac"], tmp_path)
        assert (tmp_path / (name + ".out")).read_bytes() == data
    if "test" in commands:
        peaks["test"] = _peak_rss(["test", "-q", name + ".dnac"], tmp_path)
    return peaks


@pytest.fixture(scope="module")
def baselines(tmp_path_factory):
    """Peak RSS of each command on a tiny file, per format; the first runs also warm numba's cache
    (a cold compile would otherwise count in the baseline)."""
    tmp = tmp_path_factory.mktemp("baseline")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import dnacomp\nfor d in b'>x\\nACGT\\n', b'@x\\nAC\\n+\\nII\\n':\n"
            "    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(d, level=1)) == d",
        ],
        check=True,
    )
    return {
        "fasta": _peaks(tmp, "tiny.fa", b">x\nACGT\n", ("decompress", "test")),
        "fastq": _peaks(tmp, "tiny.fq", b"@x\nACGT\n+\nIIII\n", ("decompress",)),
    }


CASES = {
    "fasta-header": ("fasta", "long.fa", lambda: b">" + _text(L) + b"\nACGTACGT\n", ("decompress", "test")),
    "fastq-name": ("fastq", "long.fq", lambda: b"@" + _text(L) + b"\nACGT\n+\nIIII\n", ("decompress",)),
    # only CRs after the '>': one header of L - 1 bytes whose last CR is its line ending
    "cr-only-header": ("fasta", "cr.fa", lambda: b">" + b"\r" * L, ("decompress",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_long_line_costs_at_most_4x_its_length(case, baselines, tmp_path):
    kind, name, make, commands = CASES[case]
    peaks = _peaks(tmp_path, name, make(), commands)
    for command, peak in peaks.items():
        extra = peak - baselines[kind][command]
        assert extra <= 4 * L + SLACK, (
            f"{case} {command}: {extra / 2**20:.0f} MiB over the tiny file for a {L >> 20} MiB line "
            f"(limit {(4 * L + SLACK) / 2**20:.0f} MiB)"
        )


def test_fast_size_is_the_length_of_the_fast_encoding():
    """The names field compares its coded size with ``general.fast_size`` (zlib fed in pieces,
    to hold only its count) where it compared with ``len(general.encode(raw, fast=True))``."""
    from dnacomp.codecs import general

    rng = np.random.default_rng(3)
    for raw in (
        b"",
        b"a",
        bytes(range(256)),
        _text(3 << 20),
        rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes(),
        b"\r" * (2 << 20) + b"x",
        b"".join(b"r%d:%d " % (i, i * 7 % 1000) for i in range(300_000)),
    ):
        assert general.fast_size(raw) == len(general.encode(raw, fast=True))
