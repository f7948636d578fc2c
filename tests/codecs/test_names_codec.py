"""Tests of the read-name tokeniser codec (dnacomp/codecs/names.py)."""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import CORPUS

from dnacomp.codecs.names import decode_names, encode_names
from dnacomp.errors import ArchiveError

FASTQ = sorted((CORPUS / "fastq").glob("*.gz")) if (CORPUS / "fastq").is_dir() else []
DM3 = CORPUS / "fasta" / "dm3_upstream2000.fa.gz"


def _fastq_names(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as f:
        lines = f.read().split(b"\n")
    return [line[1:] for line in lines[0::4] if line.startswith(b"@")]


def _round_trip(names: list[bytes]) -> bytes:
    raw = b"\n".join(names)
    data = encode_names(raw, len(names))
    assert decode_names(data, len(names)) == raw
    return data


# --- real files -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", FASTQ, ids=lambda p: p.name)
def test_corpus_fastq_names_round_trip(path):
    names = _fastq_names(path)
    assert names
    _round_trip(names)


@pytest.mark.skipif(not DM3.exists(), reason="corpus absent")
def test_corpus_fasta_headers_round_trip():
    with gzip.open(DM3, "rb") as f:
        heads = [line[1:] for line in f.read().split(b"\n") if line.startswith(b">")]
    data = _round_trip(heads)
    assert len(data) < 150_000  # 125.5 kB when written; general codecs give 213 kB


@pytest.mark.skipif(not (CORPUS / "fastq" / "ERR127302_1_subset.fastq.gz").exists(), reason="corpus absent")
def test_size_err127302_names():
    names = _fastq_names(CORPUS / "fastq" / "ERR127302_1_subset.fastq.gz")
    data = _round_trip(names)
    assert len(data) < 0.9 * 154_550  # fqzcomp -s5+ names stream; we were at ~110 kB


@pytest.mark.skipif(not (CORPUS / "fastq" / "ecoli_1K_1.fq.gz").exists(), reason="corpus absent")
def test_size_ecoli_names():
    names = _fastq_names(CORPUS / "fastq" / "ecoli_1K_1.fq.gz")
    assert len(_round_trip(names)) < 8_150  # fqzcomp: 9,061


# --- edge cases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        [b""],
        [b"", b""],
        [b""] * 1000,
        [b"a"],
        [b"0"],
        [b"007", b"008", b"009", b"010", b"0100", b"00", b"000000000000000000000000000001"],
        [b"99999999999999999999999", b"99999999999999999999998", b"100000000000000000000000"],
        [b"999999999999999999", b"1000000000000000000", b"999999999999999999"],
        [b"r998", b"r999", b"r1000", b"r1001", b"r999", b"r0999"],
        [b"x 1\t2\r3", b"x 1\t2\r4", b"\r", b"\t\t", b" "],
        [bytes([i]) for i in range(256) if i != 10],
        [b"a" * 100_000],
        [b"1" * 50_000, b"1" * 50_001],
        [b":".join(b"%d" % i for i in range(200))] * 3,
        [b"read_%d" % (10**6 - i) for i in range(300)],
    ],
)
def test_edge_cases(names):
    _round_trip(names)


def test_zero_names():
    assert encode_names(b"", 0) == b""
    assert decode_names(b"", 0) == b""
    with pytest.raises(ValueError):
        encode_names(b"a\nb", 3)


def test_random_binary_not_catastrophic():
    rng = random.Random(1)
    names = [
        bytes(rng.choice([b for b in range(256) if b != 10]) for _ in range(rng.randrange(0, 200))) for _ in range(300)
    ]
    raw = b"\n".join(names)
    data = _round_trip(names)
    assert len(data) < 1.3 * len(raw) + 64


