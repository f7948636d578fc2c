"""Which codec each side stream gets (dnacomp/codecs/fields.py), end to end through the container."""

import io
import random

import pytest

import dnacomp
from dnacomp.archive import compress_stream, inspect_stream
from dnacomp.codecs import fields
from dnacomp.errors import ArchiveError


def _illumina(n: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        seq = "".join(rnd.choice("ACGT") for _ in range(50))
        qual = "".join(chr(rnd.choice([35, 53, 63, 70, 73, 73, 73])) for _ in range(50))
        out.append(f"@HWI-ST745_0098:1:1101:{1000 + 3 * i}:{rnd.randrange(30000)}#0/1\n{seq}\n+\n{qual}\n")
    return "".join(out).encode()


def _methods(data: bytes, **kw) -> dict[str, set[str]]:
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, **kw)
    return inspect_stream(io.BytesIO(out.getvalue())).stream_methods


def test_reads_use_the_name_tokeniser_and_the_quality_model():
    methods = _methods(_illumina(300), level=1)
    assert methods["names"] == {"names"}
    assert methods["qualities"] == {"quality-cm"}
    assert methods["layout"] <= {"stored", "zlib", "bz2", "lzma"}


def test_junk_names_fall_back_to_a_general_codec_and_round_trip():
    rnd = random.Random(7)
    reads = []
    for _ in range(200):
        name = bytes(rnd.choice(b"\x01\x7f\xff\t !~.:/") for _ in range(rnd.randrange(1, 40)))
        reads.append(b"@" + name + b"\nACGT\n+\nIIII\n")
    data = b"".join(reads)
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(data, level=1)) == data


def test_fasta_headers_go_through_the_tokeniser_when_it_wins():
    data = b"".join(b">chr2L:%d-%d gene_%05d\nACGTACGTAC\n" % (1000 * i, 1000 * i + 1999, i) for i in range(500))
    methods = _methods(data, level=1)
    assert methods["headers"] == {"names"}
    assert dnacomp.decompress_bytes(dnacomp.compress_bytes(data, level=1)) == data


def test_multi_block_fastq_round_trips_with_context_per_block():
    data = _illumina(400, seed=3)
    out = io.BytesIO()
    stats = compress_stream(io.BytesIO(data), out, level=1, segment_size=4096)
    assert stats.n_blocks > 5
    assert dnacomp.decompress_bytes(out.getvalue()) == data


def test_a_method_a_field_never_uses_is_rejected():
    coded = {"layout": (0, b""), "headers": (3, bytes([fields.QUALITY_CM]) + b"xyz")}
    with pytest.raises(ArchiveError, match="never uses"):
        fields.decode_fields("fasta", coded, n_symbols=0, n_records=1)


def test_unknown_general_method_is_an_archive_error():
    with pytest.raises(ArchiveError):
        fields.decode_fields("fastq", {"plus": (3, b"\x07abc")}, n_symbols=0, n_records=0)
