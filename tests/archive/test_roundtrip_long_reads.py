"""Long reads through the real CLI (issue 15): the corpus's nanopore and PacBio files and
generated FASTQ with what long-read files hold (reads of 1 bp to 200 kb, every quality value,
'+' lines that repeat the name, names with and without comments), byte for byte; and the archive
version the qualities' use of the bases needs."""

from __future__ import annotations

import gzip
import io
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from paths import CORPUS

import dnacomp
from dnacomp.archive import inspect_stream
from dnacomp.container import MAGIC
from dnacomp.errors import ArchiveError

LONG_READS = [CORPUS / "extra" / n for n in ("ont_cdna_pcs109_sirv_5k.fastq.gz", "pacbio_rs2_slice_b.fastq.gz")]


def _cli(*args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([sys.executable, "-m", "dnacomp", *args], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("path", LONG_READS, ids=lambda p: p.name)
def test_corpus_long_reads_round_trip_through_the_cli(path, tmp_path):
    if not path.exists():
        pytest.skip(f"{path} is absent")
    original = gzip.decompress(path.read_bytes())
    fq = tmp_path / "reads.fq"
    fq.write_bytes(original)
    _cli("compress", "-q", "-T", "2", str(fq))
    archive = tmp_path / "reads.fq.dnac"
    assert not fq.exists() and archive.exists()
    with archive.open("rb") as f:
        stats = inspect_stream(f)
    assert stats.stream_methods["qualities"] == {"quality-cm+bases"}
    shaped = "ont_" in path.name  # nanopore names: a UUID and a start_time; PacBio's: movie/zmw/range
    assert stats.stream_methods["names"] == ({"names-shaped"} if shaped else {"names"})
    assert _cli("decompress", "-q", "-c", str(archive)) == original


def _generated_long_reads(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    out = []
    run = rng.bytes(20).hex()  # one run: the same runid in every name
    lengths = [1, 150, 200_000, 36, 25_000, 0, 9_000, 94, 1_000_000, 12] + [300] * 200
    for i, n in enumerate(lengths):
        seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, n)].copy()
        seq[rng.random(n) < 0.002] = ord("N")
        if n == 94:
            qual = np.arange(33, 127, dtype=np.uint8)  # every quality value 0..93
        else:
            qual = (rng.integers(0, 40, n) + 33 + (seq == ord("A")) * 5).astype(np.uint8)
        if i % 2:
            name = f"read{i}"
        else:  # a nanopore name: UUID, comments, an ISO start time
            u = rng.bytes(16).hex()
            name = f"{u[:8]}-{u[8:12]}-4{u[13:16]}-{u[16:20]}-{u[20:]} runid={run} read={i} ch={i * 7}"
            name += f" start_time=2019-04-12T{i // 60 % 24:02d}:{i % 60:02d}:43Z"
        plus = f"+{name}" if i % 3 == 0 else "+"
        out.append(f"@{name}\n{seq.tobytes().decode()}\n{plus}\n{qual.tobytes().decode()}\n")
    return "".join(out).encode()


def test_generated_long_reads_round_trip_through_the_cli():
    """Reads of 0 bp to 1 Mb, every quality value, nanopore names among plain ones (enough of
    them for the shaped names to be chosen)."""
    original = _generated_long_reads(1)
    archive = _cli("compress", "-q", "-c", "-", stdin=original)
    assert inspect_stream(io.BytesIO(archive)).stream_methods["names"] == {"names-shaped"}
    assert _cli("decompress", "-q", "-c", "-", stdin=archive) == original


def _as_version(archive: bytes, version: int) -> bytes:
    """The archive with another format version in its header (the header's CRC recomputed)."""
    at = len(MAGIC)
    (meta_len,) = struct.unpack_from("<I", archive, at + 2)
    body = struct.pack("<HI", version, meta_len) + archive[at + 6 : at + 6 + meta_len]
    return archive[:at] + body + struct.pack("<I", zlib.crc32(body)) + archive[at + 6 + meta_len + 4 :]


def test_qualities_that_read_the_bases_are_refused_in_a_version_5_archive():
    """Version 6 is what lets a quality stream read the bases: the same blocks framed as
    version 5 are corrupt, not decoded some other way."""
    from paths import GOLDEN

    lines = (GOLDEN / "fastq_ont_cdna_reads.fq").read_bytes().split(b"\n")
    lines[0::4] = [b"@read%d" % i if line else line for i, line in enumerate(lines[0::4])]  # plain names
    original = b"\n".join(lines)
    archive = dnacomp.compress_bytes(original)
    stats = inspect_stream(io.BytesIO(archive))
    assert stats.stream_methods["qualities"] == {"quality-cm+bases"} and stats.stream_methods["names"] == {"names"}
    assert dnacomp.decompress_bytes(_as_version(archive, 6)) == original
    with pytest.raises(ArchiveError, match="needs the bases"):
        dnacomp.decompress_bytes(_as_version(archive, 5))


def test_shaped_names_are_refused_in_a_version_6_archive():
    """Version 7 is what lets names be shaped: the same blocks framed as version 6 are corrupt."""
    from paths import GOLDEN

    original = (GOLDEN / "fastq_ont_cdna_reads.fq").read_bytes()
    archive = dnacomp.compress_bytes(original)
    assert inspect_stream(io.BytesIO(archive)).stream_methods["names"] == {"names-shaped"}
    assert dnacomp.decompress_bytes(_as_version(archive, 7)) == original
    with pytest.raises(ArchiveError, match="shaped names before format version 7"):
        dnacomp.decompress_bytes(_as_version(archive, 6))