def test_illumina_like_compresses():
    rng = random.Random(2)
    names = []
    for i in range(5000):
        tile = 1101 + i // 1000
        names.append(
            b"A00123:45:HXXXXDSXX:2:%d:%d:%d 1:N:0:ACGTACGT"
            % (tile, rng.randrange(1000, 30000), rng.randrange(1000, 30000))
        )
    raw = b"\n".join(names)
    data = _round_trip(names)
    assert len(data) < len(raw) / 10


# --- generated names ---------------------------------------------------------------------------

_piece = st.one_of(
    st.integers(0, 10**25).map(lambda v: str(v).encode()),
    st.integers(0, 999).map(lambda v: b"%03d" % v),
    st.sampled_from(
        [b"SRR", b"ERR", b"HWI", b"chr", b"_", b":", b"/", b"#", b" ", b"\t", b"\r", b"-", b".", b"=", b"", b"0", b"00"]
    ),
    st.binary(min_size=0, max_size=6).map(lambda b: b.replace(b"\n", b"")),
)
_name = st.lists(_piece, max_size=12).map(b"".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_name, min_size=1, max_size=40))
def test_generated_names(names):
    _round_trip(names)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(0, 3)), min_size=1, max_size=200), st.integers(0, 10**6))
def test_generated_counters(steps, start):
    """Counters moving by small positive and negative steps, crossing digit-count boundaries."""
    v = start
    names = []
    for d, pad in steps:
        v = max(0, v + d * (1 if pad else 997))
        names.append(b"SRR%d.%0*d tile:%d" % (start, pad + 1, v, v // 7))
    _round_trip(names)


# --- corrupt data ----------------------------------------------------------------------------


def _sample_stream() -> tuple[bytes, int]:
    rng = random.Random(3)
    names = [
        b"HWI-EAS350_0441:1:%d:%d:%d#0/1"
        % (rng.randrange(1, 120), rng.randrange(1000, 20000), rng.randrange(1000, 20000))
        for _ in range(200)
    ]
    return encode_names(b"\n".join(names), len(names)), len(names)


def test_truncated_raises():
    data, n = _sample_stream()
    for cut in (0, 1, 2, 3, len(data) // 2, len(data) - 1):
        with pytest.raises(ArchiveError):
            decode_names(data[:cut], n)


def test_extended_raises():
    data, n = _sample_stream()
    with pytest.raises(ArchiveError):
        decode_names(data + b"\x00", n)


def test_bit_flips_raise_or_stay_well_formed():
    """A damaged stream raises ArchiveError, or (the last flushed bits carry little) decodes to
    n names; it never crashes. The container's checksums catch the rest."""
    data, n = _sample_stream()
    rng = random.Random(4)
    raised = 0
    for _ in range(300):
        bad = bytearray(data)
        k = rng.randrange(len(bad))
        bad[k] ^= 1 << rng.randrange(8)
        try:
            out = decode_names(bytes(bad), n)
        except ArchiveError:
            raised += 1
            continue
        assert out.count(b"\n") == n - 1
    assert raised > 250


def test_random_garbage_raises():
    """Junk after a valid version byte is an ArchiveError (any other exception fails the test); in
    the rare case junk decodes, it must still be n names within the size cap."""
    rng = random.Random(5)
    raised = 0
    for _ in range(200):
        junk = bytes([1]) + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        n = rng.choice([1, 5, 1000])
        try:
            names = decode_names(junk, n, max_size=10_000)
        except ArchiveError:
            raised += 1
            continue
        assert names.count(b"\n") == n - 1 and len(names) <= 10_000
    assert raised >= 190  # all 200 today: the framing catches junk, it does not decode it


def test_wrong_count_or_cap_raises():
    data, n = _sample_stream()
    with pytest.raises(ArchiveError):
        decode_names(data, n + 1)
    with pytest.raises(ArchiveError):
        decode_names(data, n, max_size=100)
    with pytest.raises(ArchiveError):
        decode_names(data, 10**9)  # more names than the data could hold


def test_million_empty_names_fast():
    raw = b"\n" * 999_999
    data = encode_names(raw, 1_000_000)
    assert len(data) < 200
    assert decode_names(data, 1_000_000) == raw


# --- long names: the encoder's bounded output buffer (issue 12, item 7) -----------------------


def _long_names() -> list[bytes]:
    import numpy as np

    rng = np.random.default_rng(2024)
    alpha = np.frombuffer(b"0123456789:;|=_ ACGTchrgene\r\t", dtype=np.uint8)
    return [
        b"x:" * 40 + alpha[rng.integers(0, alpha.size, 200_000)].tobytes(),  # 80 tokens, then a tail
        b"a" * 300_000 + b"1",  # one letter run
        b"r1 " + rng.integers(11, 256, 150_000, dtype=np.uint8).tobytes(),
        b"read_17 len=5",
        alpha[rng.integers(0, alpha.size, 5000)].tobytes(),
    ]


def test_long_names_code_as_before_wherever_the_encoder_stops(monkeypatch):
    """The encoder suspends inside long byte strings when its output buffer runs low and empties
    it: the stream must be the one written before that existed (sha256 pinned from that code),
    with the usual 1 MiB buffer and with the smallest one (a suspension every 32 KiB)."""
    from dnacomp.codecs import names as codec

    raw = b"\n".join(_long_names())
    want = "93d7f6d8460759589792a28ec8ddf37ad2a0d510e44836595a1da44a150a4553"
    for out_chunk in (codec.OUT_CHUNK, 1):
        monkeypatch.setattr(codec, "OUT_CHUNK", out_chunk)
        data = encode_names(raw, 5)
        assert hashlib.sha256(data).hexdigest() == want
    assert decode_names(data, 5) == raw
    assert encode_names(raw, 5, prefix=b"\x08") == b"\x08" + data


# --- the kernel's bundles (issue 14: named state instead of 27 positional arguments) ------------


def test_state_bundles_are_fresh_and_sized_by_the_name_count():
    from dnacomp.codecs import names as codec

    probs, toks, nbrs, preds, strs = codec._state(5000)
    assert isinstance(probs, codec.Probs) and isinstance(toks, codec.Tokens)
    assert isinstance(nbrs, codec.Neighbours) and isinstance(preds, codec.Predictors)
    assert isinstance(strs, codec.Strings)
    assert probs.hbits == 17 and probs.tdepth == codec.TREE_DEPTH
    assert probs.tb.shape == (codec.TB_SIZE + (1 << 17),) and (probs.tb == 1 << 31).all()
    assert toks.tok.shape == (2, 5, codec.MAXT + 1) and not toks.saved.any()
    assert nbrs.vals.shape == (5000, codec.NV) and (nbrs.heads == -1).all()
    assert (nbrs.bbits, nbrs.hb) == (10, 14)
    assert preds.new_bias == codec.NEW_BIAS and preds.score.shape == (64, codec.NP)
    assert strs.hpos.shape == (64, codec.NH) and not strs.hcnt.any()
    big = codec._state(codec.MAX_ROWS + 7)[2]  # only the first MAX_ROWS names are remembered
    assert big.vals.shape[0] == big.nxt.shape[0] == codec.MAX_ROWS


def test_a_bad_total_length_varint_is_an_archive_error():
    """The stored total length is a LEB128 varint (dnacomp.coding.varint): truncated, longer than
    10 bytes or beyond 64 bits, it is refused before anything is allocated."""
    for data in (b"\x01\x80", b"\x01" + b"\x80" * 12, b"\x01" + b"\xff" * 9 + b"\x7f"):
        with pytest.raises(ArchiveError, match="names stream: bad length"):
            decode_names(data, 1)
    with pytest.raises(ArchiveError, match="implausible total length"):
        decode_names(b"\x01" + b"\xff" * 9 + b"\x01", 1)
    good = encode_names(b"r1\nr2", 2)
    assert good[:2] == b"\x01\x05" and decode_names(good, 2) == b"r1\nr2"
