"""The quality codec's contexts of the bases (stream version 2, issue 15): exact round trips on
real long reads and generated ones, the first pass's choice of whether they pay, and the refusals
(a version-2 stream without its bases, bases that do not fit)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import CORPUS

from dnacomp.codecs import quality as Q
from dnacomp.codecs.quality import (
    F_HP,
    F_HPAT,
    F_K3,
    F_K5,
    F_Q1,
    QualParams,
    _mask,
    decode_qualities,
    encode_qualities,
)
from dnacomp.errors import ArchiveError
from dnacomp.formats import PARSERS, quality_context, residue_codes

LONG_READS = ("ont_cdna_pcs109_sirv_5k.fastq.gz", "pacbio_rs2_slice_b.fastq.gz")


def _chunk(fastq: bytes):
    """(qualities, read lengths, N mask, residue codes) of a FASTQ text, as the archive sees them."""
    s = PARSERS["fastq"](fastq, "test.fq", 1, 1)
    readlen, is_n = quality_context(s.fields, s.n_symbols, s.n_records)
    return np.frombuffer(s.fields["qualities"], dtype=np.uint8), readlen, is_n, residue_codes(s.bases, is_n)


def _round_trip(quals, readlen, is_n, bases, **kw) -> bytes:
    data = encode_qualities(quals, readlen, is_n, bases=bases, **kw)
    np.testing.assert_array_equal(decode_qualities(data, readlen, is_n, bases=bases), quals)
    return data


def _homopolymer_reads(n_reads: int, length: int, seed: int):
    """Reads whose qualities follow their bases as nanopore qualities do: low in and after long
    homopolymers, a k-mer dependent offset, noise. The bases' models must pay here."""
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, size=n_reads * length).astype(np.uint8)
    runs = rng.random(bases.shape[0]) < 0.3  # stretch runs: repeat the previous base
    for _ in range(3):
        bases[1:][runs[1:]] = bases[:-1][runs[1:]]
    same = np.concatenate([[False], bases[1:] == bases[:-1]])
    kmer = np.zeros(bases.shape[0], dtype=np.int64)
    for d in (-2, -1, 0, 1, 2):
        kmer = kmer * 4 + np.roll(bases, -d)
    offset = (kmer * 2654435761 >> 7) % 13
    quals = np.clip(8 + offset - 6 * same + rng.integers(-2, 3, size=bases.shape[0]), 0, 50) + 33
    readlen = np.full(n_reads, length, dtype=np.int64)
    return quals.astype(np.uint8), readlen, np.zeros(bases.shape[0], dtype=bool), bases


def _forced(quals: np.ndarray, readlen: np.ndarray) -> QualParams:
    """The layout the first pass offers with the bases, taken whether or not they pay."""
    values, counts = np.unique(quals, return_counts=True)
    counts = counts if values.size > 1 else np.array([1, 1])
    return Q.choose_params(int(quals.size), readlen, counts, Q._huffman_lengths(counts), with_bases=True)


# ---- real long reads ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", LONG_READS)
def test_real_long_reads_round_trip_and_the_bases_pay(name):
    path = CORPUS / "extra" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    quals, readlen, is_n, bases = _chunk(gzip.decompress(path.read_bytes()))
    with_bases = _round_trip(quals, readlen, is_n, bases)
    without = _round_trip(quals, readlen, is_n, None)
    assert with_bases[0] == 2 and without[0] == 1
    assert len(with_bases) < 0.95 * len(without)  # measured: ONT -12%, PacBio -9%


def test_a_few_real_nanopore_reads_round_trip_with_the_bases():
    """The first 12 reads of the corpus's ONT cDNA file (kept in reference/golden)."""
    from paths import GOLDEN

    quals, readlen, is_n, bases = _chunk((GOLDEN / "fastq_ont_cdna_reads.fq").read_bytes())
    data = _round_trip(quals, readlen, is_n, bases)
    assert data[0] == 2
    assert len(data) < len(encode_qualities(quals, readlen, is_n))


# ---- generated reads ---------------------------------------------------------------------------


def test_qualities_that_follow_the_bases_choose_them_and_random_ones_do_not():
    quals, readlen, is_n, bases = _homopolymer_reads(40, 2000, seed=3)
    follows = _round_trip(quals, readlen, is_n, bases)
    assert follows[0] == 2
    assert len(follows) < 0.9 * len(encode_qualities(quals, readlen, is_n))
    rng = np.random.default_rng(4)
    shuffled = rng.permutation(quals)  # the same histogram, no tie to the bases
    assert _round_trip(shuffled, readlen, is_n, bases)[0] == 1


def test_a_one_megabase_read_round_trips_with_the_bases():
    quals, readlen, is_n, bases = _homopolymer_reads(1, 1 << 20, seed=5)
    is_n[::1009] = True
    bases = bases.copy()
    bases[is_n] = 4
    assert _round_trip(quals, readlen, is_n, bases)[0] == 2


def test_every_quality_value_and_n_bases_and_empty_reads():
    rng = np.random.default_rng(6)
    n = 94 * 200
    quals = (rng.permutation(np.repeat(np.arange(94), 200)) + 33).astype(np.uint8)
    readlen = np.array([0, 5000, 1, 0, n - 5001], dtype=np.int64)
    bases = rng.integers(0, 5, size=n).astype(np.uint8)  # 4 = N
    is_n = bases == 4
    params = _forced(quals, readlen)  # the first pass would drop them
    data = _round_trip(quals, readlen, is_n, bases, params=params)
    assert data[0] == 2


@pytest.mark.parametrize(
    "models, mix_sel, apms",
    [
        (((_mask(F_Q1, F_K3, F_HP, F_HPAT), 16, 255),), F_HP, ()),
        (((_mask(F_K5), 12, 30), (_mask(F_Q1), 12, 255)), F_HPAT, ((_mask(F_K3, F_HP), 10),)),
        (((_mask(F_Q1), 14, 255),), F_K3, ((_mask(F_K5), 8), (_mask(F_HPAT), 6))),
    ],
)
def test_every_field_of_the_bases_in_models_selector_and_apms(models, mix_sel, apms):
    quals, readlen, is_n, bases = _homopolymer_reads(30, 300, seed=7)
    params = QualParams(models=models, mix_sel=mix_sel, apms=apms)
    assert params.uses_bases()
    assert _round_trip(quals, readlen, is_n, bases, params=params)[0] == 2


def test_mixed_short_and_long_reads():
    rng = np.random.default_rng(8)
    readlen = np.array([150, 20000, 36, 1, 9000, 150, 150], dtype=np.int64)
    q, _, _, bases = _homopolymer_reads(1, int(readlen.sum()), seed=9)
    _round_trip(q, readlen, np.zeros(q.shape[0], dtype=bool), bases)
    _round_trip(rng.integers(33, 75, size=q.shape[0]).astype(np.uint8), readlen, np.zeros(q.shape[0], bool), bases)


@st.composite
def _reads_with_bases(draw):
    lengths = draw(st.lists(st.integers(0, 300), min_size=1, max_size=12))
    n = sum(lengths)
    quals = draw(st.lists(st.integers(33, 126), min_size=n, max_size=n))
    codes = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    return (
        np.array(quals, dtype=np.uint8),
        np.array(lengths, dtype=np.int64),
        np.array(codes, dtype=np.uint8),
        draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_reads_with_bases())
def test_property_round_trip_with_the_bases(reads):
    quals, readlen, bases, forced = reads
    is_n = bases == 4
    params = _forced(quals, readlen) if forced and quals.size else None
    _round_trip(quals, readlen, is_n, bases, params=params)


# ---- refusals ----------------------------------------------------------------------------------


def test_a_version_2_stream_needs_its_bases_and_only_those():
    quals, readlen, is_n, bases = _homopolymer_reads(10, 500, seed=10)
    data = _round_trip(quals, readlen, is_n, bases)
    assert data[0] == 2
    with pytest.raises(ArchiveError, match="needs the bases"):
        decode_qualities(data, readlen, is_n)
    with pytest.raises(ArchiveError, match="one code per quality"):
        decode_qualities(data, readlen, is_n, bases=bases[:-1])
    other = bases.copy()
    other[100:200] = (other[100:200] + 1) % 4
    try:  # other bases: the decoder computes other contexts; never the same qualities silently
        out = decode_qualities(data, readlen, is_n, bases=other)
    except ArchiveError:
        pass
    else:
        assert not np.array_equal(out, quals)


def test_the_encoder_refuses_a_layout_of_the_bases_without_them():
    quals, readlen, is_n, _ = _homopolymer_reads(2, 100, seed=11)
    with pytest.raises(ValueError, match="pass bases"):
        encode_qualities(quals, readlen, is_n, params=QualParams(models=Q.SEQ_MODELS))


def test_a_version_1_decoder_layout_check_refuses_the_fields_of_the_bases():
    params = QualParams(models=((_mask(F_Q1, F_K5), 12, 255),))
    params.validate(2)
    with pytest.raises(ArchiveError):
        params.validate(1)


def test_residue_codes_fill_the_gaps_of_the_n_mask():
    is_n = np.array([False, True, True, False, False, True])
    codes = residue_codes(np.array([3, 0, 2], dtype=np.uint8), is_n)
    assert codes.tolist() == [3, 4, 4, 0, 2, 4]
    with pytest.raises(ArchiveError):
        residue_codes(np.array([1], dtype=np.uint8), is_n)
